"""The errors minigraph raises. Every message names the op, node, shape or value involved."""


class MinigraphError(Exception):
    """Base class of every error raised on purpose by minigraph."""


class ShapeError(MinigraphError, ValueError):
    """Input shapes an op cannot combine; raised when the graph is built."""


class DTypeError(MinigraphError, TypeError):
    """Input dtypes an op does not accept (float ids, a non-boolean mask, mixed float widths)."""


class InputError(MinigraphError, ValueError):
    """A value that is wrong for reasons beyond shape and dtype (an id outside the vocabulary)."""


class GraphError(MinigraphError, RuntimeError):
    """Misuse of a graph: a missing feed, backward twice over a freed graph, and the like."""


class AnomalyError(MinigraphError, FloatingPointError):
    """A value or gradient that is not finite, found by anomaly mode."""


def describe(nodes):
    """'x (3, 4) float32, Wx (4, 5) float32' for error messages."""
    return ", ".join(f"{n.name} {tuple(n.shape)} {n.dtype}" for n in nodes)
