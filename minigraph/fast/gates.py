"""The LSTM's gate maths for one step in numpy: the reference that the compiled kernels
(minigraph/fast/compiled_gates.py) reproduce, and the one place its backward is written.

Both the per-step op (LSTMStep, minigraph/ops/recurrent.py) and the whole-sequence op's
numpy path (LSTMSequence through minigraph/fast/kernels.py) call these functions; they
differ only in layout, which the functions do not see: they take (N, H) and (N, 4H)
views, C- or F-ordered, and write through ``out`` arrays, so each caller keeps its own
buffers. Every operation is elementwise, so a view's memory order does not change a bit.

Gate columns in cs231n's order i, f, o (sigmoids) and g (tanh).
"""

import numpy as np


def sigmoid_(x):
    """sigmoid(x) = 1 / (1 + e^-x) computed in place on a numpy array (not a node): no
    temporaries, the dtype kept. Shapes: x (...) -> x itself, overwritten.

    Exact to a few ulps in both tails: for x << 0, e^-x is large but exact to rounding
    and so is its reciprocal (sigmoid(-40) = 4.2e-18 keeps its digits); for x >> 0 it
    rounds to 1. When e^-x overflows (x < -88 in float32, -709 in float64) the result is
    0, the true value rounded to the dtype's normal range, so the warning is silenced.
    """
    np.negative(x, out=x)
    with np.errstate(over="ignore"):
        np.exp(x, out=x)
    x += 1
    np.reciprocal(x, out=x)
    return x


def lstm_gates_forward(a, prev_c, next_h, next_c, tanh_c):
    """One step's gates from their pre-activations, in place, then the new state.

    a (N, 4H): on entry x Wx + h_{t-1} Wh + b, on exit the gates i, f, o, g. prev_c (N, H)
    is c_{t-1}. Writes next_c = f * c_{t-1} + i * g, tanh_c = tanh(next_c) and
    next_h = o * tanh_c (each (N, H))."""
    H = prev_c.shape[1]
    sigmoid_(a[:, :3 * H])
    np.tanh(a[:, 3 * H:], out=a[:, 3 * H:])
    i, f, o, g = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
    np.multiply(f, prev_c, out=next_c)
    next_c += i * g
    np.tanh(next_c, out=tanh_c)
    np.multiply(o, tanh_c, out=next_h)


def lstm_gates_backward(dh, dc, gates, tanh_c, prev_c, da, dprev_c):
    """The gradients of one step's pre-activations and of c_{t-1}.

    dh, dc (N, H): the whole gradients reaching h_t and c_t (from outside and from step
    t + 1, already summed); gates (N, 4H) the forward's gates; tanh_c (N, H) tanh(c_t);
    prev_c (N, H) c_{t-1}. Writes da (N, 4H), the gradient of the pre-activations, and
    dprev_c (N, H), that of c_{t-1}.

    c_t reaches the loss through h_t = o tanh(c_t) and directly: total_dc = dh o
    (1 - tanh(c_t)^2) + dc. Then di = total_dc g, df = total_dc c_{t-1}, do = dh tanh(c_t),
    dg = total_dc i, each times its nonlinearity's derivative (s (1 - s) for a sigmoid,
    1 - g^2 for tanh), and dc_{t-1} = total_dc f.
    """
    H = prev_c.shape[1]
    i, f, o, g = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H], gates[:, 3 * H:]
    total_dc = dh * o
    total_dc *= 1 - tanh_c * tanh_c
    total_dc += dc
    np.multiply(total_dc, g, out=da[:, :H])
    np.multiply(total_dc, prev_c, out=da[:, H:2 * H])
    np.multiply(dh, tanh_c, out=da[:, 2 * H:3 * H])
    ifo = gates[:, :3 * H]
    da[:, :3 * H] *= ifo * (1 - ifo)
    np.multiply(total_dc, i, out=da[:, 3 * H:])
    da[:, 3 * H:] *= 1 - g * g
    np.multiply(total_dc, f, out=dprev_c)
