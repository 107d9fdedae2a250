"""The errors minigraph raises. Every message names the op, node, shape or value involved."""


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


class UsageError(MinigraphError, ValueError):
    """A setting outside what is allowed (a size of 0, a negative rate, an unknown name);
    the message names the setting, the value given and what is allowed."""


class GraphError(MinigraphError, RuntimeError):
    """Misuse of a graph: a missing feed, backward twice over a freed graph, and the like."""


class AnomalyError(MinigraphError, FloatingPointError):
    """A value or gradient that is not finite, found by anomaly mode."""

    exit_code = 1


def describe(nodes):
    """'x (3, 4) float32, Wx (4, 5) float32' for error messages."""
    return ", ".join(f"{n.name} {tuple(n.shape)} {n.dtype}" for n in nodes)
