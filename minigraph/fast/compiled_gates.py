"""The LSTM gate kernels of minigraph/fast/kernels.py, Adam's update and the embedding's
scatter-add, compiled with numba
(the [fast] extra), float32 only. Importing this module imports numba; kernels.py does so
on first use, and falls back to numpy when it is missing or does not work.

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
def lstm_forward(gates, xw, c0, out, tanh_c, t):
    N, H = c0.shape
    for n in range(N):
        a, x = gates[t, n], xw[n, t]
        for j in range(3 * H):  # i, f, o: sigmoid(v) = (1 + tanh(v / 2)) / 2
            a[j] = HALF * _tanh(HALF * (a[j] + x[j])) + HALF
        for j in range(3 * H, 4 * H):  # g
            a[j] = _tanh(a[j] + x[j])
        state, tc = out[n, t], tanh_c[t, n]  # state = [h_t, c_t]
        prev, at = (c0[n], 0) if t == 0 else (out[n, t - 1], H)  # c_{t-1} = prev[at:]
        for j in range(H):
            state[H + j] = a[H + j] * prev[at + j] + a[j] * a[3 * H + j]
        for j in range(H):
            tc[j] = _tanh(state[H + j])
        for j in range(H):
            state[j] = a[2 * H + j] * tc[j]


@_jit
def lstm_backward(grad, dh_next, dc_next, gates, c0, out, tanh_c, da, dprev_c, t, one):
    # numpy's operations (gates.py's lstm_gates_backward) in numpy's order: the same bits.
    # ``one`` comes in with the arrays' dtype: a literal 1 would be an int64 and make
    # numba compute in float64.
    N, H = c0.shape
    for n in range(N):
        g_in, dh_in, dc_in, dc_out = grad[n, t], dh_next[n], dc_next[n], dprev_c[n]
        gt, tc, d = gates[t, n], tanh_c[t, n], da[n, t]
        prev, at = (c0[n], 0) if t == 0 else (out[n, t - 1], H)  # c_{t-1} = prev[at:]
        for j in range(H):  # dh, parked in the o slot
            d[2 * H + j] = g_in[j] + dh_in[j]
        for j in range(H):  # the total dc, parked in dprev_c
            v = tc[j]
            dc_out[j] = d[2 * H + j] * gt[2 * H + j] * (one - v * v) + (g_in[H + j] + dc_in[j])
        for j in range(H):
            total, i, g = dc_out[j], gt[j], gt[3 * H + j]
            d[j] = (total * g) * (i * (one - i))
            d[3 * H + j] = (total * i) * (one - g * g)
        for j in range(H):
            total, f = dc_out[j], gt[H + j]
            d[H + j] = (total * prev[at + j]) * (f * (one - f))
            dc_out[j] = total * f
        for j in range(H):
            o = gt[2 * H + j]
            d[2 * H + j] = (d[2 * H + j] * tc[j]) * (o * (one - o))


@_jit
def adam_update(w, dw, m, v, beta1, one_minus_beta1, beta2, one_minus_beta2, step, eps):
    # minigraph/optim.py's adam in its order, one pass instead of ten: the same bits.
    for k in range(w.size):
        g = dw[k]
        m[k] = m[k] * beta1 + one_minus_beta1 * g
        v[k] = v[k] * beta2 + one_minus_beta2 * g * g
        w[k] = w[k] - step * m[k] / (np.sqrt(v[k]) + eps)


@_jit
def add_rows_at(summed, ids, rows):
    # summed[ids[k]] += rows[k] in row order (an embedding's backward)
    for k in range(ids.size):
        target, row = summed[ids[k]], rows[k]
        for j in range(row.size):
            target[j] += row[j]


def works():
    """Compile (or load from the cache) and run every kernel once on tiny arrays: a broken
    numba install must not break minigraph, so kernels.py falls back to numpy on False."""
    try:
        gates = np.zeros((1, 1, 4), f32)
        c0, out, tanh_c = np.zeros((1, 1), f32), np.zeros((1, 1, 2), f32), np.zeros((1, 1, 1), f32)
        lstm_forward(gates, np.zeros((1, 1, 4), f32), c0, out, tanh_c, 0)
        lstm_backward(out, c0, c0, gates, c0, out, tanh_c, np.zeros((1, 1, 4), f32),
                      np.zeros((1, 1), f32), 0, ONE)
        w = np.ones(2, f32)
        adam_update(w, w.copy(), np.zeros(2, f32), np.zeros(2, f32), HALF, HALF, HALF, HALF,
                    HALF, ONE)
        summed = np.zeros((2, 1), f32)
        add_rows_at(summed, np.array([1, 1]), np.ones((2, 1), f32))
        return gates[0, 0, 0] == HALF and 0 < w[0] < ONE and summed[1, 0] == 2
    except Exception:  # noqa: BLE001 - any failure means: use numpy
        return False
