"""`minigraph char train|sample|eval|neurons`."""

import os
import time
import warnings

from minigraph.errors import UsageError

from ..data.text import MAX_TEXT_MB, load_text
from .flags import (
    add_force_flag,
    add_old_spelling,
    add_threads_flag,
    apply_threads_flag,
    bounded,
    check_picture_output,
    check_training_output,
    fraction,
    non_negative,
    positive,
    rate,
)

MAX_TEXT_MB_LIMIT = 100_000
TEXT_HELP = ("UTF-8 text file, or 'shakespeare' for the packaged tiny Shakespeare "
             "(default: about 1 MB of Python's own source)")
CELLS = ["rnn", "lstm", "gru"]
CHOICES = {"--cell": CELLS, "--lr-schedule": ["step", "cosine"]}
# (flag, type, default, help) of every setting a checkpoint records. Each flag is spelled
# like the argument of CharRNN or CharTrainer that it sets and the key the checkpoint
# records it under (--hidden-size, hidden_size).
MODEL_SETTINGS = [
    ("--cell", str, "lstm", "recurrent cell"),
    ("--num-layers", bounded(1, 16), 2, "recurrent layers (at most 16)"),
    ("--hidden-size", bounded(1, 4096), 256, "hidden units per layer (at "
     "most 4096: one LSTM layer of 4096 units holds 134 million weights)"),
    ("--seq-len", bounded(1, 1000), 64, "characters per window of truncated BPTT "
     "(at most 1000; char-rnn uses 50 to 100)"),
    ("--batch-size", bounded(1, 1024), 32, "parallel tracks through the text (at most "
     "1024)"),
    ("--dropout", fraction, 0.0, "dropout between layers, in [0, 1)"),
    ("--lr", rate, 2e-3, "learning rate"),
    ("--lr-decay", positive(), 0.97, "learning-rate factor per pass over the text"),
    ("--lr-schedule", str, "step", "step: x --lr-decay per pass over the text; cosine: "
     "half a cosine down to lr/100 over the run (planned from --iterations, or from "
     "--minutes and the speed of the first steps)"),
    ("--warmup", non_negative, 0, "iterations of linear learning-rate warm-up (cosine)"),
    ("--horizon", non_negative, 0, "cosine: the iteration at which the rate reaches its "
     "floor, counted over the whole run with its resumes (0: the end of this run); plan "
     "--horizon 2000 --iterations 1000, then --resume --iterations 1000 trains exactly as "
     "--iterations 2000 does"),
    ("--clip", positive(), 5.0, "global gradient-norm clip"),
    ("--seed", non_negative, 0, "seed of every random stream"),
]
UPDATE_RULES = ["adam", "rmsprop", "adagrad", "sgd"]
# former spellings of the flags, still parsed (hidden from --help): scripts keep working
OLD_FLAGS = {"--layers": "--num-layers", "--hidden": "--hidden-size",
             "--optimizer": "--update-rule", "--max-minutes": "--minutes"}


