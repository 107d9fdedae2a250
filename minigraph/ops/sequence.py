"""Whole-sequence recurrent layers: one node runs all T steps of a layer, forward and
backward. The training fast path (``minigraph.unroll_sequence``); drawings keep one node
per step (``unroll_projected``), with the same numbers.

Why one node: a step of the per-step graph is five nodes (the xw[t] slice, the cell, the
h and c halves, the stack), each a Python call forward and backward; for a small layer
(H = 128) that bookkeeping costs about as much as the maths. Here a step is one matmul
and one gate kernel (minigraph/fast/kernels.py); each step's gate gradient is written straight
into its place in the (N, T, kH) gradient of xw (no transposing add) and the recurrent
weight's gradient is one (H, N T) @ (N T, kH) matmul at the end.

Layout: time is the middle axis, as in the models: xw (N, T, kH) = x Wx + b of every
step, states out (N, T, H) for the RNN and (N, T, 2H) = [h_t, c_t] for the LSTM (like
LSTMStep's (N, 2H) output, one row per step). The LSTM keeps its gates time-major,
(T, N, 4H), so that each step's matmul writes contiguous rows.

Speed (minigraph/fast/): each direction's loop over time is one ``fast.sequence_loop``
call, compiled when it can be, else the numpy steps written here. The batch's rows are
independent through time, so ``fast.batch_parts`` may cut them into parts that run side
by side (``minigraph.set_threads``), each part all T steps.
"""

import numpy as np

from .. import fast
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
        return fast.matmul(prev_h.reshape(N * T, H).T, da.reshape(N * T, -1))


class RNNSequence(_Sequence):
    """h_t = tanh(xw_t + h_{t-1} Wh) for t = 0 .. T-1.
    Shapes: xw (N, T, H), h0 (N, H), Wh (H, H) -> hs (N, T, H)."""

    elementwise = 4

    def forward(self, xw, h0, Wh):
        xw, h0 = np.ascontiguousarray(xw), np.ascontiguousarray(h0)  # the compiled loop's
        hs = np.empty(xw.shape, xw.dtype)
        ranges = fast.batch_parts(xw.shape[0])

        def rows(p):
            lo, hi = ranges[p]
            self._forward_rows(xw[lo:hi], h0[lo:hi], Wh, hs[lo:hi])

        fast.run_parts(rows, len(ranges))
        self.saved = (h0, Wh, hs, ranges)
        return hs

    @staticmethod
    def _forward_rows(xw, h0, Wh, hs):
        fast.sequence_loop("rnn_forward_rows", RNNSequence._forward_steps, xw, h0, Wh, hs)

    @staticmethod
    def _forward_steps(xw, h0, Wh, hs):
        h = h0
        for t in range(xw.shape[1]):
            a = hs[:, t]
            np.matmul(h, Wh, out=a)
            a += xw[:, t]
            np.tanh(a, out=a)
            h = a

    def backward(self, grad):
        h0, Wh, hs, ranges = self.saved
        grad = np.ascontiguousarray(grad)
        da = np.empty(hs.shape, hs.dtype)
        dh0 = np.empty(h0.shape, hs.dtype)

        def rows(p):
            lo, hi = ranges[p]
            dh0[lo:hi] = self._backward_rows(grad[lo:hi], Wh, hs[lo:hi], da[lo:hi])

        fast.run_parts(rows, len(ranges))
        return da, dh0, self._weight_grad(h0, hs, da)

    @staticmethod
    def _backward_rows(grad, Wh, hs, da):
        dh = np.zeros((hs.shape[0], hs.shape[2]), hs.dtype)
        fast.sequence_loop("rnn_backward_rows", RNNSequence._backward_steps, grad, Wh, hs, da,
                           dh)
        return dh

    @staticmethod
    def _backward_steps(grad, Wh, hs, da, dh):
        # dh comes in as zeros and leaves as the gradient of h_0
        for t in range(hs.shape[1] - 1, -1, -1):
            h = hs[:, t]
            d = da[:, t]
            np.add(grad[:, t], dh, out=d)
            d *= 1 - h * h
            np.matmul(d, Wh.T, out=dh)


