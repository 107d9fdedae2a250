"""Ops that move values around without arithmetic: Reshape, SliceLast, Concat,
SelectStep, Stack, Detach. Forward returns views where numpy allows; backward hands the
engine partial gradients (SubGrad) instead of full-size zeros."""

import numpy as np

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
    return apply(Reshape(shape), x, name=name)


def slice_last(x, start, stop, name=None):
    return apply(SliceLast(start, stop), x, name=name)


def split(x, sizes, names=None):
    """Cut the last axis into consecutive pieces of the given sizes; returns a tuple."""
    names = names or [None] * len(sizes)
    edges = np.cumsum([0] + list(sizes))
    return tuple(slice_last(x, int(a), int(b), name=n)
                 for a, b, n in zip(edges[:-1], edges[1:], names))


def concat(xs, name=None):
    return apply(Concat(), *xs, name=name)


def select_step(x, t, name=None):
    return apply(SelectStep(t), x, name=name)


def stack(xs, name=None):
    return apply(Stack(), *xs, name=name)


def detach(x, name=None):
    return apply(Detach(), x, name=name)
