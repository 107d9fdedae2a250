"""Softmax and log-softmax over an axis, and the plain (N, C) softmax cross-entropy loss.

All go through log-sum-exp: the largest score is subtracted before exponentiating, so
scores of 1e4 stay finite and the smallest probabilities keep their digits in log space.
"""

import numpy as np

from ..errors import InputError
from ..op import Op, apply


def log_softmax_array(x, axis=-1, out=None):
    """log softmax of a numpy array along ``axis``: x - max - log(sum(exp(x - max)))
    (into ``out`` when given)."""
    shifted = np.subtract(x, x.max(axis=axis, keepdims=True), out=out)
    shifted -= np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return shifted


class _OverAxis(Op):
    category = "softmax"

    def __init__(self, axis=-1):
        self.axis = axis

    @property
    def label(self):
        return f"{type(self).__name__}(axis={self.axis})"

    def infer(self, x):
        dtype = self.same_float_dtype((x,))
        if not isinstance(self.axis, (int, np.integer)) or not -x.ndim <= self.axis < x.ndim:
            self.fail((x,), f"axis {self.axis!r} is not an axis of a {x.ndim}-d input")
        return x.shape, dtype

    def flops(self, node):
        return 5 * node.size  # max, subtract, exp, sum, then divide (or log and subtract)


class Softmax(_OverAxis):
    """e^x / sum(e^x) along ``axis`` (default the last). Any shape with that axis; the
    output has the input's shape. Saves the output y: dx = y (g - sum(g y))."""

    def forward(self, x):
        y = x - x.max(axis=self.axis, keepdims=True)
        np.exp(y, out=y)
        y /= y.sum(axis=self.axis, keepdims=True)
        self.saved = y
        return y

    def backward(self, grad):
        y = self.saved
        inner = (grad * y).sum(axis=self.axis, keepdims=True)
        return (y * (grad - inner),)


class LogSoftmax(_OverAxis):
    """x - log(sum(e^x)) along ``axis`` (default the last), by log-sum-exp. The output has
    the input's shape. Saves the output y: dx = g - e^y sum(g)."""

    def forward(self, x):
        y = log_softmax_array(x, self.axis)
        self.saved = y
        return y

    def backward(self, grad):
        y = self.saved
        return (grad - np.exp(y) * grad.sum(axis=self.axis, keepdims=True),)


class SoftmaxCE(Op):
    """cs231n's ``softmax_loss``: the mean over N of -log softmax(scores)[target].

    Shapes: scores (N, C) float, targets (N,) integers in [0, C) -> a scalar.
    Backward: (softmax(scores) - one_hot(targets)) / N.
    """

    category = "loss"

    def infer(self, scores, targets):
        inputs = (scores, targets)
        dtype = self.same_float_dtype((scores,))
        self.integer_input(inputs, targets, "targets")
        if scores.ndim != 2 or targets.shape != scores.shape[:1]:
            self.fail(inputs, "needs scores (N, C) and targets (N,)")
        self.targets_name = targets.name
        return (), dtype

    def forward(self, scores, targets):
        N, C = scores.shape
        if targets.size and (targets.min() < 0 or targets.max() >= C):
            bad = int(np.argmax((targets < 0) | (targets >= C)))
            raise InputError(f"SoftmaxCE: target {targets[bad]} at position {bad} of "
                             f"'{self.targets_name}' is outside [0, {C})")
        log_probs = log_softmax_array(scores, axis=1)
        self.saved = (log_probs, targets)
        picked = log_probs[np.arange(N), targets]
        return np.asarray(-picked.sum() / scores.dtype.type(max(N, 1)), dtype=scores.dtype)

    def backward(self, grad):
        log_probs, targets = self.saved
        N = log_probs.shape[0]
        dscores = np.exp(log_probs)
        dscores[np.arange(N), targets] -= 1
        dscores *= grad / grad.dtype.type(max(N, 1))
        return dscores, None

    def flops(self, node):
        return 5 * node.inputs[0].size


def softmax(x, axis=-1, name=None):
    """Softmax along ``axis`` (default the last): entries in (0, 1) summing to 1 there.
    Shapes: x (...) -> the same shape."""
    return apply(Softmax(axis), x, name=name)


def log_softmax(x, axis=-1, name=None):
    """Log of the softmax along ``axis`` (default the last), by log-sum-exp.
    Shapes: x (...) -> the same shape."""
    return apply(LogSoftmax(axis), x, name=name)


def softmax_ce(scores, targets, name=None):
    """Softmax cross-entropy averaged over the batch (cs231n's ``softmax_loss``).
    Shapes: scores (N, C) float, targets (N,) integers in [0, C) -> () scalar."""
    return apply(SoftmaxCE(), scores, targets, name=name)
