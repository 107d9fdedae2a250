"""Speed tricks in one place: the LSTM's elementwise gate work for one timestep, forward
and backward. The backward is compiled with numba when ``pip install 'minigraph[fast]'``
installed it, and runs in numpy otherwise; the forward is numpy either way (below). The
two backwards do the same float32 operations in the same order and give the same bits
(tests/test_kernels.py compares them); nothing is computed in float64.

Why: numpy makes one pass over memory per operation, about 12 passes over small (N, H)
arrays per LSTM step backward; the compiled loop makes one. Compilation happens once per
machine (``cache=True`` writes it to __pycache__ beside this file, or to
NUMBA_CACHE_DIR); later runs load it from disk.

Layout: gate rows (N, 4H) in cs231n's order i, f, o, g, as ``xw``; each argument may be a
strided view (one timestep of an (N, T, 4H) array). The caller owns every array.

    lstm_forward(a, xw, prev_c, next_h, next_c, tanh_c)
        a (N, 4H): on entry prev_h @ Wh; on exit the gates i, f, o (sigmoid) and g (tanh)
        of a + xw. Writes next_c = f * prev_c + i * g, tanh_c = tanh(next_c) and
        next_h = o * tanh_c, each (N, H).
    lstm_backward(dh, dc, gates, prev_c, tanh_c, da, dprev_c)
        dh, dc (N, H): the gradient reaching next_h and next_c. Writes da (N, 4H), the
        gradient of the pre-activations, and dprev_c (N, H).

``use_numba(False)`` switches to numpy (tests compare the two); the environment variable
``MINIGRAPH_KERNELS=numpy`` does so for a whole process.
"""

import os

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


# ---------------------------------------------------------------------- numpy
def lstm_forward_numpy(a, xw, prev_c, next_h, next_c, tanh_c):
    H = prev_c.shape[1]
    a += xw
    sigmoid_(a[:, :3 * H])
    np.tanh(a[:, 3 * H:], out=a[:, 3 * H:])
    i, f, o, g = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
    np.multiply(f, prev_c, out=next_c)
    next_c += i * g
    np.tanh(next_c, out=tanh_c)
    np.multiply(o, tanh_c, out=next_h)


def lstm_backward_numpy(dh, dc, gates, prev_c, tanh_c, da, dprev_c):
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


# ---------------------------------------------------------------------- numba
# The backward's operations in the same order as numpy's, one pass. ``one`` is passed in
# with the arrays' dtype: a literal 1 would be an int64 and make numba compute in float64.
# The forward is not compiled: its cost is in exp and tanh, where numpy's vectorised
# float32 versions measured 5x faster than the C library's scalar ones numba calls.
def _lstm_backward_loop(dh, dc, gates, prev_c, tanh_c, da, dprev_c, one):
    N, H = prev_c.shape
    for n in range(N):
        for j in range(H):
            i, f = gates[n, j], gates[n, H + j]
            o, g = gates[n, 2 * H + j], gates[n, 3 * H + j]
            t = tanh_c[n, j]
            total = dh[n, j] * o
            total *= one - t * t
            total += dc[n, j]
            da[n, j] = (total * g) * (i * (one - i))
            da[n, H + j] = (total * prev_c[n, j]) * (f * (one - f))
            da[n, 2 * H + j] = (dh[n, j] * t) * (o * (one - o))
            da[n, 3 * H + j] = (total * i) * (one - g * g)
            dprev_c[n, j] = total * f


def _compile():
    """The compiled backward, or None when numba is not installed or cannot work here."""
    if os.environ.get("MINIGRAPH_KERNELS", "") == "numpy":
        return None
    try:
        import numba
    except ImportError:
        return None
    try:
        return numba.njit(cache=True, nogil=True, error_model="numpy")(_lstm_backward_loop)
    except Exception:  # a broken numba install must not break minigraph  # noqa: BLE001
        return None


# numba is imported on the first LSTM backward, not with minigraph: importing it takes
# a noticeable part of a second, which commands that never train should not pay.
_compiled = None
_loaded = False
_wanted = True  # use_numba(False) turns the compiled path off


def _kernel():
    global _compiled, _loaded
    if not _loaded:
        _compiled, _loaded = _compile(), True
    return _compiled if _wanted else None


def available():
    """True when the compiled kernel can be used (numba installed)."""
    global _wanted
    wanted, _wanted = _wanted, True
    try:
        return _kernel() is not None
    finally:
        _wanted = wanted


def use_numba(on=True):
    """Use the compiled kernel (when available) or numpy; returns the previous choice."""
    global _wanted
    previous, _wanted = _wanted, bool(on)
    return previous


def using_numba():
    """True when the next LSTM backward runs the compiled kernel."""
    return _kernel() is not None


lstm_forward = lstm_forward_numpy  # numpy either way (see above)


def lstm_backward(dh, dc, gates, prev_c, tanh_c, da, dprev_c):
    kernel = _kernel()
    if kernel is not None:
        kernel(dh, dc, gates, prev_c, tanh_c, da, dprev_c, gates.dtype.type(1))
    else:
        lstm_backward_numpy(dh, dc, gates, prev_c, tanh_c, da, dprev_c)
