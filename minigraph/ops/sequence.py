"""Whole-sequence recurrent layers: one node runs all T steps of a layer, forward and
backward. The training fast path (``minigraph.unroll_sequence``); drawings keep one node
per step (``unroll_projected``), with the same numbers.

Why one node: a step of the per-step graph is five nodes (the xw[t] slice, the cell, the
h and c halves, the stack), each a Python call forward and backward; for a small layer
(H = 128) that bookkeeping costs about as much as the maths. Here a step is one matmul
and one gate kernel (minigraph/kernels.py); each step's gate gradient is written straight
into its place in the (N, T, kH) gradient of xw (no transposing add) and the recurrent
weight's gradient is one (H, N T) @ (N T, kH) matmul at the end.

Layout: time is the middle axis, as in the models: xw (N, T, kH) = x Wx + b of every
step, states out (N, T, H) for the RNN and (N, T, 2H) = [h_t, c_t] for the LSTM (like
LSTMStep's (N, 2H) output, one row per step). The LSTM keeps its gates time-major,
(T, N, 4H), so that each step's matmul writes contiguous rows.
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
        xw, c0 = np.ascontiguousarray(xw), np.ascontiguousarray(c0)  # the kernels' layout
        out = np.empty((N, T, 2 * H), xw.dtype)
        gates = np.empty((T, N, G), xw.dtype)
        tanh_c = np.empty((T, N, H), xw.dtype)
        for t in range(T):
            np.matmul(h0 if t == 0 else out[:, t - 1, :H], Wh, out=gates[t])
            kernels.lstm_forward(gates, xw, c0, out, tanh_c, t)
        self.saved = (h0, c0, Wh, out, gates, tanh_c)
        return out

    def backward(self, grad):
        h0, c0, Wh, out, gates, tanh_c = self.saved
        N, T, G = out.shape[0], out.shape[1], gates.shape[2]
        H = G // 4
        grad = np.ascontiguousarray(grad)
        da = np.empty((N, T, G), out.dtype)
        dh_next = np.zeros((N, H), out.dtype)
        dc_next = np.zeros((N, H), out.dtype)
        dc_prev = np.empty((N, H), out.dtype)
        for t in range(T - 1, -1, -1):
            kernels.lstm_backward(grad, dh_next, dc_next, gates, c0, out, tanh_c, da, dc_prev,
                                  t)
            np.matmul(da[:, t], Wh.T, out=dh_next)
            dc_next, dc_prev = dc_prev, dc_next
        return da, dh_next, dc_next, self._weight_grad(h0, out[:, :, :H], da)


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
