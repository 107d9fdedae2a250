"""Numerical gradients by centered differences, and checks of a whole graph against them.

``eval_numerical_gradient`` and ``eval_numerical_gradient_array`` keep the call shapes of
the cs231n helpers (``f, x, df, h=1e-5``), so the assignment's gradient-check cells run
unchanged. Centered differences have O(h^2) error; in float32 the rounding error of
f(x + h) - f(x - h) swamps it, so checks here insist on float64.

Two error measures:

- ``grad_error(analytic, numeric)`` = ||a - n|| / (||a|| + ||n||) over a whole gradient
  (what ``check_graph`` reports). In float64 with h = 1e-5 a correct backward gives about
  1e-9 to 1e-10; ``CHECK_TOLERANCE`` (1e-7) is the pass mark. A wrong backward gives
  1e-3 or more, even when only one entry of typical size is wrong (one wrong entry in
  10,000 still gives about 5e-3).
- ``rel_error(x, y)`` = max |x - y| / max(1e-8, |x| + |y|) over the entries, cs231n's
  measure. It is swamped by entries whose true value is near zero: centered differences
  are accurate to about 1e-11 absolute, so an entry of 1e-5 shows a "relative error" of
  1e-6 on a correct backward (a correct BiLSTM reaches 1e-5). Use it on small hand-made
  arrays, as cs231n does, not as the pass mark of a whole model.
"""

import numpy as np

from .errors import DTypeError, GraphError, UsageError
from .graph import Graph

CHECK_TOLERANCE = 1e-7  # check_graph's pass mark for grad_error in float64 with h = 1e-5
MEASURES = ("grad_error", "rel_error")


def rel_error(x, y):
    """max |x - y| / max(1e-8, |x| + |y|), the cs231n relative error."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def grad_error(analytic, numeric):
    """||analytic - numeric|| / (||analytic|| + ||numeric||): the relative error of the
    gradient as a whole, 0 when both are zero; what ``check_graph`` reports.

    Unlike the elementwise ``rel_error`` it is not swamped by entries whose true value is
    near zero, where centered differences have only absolute accuracy (about 1e-11 in
    float64 with h = 1e-5); one wrong entry of typical size still shows. A correct float64
    backward gives about 1e-9; below ``CHECK_TOLERANCE`` (1e-7) passes."""
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return float(np.linalg.norm(analytic - numeric) / scale) if scale > 0 else 0.0


def _centered(f_of_x, x, h, indices):
    """d f / d x[i] for every i in ``indices``, perturbing ``x`` in place and restoring it."""
    # Kept in x's precision (at least float64): np.longdouble inputs give extended-precision
    # differences, whose rounding error is about 2000 times smaller than float64's.
    grad = np.zeros(x.shape, dtype=np.promote_types(x.dtype, np.float64))
    for index in indices:
        old = x[index]
        x[index] = old + h
        plus = f_of_x()
        x[index] = old - h
        minus = f_of_x()
        x[index] = old
        grad[index] = (plus - minus) / (2 * h)
    return grad


def eval_numerical_gradient(f, x, verbose=True, h=1e-5):
    """Gradient of the scalar function ``f`` at ``x`` (an array that is perturbed in place)."""
    def at_x():
        return np.asarray(f(x)).sum()
    grad = _centered(at_x, x, h, np.ndindex(x.shape))
    if verbose:
        for index in np.ndindex(x.shape):
            print(index, grad[index])
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """Gradient of sum(f(x) * df) with respect to ``x``: the chain rule for an array-valued
    ``f`` against an upstream gradient ``df``."""
    def at_x():
        return np.sum(f(x) * df)
    return _centered(at_x, x, h, np.ndindex(x.shape))


def check_graph(graph, wrt=None, feed=None, h=1e-5, num_checks=None, seed=0,
                measure="grad_error"):
    """Compare the backward of ``graph`` with centered differences.

    ``wrt``: the leaf nodes to check (default: every parameter). A non-scalar first output
    is reduced against a random upstream gradient (never all ones, which hides errors
    that cancel). ``num_checks``: check that many random entries per node instead of all.
    Returns {node name: error}, the error being ``grad_error`` of that node's checked
    entries (||analytic - numeric|| / (||analytic|| + ||numeric||)): a correct float64
    backward gives about 1e-9, and anything below ``CHECK_TOLERANCE`` (1e-7) passes; a
    wrong one gives 1e-3 or more. ``measure="rel_error"`` gives cs231n's max elementwise
    relative error instead, which entries near zero inflate (up to ~1e-5 on a correct
    BiLSTM). Put graphs with dropout in eval mode first.
    """
    if measure not in MEASURES:
        raise UsageError(f"check_graph: measure must be one of {', '.join(MEASURES)}, got "
                         f"{measure!r}")
    compare = grad_error if measure == "grad_error" else rel_error
    if not isinstance(graph, Graph):
        graph = Graph(graph)
    wrt = list(graph.params if wrt is None else wrt)
    for node in wrt:
        if node.dtype != np.float64:
            raise DTypeError(f"gradient check of '{node.name}' needs float64, got {node.dtype}: "
                             "float32 centered differences are only good to about 1e-3")
        if node.op is not None:
            raise GraphError(f"'{node.name}' is not a leaf; check parameters or inputs")
    rng = np.random.default_rng(seed)
    if feed:
        graph.feed(feed)
    out = graph.outputs[0]
    upstream = (None if out.size == 1
                else rng.standard_normal(out.shape).astype(out.dtype))

    def objective():
        value = graph.forward()
        return float(value if upstream is None else np.sum(value * upstream))

    graph.zero_grad()
    objective()
    graph.backward(upstream)
    analytic = {n.name: np.zeros(n.shape) if n.grad is None else np.array(n.grad) for n in wrt}

    errors = {}
    for node in wrt:
        indices = list(np.ndindex(node.shape))
        if num_checks is not None and num_checks < len(indices):
            picks = rng.choice(len(indices), size=num_checks, replace=False)
            indices = [indices[i] for i in sorted(picks)]
        numeric = _centered(objective, node.value, h, indices)
        rows = tuple(np.array(axis) for axis in zip(*indices)) if node.shape else ()
        errors[node.name] = compare(analytic[node.name][rows], numeric[rows])
    return errors
