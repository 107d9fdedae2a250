"""Elementwise functions of one input: Tanh, Sigmoid, Relu, Exp, Log. Each keeps its
input's shape and float dtype."""

import numpy as np

from ..op import Op, apply


class _Elementwise(Op):
    """One float input; the output has its shape and dtype."""

    def infer(self, x):
        return x.shape, self.same_float_dtype((x,))


class Tanh(_Elementwise):
    """tanh(x), any shape. Saves the output: d tanh = 1 - y^2."""

    def forward(self, x):
        y = np.tanh(x)
        self.saved = y
        return y

    def backward(self, grad):
        y = self.saved
        return (grad * (1 - y * y),)


def stable_sigmoid(x):
    """1 / (1 + e^-x) of a numpy array (not a node) without overflow: exp is only ever
    taken of -|x|. Shapes: x (...) -> a new array of the same shape."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


class Sigmoid(_Elementwise):
    """sigmoid(x), any shape, finite for any finite x. Saves the output: d s = s (1 - s)."""

    def forward(self, x):
        y = stable_sigmoid(x)
        self.saved = y
        return y

    def backward(self, grad):
        y = self.saved
        return (grad * y * (1 - y),)


class Relu(_Elementwise):
    """max(x, 0), any shape."""

    def forward(self, x):
        y = np.maximum(x, 0)
        self.saved = y
        return y

    def backward(self, grad):
        return (grad * (self.saved > 0),)


class Exp(_Elementwise):
    """e^x, any shape. Saves the output: d e^x = e^x. Overflows to inf above x = 88
    (float32) or 709 (float64), as numpy does."""

    def forward(self, x):
        y = np.exp(x)
        self.saved = y
        return y

    def backward(self, grad):
        return (grad * self.saved,)


class Log(_Elementwise):
    """Natural logarithm, any shape, for x > 0 (0 gives -inf, negatives NaN, as in numpy).
    Saves the input: d log x = 1 / x."""

    def forward(self, x):
        self.saved = x
        return np.log(x)

    def backward(self, grad):
        return (grad / self.saved,)


def tanh(x, name=None):
    """tanh(x) entry by entry. Shapes: x (...) -> the same shape."""
    return apply(Tanh(), x, name=name)


def sigmoid(x, name=None):
    """1 / (1 + e^-x) entry by entry, finite for any x. Shapes: x (...) -> the same shape."""
    return apply(Sigmoid(), x, name=name)


def relu(x, name=None):
    """max(x, 0) entry by entry. Shapes: x (...) -> the same shape."""
    return apply(Relu(), x, name=name)


def exp(x, name=None):
    """e^x entry by entry. Shapes: x (...) -> the same shape."""
    return apply(Exp(), x, name=name)


def log(x, name=None):
    """Natural logarithm entry by entry (x > 0). Shapes: x (...) -> the same shape."""
    return apply(Log(), x, name=name)
