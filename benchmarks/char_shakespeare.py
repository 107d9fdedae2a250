"""Quality benchmark: a 2-layer LSTM char-rnn on tiny Shakespeare for a fixed wall time.

    python -m benchmarks.char_shakespeare [--minutes 10] [--text shakespeare|FILE]

The text is the tiny Shakespeare that ships with the package unless --text names a file.
First 90% of the text trains, last 10% validates (the whole validation text is scored at
the end). Prints the validation loss in nats and bits per character, the iterations and
the characters per second, and a sample; writes the figures as JSON.
"""

import argparse
import json
import time

import numpy as np

import minigraph
from minigraph.errors import MinigraphError
from minigraph.files import atomic_write
from minigraph.models.charrnn.trainer import CharTrainer
from minigraph.models.data.text import Tracks, load_text


def full_validation(trainer):
    N, T = trainer.settings["batch_size"], trainer.settings["seq_len"]
    tracks = Tracks(trainer.val_ids, N, T, "validation text")
    return trainer.model.evaluate_tracks(tracks)


def add_recipe_arguments(parser, out):
    """The recipe's flags, shared with the PyTorch twin so both train the same way."""
    parser.add_argument("--text", default="shakespeare",
                        help="'shakespeare' (packaged, the default) or a UTF-8 text file")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--lr-schedule", choices=["step", "cosine"], default="cosine")
    parser.add_argument("--lr-decay", type=float, default=0.97, help="per pass (step schedule)")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--threads", type=int, default=1, help="minigraph.set_threads")
    parser.add_argument("--eval-every", type=int, default=500)
    parser.add_argument("--out", default=out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_recipe_arguments(parser, "char_shakespeare.json")
    args = parser.parse_args(argv)
    try:
        text = load_text(args.text)
    except MinigraphError as exc:
        raise SystemExit(f"error: {exc}") from None
    minigraph.set_threads(args.threads)
    trainer = CharTrainer(text, cell="lstm", num_layers=args.layers, hidden_size=args.hidden,
                          seq_len=args.seq_len, batch_size=args.batch_size, lr=args.lr,
                          dropout=args.dropout, seed=0, lr_schedule=args.lr_schedule,
                          lr_decay=args.lr_decay,
                          warmup=args.warmup)
    started, curve = time.monotonic(), []

    def log(message):  # called right after each validation: note when it came
        history = trainer.history
        if history["val_iteration"] and (not curve or curve[-1][1] != history["val_iteration"][-1]):
            curve.append([round(time.monotonic() - started, 1), history["val_iteration"][-1],
                          round(history["val_loss"][-1], 4)])
        print(message, flush=True)

    trainer.train(max_minutes=args.minutes, eval_every=args.eval_every, sample_every=0,
                  progress=False, log=log)
    train_seconds = time.monotonic() - started
    val, chars = full_validation(trainer)
    result = {"implementation": "minigraph",
              "validation_nats_per_char": round(val, 4),
              "validation_bits_per_char": round(val / np.log(2), 4),
              "validation_chars_scored": chars, "iterations": trainer.iteration,
              "train_seconds": round(train_seconds, 1),
              "chars_per_second": round(trainer.chars_per_second),
              "curve": curve, "config": vars(args)}
    print(json.dumps({k: v for k, v in result.items() if k != "curve"}, indent=2))
    print(trainer.model.sample(prime="ROMEO:", length=400, temperature=0.8, seed=0))
    atomic_write(args.out, json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
