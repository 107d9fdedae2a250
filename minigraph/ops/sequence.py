"""Whole-sequence recurrent layers: one node runs all T steps of a layer, forward and
backward. The training fast path (``minigraph.unroll_sequence``); drawings keep one node
per step (``unroll_projected``), with the same numbers.

Why one node: a step of the per-step graph is five nodes (the xw[t] slice, the cell, the
h and c halves, the stack), each a Python call forward and backward; for a small layer
(H = 128) that bookkeeping costs about as much as the maths. Here a step is one matmul
and one gate kernel (minigraph/kernels.py); each step's gate gradient is written into its
place in one gradient array (no add per step) and the recurrent weight's gradient is one
(H, N T) @ (N T, kH) matmul at the end.

Layout: time is the middle axis, as in the models: xw (N, T, kH) = x Wx + b of every
step, states out (N, T, H) for the RNN and (N, T, 2H) = [h_t, c_t] for the LSTM (like
LSTMStep's (N, 2H) output, one row per step). The LSTM works time-major inside, (T, N, .),
so that each step's rows are contiguous for the compiled gate kernels.
"""

import numpy as np

from .. import kernels
from ..op import Op, apply
from .shape import select_step, slice_last, split


class _Sequence(Op):
    category = "recurrent"
    gates = 1
    states = 1

    def infer(self, xw, *rest):
        states, Wh = rest[:self.states], rest[self.states]
        inputs = (xw, *states, Wh)
        dtype = self.same_float_dtype(inputs)
        first = states[0]
        k = self.gates
        ok = (first.ndim == 2 and all(s.shape == first.shape for s in states)
              and xw.ndim == 3 and xw.shape[1] >= 1)
        if ok:
            N, H = first.shape
            ok = xw.shape[0] == N and xw.shape[2] == k * H and Wh.shape == (H, k * H)
        if not ok:
            names = ", ".join(f"{s.name} (N, H)" for s in states)
            self.fail(inputs, f"needs xw (N, T, {k}H) with T >= 1, {names}, Wh (H, {k}H)")
        N, T = xw.shape[:2]
        return (N, T, self.states * first.shape[1]), dtype

    def flops(self, node):
        N, T = node.inputs[0].shape[:2]
        H = node.inputs[1].shape[1]
        return T * (2 * N * H * self.gates * H + self.elementwise * N * H)

    @staticmethod
    def _weight_grad(h0, hs, da):
        """dWh = sum_t h_{t-1}.T da_t as one matmul: [h_0 .. h_{T-1}] (N T, H) against da."""
        N, T, H = hs.shape
        prev_h = np.empty((N, T, H), hs.dtype)
        prev_h[:, 0] = h0
        prev_h[:, 1:] = hs[:, :-1]
        return prev_h.reshape(N * T, H).T @ da.reshape(N * T, -1)


class RNNSequence(_Sequence):
    """h_t = tanh(xw_t + h_{t-1} Wh) for t = 0 .. T-1.
    Shapes: xw (N, T, H), h0 (N, H), Wh (H, H) -> hs (N, T, H)."""

    elementwise = 4

    def forward(self, xw, h0, Wh):
        hs = np.empty(xw.shape, xw.dtype)
        h = h0
        for t in range(xw.shape[1]):
            a = hs[:, t]
            np.matmul(h, Wh, out=a)
            a += xw[:, t]
            np.tanh(a, out=a)
            h = a
        self.saved = (h0, Wh, hs)
        return hs

    def backward(self, grad):
        h0, Wh, hs = self.saved
        da = np.empty(hs.shape, hs.dtype)
        dh_next = np.zeros(h0.shape, hs.dtype)
        for t in range(hs.shape[1] - 1, -1, -1):
            h = hs[:, t]
            d = da[:, t]
            np.add(grad[:, t], dh_next, out=d)
            d *= 1 - h * h
            dh_next = d @ Wh.T
        return da, dh_next, self._weight_grad(h0, hs, da)


