"""The errors minigraph raises. Every message names the op, node, shape or value involved."""

import numpy as np


class MinigraphError(Exception):
    """Base class of every error raised on purpose by minigraph.

    ``exit_code`` is what the command line exits with: 2 for bad usage or input (the
    default), 1 for a run that failed on its way (a diverging loss, a full disk)."""

    exit_code = 2


class ShapeError(MinigraphError, ValueError):
    """Input shapes an op cannot combine; raised when the graph is built."""


class DTypeError(MinigraphError, TypeError):
    """Input dtypes an op does not accept (float ids, a non-boolean mask, mixed float widths)."""


class InputError(MinigraphError, ValueError):
    """A value that is wrong for reasons beyond shape and dtype (an id outside the vocabulary)."""


class IdRangeError(InputError, IndexError):
    """An id outside [0, V) given to a low-level call that indexes with it (the compiled
    scatter-add would write outside its array); an IndexError too."""


class UsageError(MinigraphError, ValueError):
    """A setting outside what is allowed (a size of 0, a negative rate, an unknown name);
    the message names the setting, the value given and what is allowed."""


class WrongTypeError(MinigraphError, TypeError):
    """An argument that is the wrong kind of object (an array where parameter nodes are
    expected, a seed where a numpy Generator is expected, something that is not a trace);
    the message names what was expected and what came."""


class GraphError(MinigraphError, RuntimeError):
    """Misuse of a graph: a missing feed, backward twice over a freed graph, and the like."""


class AnomalyError(MinigraphError, FloatingPointError):
    """A value or gradient that is not finite, found by anomaly mode."""

    exit_code = 1


class NotFoundError(MinigraphError, KeyError):
    """A name that is not there: a node, a feed, a parameter, a cell or an exercise. The
    message lists what is there. (A KeyError too, so ``except KeyError`` keeps working.)"""

    def __str__(self):  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class NotReadyError(MinigraphError, RuntimeError):
    """An object used before the step that prepares it (a feature extractor before
    ``fit``); the message names that step."""


class RenderError(MinigraphError, RuntimeError):
    """No dot program, or one that failed; the message says what to install or what broke."""

    exit_code = 1


class OutputError(MinigraphError, OSError):
    """An output path refused before any work starts (empty, a directory, a device, a
    folder that is not writable, a file that must not be overwritten)."""


class WriteError(OutputError):
    """A write that failed part way (a full disk): the previous file is intact."""

    exit_code = 1


class CheckpointError(MinigraphError, ValueError):
    """A checkpoint that cannot be read, or that does not fit the model it is loaded into."""


class DataError(MinigraphError, ValueError):
    """A data file that is missing, malformed or inconsistent; the message names it."""


class TrainingError(MinigraphError, RuntimeError):
    """Training cannot go on (the loss is NaN or exploded); the message says what to try."""

    exit_code = 1


class Interrupted(MinigraphError):
    """Training was stopped by Ctrl-C; the message says where its checkpoint is."""

    exit_code = 130  # the shell's convention for a program ended by SIGINT


class ExerciseError(MinigraphError, ValueError):
    """A student's exercise file that cannot be checked (a syntax error, an exception, a
    backward not filled in), in one line. Exits 1: the work failed, the command was right."""

    exit_code = 1


def describe(nodes):
    """'x (3, 4) float32, Wx (4, 5) float32' for error messages."""
    return ", ".join(f"{n.name} {tuple(n.shape)} {n.dtype}" for n in nodes)


def check_int(owner, name, value, minimum=1):
    """``value`` as an int >= minimum, or a UsageError naming owner, setting and value."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise UsageError(f"{owner}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_number(owner, name, value, minimum=0.0, *, strict=False, below=None):
    """``value`` as a finite float >= minimum (> minimum when ``strict``, < ``below`` when
    given), or a UsageError naming owner, setting and value."""
    whole = isinstance(value, (int, np.integer))  # np.isfinite cannot take 10**400
    ok = (not isinstance(value, bool) and isinstance(value, (int, float, np.number))
          and (abs(value) < 1e308 if whole else np.isfinite(value))
          and (value > minimum if strict else value >= minimum)
          and (below is None or value < below))
    if not ok:
        rule = f"{'>' if strict else '>='} {minimum:g}" + (f" and < {below:g}" if below else "")
        raise UsageError(f"{owner}: {name} must be a finite number {rule}, got {value!r}")
    return float(value)
