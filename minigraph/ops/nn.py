"""Layer ops: Embedding, EmbeddingAffine, Affine, TemporalAffine, MaskedSoftmaxCE, Dropout.

The cs231n layers, one class each with forward and backward side by side (over 300 lines
because six ops live here, each with its wrapper; the speed choices are in minigraph/fast)."""

import numpy as np

from .. import fast
from ..errors import DTypeError, InputError, UsageError, WrongTypeError
from ..op import Op, apply
from .softmax import log_softmax_array

ONE_HOT_LIMIT = 2 ** 22  # entries of the one-hot matrix Embedding.backward may build
# Without the compiled kernels: above this vocabulary the one-hot matmul's V n M
# multiply-adds cost more than np.add.at's n M adds (measured: V = 65 one-hot 3-10x
# faster, V = 1004 1.2-2x slower).
ONE_HOT_MAX_VOCAB = 256
# EmbeddingAffine: below this many multiply-adds (0.1 ms) the order is chosen as without
# the compiled scatter-add
TABLE_RULE_MIN_MULTIPLY_ADDS = 2 ** 22


class Embedding(Op):
    """W[ids]. Shapes: ids (...) integers in [0, V), W (V, D) -> (..., D).

    Backward adds the gradient of every occurrence of an id into its row, so repeated ids
    (the same word twice in a caption) sum, as they must.
    """

    category = "lookup"

    def flops(self, node):
        return 0

    def infer(self, ids, W):
        self.integer_input((ids, W), ids, "ids")
        self.same_float_dtype((W,))
        if W.ndim != 2:
            self.fail((ids, W), f"the embedding matrix must be (V, D), got {W.shape}")
        self.names = (ids.name, W.name)
        return ids.shape + W.shape[1:], W.dtype

    def forward(self, ids, W):
        check_ids(ids, W.shape[0], self.names, self.label)
        self.saved = (ids, W.shape[0])
        return W[ids]

    def backward(self, grad):
        ids, vocab = self.saved
        return None, sum_rows_by_id(ids.reshape(-1), grad.reshape(-1, grad.shape[-1]), vocab)


def check_ids(ids, vocab, names, label):
    """One clear error for the first id outside [0, vocab): which id, where, in what."""
    if ids.size and (ids.min() < 0 or ids.max() >= vocab):
        bad = np.argwhere((ids < 0) | (ids >= vocab))[0]
        raise InputError(f"{label} '{names[1]}': id {ids[tuple(bad)]} at position "
                         f"{tuple(int(i) for i in bad)} of '{names[0]}' is outside [0, {vocab})")


def sum_rows_by_id(flat_ids, rows, vocab):
    """(vocab, M) array whose row v is the sum of the rows whose id is v."""
    # compiled, the adds are one pass with no multiplies: fastest at any V
    if (not fast.adds_rows_compiled(rows) and vocab <= ONE_HOT_MAX_VOCAB
            and vocab * flat_ids.size <= ONE_HOT_LIMIT):
        # one-hot (V, n) @ rows (n, M): a matmul, much faster than np.add.at
        one_hot = np.zeros((vocab, flat_ids.size), dtype=rows.dtype)
        one_hot[flat_ids, np.arange(flat_ids.size)] = 1
        return fast.matmul(one_hot, rows)
    return fast.sum_rows_by_id(flat_ids, rows, vocab)


