"""The engine's checks of what flows through a graph: fed values, replaced parameters and
(in anomaly mode) non-finite values and gradients. Each raises one error that names the
node, its op and its tags."""

import numpy as np

from .errors import AnomalyError, GraphError, InputError


def where(node):
    """"node 'h[3]' (op RNNStep, t=3)" for error messages."""
    tags = ", ".join(f"{k}={v}" for k, v in node.tags.items() if k != "role")
    op = type(node.op).__name__ if node.op is not None else node.kind
    return f"node '{node.name}' (op {op}{', ' + tags if tags else ''})"


def check_finite(node, array, what):
    # min and max propagate NaN and expose inf: two reductions, no temporary array.
    if array.size and not (np.isfinite(array.min()) and np.isfinite(array.max())):
        nan, inf = int(np.isnan(array).sum()), int(np.isinf(array).sum())
        raise AnomalyError(f"non-finite {what} at {where(node)}: {nan} NaN and {inf} inf "
                           f"among {array.size} entries of shape {array.shape}")


def check_fits(node, array):
    """Integers fed into a narrower integer input must fit it."""
    if np.can_cast(array.dtype, node.dtype) or not array.size:
        return
    info = np.iinfo(node.dtype)
    low, high = array.min(), array.max()
    if low < info.min or high > info.max:
        bad = low if low < info.min else high
        raise InputError(f"feed for input '{node.name}' holds {bad}, outside the range of its "
                         f"dtype {node.dtype} [{info.min}, {info.max}]")


def check_param(node):
    """A parameter array replaced (not updated in place) by one of another shape or dtype."""
    value = node.value
    if getattr(value, "shape", None) != node.shape or getattr(value, "dtype", None) != \
            node.dtype:
        found = (f"{value.shape} {value.dtype}" if isinstance(value, np.ndarray)
                 else type(value).__name__)
        raise GraphError(f"param '{node.name}' now holds {found}, but the graph was built for "
                         f"{node.shape} {node.dtype}; update it in place (w[...] = new) or "
                         "build a new graph")