class LSTMSequence(_Sequence):
    """The LSTM over every step (gates i, f, o, g as LSTMStep).
    Shapes: xw (N, T, 4H), h0 (N, H), c0 (N, H), Wh (H, 4H) -> states (N, T, 2H), the
    h_t and c_t of each step side by side."""

    gates, states = 4, 2
    elementwise = 12

    def forward(self, xw, h0, c0, Wh):
        N, T, G = xw.shape
        H = G // 4
        # the kernels' layout
        xw, h0, c0 = (np.ascontiguousarray(a) for a in (xw, h0, c0))
        out = np.empty((N, T, 2 * H), xw.dtype)
        ranges = fast.batch_parts(N)
        # per thread's rows, time-major: each step's matmul writes contiguous rows
        gates = [np.empty((T, hi - lo, G), xw.dtype) for lo, hi in ranges]
        tanh_c = [np.empty((T, hi - lo, H), xw.dtype) for lo, hi in ranges]

        def rows(p):
            lo, hi = ranges[p]
            self._forward_rows(xw[lo:hi], h0[lo:hi], c0[lo:hi], Wh, out[lo:hi], gates[p],
                               tanh_c[p])

        fast.run_parts(rows, len(ranges))
        self.saved = (h0, c0, Wh, out, ranges, gates, tanh_c)
        return out

    @staticmethod
    def _forward_rows(xw, h0, c0, Wh, out, gates, tanh_c):
        fast.sequence_loop("lstm_forward_rows", LSTMSequence._forward_steps, xw, h0, c0, Wh,
                           out, gates, tanh_c)

    @staticmethod
    def _forward_steps(xw, h0, c0, Wh, out, gates, tanh_c):
        H = c0.shape[1]
        gate_kernel = fast.lstm_forward_kernel(gates, xw, c0, out, tanh_c)
        for t in range(xw.shape[1]):
            np.matmul(h0 if t == 0 else out[:, t - 1, :H], Wh, out=gates[t])
            gate_kernel(t)

    def backward(self, grad):
        h0, c0, Wh, out, ranges, gates, tanh_c = self.saved
        N, T, H = out.shape[0], out.shape[1], c0.shape[1]
        grad = np.ascontiguousarray(grad)
        da = np.empty((N, T, 4 * H), out.dtype)
        dh0, dc0 = np.empty((N, H), out.dtype), np.empty((N, H), out.dtype)

        def rows(p):
            lo, hi = ranges[p]
            self._backward_rows(grad[lo:hi], Wh, c0[lo:hi], out[lo:hi], gates[p], tanh_c[p],
                                da[lo:hi], dh0[lo:hi], dc0[lo:hi])

        fast.run_parts(rows, len(ranges))
        return da, dh0, dc0, self._weight_grad(h0, out[:, :, :H], da)

    @staticmethod
    def _backward_rows(grad, Wh, c0, out, gates, tanh_c, da, dh0, dc0):
        dh, dc, spare = (np.zeros(c0.shape, out.dtype) for _ in range(3))
        dc_0 = fast.sequence_loop("lstm_backward_rows", LSTMSequence._backward_steps, grad, Wh,
                                  c0, out, gates, tanh_c, da, dh, dc, spare)
        dh0[...], dc0[...] = dh, dc_0

    @staticmethod
    def _backward_steps(grad, Wh, c0, out, gates, tanh_c, da, dh, dc, spare):
        # dh and dc come in as zeros; dh leaves as the gradient of h_0, and the gradient of
        # c_0 is in dc or spare (the two take turns): returns that one
        gate_kernel = fast.lstm_backward_kernel(grad, gates, c0, out, tanh_c, da)
        dc_next, dc_prev = dc, spare
        for t in range(out.shape[1] - 1, -1, -1):
            gate_kernel(dh, dc_next, dc_prev, t)
            np.matmul(da[:, t], Wh.T, out=dh)
            dc_next, dc_prev = dc_prev, dc_next
        return dc_next


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