class EmbeddingAffine(Op):
    """W_embed[ids] @ Wx + b in one node: the input projection of an embedded sequence.
    Shapes: ids (N, T) integers in [0, V), W_embed (V, D), Wx (D, M), b (M,) -> (N, T, M).

    When the vocabulary is small (a char-rnn: V = 65 against N T = 2048 positions), each
    row is looked up in the table W_embed @ Wx + b, computed once (V D M multiply-adds
    instead of N T D M), and backward works on that table's (V, M) gradient instead of
    N T rows: the same maths, reassociated. Otherwise it embeds, then multiplies.
    """

    category = "matmul"

    def infer(self, ids, W_embed, Wx, b):
        inputs = (ids, W_embed, Wx, b)
        self.integer_input(inputs, ids, "ids")
        dtype = self.same_float_dtype(inputs[1:])
        if W_embed.ndim != 2 or Wx.ndim != 2 or Wx.shape[0] != W_embed.shape[1] or (
                b.shape != Wx.shape[1:]):
            self.fail(inputs, "needs W_embed (V, D), Wx (D, M), b (M,)")
        self.names = (ids.name, W_embed.name)
        return ids.shape + Wx.shape[1:], dtype

    @staticmethod
    def uses_table(vocab, positions, dim, compiled_scatter=False):
        """The table wins when its backward and two (V, D, M) products cost less than the
        two (n, D, M) products of the embed-then-multiply order. The table's backward adds
        the n gradient rows into V: compiled (fast.adds_rows_compiled) that is n M adds,
        so the table wins whenever V < n (captioning: V = 1004, n = 1600, 37% fewer
        multiply-adds); in numpy it is a (V, n) one-hot matmul, V n M more."""
        if compiled_scatter:
            return vocab < positions
        return vocab * (positions + 2 * dim) < 2 * positions * dim

    def _uses_table(self, vocab, positions, dim, width, dtype):
        # small layers (the drawings' examples) keep the numpy rule, so that their graphs
        # and saved bytes do not depend on whether the [fast] extra is installed
        big = positions * dim * width >= TABLE_RULE_MIN_MULTIPLY_ADDS
        return self.uses_table(vocab, positions, dim, big and fast.scatter_compiled(dtype))

    def forward(self, ids, W_embed, Wx, b):
        check_ids(ids, W_embed.shape[0], self.names, self.label)
        flat_ids = ids.reshape(-1)
        if self._uses_table(W_embed.shape[0], flat_ids.size, *Wx.shape, W_embed.dtype):
            table = fast.matmul(W_embed, Wx)
            table += b
            out, rows = table[flat_ids], None
        else:
            rows = W_embed[flat_ids]
            out = fast.matmul(rows, Wx)
            out += b
        self.saved = (flat_ids, W_embed, Wx, rows)
        return out.reshape(ids.shape + Wx.shape[1:])

    def backward(self, grad):
        flat_ids, W_embed, Wx, rows = self.saved
        flat_grad = grad.reshape(-1, Wx.shape[1])
        vocab = W_embed.shape[0]
        if rows is None:
            dtable = sum_rows_by_id(flat_ids, flat_grad, vocab)
            return (None, fast.matmul(dtable, Wx.T), fast.matmul(W_embed.T, dtable),
                    dtable.sum(axis=0))
        dW_embed = sum_rows_by_id(flat_ids, fast.matmul(flat_grad, Wx.T), vocab)
        return None, dW_embed, fast.matmul(rows.T, flat_grad), flat_grad.sum(axis=0)

    def flops(self, node):
        """Multiplies V table rows or N T embedded rows, as forward chooses."""
        ids, W_embed, Wx, _ = node.inputs
        (vocab, d), m = W_embed.shape, Wx.shape[1]
        rows = vocab if self._uses_table(vocab, ids.size, d, m, node.dtype) else ids.size
        return 2 * rows * d * m + rows * m


class Affine(Op):
    """x @ w + b over the last axis. Shapes: x (..., D), w (D, M), b (M,) -> (..., M)."""

    category = "matmul"

    min_ndim = 1

    def infer(self, x, w, b):
        dtype = self.same_float_dtype((x, w, b))
        if x.ndim < self.min_ndim or w.ndim != 2 or b.shape != w.shape[1:] or (
                x.shape[-1] != w.shape[0]):
            self.fail((x, w, b), f"{self.label} needs x (..., D), w (D, M), b (M,) with "
                      f"x of at least {self.min_ndim} dims")
        return x.shape[:-1] + (w.shape[1],), dtype

    def forward(self, x, w, b):
        self.saved = (x, w)
        # one (N T, D) @ (D, M) matmul: numpy would run (N, T, D) @ (D, M) as N small ones
        out = fast.matmul(x.reshape(-1, x.shape[-1]), w)
        out += b
        return out.reshape(x.shape[:-1] + (w.shape[1],))

    def backward(self, grad):
        x, w = self.saved
        flat_x = x.reshape(-1, x.shape[-1])
        flat_g = grad.reshape(-1, grad.shape[-1])
        return (fast.matmul(flat_g, w.T).reshape(x.shape), fast.matmul(flat_x.T, flat_g),
                flat_g.sum(axis=0))

    def flops(self, node):
        x, w, _ = node.inputs
        rows, (d, m) = int(np.prod(x.shape[:-1])), w.shape
        return 2 * rows * d * m + rows * m


class TemporalAffine(Affine):
    """Affine at every timestep. Shapes: x (N, T, D), w (D, M), b (M,) -> (N, T, M)."""

    min_ndim = 3

    def infer(self, x, w, b):
        if x.ndim != 3:
            self.fail((x, w, b), f"x must be (N, T, D), got {x.shape}")
        return super().infer(x, w, b)


