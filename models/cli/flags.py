"""Argument types for the command line: each refuses a value outside its range with one
line naming the flag (argparse adds it), the value given and what is allowed."""

import argparse
import math
import os

from minigraph.errors import UsageError


def _number(kind, text):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected {'an integer' if kind is int else 'a number'}, got {text!r}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def at_least(minimum, kind=int):
    """A type accepting numbers >= minimum."""
    def parse(text):
        value = _number(kind, text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {text}")
        return value
    parse.__name__ = f"{kind.__name__} >= {minimum}"
    return parse


def bounded(minimum, maximum, kind=int):
    """A type accepting minimum <= value <= maximum: the type of every size flag, so that
    a slip (--hidden-size 2560000, --jobs 500) is refused in one line before anything is
    allocated or started. ``maximum`` is the flag's budget; its help states it (a test
    checks that every bounded flag's help says "at most" and the number)."""
    def parse(text):
        value = _number(kind, text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {text}")
        if value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum:,} (the flag's "
                                             f"budget, see --help), got {text}")
        return value
    parse.__name__ = f"{kind.__name__} in {minimum}..{maximum}"
    parse.maximum = maximum
    return parse


def cores_available():
    """The cores this process may run on (its CPU affinity, else the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def positive(kind=float):
    """A type accepting numbers > 0."""
    def parse(text):
        value = _number(kind, text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
        return value
    parse.__name__ = f"{kind.__name__} > 0"
    return parse


def fraction(text):
    """A probability-like value in [0, 1) (dropout)."""
    value = _number(float, text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


count = at_least(1)            # sizes and counts: layers, hidden units, batch size, images
non_negative = at_least(0)     # seeds, counts where 0 means "none"
rate = at_least(0.0, float)    # learning rates, decays, temperatures


def add_old_spelling(parser, old, new):
    """Let ``old``, a flag's former spelling, still set the flag ``new`` (same type, same
    checks) without showing it in the help: scripts written for it keep working."""
    action = next(a for a in parser._actions if new in a.option_strings)
    parser.add_argument(old, dest=action.dest, type=action.type, choices=action.choices,
                        nargs=action.nargs, default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def side_files(out, suffixes):
    """The files a trainer writes beside its checkpoint ``out`` (``<out>_loss.png``...)."""
    return [os.path.splitext(out)[0] + suffix for suffix in suffixes]


def check_training_output(path, kind, resume, force, inputs=(), sides=()):
    """Refuse, before training starts, an --out that cannot be written or that holds
    something training would destroy: a file that is not a ``kind`` checkpoint (the training
    text, say) unless --force, a ``kind`` checkpoint unless --resume or --force; one of the
    command's ``inputs`` always. The side files (``sides``, suffixes such as "_loss.png")
    follow the rule of every output: minigraph's own, or --force."""
    from minigraph.checkpoint import peek_kind
    from minigraph.files import OutputError, check_output

    check_output(path, "--out", force=True, inputs=inputs)  # what it holds is judged below
    from minigraph.file_marks import legacy_loss_plot

    for side in side_files(path, sides):
        # a run resumed from before plots were marked: its own unmarked loss plot goes on
        legacy = resume and side.endswith("_loss.png") and legacy_loss_plot(side)
        check_output(side, "--out's side file", force or legacy, inputs)
    if os.path.islink(path) and not os.path.exists(path) and not force:
        raise OutputError(f"--out {path} is a symbolic link to nothing (the user's link): "
                          "choose another --out, or add --force to replace the link")
    if not os.path.exists(path):
        if resume:
            raise UsageError(f"--resume: {path} does not exist; give the checkpoint to "
                             "continue as --out, or leave out --resume to start a new model")
        return
    found = peek_kind(path)
    if resume:
        if found != kind:
            raise UsageError(f"--resume: {path} is not a {kind} checkpoint "
                             f"({'a ' + found if found else 'not a minigraph checkpoint'})")
        return
    if force:
        return
    if found == kind:
        raise OutputError(f"--out {path} already holds a {kind} checkpoint: add --resume to "
                          "continue it, --force to replace it, or choose another --out")
    raise OutputError(f"--out {path} exists and is not a {kind} checkpoint "
                      f"({'a ' + found + ' checkpoint' if found else 'another kind of file'}); "
                      "choose another --out, or add --force to replace it")