class LSTMSequence(_Sequence):
    """The LSTM over every step (gates i, f, o, g as LSTMStep).
    Shapes: xw (N, T, 4H), h0 (N, H), c0 (N, H), Wh (H, 4H) -> states (N, T, 2H), the
    h_t and c_t of each step side by side."""

    gates, states = 4, 2
    elementwise = 12

    def forward(self, xw, h0, c0, Wh):
        N, T, G = xw.shape
        H = G // 4
        # Time-major inside, so that every step's rows are contiguous (the compiled gate
        # kernels need that; BLAS likes it): one transposing copy of xw in, one of the
        # states out.
        xw_t = np.ascontiguousarray(xw.transpose(1, 0, 2))
        gates = np.empty((T, N, G), xw.dtype)
        hs, cs, tanh_c = (np.empty((T, N, H), xw.dtype) for _ in range(3))
        h, c = np.ascontiguousarray(h0), np.ascontiguousarray(c0)
        for t in range(T):
            np.matmul(h, Wh, out=gates[t])
            kernels.lstm_forward(gates[t], xw_t[t], c, cs[t], tanh_c[t], hs[t])
            h, c = hs[t], cs[t]
        out = np.empty((N, T, 2 * H), xw.dtype)
        out[:, :, :H] = hs.transpose(1, 0, 2)
        out[:, :, H:] = cs.transpose(1, 0, 2)
        self.saved = (np.ascontiguousarray(h0), np.ascontiguousarray(c0), Wh, hs, cs, gates,
                      tanh_c)
        return out

    def backward(self, grad):
        h0, c0, Wh, hs, cs, gates, tanh_c = self.saved
        T, N, G = gates.shape
        H = G // 4
        grad_t = np.ascontiguousarray(grad.transpose(1, 0, 2))  # (T, N, 2H)
        da = np.empty((T, N, G), grad.dtype)
        dh_next = np.zeros((N, H), grad.dtype)
        dc_next = np.zeros((N, H), grad.dtype)
        dc_prev = np.empty((N, H), grad.dtype)
        for t in range(T - 1, -1, -1):
            prev_c = c0 if t == 0 else cs[t - 1]
            kernels.lstm_backward(grad_t[t], dh_next, dc_next, gates[t], prev_c, tanh_c[t],
                                  da[t], dc_prev)
            np.matmul(da[t], Wh.T, out=dh_next)
            dc_next, dc_prev = dc_prev, dc_next
        prev_h = np.concatenate([h0[None], hs[:-1]])  # (T, N, H): h_{t-1} of every step
        dWh = prev_h.reshape(T * N, H).T @ da.reshape(T * N, G)
        return np.ascontiguousarray(da.transpose(1, 0, 2)), dh_next, dc_next, dWh


def rnn_sequence(xw, h0, Wh, name=None):
    """All T steps of a vanilla RNN in one node, given xw = x Wx + b of every step.
    Shapes: xw (N, T, H), h0 (N, H), Wh (H, H) -> hs (N, T, H)."""
    return apply(RNNSequence(), xw, h0, Wh, name=name)


def lstm_sequence(xw, h0, c0, Wh, name=None):
    """All T steps of an LSTM in one node, given xw = x Wx + b of every step; returns
    (hs, h_T, c_T) cut from its (N, T, 2H) states. Shapes: xw (N, T, 4H), h0 (N, H),
    c0 (N, H), Wh (H, 4H) -> hs (N, T, H), h_T (N, H), c_T (N, H)."""
    H = h0.shape[1]
    states = apply(LSTMSequence(), xw, h0, c0, Wh, name=f"{name}.states" if name else None)
    hs = slice_last(states, 0, H, name=name)
    last = select_step(states, xw.shape[1] - 1, name=f"{name}.last" if name else None)
    h_T, c_T = split(last, (H, H), names=(f"{name}.h_T" if name else None,
                                          f"{name}.c_T" if name else None))
    return hs, h_T, c_T
