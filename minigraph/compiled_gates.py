"""The LSTM gate kernels of minigraph/kernels.py compiled with numba (the [fast] extra),
float32 only. Importing this module imports numba; kernels.py does so on the first LSTM
step, and falls back to numpy when it is missing or does not work.

Why the loops look the way they do: the compiler turns a loop into SIMD only when it can
see that its arrays do not overlap, and it checks that at run time for a few arrays at
most. So each row is worked in short loops over contiguous 1-d rows, each touching few
arrays, rather than one loop touching ten. ``error_model="numpy"`` drops the Python
division-by-zero check, whose branch would stop the SIMD; no fastmath flags, so IEEE
semantics hold and a NaN passes through (the clamps below are written so that it does).

tanh: numba's own calls the C library's scalar tanhf, a few ns a value, and numpy's
float32 tanh is no faster on this CPU family. ``_tanh`` is a rational function
x P(x^2) / Q(x^2), P of degree 5 and Q of degree 3 in x^2, with x clamped to [-8, 8]
(1 - tanh(8) = 2.3e-7; beyond 8 the float32 result would creep over 1, which the clamp
prevents without a second clamp on the result); made of multiplies, adds and one
divide, it vectorises. Its coefficients come from ``python -m benchmarks.fit_tanh``
(a least-squares fit in float64, reweighted towards the largest error); evaluated in
float32 it is within 4e-7 of tanh (tests/test_kernels.py measures it on 2 million
points).

``cache=True`` writes the compiled code beside this file (or to NUMBA_CACHE_DIR): the
first use on a machine compiles for a few seconds, later runs load it from disk.
"""

import numba
import numpy as np

f32 = np.float32
P0, P1, P2, P3, P4, P5 = (f32(0.9999997360841932), f32(0.12910677555697603),
                          f32(0.002911988675578212), f32(9.195049112919375e-06),
                          f32(-1.2591207567899665e-08), f32(1.7838508448164703e-11))
Q1, Q2, Q3 = f32(0.4624391051540419), f32(0.023726143853513244), f32(0.00022694031259748868)
CLAMP, ONE, HALF = f32(8), f32(1), f32(0.5)

_jit = numba.njit(cache=True, nogil=True, error_model="numpy")


@numba.njit(cache=True, inline="always", error_model="numpy")
def _tanh(x):
    x = CLAMP if x > CLAMP else x  # a NaN fails both tests and goes through
    x = -CLAMP if x < -CLAMP else x
    z = x * x
    p = ((((P5 * z + P4) * z + P3) * z + P2) * z + P1) * z + P0
    q = ((Q3 * z + Q2) * z + Q1) * z + ONE
    return x * p / q


@_jit
def tanh(x, out):
    """out = tanh(x) elementwise, float32 1-d contiguous arrays (for tests)."""
    for k in range(x.size):
        out[k] = _tanh(x[k])


@_jit
def lstm_forward(a, xw, prev_c, next_c, tanh_c, next_h):
    N, H = prev_c.shape
    for n in range(N):
        gates, x = a[n], xw[n]
        for j in range(3 * H):  # i, f, o: sigmoid(v) = (1 + tanh(v / 2)) / 2
            gates[j] = HALF * _tanh(HALF * (gates[j] + x[j])) + HALF
        for j in range(3 * H, 4 * H):  # g
            gates[j] = _tanh(gates[j] + x[j])
        c, c_prev = next_c[n], prev_c[n]
        for j in range(H):
            c[j] = gates[H + j] * c_prev[j] + gates[j] * gates[3 * H + j]
        tc, h = tanh_c[n], next_h[n]
        for j in range(H):
            t = _tanh(c[j])
            tc[j] = t
            h[j] = gates[2 * H + j] * t


@_jit
def lstm_backward(grad, dh_next, dc_next, gates, prev_c, tanh_c, da, dprev_c, one):
    # numpy's operations (kernels.lstm_backward_numpy) in numpy's order: the same bits.
    # ``one`` comes in with the arrays' dtype: a literal 1 would be an int64 and make
    # numba compute in float64.
    N, H = prev_c.shape
    for n in range(N):
        g_in, dh_in, dc_in = grad[n], dh_next[n], dc_next[n]
        gt, c_prev, tc = gates[n], prev_c[n], tanh_c[n]
        d, dc_out = da[n], dprev_c[n]
        for j in range(H):  # dh parked in the o slot, the total dc in dprev_c
            dh = g_in[j] + dh_in[j]
            t = tc[j]
            d[2 * H + j] = dh
            dc_out[j] = dh * gt[2 * H + j] * (one - t * t) + (g_in[H + j] + dc_in[j])
        for j in range(H):
            total = dc_out[j]
            i, f, o, g = gt[j], gt[H + j], gt[2 * H + j], gt[3 * H + j]
            d[j] = (total * g) * (i * (one - i))
            d[H + j] = (total * c_prev[j]) * (f * (one - f))
            d[2 * H + j] = (d[2 * H + j] * tc[j]) * (o * (one - o))
            d[3 * H + j] = (total * i) * (one - g * g)
            dc_out[j] = total * f


def works():
    """Compile (or load from the cache) and run both kernels once on tiny arrays: a broken
    numba install must not break minigraph, so kernels.py falls back to numpy on False."""
    try:
        a = np.zeros((1, 4), f32)
        state = [np.zeros((1, 1), f32) for _ in range(3)]
        lstm_forward(a, np.zeros((1, 4), f32), state[0], state[1], state[2],
                     np.zeros((1, 1), f32))
        lstm_backward(np.zeros((1, 2), f32), state[0], state[0], a, state[0], state[2],
                      np.zeros((1, 4), f32), np.zeros((1, 1), f32), ONE)
        return a[0, 0] == HALF
    except Exception:  # noqa: BLE001 - any failure means: use numpy
        return False
