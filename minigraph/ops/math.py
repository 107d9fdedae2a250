"""Arithmetic and linear-algebra ops: Add, Sub, Mul, Divide (broadcasting), MatMul, Sum,
Mean. Functions of one input (tanh, exp ...) are in ``unary``."""

import numpy as np

from .. import fast
from ..op import Op, apply


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched to reach its shape."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, size in enumerate(shape) if size == 1 and grad.shape[extra + i] != 1)
    return grad.sum(axis=axes).reshape(shape)


class _Broadcasting(Op):
    def infer(self, a, b):
        dtype = self.same_float_dtype((a, b))
        try:
            return np.broadcast_shapes(a.shape, b.shape), dtype
        except ValueError:
            self.fail((a, b), f"shapes {a.shape} and {b.shape} do not broadcast")

    def forward(self, a, b):
        self.saved = (a.shape, b.shape)
        return self.compute(a, b)


class Add(_Broadcasting):
    """a + b with numpy broadcasting. Shapes: any two that broadcast."""

    def compute(self, a, b):
        return a + b

    def backward(self, grad):
        a_shape, b_shape = self.saved
        return unbroadcast(grad, a_shape), unbroadcast(grad, b_shape)


class Sub(_Broadcasting):
    """a - b with numpy broadcasting."""

    def compute(self, a, b):
        return a - b

    def backward(self, grad):
        a_shape, b_shape = self.saved
        return unbroadcast(grad, a_shape), unbroadcast(-grad, b_shape)


class Mul(_Broadcasting):
    """a * b elementwise with numpy broadcasting."""

    def forward(self, a, b):
        self.saved = (a, b)
        return a * b

    def backward(self, grad):
        a, b = self.saved
        return unbroadcast(grad * b, a.shape), unbroadcast(grad * a, b.shape)


class Divide(_Broadcasting):
    """a / b elementwise with numpy broadcasting. Saves a and b: d/da = 1 / b,
    d/db = -a / b^2. Division by zero gives inf or NaN, as in numpy (``detect_anomaly``
    names the node)."""

    def forward(self, a, b):
        self.saved = (a, b)
        return a / b

    def backward(self, grad):
        a, b = self.saved
        grad_a = grad / b
        return unbroadcast(grad_a, a.shape), unbroadcast(-grad_a * a / b, b.shape)


class MatMul(Op):
    """a @ b. Shapes: a (N, K), b (K, M) -> (N, M)."""

    category = "matmul"

    def infer(self, a, b):
        dtype = self.same_float_dtype((a, b))
        if a.ndim != 2 or b.ndim != 2:
            self.fail((a, b), "MatMul takes two 2-d arrays (use TemporalAffine for (N, T, D))")
        if a.shape[1] != b.shape[0]:
            self.fail((a, b), f"inner dimensions differ: {a.shape[1]} vs {b.shape[0]}")
        return (a.shape[0], b.shape[1]), dtype

    def forward(self, a, b):
        self.saved = (a, b)
        return fast.matmul(a, b)

    def backward(self, grad):
        a, b = self.saved
        return fast.matmul(grad, b.T), fast.matmul(a.T, grad)

    def flops(self, node):
        (n, k), m = node.inputs[0].shape, node.shape[1]
        return 2 * n * k * m


def _normalize_axes(axis, ndim):
    """``axis`` (None, an int or ints, negatives allowed) as sorted axes; None if any is
    out of range."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if np.isscalar(axis) else tuple(axis)
    if any(not -ndim <= a < ndim for a in axes):
        return None
    return tuple(sorted({a % ndim for a in axes}))


class Sum(Op):
    """Sum over ``axis`` (None: all axes), optionally keeping reduced axes as size 1."""

    category = "reduction"

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def infer(self, x):
        dtype = self.same_float_dtype((x,))
        self.axes = _normalize_axes(self.axis, x.ndim)
        if self.axes is None:
            self.fail((x,), f"axis {self.axis} out of range for {x.ndim} dims")
        shape = tuple(1 if i in self.axes else s for i, s in enumerate(x.shape)
                      if self.keepdims or i not in self.axes)
        self.in_shape = x.shape
        return shape, dtype

    def forward(self, x):
        return np.asarray(np.sum(x, axis=self.axes, keepdims=self.keepdims))

    def scale(self):
        return 1

    def backward(self, grad):
        kept = tuple(1 if i in self.axes else s for i, s in enumerate(self.in_shape))
        g = grad.reshape(kept)
        if self.scale() != 1:
            g = g * np.asarray(self.scale(), dtype=grad.dtype)
        return (np.broadcast_to(g, self.in_shape),)

    def flops(self, node):
        return node.inputs[0].size


class Mean(Sum):
    """Mean over ``axis`` (None: all axes)."""

    def forward(self, x):
        return np.asarray(np.mean(x, axis=self.axes, keepdims=self.keepdims))

    def scale(self):
        return 1.0 / max(1, int(np.prod([self.in_shape[a] for a in self.axes])))


def add(a, b, name=None):
    """a + b with numpy broadcasting (also ``a + b`` on nodes; a number takes the node's
    dtype). Shapes: any two that broadcast -> their broadcast shape."""
    return apply(Add(), a, b, name=name)


def sub(a, b, name=None):
    """a - b with numpy broadcasting (also ``a - b``, ``-a``). Shapes: any two that
    broadcast -> their broadcast shape."""
    return apply(Sub(), a, b, name=name)


def mul(a, b, name=None):
    """a * b elementwise with numpy broadcasting (also ``a * b``). Shapes: any two that
    broadcast -> their broadcast shape."""
    return apply(Mul(), a, b, name=name)


def divide(a, b, name=None):
    """a / b elementwise with numpy broadcasting (also ``a / b``). Shapes: any two that
    broadcast -> their broadcast shape."""
    return apply(Divide(), a, b, name=name)


def matmul(a, b, name=None):
    """Matrix product (also ``a @ b``). Shapes: a (N, K), b (K, M) -> (N, M)."""
    return apply(MatMul(), a, b, name=name)


def sum(x, axis=None, keepdims=False, name=None):  # noqa: A001 - mirrors numpy's name
    """Sum over ``axis`` (an int, a tuple, or None for all axes). Shapes: x (...) -> x's
    shape without the summed axes (kept as size 1 with ``keepdims``); () for axis=None."""
    return apply(Sum(axis, keepdims), x, name=name)


def mean(x, axis=None, keepdims=False, name=None):
    """Mean over ``axis`` (an int, a tuple, or None for all axes). Shapes: x (...) -> x's
    shape without the averaged axes (kept as size 1 with ``keepdims``); () for axis=None."""
    return apply(Mean(axis, keepdims), x, name=name)
