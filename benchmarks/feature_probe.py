"""How much of a shapes picture's content can be read from its 512 features?

    python -m benchmarks.feature_probe --data shapes [--epochs 20]

Two readers are fitted on the training images to predict how many objects of each
colour-shape pair a picture holds: a linear one (ridge regression, closed form) and a
small MLP (one hidden layer of ReLU units, squared error, Adam; built with minigraph).
Each is scored like the captioner's attribute accuracy: told how many objects an image
has, it names that many pairs (its largest predicted counts, one at a time) and is right
for each object whose pair it names. A reader far above the captioner says the features
are not what limits the captioner.
"""

import argparse
import json

import numpy as np

import minigraph as mg
from minigraph.models.data import load_coco_data
from minigraph.models.data.shapes import COLOURS, SHAPES
from minigraph.models.data.shapes_dataset import load_objects
from minigraph.optim import adam

PAIRS = [(colour, shape) for colour in COLOURS for shape in SHAPES]


def pair_counts(objects_per_image):
    """(N, len(PAIRS)) counts of each colour-shape pair per image."""
    counts = np.zeros((len(objects_per_image), len(PAIRS)), np.float32)
    for i, objects in enumerate(objects_per_image):
        for obj in objects:
            counts[i, PAIRS.index((obj["colour"], obj["shape"]))] += 1
    return counts


def pair_accuracy(predicted, true_counts):
    """Share of objects named right when each image names as many pairs as it has objects,
    taking its largest predicted count each time and lowering that count by one."""
    correct = total = 0
    for guess, truth in zip(predicted, true_counts):
        guess, named = guess.astype(np.float64).copy(), np.zeros_like(truth)
        for _ in range(int(truth.sum())):
            best = int(np.argmax(guess))
            named[best] += 1
            guess[best] -= 1
        correct += np.minimum(named, truth).sum()
        total += truth.sum()
    return float(correct / max(total, 1))


def ridge(train_x, train_y, lam=1.0):
    """Weights (D + 1, P) of a ridge regression with a bias column."""
    x = np.c_[train_x, np.ones(len(train_x))].astype(np.float64)
    return np.linalg.solve(x.T @ x + lam * np.eye(x.shape[1]), x.T @ train_y)


def mlp_params(dim, hidden, outputs, rng):
    """Weights of a one-hidden-layer ReLU network, He-scaled, as minigraph parameters."""
    def weight(rows, cols, scale):
        return (rng.standard_normal((rows, cols)) * scale).astype(np.float32)
    return {"W1": mg.param(weight(dim, hidden, np.sqrt(2 / dim)), "W1"),
            "b1": mg.param(np.zeros(hidden, np.float32), "b1"),
            "W2": mg.param(weight(hidden, outputs, 1 / np.sqrt(hidden)), "W2"),
            "b2": mg.param(np.zeros(outputs, np.float32), "b2")}


def mlp_reader(features, params):
    """features (N, D) -> affine -> relu -> affine -> predicted counts (N, P)."""
    hidden_units = mg.relu(mg.affine(features, params["W1"], params["b1"]), name="hidden")
    return mg.affine(hidden_units, params["W2"], params["b2"], name="predicted")


def fit_mlp(train_x, train_y, epochs, rng, hidden=512, batch_size=128, lr=1e-3):
    """Train the reader on squared error with Adam; returns predict(x) -> counts."""
    batch_size = min(batch_size, len(train_x))  # a small set still takes whole steps
    params = mlp_params(train_x.shape[1], hidden, train_y.shape[1], rng)
    x = mg.input("features", (batch_size, train_x.shape[1]), np.float32)
    y = mg.input("counts", (batch_size, train_y.shape[1]), np.float32)
    error = mg.sub(mlp_reader(x, params), y, name="error")
    graph = mg.Graph(mg.mean(mg.mul(error, error), name="loss"))
    configs = {name: {"learning_rate": lr} for name in params}
    for _ in range(epochs):
        order = rng.permutation(len(train_x))
        for start in range(0, len(order) - batch_size + 1, batch_size):
            rows = order[start:start + batch_size]
            graph.zero_grad()  # parameter gradients accumulate until zeroed
            graph.forward({"features": train_x[rows], "counts": train_y[rows]})
            graph.backward()
            for name, node in params.items():
                _, configs[name] = adam(node.value, node.grad, configs[name])

    def predict(features):
        with mg.no_grad():  # the same parameter nodes, in a graph sized for these rows
            node = mg.input("features", features.shape, np.float32)
            return mg.Graph(mlp_reader(node, params)).forward({"features": features})
    return predict


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="a directory made by `minigraph shapes`")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    data, objects = load_coco_data(args.data), load_objects(args.data)
    x = {split: data[f"{split}_features"] for split in ("train", "val")}
    y = {split: pair_counts(objects[split]) for split in ("train", "val")}
    weights = ridge(x["train"], y["train"])
    linear = {s: pair_accuracy(np.c_[x[s], np.ones(len(x[s]))] @ weights, y[s]) for s in x}
    predict = fit_mlp(x["train"], y["train"], args.epochs, np.random.default_rng(args.seed))
    mlp = {s: pair_accuracy(predict(x[s]), y[s]) for s in x}
    figures = {"linear": linear, "mlp": mlp, "epochs": args.epochs,
               "train_images": len(x["train"]), "feature_dim": int(x["train"].shape[1])}
    print(f"linear reader: train {linear['train']:.3f}, val {linear['val']:.3f}")
    print(f"MLP reader (512 ReLU, {args.epochs} epochs): train {mlp['train']:.3f}, "
          f"val {mlp['val']:.3f}")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(figures, f, indent=1)
    return figures


if __name__ == "__main__":
    main()