def check_picture_output(path, extensions, flag="--out", force=False, inputs=()):
    """An output picture, page or results file: writable, named with one of ``extensions``
    (so that a typo cannot overwrite, say, the training text), not one of ``inputs``, and
    when it exists one minigraph wrote (unless ``force``)."""
    import minigraph.checkpoint  # noqa: F401 (registers how a checkpoint is recognised)
    from minigraph.files import check_output, check_writable

    check_writable(path, flag)
    if not path.lower().endswith(tuple(extensions)):
        raise UsageError(f"{flag} {path}: the file name must end in "
                         f"{' or '.join(extensions)}")
    return check_output(path, flag, force, inputs)


def add_force_flag(parser, what="an existing output that minigraph did not write"):
    parser.add_argument("--force", action="store_true", help=f"replace {what}")


def check_output_folder(path, flag="--out", force=False, names=None):
    """A folder to write into: not an existing file, creatable and writable, and with
    ``names`` (the files and folders the command writes there; None: every entry) none that
    minigraph did not write (unless ``force``): a user's picture there is never replaced."""
    if not path:
        raise UsageError(f"{flag}: the folder name is empty")
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"{flag} {path} exists and is not a folder")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{flag}: cannot create the folder {path}: {exc.strerror}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"{flag}: the folder {path} is not writable")
    import minigraph.checkpoint  # noqa: F401 (registers how a checkpoint is recognised)
    from minigraph.file_marks import folder_written_by_minigraph
    from minigraph.files import OutputError, cannot_create_in, written_by_minigraph

    problem = cannot_create_in(path)
    if problem:
        raise UsageError(f"{flag}: cannot create files in the folder {path} ({problem})")
    if not force:
        entries = [os.path.join(path, name) for name in (os.listdir(path) if names is None
                                                         else names)]
        foreign = sorted(os.path.basename(entry) for entry in entries if os.path.lexists(entry)
                         and not (folder_written_by_minigraph(entry) if os.path.isdir(entry)
                                  else written_by_minigraph(entry)))
        if foreign:
            raise OutputError(f"{flag} {path} holds {len(foreign)} file(s) minigraph did not "
                              f"write (such as {foreign[0]!r}); choose an empty or new folder, "
                              "or add --force to write there anyway")
    return path


def max_threads():
    """The budget of --threads: the cores available (threads beyond them only make BLAS
    wait), and at least 2, so that the two counts 'auto' compares always parse."""
    return max(2, cores_available())


def thread_setting(text):
    """``--threads``: a whole number from 1 to ``max_threads()``, or ``auto``."""
    if text == "auto":
        return text
    try:
        return bounded(1, max_threads())(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to {max_threads()} "
                                         f"(the cores available) or 'auto', got {text!r}"
                                         ) from None


thread_setting.__name__ = "int >= 1 or auto"
thread_setting.maximum = max_threads()


def add_threads_flag(parser):
    """``--threads N|auto``: threads for the graphs (minigraph.set_threads)."""
    parser.add_argument("--threads", type=thread_setting, default=None, metavar="N|auto",
                        help="threads while training (default: 1, robust on a busy "
                             "machine; each count is bit-reproducible; 'auto' measures 1 "
                             "and 2 and keeps the faster, see docs/performance.md; at most "
                             f"{max_threads()}, the cores available)")


def apply_threads_flag(args):
    if getattr(args, "threads", None) is not None:
        from minigraph import set_threads

        set_threads(args.threads)