def add_commands(commands):
    char = commands.add_parser("char", help="character-level RNN language model (char-rnn)")
    sub = char.add_subparsers(dest="char_command", required=True)
    train = sub.add_parser("train", help="train on a text file (default: Python's own source)")
    train.add_argument("--text", default=None, help=TEXT_HELP)
    add_max_text_flag(train)
    # Model and optimizer settings default to None so that --resume can tell a flag the
    # user gave (refused if it differs from the checkpoint) from one left out.
    for flag, kind, default, text in MODEL_SETTINGS:
        train.add_argument(flag, type=kind, default=None, help=f"{text} (default: {default})",
                           **({"choices": CHOICES[flag]} if flag in CHOICES else {}))
    train.add_argument("--update-rule", choices=UPDATE_RULES, default=None,
                       help="optimizer (default: adam)")
    train.add_argument("--minutes", dest="max_minutes", metavar="MINUTES", type=positive(),
                       default=None,
                       help="time limit (default: 10 when --iterations is not given)")
    train.add_argument("--iterations", type=non_negative, default=None,
                       help="steps to train (with --minutes: whichever comes first)")
    train.add_argument("--eval-every", type=non_negative, default=200,
                       help="iterations between validations and checkpoints (0: at the end only)")
    train.add_argument("--sample-every", type=non_negative, default=500,
                       help="iterations between samples in <out>_samples.txt (0: at the end)")
    train.add_argument("--out", default="char_model.h5", help="checkpoint to write")
    train.add_argument("--resume", action="store_true", help="continue from --out exactly")
    train.add_argument("--other-data", action="store_true",
                       help="with --resume: go on although --text is not the text --out was "
                       "trained on (refused otherwise)")
    train.add_argument("--past-horizon", action="store_true",
                       help="with --resume of a cosine run: go on past the iteration its "
                       "schedule ends at, at the floor rate (refused otherwise)")
    train.add_argument("--force", action="store_true",
                       help="replace an existing --out (and files beside it) instead of "
                            "refusing")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    add_threads_flag(train)
    for old, new in OLD_FLAGS.items():
        add_old_spelling(train, old, new)
    train.set_defaults(handler=run_train)

    sample = sub.add_parser("sample", help="generate text")
    sample.add_argument("--model", required=True, help="the CharRNN checkpoint")
    sample.add_argument("--length", type=bounded(0, 10**6), default=500,
                        help="characters to generate after the prime (at most 1000000)")
    sample.add_argument("--temperature", type=rate, default=0.8,
                        help="0 = argmax; lower is more conservative, higher more diverse")
    sample.add_argument("--top-k", type=bounded(1, 65536), default=None,
                        help="sample among the k likeliest characters only (default: all; "
                        "at most 65536)")
    sample.add_argument("--prime", default="",
                        help="text to start from (default: a line start)")
    sample.add_argument("--seed", type=non_negative, default=None,
                        help="seed of the draws (default: the model's own sampling stream)")
    sample.set_defaults(handler=run_sample)

    evaluate = sub.add_parser("eval", help="loss of a model on a text, in nats and bits/char")
    evaluate.add_argument("--model", required=True, help="the CharRNN checkpoint")
    evaluate.add_argument("--text", default=None, help=TEXT_HELP)
    add_max_text_flag(evaluate)
    evaluate.set_defaults(handler=run_eval)

    neurons = sub.add_parser("neurons", help="HTML page of hidden-cell activations")
    neurons.add_argument("--model", required=True, help="the CharRNN checkpoint")
    neurons.add_argument("--text", default=None, help=TEXT_HELP)
    add_max_text_flag(neurons)
    neurons.add_argument("--chars", type=bounded(1, 50000), default=2000,
                         help="how much text to show (at most 50000: the page holds every "
                         "cell's activation for each character)")
    neurons.add_argument("--reach", dest="k", type=bounded(1, 1000), default=50,
                         help="how many characters back the gradient strip reaches (k; at "
                         "most 1000)")
    add_old_spelling(neurons, "--k", "--reach")
    neurons.add_argument("--compare", nargs="+", default=[], metavar="MODEL",
                         help="other checkpoints (an RNN, a GRU) whose gradient strips are "
                              "drawn beside this model's")
    neurons.add_argument("--out", default="neurons.html", help="the page to write (.html)")
    add_force_flag(neurons)
    neurons.set_defaults(handler=run_neurons)


def add_max_text_flag(parser):
    """``--max-text-mb``: the cap on a --text file (models/data/text.py says why 256)."""
    parser.add_argument("--max-text-mb", type=bounded(1, MAX_TEXT_MB_LIMIT, float),
                        default=MAX_TEXT_MB, metavar="MB",
                        help=f"refuse a --text file larger than this (default: {MAX_TEXT_MB} "
                        f"MB; at most {MAX_TEXT_MB_LIMIT}, 100 GB)")


def _settings(args):
    """The model and optimizer settings given, with the defaults for those left out."""
    given = {flag[2:].replace("-", "_"): default for flag, _, default, _ in MODEL_SETTINGS}
    given["update_rule"] = "adam"
    given.update({k: getattr(args, k) for k in given if getattr(args, k) is not None})
    return given


def _refuse_changed_settings(args, path, saved):
    """--resume continues with the checkpoint's own settings: a flag that asks for another
    value is refused rather than silently ignored."""
    changed = []
    settings = saved["state"].get("settings", {})
    for name in _settings(args):
        value = getattr(args, name)
        # the model's settings are in its config, the trainer's in the state, by one name
        source = saved["config"] if name in saved["config"] else settings
        if value is not None and name in source and value != source[name]:
            changed.append(f"--{name.replace('_', '-')} {value} (it has {source[name]})")
    if changed:
        raise UsageError(f"--resume continues {path} with the settings it was trained with; "
                         f"it cannot change {', '.join(changed)}. Leave those flags out, or "
                         "train a new model under another --out")


def run_train(args):
    from minigraph.files import check_writable
    from minigraph.output_lock import output_lock

    check_writable(args.out, "--out")  # its folder exists: the lock goes beside it
    with output_lock(args.out):
        return _train(args)


