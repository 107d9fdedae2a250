"""The sequence nodes' time loops (LSTM and RNN) compiled with numba (the [fast] extra): each step's
recurrent matmul calls numpy's own BLAS (OpenBLAS's ``cblas_sgemm``, found through
threadpoolctl) with the arguments numpy's matmul passes it, then the gate kernel of
minigraph/fast/compiled_gates.py. float32 only; kernels.py decides when to use it.

Why: stepped from Python, each step is four crossings of Python's lock (call the matmul,
return, call the kernel, return). One thread pays a few microseconds for each; two
threads running halves of the batch (minigraph/fast/parallel.py) also wait for each other at
every crossing, which on a small layer (N = 32, H = 128: 20 us of work a step) cost more
than the second thread saved. Compiled, a thread runs all T steps of its rows with the
lock released.

The numbers do not change: the same BLAS function on the same operands, then the same
kernel (tests/test_compiled_loops.py checks the bits against the stepped loop). The RNN's
forward computes tanh as the LSTM kernel does (within 4e-7 of numpy's), its backward
gives numpy's bits.
"""

import ctypes

import numba
import numpy as np

from .compiled_gates import ONE, _tanh, lstm_backward, lstm_forward

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112
ZERO = np.float32(0)
F32 = 4  # bytes

_jit = numba.njit(cache=True, nogil=True, error_model="numpy")


def find_sgemm():
    """numpy's BLAS's ``cblas_sgemm`` (the 64-bit-integer build numpy's wheels ship) as a
    ctypes function, or None when numpy uses another BLAS."""
    from threadpoolctl import ThreadpoolController

    i64, f32 = ctypes.c_int64, ctypes.c_float
    for library in ThreadpoolController().select(user_api="blas").lib_controllers:
        if library.internal_api != "openblas":
            continue
        dll = ctypes.CDLL(library.filepath)
        for name in ("scipy_cblas_sgemm64_", "cblas_sgemm64_"):
            sgemm = getattr(dll, name, None)
            if sgemm is not None:
                # order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc;
                # pointers pass as 64-bit integers
                sgemm.argtypes = [ctypes.c_int] * 3 + [i64] * 3 + [f32, i64, i64, i64, i64,
                                                                    f32, i64, i64]
                sgemm.restype = None
                return sgemm
    return None


@_jit
def lstm_forward_rows(sgemm, xw, h0, c0, Wh, out, gates, tanh_c):
    # minigraph/ops/sequence.py's stepped loop: gates[t] = h_{t-1} @ Wh, then the kernel
    N, T, G = xw.shape
    H = G // 4
    for t in range(T):
        if t == 0:
            prev_h, ld = h0.ctypes.data, H
        else:  # out[:, t - 1, :H]: rows T 2H floats apart
            prev_h, ld = out.ctypes.data + (t - 1) * 2 * H * F32, T * 2 * H
        sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, N, G, H, ONE, prev_h, ld, Wh.ctypes.data, G,
              ZERO, gates.ctypes.data + t * N * G * F32, G)
        lstm_forward(gates, xw, c0, out, tanh_c, t)


@_jit
def lstm_backward_rows(sgemm, grad, Wh, c0, out, gates, tanh_c, da, dh, dc, spare):
    # the stepped loop backwards; dh and dc come in as zeros and leave as the gradients of
    # h_0 and c_0 (returned: which of dc and spare holds the latter)
    N, T = out.shape[0], out.shape[1]
    H = c0.shape[1]
    G = 4 * H
    dc_next, dc_prev = dc, spare
    for t in range(T - 1, -1, -1):
        lstm_backward(grad, dh, dc_next, gates, c0, out, tanh_c, da, dc_prev, t, ONE)
        # dh = da[:, t] @ Wh.T: Wh.T is Fortran-ordered, so numpy passes Wh transposed
        sgemm(ROW_MAJOR, NO_TRANS, TRANS, N, H, G, ONE, da.ctypes.data + t * G * F32, T * G,
              Wh.ctypes.data, G, ZERO, dh.ctypes.data, H)
        dc_next, dc_prev = dc_prev, dc_next
    return dc_next