class MaskedSoftmaxCE(Op):
    """cs231n's temporal softmax loss.

    Shapes: scores (N, T, V) float, targets (N, T) integers in [0, V), mask (N, T) bool
    -> a scalar: the cross-entropy summed over unmasked steps and divided by N
    (``average='batch'``, cs231n) or by the number of unmasked steps (``'token'``, nats per
    character). Softmax goes through log-sum-exp, so scores of 1e4 stay finite.
    """

    category = "loss"

    def __init__(self, average="batch"):
        if average not in ("batch", "token"):
            raise UsageError("MaskedSoftmaxCE: average must be 'batch' or 'token', "
                             f"got {average!r}")
        self.average = average

    def infer(self, scores, targets, mask):
        inputs = (scores, targets, mask)
        dtype = self.same_float_dtype((scores,))
        self.integer_input(inputs, targets, "targets")
        if mask.dtype != np.bool_:
            self.fail(inputs, f"mask '{mask.name}' must be boolean, got {mask.dtype} (use "
                      "captions != NULL)", DTypeError)
        if scores.ndim != 3 or targets.shape != scores.shape[:2] or mask.shape != targets.shape:
            self.fail(inputs, "needs scores (N, T, V), targets (N, T) and mask (N, T)")
        self.names = (scores.name, targets.name)
        return (), dtype

    def forward(self, scores, targets, mask):
        N, T, V = scores.shape
        flat = scores.reshape(N * T, V)
        y = targets.reshape(N * T)
        if y.size and (y.min() < 0 or y.max() >= V):
            bad = np.argwhere((targets < 0) | (targets >= V))[0]
            raise InputError(f"MaskedSoftmaxCE: target {targets[tuple(bad)]} at position "
                             f"{tuple(int(i) for i in bad)} of '{self.names[1]}' is outside "
                             f"[0, {V})")
        log_probs = np.empty_like(flat)
        fast.rowwise(_log_softmax_rows, flat, log_probs)
        weight = mask.reshape(N * T).astype(scores.dtype)
        denominator = N if self.average == "batch" else max(1, int(mask.sum()))
        weight /= weight.dtype.type(denominator)
        picked = log_probs[np.arange(N * T), y]
        self.saved = (log_probs, y, weight, scores.shape)
        return np.asarray(-(picked * weight).sum(), dtype=scores.dtype)

    def backward(self, grad):
        log_probs, y, weight, shape = self.saved
        dscores = np.empty_like(log_probs)
        scale = (weight * grad)[:, None]
        fast.rowwise(_cross_entropy_grad_rows, dscores, log_probs, y, scale)
        return dscores.reshape(shape), None, None

    def flops(self, node):
        return 5 * node.inputs[0].size  # shift, exp, sum, log, subtract per score


def _log_softmax_rows(scores, out):
    log_softmax_array(scores, axis=1, out=out)


def _cross_entropy_grad_rows(dscores, log_probs, y, scale):
    """d loss / d scores = (softmax - one_hot(y)) * scale, row by row."""
    np.exp(log_probs, out=dscores)
    dscores[np.arange(len(y)), y] -= 1
    dscores *= scale


class Dropout(Op):
    """Inverted dropout: in training, zero each entry with probability ``p`` and scale the
    rest by 1 / (1 - p); in eval mode, the identity. Masks come from the Generator given
    (one explicit seed drives everything). Any shape."""

    def __init__(self, p, rng, training=True):
        if not 0 <= p < 1:
            raise UsageError(f"Dropout: p must be in [0, 1), got {p}")
        if not isinstance(rng, np.random.Generator):
            raise WrongTypeError("Dropout: rng must be a numpy.random.Generator")
        self.p, self.rng, self.training = p, rng, training

    @property
    def label(self):
        return f"Dropout(p={self.p})"

    def infer(self, x):
        return x.shape, self.same_float_dtype((x,))

    def forward(self, x):
        if not self.training or self.p == 0:
            self.saved = None
            return x
        keep = self.rng.random(x.shape, dtype=x.dtype) >= self.p
        mask = keep.astype(x.dtype) / x.dtype.type(1 - self.p)
        self.saved = mask
        return x * mask

    def backward(self, grad):
        return (grad if self.saved is None else grad * self.saved,)


def embedding(ids, W, name=None):
    """Rows of W picked by integer ids (cs231n's word embedding).
    Shapes: ids (...) integers in [0, V), W (V, D) -> (..., D)."""
    return apply(Embedding(), ids, W, name=name)


def embedding_affine(ids, W_embed, Wx, b, name=None):
    """W_embed[ids] @ Wx + b in one node (the input projection of an embedded sequence).
    Shapes: ids (N, T) integers in [0, V), W_embed (V, D), Wx (D, M), b (M,) -> (N, T, M)."""
    return apply(EmbeddingAffine(), ids, W_embed, Wx, b, name=name)


def affine(x, w, b, name=None):
    """x @ w + b over the last axis. Shapes: x (..., D), w (D, M), b (M,) -> (..., M)."""
    return apply(Affine(), x, w, b, name=name)


def temporal_affine(x, w, b, name=None):
    """Affine at every timestep (cs231n's temporal affine).
    Shapes: x (N, T, D), w (D, M), b (M,) -> (N, T, M)."""
    return apply(TemporalAffine(), x, w, b, name=name)


def masked_softmax_ce(scores, targets, mask, average="batch", name=None):
    """cs231n's temporal softmax loss: cross-entropy summed over the unmasked steps, divided
    by N (``average='batch'``) or by the number of unmasked steps (``'token'``).
    Shapes: scores (N, T, V) float, targets (N, T) integers, mask (N, T) bool -> ()."""
    return apply(MaskedSoftmaxCE(average), scores, targets, mask, name=name)


def dropout(x, p, rng, name=None):
    """Inverted dropout with probability ``p``, masks drawn from ``rng`` (a
    numpy.random.Generator); the identity once the graph is in eval mode.
    Shapes: x (...) -> the same shape."""
    return apply(Dropout(p, rng), x, name=name)