def _train(args):
    from minigraph import checkpoint

    from ..charrnn.trainer import CharTrainer

    check_training_output(args.out, "CharRNN", args.resume, args.force,
                          inputs=[args.text] if args.text else [],
                          sides=["_loss.png", "_samples.txt"])
    apply_threads_flag(args)
    text = load_text(args.text, args.max_text_mb)
    if args.iterations is None and args.max_minutes is None:
        args.max_minutes = 10.0
    if args.resume:
        _refuse_changed_settings(args, args.out, checkpoint.load(args.out, kind="CharRNN"))
        trainer = CharTrainer.resume(args.out, text, other_data=args.other_data)
        print(f"resuming {args.out} at iteration {trainer.iteration}")
        if not args.past_horizon:
            args.iterations = _within_the_horizon(trainer, args.out, args.iterations)
    else:
        if args.other_data or args.past_horizon:
            raise UsageError("--other-data and --past-horizon go with --resume")
        if args.horizon and args.lr_schedule != "cosine":
            raise UsageError("--horizon plans a cosine schedule: add --lr-schedule cosine")
        trainer = CharTrainer(text, **_settings(args))
    started = time.monotonic()
    trainer.train(iterations=args.iterations, max_minutes=args.max_minutes,
                  eval_every=args.eval_every, sample_every=args.sample_every, out=args.out,
                  progress=not args.quiet, force=args.force)
    val = trainer.history["val_loss"][-1] if trainer.history["val_loss"] else float("nan")
    print(f"{trainer.iteration} iterations, {time.monotonic() - started:.0f} s, "
          f"{trainer.chars_per_second:.0f} chars/s; validation {val:.3f} nats/char; "
          f"wrote {args.out}, {os.path.splitext(args.out)[0]}_loss.png and "
          f"{os.path.splitext(args.out)[0]}_samples.txt")
    print(trainer.model.sample(length=300, temperature=0.8))
    return 0


def _within_the_horizon(trainer, path, iterations):
    """The iterations a resumed cosine run may take: --iterations up to the horizon its
    schedule was planned for, never past it unless --past-horizon (the rate would stay at
    its floor, which no run planned at once does). A time limit alone (--minutes, as the
    README's resume) goes on as before, with a warning when the horizon is already behind."""
    horizon = trainer.settings.get("horizon", 0)
    if trainer.settings.get("lr_schedule") != "cosine" or not horizon:
        return iterations  # step decay has no end; an unplanned cosine plans on this run
    left = horizon - trainer.iteration
    if iterations is None:
        if left <= 0:
            warnings.warn(f"the cosine schedule of {path} reached its floor (lr/100) at "
                          f"iteration {horizon}: this run goes on at that rate (plan longer "
                          "schedules from the start with --horizon)", stacklevel=2)
        return None
    if iterations > left:
        raise UsageError(
            f"--resume: the cosine schedule of {path} ends at iteration {horizon} and it is at "
            f"{trainer.iteration}; {'no iterations are' if left <= 0 else f'{left} are'} left "
            "before the floor rate. Plan longer runs from the start with --horizon, or add "
            "--past-horizon to go on at the floor rate")
    return iterations


def run_sample(args):
    from ..charrnn.model import CharRNN

    model, _ = CharRNN.load(args.model)
    print(args.prime + model.sample(args.prime, args.length, args.temperature, args.top_k,
                                    args.seed))
    return 0


def run_eval(args):
    from ..charrnn.model import CharRNN
    from ..data.text import Tracks, Vocabulary

    model, saved = CharRNN.load(args.model)
    text = load_text(args.text, args.max_text_mb)
    vocab = Vocabulary(model.chars)
    ids = vocab.encode(text)
    settings = saved["state"].get("settings", {"batch_size": 32, "seq_len": 64})
    if len(ids) < 2:
        raise UsageError(f"--text {args.text}: needs at least 2 characters to score one")
    # a short text is scored in fewer tracks (or one shorter window) instead of refused
    T = min(int(settings["seq_len"]), len(ids) - 1)
    N = max(1, min(int(settings["batch_size"]), len(ids) // (T + 1)))
    tracks = Tracks(ids, N, T, args.text or "text")
    mean, chars = model.evaluate_tracks(tracks, progress=True)
    print(f"{chars} characters: {mean:.4f} nats/char = {mean / 0.693147:.4f} "
          "bits/char")
    return 0


def run_neurons(args):
    from ..charrnn.model import CharRNN
    from ..lab.neurons import check_vocabulary, validation_stretch, write_neuron_page

    check_picture_output(args.out, [".html", ".htm"], force=args.force,
                         inputs=[args.model, args.text, *args.compare])
    model, _ = CharRNN.load(args.model)
    check_vocabulary(model.chars, args.model)
    compare = []
    for path in args.compare:
        other, _ = CharRNN.load(path)
        check_vocabulary(other.chars, path)
        compare.append((f"{other.cell.upper()} {os.path.basename(path)}", other))
    stretch = validation_stretch(load_text(args.text, args.max_text_mb), args.chars)
    write_neuron_page(model, stretch, args.out, k=args.k, compare=compare)
    print(f"wrote {args.out}: {len(stretch)} characters of the last 10% of the text")
    return 0