@_jit
def rnn_forward_rows(sgemm, xw, h0, Wh, hs):
    # h_t = tanh(h_{t-1} @ Wh + xw_t), tanh as in the LSTM forward kernel (within 4e-7)
    N, T, H = xw.shape
    for t in range(T):
        if t == 0:
            prev_h, ld = h0.ctypes.data, H
        else:
            prev_h, ld = hs.ctypes.data + (t - 1) * H * F32, T * H
        sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, N, H, H, ONE, prev_h, ld, Wh.ctypes.data, H,
              ZERO, hs.ctypes.data + t * H * F32, T * H)
        for n in range(N):
            a, x = hs[n, t], xw[n, t]
            for j in range(H):
                a[j] = _tanh(a[j] + x[j])


@_jit
def rnn_backward_rows(sgemm, grad, Wh, hs, da, dh):
    # numpy's (grad_t + dh) * (1 - h h) in its order, then dh = da_t @ Wh.T: its bits;
    # dh comes in as zeros and leaves as the gradient of h_0
    N, T, H = hs.shape
    for t in range(T - 1, -1, -1):
        for n in range(N):
            g, h, d, back = grad[n, t], hs[n, t], da[n, t], dh[n]
            for j in range(H):
                d[j] = (g[j] + back[j]) * (ONE - h[j] * h[j])
        sgemm(ROW_MAJOR, NO_TRANS, TRANS, N, H, H, ONE, da.ctypes.data + t * H * F32, T * H,
              Wh.ctypes.data, H, ZERO, dh.ctypes.data, H)


def works(sgemm):
    """Run both loops on a tiny layer and compare with numpy's matmul to the bit."""
    rng = np.random.default_rng(0)
    N, T, H = 3, 2, 2
    xw = rng.standard_normal((N, T, 4 * H)).astype(np.float32)
    h0, c0 = (rng.standard_normal((N, H)).astype(np.float32) for _ in range(2))
    Wh = rng.standard_normal((H, 4 * H)).astype(np.float32)
    out = np.empty((N, T, 2 * H), np.float32)
    gates, tanh_c = np.empty((T, N, 4 * H), np.float32), np.empty((T, N, H), np.float32)
    lstm_forward_rows(sgemm, xw, h0, c0, Wh, out, gates, tanh_c)
    first = h0 @ Wh + xw[:, 0]
    expected_c = (0.5 + 0.5 * np.tanh(0.5 * first[:, H:2 * H])) * c0
    da = np.empty((N, T, 4 * H), np.float32)
    dh, dc, spare = (np.zeros((N, H), np.float32) for _ in range(3))
    lstm_backward_rows(sgemm, np.ones_like(out), Wh, c0, out, gates, tanh_c, da, dh, dc, spare)
    hs, rnn_da, rnn_dh = np.empty((N, T, H), np.float32), np.empty((N, T, H), np.float32), h0 * 0
    W = Wh[:, :H].copy()
    rnn_forward_rows(sgemm, xw[:, :, :H].copy(), h0, W, hs)
    rnn_backward_rows(sgemm, np.ones_like(hs), W, hs, rnn_da, rnn_dh)
    return (np.allclose(hs[:, 0], np.tanh(h0 @ W + xw[:, 0, :H]), atol=1e-5)
            and np.array_equal(rnn_dh, rnn_da[:, 0] @ W.T)
            and np.allclose(out[:, 0, H:], expected_c + (0.5 + 0.5 * np.tanh(0.5 * first[:, :H]))
                        * np.tanh(first[:, 3 * H:]), atol=1e-5)
            and np.array_equal(dh, da[:, 0] @ Wh.T))
