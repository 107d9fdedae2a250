"""The cs231n RNN-captioning layer functions, each built from minigraph ops.

Same names, signatures and return values as the assignment's ``rnn_layers.py``. Each
forward builds a small graph from copies of its arguments (so later in-place edits by a
gradient-check cell cannot reach the cache), runs it, and returns the graph as the cache;
each backward runs that graph's backward. The maths lives in the ops, not here.
"""

import numpy as np

from .cells import unroll
from .graph import Graph
from .node import input
from .ops import embedding, lstm_step, masked_softmax_ce, rnn_step, stack, temporal_affine


def _leaves(**arrays):
    return [input(name, value=np.array(value, copy=True)) for name, value in arrays.items()]


def _run(outputs, leaves):
    graph = Graph(outputs)
    graph.forward()
    return graph, leaves


def _backward(cache, *upstream):
    """Run backward (repeatable: the graph is retained) and return the leaves' gradients."""
    graph, leaves = cache
    graph.zero_grad()
    grads = [np.asarray(g) for g in upstream]
    graph.backward(grads if len(grads) > 1 else grads[0], retain_graph=True)
    return tuple(np.zeros(n.shape, n.dtype) if n.grad is None else np.array(n.grad)
                 for n in leaves)


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """next_h = tanh(x Wx + prev_h Wh + b). x (N, D), prev_h (N, H) -> next_h (N, H)."""
    leaves = _leaves(x=x, prev_h=prev_h, Wx=Wx, Wh=Wh, b=b)
    graph, leaves = _run(rnn_step(*leaves, name="next_h"), leaves)
    return graph.outputs[0].value.copy(), (graph, leaves)


def rnn_step_backward(dnext_h, cache):
    """Returns (dx, dprev_h, dWx, dWh, db)."""
    return _backward(cache, dnext_h)


def rnn_forward(x, h0, Wx, Wh, b):
    """Vanilla RNN over a sequence. x (N, T, D), h0 (N, H) -> h (N, T, H)."""
    leaves = _leaves(x=x, h0=h0, Wx=Wx, Wh=Wh, b=b)
    graph, leaves = _run(stack(unroll("rnn", *leaves)[0], name="h"), leaves)
    return graph.outputs[0].value.copy(), (graph, leaves)


def rnn_backward(dh, cache):
    """dh (N, T, H): upstream gradient of every hidden state. Returns (dx, dh0, dWx, dWh, db)."""
    return _backward(cache, dh)


def word_embedding_forward(x, W):
    """x (N, T) integer ids, W (V, D) -> out (N, T, D) = W[x]."""
    leaves = _leaves(x=x, W=W)
    graph, leaves = _run(embedding(*leaves, name="out"), leaves)
    return graph.outputs[0].value.copy(), (graph, leaves)


def word_embedding_backward(dout, cache):
    """Returns dW (V, D); repeated ids add up."""
    return _backward(cache, dout)[1]


def temporal_affine_forward(x, w, b):
    """x (N, T, D), w (D, M), b (M,) -> out (N, T, M)."""
    leaves = _leaves(x=x, w=w, b=b)
    graph, leaves = _run(temporal_affine(*leaves, name="out"), leaves)
    return graph.outputs[0].value.copy(), (graph, leaves)


def temporal_affine_backward(dout, cache):
    """Returns (dx, dw, db)."""
    return _backward(cache, dout)


def temporal_softmax_loss(x, y, mask, verbose=False):
    """x (N, T, V) scores, y (N, T) targets, mask (N, T) bool -> (loss, dx).

    The loss is summed over unmasked timesteps and divided by N.
    """
    leaves = _leaves(x=x, y=y, mask=mask)
    graph, leaves = _run(masked_softmax_ce(*leaves, name="loss"), leaves)
    dx = _backward((graph, leaves), np.ones((), dtype=leaves[0].dtype))[0]
    if verbose:
        print("dx:", dx.shape)
    return float(graph.outputs[0].value), dx


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """One LSTM step, gates i, f, o, g. Returns (next_h, next_c, cache)."""
    leaves = _leaves(x=x, prev_h=prev_h, prev_c=prev_c, Wx=Wx, Wh=Wh, b=b)
    next_h, next_c = lstm_step(*leaves, name="next_h")
    graph, leaves = _run([next_h, next_c], leaves)
    return next_h.value.copy(), next_c.value.copy(), (graph, leaves)


def lstm_step_backward(dnext_h, dnext_c, cache):
    """Returns (dx, dprev_h, dprev_c, dWx, dWh, db)."""
    return _backward(cache, dnext_h, dnext_c)


def lstm_forward(x, h0, Wx, Wh, b):
    """LSTM over a sequence with c0 = 0. x (N, T, D), h0 (N, H) -> h (N, T, H)."""
    leaves = _leaves(x=x, h0=h0, Wx=Wx, Wh=Wh, b=b)
    graph, leaves = _run(stack(unroll("lstm", *leaves)[0], name="h"), leaves)
    return graph.outputs[0].value.copy(), (graph, leaves)


def lstm_backward(dh, cache):
    """Returns (dx, dh0, dWx, dWh, db)."""
    return _backward(cache, dh)
