"""`minigraph shapes` and the parsers of every `caption` command, and `caption train`
(eval, sample and gallery run from caption_use.py, scorer and table from
caption_scores.py): parse, call the library in ../captioning, print."""

import os
import time

from minigraph.checkpoint import peek_kind
from minigraph.errors import UsageError
from minigraph.files import OutputError

from ..captioning.training import (
    CAPTIONERS,
    RENAMED,
    load_captioner,
    recorded_settings,
    train_captioner,
)
from ..data.shapes_dataset import make_shapes_dataset
from ..shared.interrupt import Interrupted
from . import caption_scores, caption_use
from .flags import (
    add_force_flag,
    add_old_spelling,
    add_threads_flag,
    apply_threads_flag,
    bounded,
    check_output_folder,
    check_training_output,
    non_negative,
    positive,
    rate,
)

# (flag, type, default, help) of the training settings a checkpoint records; each flag is
# spelled like the captioners' argument and the checkpoint's key (--hidden-dim, hidden_dim)
TRAIN_SETTINGS = [
    ("--cell-type", str, "lstm", "recurrent cell"),
    ("--hidden-dim", bounded(1, 4096), 256, "hidden units (at most 4096)"),
    ("--wordvec-dim", bounded(1, 4096), 128, "word-vector size (at most 4096)"),
    ("--batch-size", bounded(1, 4096), 100, "captions per minibatch (at most 4096)"),
    ("--lr", rate, 5e-3, "learning rate"),
    ("--lr-decay", positive(), 0.85, "learning-rate factor per epoch"),
    ("--proj-lr", rate, 5e-4, "learning rate of W_proj, the image-to-h0 projection (cs231n "
     "uses --lr for every weight; why not here: docs/tutorials/03-captioning.md)"),
    ("--max-train", bounded(1, 5 * 10**6), None, "use this many training captions "
     "(default: all; at most 5000000, drawn with replacement: 340 MB of ids)"),
    ("--seed", non_negative, 0, "seed of every random stream"),
    ("--attention", "flag", False, "an AttentionCaptioner: soft attention over the grid "
     "features (*_grid.h5) instead of one pooled vector"),
]


def add_commands(commands):
    shapes = commands.add_parser("shapes", help="make the shapes captioning dataset")
    shapes.add_argument("--out", required=True, help="directory to write")
    shapes.add_argument("--train", type=bounded(1, 200000), default=60000,
                        help="training images (fewer are faster to make, but the captioner "
                        "then memorises them: see docs/tutorials/03-captioning.md; at most 200000, "
                        "2.5 GB of pixels)")
    shapes.add_argument("--val", type=bounded(1, 20000), default=1000,
                        help="validation images (at most 20000)")
    shapes.add_argument("--novel", type=bounded(1, 20000), default=500,
                        help="images of unseen pairs (at most 20000)")
    shapes.add_argument("--seed", type=non_negative, default=0, help="seed of the images "
                        "and captions")
    shapes.add_argument("--force", action="store_true",
                        help="write into an --out folder that is not empty (files of the "
                        "same names are replaced)")
    shapes.set_defaults(handler=run_shapes)

    caption = commands.add_parser("caption", help="train and use an image captioner")
    sub = caption.add_subparsers(dest="caption_command", required=True)
    train = sub.add_parser("train", help="train a CaptioningRNN on a COCO-layout directory")
    train.add_argument("--data", required=True, help="COCO-layout data directory")
    # settings a checkpoint records default to None, so that --resume can refuse a flag the
    # user gave with another value instead of ignoring it
    for flag, kind, default, text in TRAIN_SETTINGS:
        suffix = "" if default is None else f" (default: {default})"
        if kind == "flag":
            train.add_argument(flag, action="store_true", default=None, help=text)
            continue
        choices = {"choices": ["rnn", "lstm", "gru"]} if flag == "--cell-type" else {}
        train.add_argument(flag, type=kind, default=None, help=text + suffix, **choices)
    train.add_argument("--epochs", type=non_negative, default=20,
                       help="epochs in all (with --resume: the total to reach)")
    train.add_argument("--minutes", dest="max_minutes", metavar="MINUTES", type=positive(),
                       default=None, help="time limit (default: none)")
    train.add_argument("--val-images", type=bounded(0, 200000), default=300,
                       help="validation images captioned for BLEU after each epoch (at most "
                       "200000)")
    train.add_argument("--out", default="captioner.h5", help="checkpoint to write")
    train.add_argument("--resume", action="store_true",
                       help="continue training --out exactly where it stopped")
    train.add_argument("--other-data", action="store_true",
                       help="with --resume: go on although --data holds other captions than "
                       "--out was trained on (the same word list; refused otherwise)")
    train.add_argument("--force", action="store_true",
                       help="replace an existing --out instead of refusing")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    add_threads_flag(train)
    for old, new in [*RENAMED.items(), ("max_minutes", "minutes")]:  # hidden from --help
        add_old_spelling(train, "--" + old.replace("_", "-"), "--" + new.replace("_", "-"))
    train.set_defaults(handler=run_train)

    evaluate = sub.add_parser("eval", help="BLEU-1..4 and attribute accuracy on a split")
    evaluate.add_argument("--model", required=True, help="the CaptioningRNN checkpoint")
    evaluate.add_argument("--data", default=None,
                          help="COCO-layout data directory (default: the training data)")
    evaluate.add_argument("--split", default="val", help="which split to caption")
    evaluate.add_argument("--max-images", type=bounded(1, 10**6), default=None,
                          help="caption at most this many images (default: all; at most "
                          "1000000)")
    evaluate.add_argument("--beam", type=bounded(0, 100), default=0,
                          help="beam width (0: greedy; at most 100)")
    evaluate.add_argument("--recall-k", type=bounded(1, 100), nargs="+", default=None,
                          help="pair recall@k: share of images whose colour-shape pairs are "
                          "all named among the top k captions (beam width at least k; at most 100)")
    evaluate.add_argument("--rerank", default=None, metavar="SCORER",
                          help="re-rank captions with this `caption scorer` file")
    evaluate.add_argument("--results", default=None,
                          help="also write the metrics to this .json file")
    add_force_flag(evaluate, "an existing --results that minigraph did not write")
    evaluate.set_defaults(handler=caption_use.run_eval)

    sample = sub.add_parser("sample", help="caption PNG pictures")
    sample.add_argument("--model", required=True, help="the CaptioningRNN checkpoint")
    sample.add_argument("--image", required=True, nargs="+", help="PNG files")
    sample.add_argument("--data", default=None, help="where feature_extractor.h5 is "
                        "(default: the training data)")
    sample.add_argument("--beam", type=bounded(0, 100), default=0,
                        help="beam width (0: greedy; at most 100)")
    sample.set_defaults(handler=caption_use.run_sample)

    gallery = sub.add_parser("gallery", help="PNG grid: images, references and captions")
    gallery.add_argument("--model", required=True, help="the captioner checkpoint")
    gallery.add_argument("--data", default=None,
                         help="COCO-layout data directory (default: the training data)")
    gallery.add_argument("--split", default="val", help="which split to show")
    gallery.add_argument("--count", type=bounded(1, 1000), default=None,
                         help="images shown (default: 12, or 4 with --attention; at most "
                         "1000)")
    gallery.add_argument("--attention", action="store_true",
                         help="for an AttentionCaptioner: each generated word with its "
                         "attention map over the image")
    gallery.add_argument("--force", action="store_true",
                         help="replace an existing --out instead of refusing")
    gallery.add_argument("--out", default="gallery.png", help="the picture to write (.png)")
    gallery.set_defaults(handler=caption_use.run_gallery)
    caption_scores.add_commands(sub)


