"""Same numbers before and after a refactor: fingerprints of real training runs.

    python -m benchmarks.same_numbers [--steps 200] [--checkpoints DIR]

Trains the Shakespeare recipe's char-LSTM (2 layers of 256, sequence 64, batch 32, Adam
3e-3, the step schedule so the run does not depend on the clock) for ``--steps`` steps,
a char-GRU and a char-RNN for a few steps each, the CS231n captioner (RNN and LSTM) and
the attention captioner on the shapes set, then prints a SHA-256 of every model's
parameters, of its loss history and of what it samples afterwards (text, captions).
It imports the models by their paths since issue 23, or by the flat paths before it. Run it on
two versions of the code, each in its own process, and compare the lines: equal hashes
mean bit-identical parameters. ``MINIGRAPH_KERNELS=numpy`` pins the numpy path.

``--checkpoints DIR`` also saves each model there (``--load DIR`` loads checkpoints saved
by another version and prints their parameter hashes, to show old files still load).
"""

import argparse
import hashlib
import importlib
import inspect
import os

import numpy as np


def _module(new, old):
    """A module by its path since issue 23, or by its flat path on the code before, so the
    same script measures both versions."""
    try:
        return importlib.import_module(f"minigraph.models.{new}")
    except ImportError:
        return importlib.import_module(f"minigraph.models.{old}")


def fingerprint(arrays):
    """SHA-256 (first 16 hex digits) of named arrays, in name order, bytes and dtypes."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        value = np.ascontiguousarray(arrays[name])
        digest.update(name.encode() + str(value.dtype).encode() + value.tobytes())
    return digest.hexdigest()[:16]


def char_runs(steps):
    trainer_module = _module("charrnn.trainer", "char_train")
    text = _module("data.text", "data.text").load_text("shakespeare")
    new_names = "num_layers" in inspect.signature(trainer_module.CharTrainer).parameters
    runs = {"char-lstm 256x2": ("lstm", 2, 256, steps, 0.0),
            "char-gru 64x2 dropout": ("gru", 2, 64, 20, 0.25),
            "char-rnn 64x1": ("rnn", 1, 64, 20, 0.0)}
    for name, (cell, layers, hidden, iterations, dropout) in runs.items():
        sizes = ({"num_layers": layers, "hidden_size": hidden} if new_names
                 else {"layers": layers, "hidden": hidden})
        trainer = trainer_module.CharTrainer(text, cell=cell, seq_len=64, batch_size=32,
                                             lr=3e-3, dropout=dropout, seed=0,
                                             lr_schedule="step", **sizes)
        trainer.train(iterations=iterations, eval_every=0, sample_every=0, progress=False,
                      log=lambda message: None)
        sample = trainer.model.sample(prime="ROMEO:", length=200, temperature=0.8, seed=0)
        yield name, trainer.model, trainer.history["loss"], sample


def captioning_runs(folder):
    rnn = _module("captioning.rnn_captioner", "captioning_rnn")
    attention = _module("captioning.attention_captioner", "attention_captioner")
    solver_module = _module("captioning.solver", "captioning_solver")
    data_module = _module("data", "data")
    shapes = _module("data.shapes_dataset", "data.shapes_dataset")

    data_dir = os.path.join(folder, "shapes")
    if not os.path.isdir(data_dir):
        shapes.make_shapes_dataset(data_dir, num_train=200, num_val=40, num_novel=10, seed=0,
                                   progress=False)
    data = data_module.load_coco_data(data_dir, max_train=200, grid=True)
    sizes = {"wordvec_dim": 32, "hidden_dim": 64, "dtype": np.float32, "seed": 0}
    for kind, cell in (("captioning", "rnn"), ("captioning", "lstm"), ("attention", "lstm")):
        if kind == "attention":
            _, P, D = data["train_grid"].shape
            model = attention.AttentionCaptioner(data["word_to_idx"], input_dim=D, num_cells=P,
                                                 cell_type=cell, **sizes)
        else:
            model = rnn.CaptioningRNN(data["word_to_idx"], cell_type=cell,
                                      input_dim=data["train_features"].shape[1], **sizes)
        solver = solver_module.CaptioningSolver(model, data, update_rule="adam",
                                                optim_config={"learning_rate": 5e-3},
                                                lr_decay=0.95, num_epochs=2, batch_size=25,
                                                verbose=False, seed=0, progress=False)
        solver.train()
        key = "grid" if kind == "attention" else "features"
        captions = model.sample(data[f"val_{key}"][:8], max_length=12)
        yield f"{kind}-{cell}", model, solver.loss_history, np.asarray(captions).tobytes()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--work", default="same_numbers_work",
                        help="folder for the shapes data set (made once)")
    parser.add_argument("--checkpoints", help="save every model here")
    parser.add_argument("--load", help="load the checkpoints saved here and hash them")
    args = parser.parse_args(argv)
    if args.load:
        kinds = {"captioning": _module("captioning.rnn_captioner", "captioning_rnn").CaptioningRNN,
                 "attention": _module("captioning.attention_captioner",
                                      "attention_captioner").AttentionCaptioner,
                 "char": _module("charrnn.model", "char_rnn").CharRNN}
        for file in sorted(os.listdir(args.load)):
            cls = kinds[file.split("-")[0]]
            model, _ = cls.load(os.path.join(args.load, file))
            print(f"{file:28s} loaded params {fingerprint(dict(model.params))}")
        return
    os.makedirs(args.work, exist_ok=True)
    for name, model, losses, sample in [*char_runs(args.steps), *captioning_runs(args.work)]:
        sample = sample.encode() if isinstance(sample, str) else sample
        print(f"{name:24s} params {fingerprint(dict(model.params))}  losses "
              f"{fingerprint({'loss': np.asarray(losses, np.float64)})}  sample "
              f"{hashlib.sha256(sample).hexdigest()[:16]}  last {float(losses[-1]):.6f}",
              flush=True)
        if args.checkpoints:
            os.makedirs(args.checkpoints, exist_ok=True)
            model.save(os.path.join(args.checkpoints, name.replace(" ", "_") + ".h5"))


if __name__ == "__main__":
    main()
