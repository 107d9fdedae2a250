"""Ops that move values around without arithmetic: Reshape, SliceLast, Concat,
SelectStep, Stack, Transpose, Reverse, Detach. Forward returns views where numpy allows;
backward hands the engine partial gradients (SubGrad) instead of full-size zeros."""

import numpy as np

from ..errors import InputError, ShapeError
from ..op import Op, SubGrad, apply


class _Moving(Op):
    """Moves values without arithmetic: no floating-point operations."""

    category = "shape"

    def flops(self, node):
        return 0


class Reshape(_Moving):
    """Reshape to ``shape`` (one entry may be -1). Same number of entries."""

    def __init__(self, shape):
        self.shape = tuple(shape)

    def infer(self, x):
        known = int(np.prod([s for s in self.shape if s != -1]))
        shape = self.shape
        if self.shape.count(-1) == 1 and known and x.size % known == 0:
            shape = tuple(x.size // known if s == -1 else s for s in self.shape)
        if self.shape.count(-1) > 1 or int(np.prod(shape)) != x.size:
            self.fail((x,), f"cannot reshape {x.shape} into {self.shape}")
        self.in_shape = x.shape
        return shape, x.dtype

    def forward(self, x):
        return x.reshape(self.shape)

    def backward(self, grad):
        return (grad.reshape(self.in_shape),)


class SliceLast(_Moving):
    """x[..., start:stop]. Shapes: (..., D) -> (..., stop - start)."""

    def __init__(self, start, stop):
        self.start, self.stop = start, stop

    @property
    def label(self):
        return f"[..., {self.start}:{self.stop}]"

    def infer(self, x):
        if x.ndim == 0 or not 0 <= self.start < self.stop <= x.shape[-1]:
            self.fail((x,), f"slice {self.start}:{self.stop} is empty or outside the last "
                      f"axis of {x.shape}")
        return x.shape[:-1] + (self.stop - self.start,), x.dtype

    def forward(self, x):
        return x[..., self.start:self.stop]

    def backward(self, grad):
        return (SubGrad((Ellipsis, slice(self.start, self.stop)), grad),)


class Concat(_Moving):
    """Join along the last axis. Shapes: (..., D1), (..., D2), ... -> (..., D1 + D2 + ...)."""

    def infer(self, *xs):
        dtype = self.same_float_dtype(xs)
        if any(x.ndim == 0 or x.shape[:-1] != xs[0].shape[:-1] for x in xs):
            self.fail(xs, "all inputs must agree on every axis but the last")
        self.widths = [x.shape[-1] for x in xs]
        return xs[0].shape[:-1] + (sum(self.widths),), dtype

    def forward(self, *xs):
        return np.concatenate(xs, axis=-1)

    def backward(self, grad):
        edges = np.cumsum([0] + self.widths)
        return tuple(grad[..., a:b] for a, b in zip(edges[:-1], edges[1:]))


class SelectStep(_Moving):
    """Timestep ``t`` of a sequence. Shapes: (N, T, D) -> (N, D)."""

    def __init__(self, t):
        self.t = t

    @property
    def label(self):
        return f"[:, {self.t}]"

    def infer(self, x):
        if x.ndim < 2 or not 0 <= self.t < x.shape[1]:
            self.fail((x,), f"timestep {self.t} outside a sequence of shape {x.shape}")
        return x.shape[:1] + x.shape[2:], x.dtype

    def forward(self, x):
        return x[:, self.t]

    def backward(self, grad):
        return (SubGrad((slice(None), self.t), grad),)


class Stack(_Moving):
    """Stack timesteps back into a sequence. Shapes: T x (N, D) -> (N, T, D)."""

    def infer(self, *xs):
        dtype = self.same_float_dtype(xs)
        if any(x.shape != xs[0].shape for x in xs) or xs[0].ndim == 0:
            self.fail(xs, "all timesteps must have the same shape (N, ...)")
        return xs[0].shape[:1] + (len(xs),) + xs[0].shape[1:], dtype

    def forward(self, *xs):
        # numpy stacks transposed (F-ordered) steps 8x slower than contiguous ones, and a
        # small contiguous copy of each step first is cheap
        return np.stack([np.ascontiguousarray(x) for x in xs], axis=1)

    def backward(self, grad):
        return tuple(grad[:, t] for t in range(grad.shape[1]))


def _axis_in_range(op, x, axis):
    """``axis`` as a non-negative index into x's axes, or one error naming the op."""
    if not isinstance(axis, (int, np.integer)) or not -x.ndim <= axis < x.ndim:
        op.fail((x,), f"axis {axis!r} is not an axis of a {x.ndim}-d input {x.shape}")
    return int(axis) % x.ndim


class Transpose(_Moving):
    """Swap two axes (numpy's swapaxes): (N, T, D) with axes 0, 1 -> (T, N, D).
    Forward returns a view; the gradient swaps them back."""

    def __init__(self, axis1, axis2):
        self.axis1, self.axis2 = axis1, axis2

    @property
    def label(self):
        return f"swap axes {self.axis1}, {self.axis2}"

    def infer(self, x):
        a, b = _axis_in_range(self, x, self.axis1), _axis_in_range(self, x, self.axis2)
        shape = list(x.shape)
        shape[a], shape[b] = shape[b], shape[a]
        return tuple(shape), x.dtype

    def forward(self, x):
        return np.swapaxes(x, self.axis1, self.axis2)

    def backward(self, grad):
        return (np.swapaxes(grad, self.axis1, self.axis2),)


class Reverse(_Moving):
    """Reverse the order along ``axis`` (default 1, the time axis of (N, T, ...)): step t
    of the output is step T - 1 - t of the input. Same shape; forward returns a view."""

    def __init__(self, axis=1):
        self.axis = axis

    @property
    def label(self):
        return "reverse time" if self.axis == 1 else f"reverse axis {self.axis}"

    def infer(self, x):
        _axis_in_range(self, x, self.axis)
        return x.shape, x.dtype

    def forward(self, x):
        return np.flip(x, self.axis)

    def backward(self, grad):
        return (np.flip(grad, self.axis),)


class Detach(_Moving):
    """The same value with no gradient path: the boundary of truncated BPTT."""

    differentiable = False

    def infer(self, x):
        return x.shape, x.dtype

    def forward(self, x):
        return x

    def backward(self, grad):
        return (None,)


def reshape(x, shape, name=None):
    """The same entries in a new shape (one entry of ``shape`` may be -1).
    Shapes: x (...) -> ``shape``, with as many entries."""
    return apply(Reshape(shape), x, name=name)


def slice_last(x, start, stop, name=None):
    """x[..., start:stop] (also written ``x[..., start:stop]`` on a node).
    Shapes: x (..., D) -> (..., stop - start)."""
    return apply(SliceLast(start, stop), x, name=name)


def split(x, sizes, names=None):
    """Cut the last axis into consecutive pieces; returns a tuple of nodes.
    Shapes: x (..., sum(sizes)) -> (..., sizes[0]), (..., sizes[1]), ..."""
    names = names or [None] * len(sizes)
    edges = np.cumsum([0] + list(sizes))
    return tuple(slice_last(x, int(a), int(b), name=n)
                 for a, b, n in zip(edges[:-1], edges[1:], names))


def _nonempty(xs, op):
    xs = list(xs)
    if not xs:
        raise ShapeError(f"{op}: needs at least one node, got an empty list")
    return xs


def concat(xs, name=None):
    """Join a list of nodes along the last axis.
    Shapes: (..., D1), (..., D2), ... (equal on every other axis) -> (..., D1 + D2 + ...)."""
    return apply(Concat(), *_nonempty(xs, "Concat"), name=name)


def select_step(x, t, name=None):
    """Timestep ``t`` of a sequence, x[:, t]. Shapes: x (N, T, ...) -> (N, ...)."""
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)):
        raise InputError(f"SelectStep: the timestep must be an integer, got {t!r}")
    return apply(SelectStep(int(t)), x, name=name)


def stack(xs, name=None):
    """Stack a list of T timesteps into a sequence along axis 1.
    Shapes: T nodes of shape (N, ...) -> (N, T, ...)."""
    return apply(Stack(), *_nonempty(xs, "Stack"), name=name)


def transpose(x, axis1=0, axis2=1, name=None):
    """Swap two axes, e.g. (N, T, D) -> (T, N, D) with the defaults.
    Shapes: x (...) -> x's shape with entries ``axis1`` and ``axis2`` exchanged."""
    return apply(Transpose(axis1, axis2), x, name=name)


def reverse(x, axis=1, name=None):
    """Reverse the order of the time axis (``axis``, default 1): out[:, t] = x[:, T-1-t].
    Shapes: x (N, T, ...) -> the same shape."""
    return apply(Reverse(axis), x, name=name)


def detach(x, name=None):
    """The same value, through which no gradient flows (truncated BPTT's boundary).
    Shapes: x (...) -> the same shape."""
    return apply(Detach(), x, name=name)