def run_shapes(args):
    check_output_folder(args.out, force=True)  # the stricter rule below: empty or --force
    entries = os.listdir(args.out)
    if entries and not args.force:
        raise OutputError(f"--out {args.out} is not empty ({len(entries)} entries, such as "
                          f"{sorted(entries)[0]!r}): choose a new folder, or add --force to "
                          "write the dataset into it (files of the same names are replaced)")
    started = time.monotonic()
    sizes = make_shapes_dataset(args.out, args.train, args.val, args.novel, seed=args.seed)
    print(f"wrote {sizes} images to {args.out} in {time.monotonic() - started:.0f} s")
    return 0


# the flags' names are the names of the settings train_captioner records
# (captioning.training.SETTINGS; tests/test_layering.py pins that they agree)
SETTING_NAMES = [flag[2:].replace("-", "_") for flag, _, _, _ in TRAIN_SETTINGS]


def _train_settings(args):
    """The settings given, with defaults for those left out."""
    return {name: getattr(args, name) if getattr(args, name) is not None else default
            for name, (_, _, default, _) in zip(SETTING_NAMES, TRAIN_SETTINGS)}


def _refuse_changed_settings(args):
    saved = recorded_settings(load_captioner(args.out)[1]) or {}
    changed = [f"--{name.replace('_', '-')} {getattr(args, name)} (it has {saved[name]})"
               for name in SETTING_NAMES if getattr(args, name) is not None
               and name in saved and getattr(args, name) != saved[name]]
    if changed:
        raise UsageError(f"--resume continues {args.out} with the settings it was trained "
                         f"with; it cannot change {', '.join(changed)}. Leave those flags out, "
                         "or train a new model under another --out")


def _checkpoint_kind(args):
    """The kind --out must hold: the attention captioner's with --attention, and with
    --resume whichever captioner the file holds."""
    if args.attention:
        return "AttentionCaptioner"
    found = peek_kind(args.out) if args.resume and os.path.exists(args.out) else None
    return found if found in CAPTIONERS else "CaptioningRNN"


def run_train(args):
    from minigraph.files import check_writable
    from minigraph.output_lock import output_lock

    check_writable(args.out, "--out")  # its folder exists: the lock goes beside it
    with output_lock(args.out):
        return _train(args)


def _train(args):
    check_training_output(args.out, _checkpoint_kind(args), args.resume, args.force,
                          inputs=[args.data], sides=["_loss.png"])
    apply_threads_flag(args)
    if args.resume:
        _refuse_changed_settings(args)
    elif args.other_data:
        raise UsageError("--other-data goes with --resume")
    plot = os.path.splitext(args.out)[0] + "_loss.png"
    before = {path: _stamp(path) for path in (args.out, plot)}
    started = time.monotonic()
    try:
        _, solver, _ = train_captioner(
            args.data, epochs=args.epochs, max_minutes=args.max_minutes, out=args.out,
            val_images=args.val_images, progress=not args.quiet, resume=args.resume,
            force=args.force, other_data=args.other_data, **_train_settings(args))
    except Interrupted as exc:
        raise Interrupted(f"{exc}. Continue with: minigraph caption train --data {args.data} "
                          f"--out {args.out} --resume") from None
    written = [path for path, stamp in before.items() if _stamp(path) != stamp]
    print(f"trained {len(solver.loss_history)} iterations in {time.monotonic() - started:.0f} s;"
          f" {'wrote ' + ' and '.join(written) if written else 'nothing written'}")
    return 0


def _stamp(path):
    """(inode, mtime) of a file, None when absent: tells whether a run wrote it."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_ino, info.st_mtime_ns
