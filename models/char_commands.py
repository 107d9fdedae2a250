"""`minigraph char train|sample|eval|neurons`."""

import os
import time

from .data.text import load_text

TEXT_HELP = ("UTF-8 text file, or 'shakespeare' for the packaged tiny Shakespeare "
             "(default: about 1 MB of Python's own source)")


def add_commands(commands):
    char = commands.add_parser("char", help="character-level RNN language model (char-rnn)")
    sub = char.add_subparsers(dest="char_command", required=True)
    train = sub.add_parser("train", help="train on a text file (default: Python's own source)")
    train.add_argument("--text", default=None, help=TEXT_HELP)
    train.add_argument("--cell", choices=["rnn", "lstm", "gru"], default="lstm")
    train.add_argument("--layers", type=int, default=2)
    train.add_argument("--hidden", type=int, default=256)
    train.add_argument("--seq-len", type=int, default=64)
    train.add_argument("--batch-size", type=int, default=32)
    train.add_argument("--dropout", type=float, default=0.0)
    train.add_argument("--lr", type=float, default=2e-3)
    train.add_argument("--lr-decay", type=float, default=0.97, help="per pass over the text")
    train.add_argument("--optimizer", choices=["adam", "rmsprop", "adagrad", "sgd"],
                       default="adam")
    train.add_argument("--clip", type=float, default=5.0, help="global gradient-norm clip")
    train.add_argument("--max-minutes", type=float, default=None)
    train.add_argument("--iterations", type=int, default=None)
    train.add_argument("--eval-every", type=int, default=200)
    train.add_argument("--sample-every", type=int, default=500)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", default="char_model.h5")
    train.add_argument("--resume", action="store_true", help="continue from --out exactly")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.set_defaults(handler=run_train)

    sample = sub.add_parser("sample", help="generate text")
    sample.add_argument("--model", required=True)
    sample.add_argument("--length", type=int, default=500)
    sample.add_argument("--temperature", type=float, default=0.8,
                        help="0 = argmax; lower is more conservative, higher more diverse")
    sample.add_argument("--top-k", type=int, default=None)
    sample.add_argument("--prime", default="")
    sample.add_argument("--seed", type=int, default=None)
    sample.set_defaults(handler=run_sample)

    evaluate = sub.add_parser("eval", help="loss of a model on a text, in nats and bits/char")
    evaluate.add_argument("--model", required=True)
    evaluate.add_argument("--text", default=None, help=TEXT_HELP)
    evaluate.set_defaults(handler=run_eval)

    neurons = sub.add_parser("neurons", help="HTML page of hidden-cell activations")
    neurons.add_argument("--model", required=True)
    neurons.add_argument("--text", default=None, help=TEXT_HELP)
    neurons.add_argument("--chars", type=int, default=2000, help="how much text to show")
    neurons.add_argument("--k", type=int, default=50,
                         help="how many characters back the gradient strip reaches")
    neurons.add_argument("--compare", nargs="+", default=[], metavar="MODEL",
                         help="other checkpoints (an RNN, a GRU) whose gradient strips are "
                              "drawn beside this model's")
    neurons.add_argument("--out", default="neurons.html")
    neurons.set_defaults(handler=run_neurons)


def run_train(args):
    from .char_train import CharTrainer

    text = load_text(args.text)
    if args.iterations is None and args.max_minutes is None:
        args.max_minutes = 10.0
    if args.resume:
        trainer = CharTrainer.resume(args.out, text)
        print(f"resuming {args.out} at iteration {trainer.iteration}")
    else:
        trainer = CharTrainer(text, cell=args.cell, layers=args.layers, hidden=args.hidden,
                              seq_len=args.seq_len, batch_size=args.batch_size,
                              dropout=args.dropout, lr=args.lr, lr_decay=args.lr_decay,
                              update_rule=args.optimizer, clip=args.clip, seed=args.seed)
    started = time.monotonic()
    trainer.train(iterations=args.iterations, max_minutes=args.max_minutes,
                  eval_every=args.eval_every, sample_every=args.sample_every, out=args.out,
                  progress=not args.quiet)
    val = trainer.history["val_loss"][-1] if trainer.history["val_loss"] else float("nan")
    print(f"{trainer.iteration} iterations, {time.monotonic() - started:.0f} s, "
          f"{trainer.chars_per_second:.0f} chars/s; validation {val:.3f} nats/char; "
          f"wrote {args.out}, {os.path.splitext(args.out)[0]}_loss.png and "
          f"{os.path.splitext(args.out)[0]}_samples.txt")
    print(trainer.model.sample(length=300, temperature=0.8))
    return 0


def run_sample(args):
    from .char_rnn import CharRNN

    model, _ = CharRNN.load(args.model)
    print(args.prime + model.sample(args.prime, args.length, args.temperature, args.top_k,
                                    args.seed))
    return 0


def run_eval(args):
    from .char_rnn import CharRNN
    from .data.text import Tracks, Vocabulary

    model, saved = CharRNN.load(args.model)
    text = load_text(args.text)
    vocab = Vocabulary(model.chars)
    ids = vocab.encode(text)
    settings = saved["state"].get("settings", {"batch_size": 32, "seq_len": 64})
    tracks = Tracks(ids, int(settings["batch_size"]), int(settings["seq_len"]), args.text or "text")
    mean, chars = model.evaluate_tracks(tracks)
    print(f"{chars} characters: {mean:.4f} nats/char = {mean / 0.693147:.4f} "
          "bits/char")
    return 0


def run_neurons(args):
    from .char_rnn import CharRNN
    from .neurons import check_vocabulary, validation_stretch, write_neuron_page

    model, _ = CharRNN.load(args.model)
    check_vocabulary(model.chars, args.model)
    compare = []
    for path in args.compare:
        other, _ = CharRNN.load(path)
        check_vocabulary(other.chars, path)
        compare.append((f"{other.cell.upper()} {os.path.basename(path)}", other))
    stretch = validation_stretch(load_text(args.text), args.chars)
    write_neuron_page(model, stretch, args.out, k=args.k, compare=compare)
    print(f"wrote {args.out}: {len(stretch)} characters of the last 10% of the text")
    return 0
