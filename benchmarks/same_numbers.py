"""Same numbers before and after a refactor: fingerprints of real training runs.

    python -m benchmarks.same_numbers [--steps 200] [--checkpoints DIR]

Trains the Shakespeare recipe's char-LSTM (2 layers of 256, sequence 64, batch 32, Adam
3e-3, the step schedule so the run does not depend on the clock) for ``--steps`` steps,
a char-GRU and a char-RNN for a few steps each, and the CS231n captioner on the shapes
set, then prints a SHA-256 of every model's parameters and of its loss history. Run it on
two versions of the code, each in its own process, and compare the lines: equal hashes
mean bit-identical parameters. ``MINIGRAPH_KERNELS=numpy`` pins the numpy path.

``--checkpoints DIR`` also saves each model there (``--load DIR`` loads checkpoints saved
by another version and prints their parameter hashes, to show old files still load).
"""

import argparse
import hashlib
import os

import numpy as np


def fingerprint(arrays):
    """SHA-256 (first 16 hex digits) of named arrays, in name order, bytes and dtypes."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        value = np.ascontiguousarray(arrays[name])
        digest.update(name.encode() + str(value.dtype).encode() + value.tobytes())
    return digest.hexdigest()[:16]


def char_runs(steps):
    from minigraph.models.charrnn.trainer import CharTrainer
    from minigraph.models.data.text import load_text

    text = load_text("shakespeare")
    runs = {"char-lstm 256x2": dict(cell="lstm", num_layers=2, hidden_size=256, steps=steps),
            "char-gru 64x2 dropout": dict(cell="gru", num_layers=2, hidden_size=64, steps=20,
                                          dropout=0.25),
            "char-rnn 64x1": dict(cell="rnn", num_layers=1, hidden_size=64, steps=20)}
    for name, run in runs.items():
        trainer = CharTrainer(text, cell=run["cell"], num_layers=run["num_layers"],
                              hidden_size=run["hidden_size"], seq_len=64, batch_size=32, lr=3e-3,
                              dropout=run.get("dropout", 0.0), seed=0, lr_schedule="step")
        trainer.train(iterations=run["steps"], eval_every=0, sample_every=0, progress=False,
                      log=lambda message: None)
        yield name, trainer.model, trainer.history["loss"]


def captioning_runs(folder):
    from minigraph.models.captioning.rnn_captioner import CaptioningRNN
    from minigraph.models.captioning.solver import CaptioningSolver
    from minigraph.models.data import load_coco_data
    from minigraph.models.data.shapes_dataset import make_shapes_dataset

    data_dir = os.path.join(folder, "shapes")
    if not os.path.isdir(data_dir):
        make_shapes_dataset(data_dir, num_train=200, num_val=40, num_novel=10, seed=0,
                            progress=False)
    data = load_coco_data(data_dir, max_train=200)
    for cell in ("rnn", "lstm"):
        model = CaptioningRNN(word_to_idx=data["word_to_idx"],
                              input_dim=data["train_features"].shape[1], wordvec_dim=32,
                              hidden_dim=64, cell_type=cell, dtype=np.float32, seed=0)
        solver = CaptioningSolver(model, data, update_rule="adam",
                                  optim_config={"learning_rate": 5e-3}, lr_decay=0.95,
                                  num_epochs=2, batch_size=25, verbose=False, seed=0,
                                  progress=False)
        solver.train()
        yield f"captioning-{cell}", model, solver.loss_history


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--work", default="same_numbers_work",
                        help="folder for the shapes data set (made once)")
    parser.add_argument("--checkpoints", help="save every model here")
    parser.add_argument("--load", help="load the checkpoints saved here and hash them")
    args = parser.parse_args(argv)
    if args.load:
        from minigraph.models.captioning.rnn_captioner import CaptioningRNN
        from minigraph.models.charrnn.model import CharRNN

        for file in sorted(os.listdir(args.load)):
            cls = CaptioningRNN if file.startswith("captioning") else CharRNN
            model, _ = cls.load(os.path.join(args.load, file))
            print(f"{file:28s} loaded params {fingerprint(dict(model.params))}")
        return
    os.makedirs(args.work, exist_ok=True)
    for name, model, losses in [*char_runs(args.steps), *captioning_runs(args.work)]:
        print(f"{name:24s} params {fingerprint(dict(model.params))}  losses "
              f"{fingerprint({'loss': np.asarray(losses, np.float64)})}  last "
              f"{float(losses[-1]):.6f}", flush=True)
        if args.checkpoints:
            os.makedirs(args.checkpoints, exist_ok=True)
            model.save(os.path.join(args.checkpoints, name.replace(" ", "_") + ".h5"))


if __name__ == "__main__":
    main()
