"""Fused recurrent cell steps with hand-derived backward: RNN, LSTM and GRU.

Each is one node doing what the composed cell (minigraph.cells) does in a dozen, with the
same numbers. Every cell comes in two forms sharing one core:

- ``RNNStep(x, prev_h, Wx, Wh, b)``, ``LSTMStep(x, prev_h, prev_c, Wx, Wh, b)``,
  ``GRUStep(x, prev_h, Wx, Wh, b)``: the cs231n step, x (N, D), Wx (D, kH), Wh (H, kH),
  b (kH,);
- ``...Projected(xw, prev_h[, prev_c], Wh)``: the same step given xw = x Wx + b (N, kH)
  already computed. ``unroll`` computes xw for all timesteps in one TemporalAffine
  matmul and feeds each step its slice: the same numbers, fewer and larger matmuls.
"""

import numpy as np

from ..fast import lstm_gates_backward, sigmoid_  # sigmoid_: also exported by minigraph.ops
from ..op import Op, ProductGrad, apply
from .shape import split


class _Core:
    """The maths of one cell type from xw = x Wx + b: core_forward and core_backward."""

    gates = 1  # columns of Wx, Wh and b per hidden unit
    states = 1  # (N, H) state inputs
    elementwise = 4  # operations per hidden unit and example besides the matmuls


class _RNNCore(_Core):
    def core_forward(self, xw, prev_h, Wh):
        next_h = xw + prev_h @ Wh
        np.tanh(next_h, out=next_h)
        return next_h, (prev_h, Wh, next_h)

    def core_backward(self, grad, saved):
        prev_h, Wh, next_h = saved
        da = grad * (1 - next_h * next_h)
        return da, (da @ Wh.T,), ProductGrad(prev_h, da)


class _LSTMCore(_Core):
    """Works on the transposed state, (4H, N) gates and (2H, N) h|c: each gate is then a
    block of whole rows, so every elementwise pass runs over contiguous memory (2-3x
    faster than over column slices of (N, 4H)), and Wh.T @ h.T is the faster matmul form.
    The output is the (N, 2H) transpose view of that buffer (F-ordered); ``layout`` asks
    the engine to allocate its gradient the same way."""

    gates, states = 4, 2
    elementwise = 12
    layout = "F"

    def core_forward(self, xw, prev_h, prev_c, Wh):
        H = prev_h.shape[1]
        gates = Wh.T @ prev_h.T  # (4H, N): i, f, o (sigmoid) and g (tanh), in place
        gates += xw.T
        sigmoid_(gates[:3 * H])
        np.tanh(gates[3 * H:], out=gates[3 * H:])
        i, f, o, g = gates[:H], gates[H:2 * H], gates[2 * H:3 * H], gates[3 * H:]
        state = np.empty((2 * H, prev_h.shape[0]), dtype=xw.dtype)
        next_c = state[H:]
        np.multiply(f, prev_c.T, out=next_c)
        next_c += i * g
        tanh_c = np.tanh(next_c)
        np.multiply(o, tanh_c, out=state[:H])
        return state.T, (prev_h, prev_c, Wh, gates, tanh_c)

    def core_backward(self, grad, saved):
        prev_h, prev_c, Wh, gates, tanh_c = saved
        H = prev_h.shape[1]
        da = np.empty_like(gates)  # (4H, N), like gates
        dc = np.empty_like(tanh_c)  # (H, N): the gradient of prev_c, transposed
        # the gate maths works on (N, 4H) and (N, H): the transposed views of these
        lstm_gates_backward(grad[:, :H], grad[:, H:], gates.T, tanh_c.T, prev_c, da.T, dc.T)
        return da.T, ((Wh @ da).T, dc.T), ProductGrad(prev_h, da.T)


class _GRUCore(_Core):
    """r = sigmoid(.), z = sigmoid(.), n = tanh(xw_n + (r * h) Wh_n), next_h = (1-z) n + z h."""

    gates = 3
    elementwise = 10

    def core_forward(self, xw, prev_h, Wh):
        H = prev_h.shape[1]
        rz = xw[:, :2 * H] + prev_h @ Wh[:, :2 * H]
        sigmoid_(rz)
        r, z = rz[:, :H], rz[:, H:]
        reset_h = r * prev_h
        n = xw[:, 2 * H:] + reset_h @ Wh[:, 2 * H:]
        np.tanh(n, out=n)
        next_h = prev_h - n
        next_h *= z
        next_h += n
        return next_h, (prev_h, Wh, rz, n, reset_h)

    def core_backward(self, grad, saved):
        prev_h, Wh, rz, n, reset_h = saved
        H = prev_h.shape[1]
        r, z = rz[:, :H], rz[:, H:]
        da = np.empty((prev_h.shape[0], 3 * H), dtype=grad.dtype)
        dn = da[:, 2 * H:]
        np.multiply(grad, 1 - z, out=dn)
        dn *= 1 - n * n
        dreset_h = dn @ Wh[:, 2 * H:].T
        np.multiply(dreset_h, prev_h, out=da[:, :H])
        np.multiply(grad, prev_h - n, out=da[:, H:2 * H])
        da[:, :2 * H] *= rz * (1 - rz)
        dprev_h = grad * z
        dprev_h += dreset_h * r
        dprev_h += da[:, :2 * H] @ Wh[:, :2 * H].T
        dWh = np.concatenate([prev_h.T @ da[:, :2 * H], reset_h.T @ dn], axis=1)
        return da, (dprev_h,), dWh


class _Step(Op):
    """The cs231n form: inputs (x, *states, Wx, Wh, b)."""

    category = "recurrent"

    def infer(self, x, *rest):
        states, (Wx, Wh, b) = rest[:self.states], rest[self.states:]
        inputs = (x, *states, Wx, Wh, b)
        dtype = self.same_float_dtype(inputs)
        N, H = _state_shape(states)
        k = self.gates
        ok = (x.ndim == 2 and x.shape[0] == N and H is not None
              and Wx.shape == (x.shape[1], k * H) and Wh.shape == (H, k * H)
              and b.shape == (k * H,))
        if not ok:
            self.fail(inputs, f"needs x (N, D), {_state_text(states)}, Wx (D, {k}H), "
                      f"Wh (H, {k}H), b ({k}H,)")
        return (N, self.states * H), dtype

    def forward(self, x, *rest):
        states, (Wx, Wh, b) = rest[:self.states], rest[self.states:]
        out, core = self.core_forward(x @ Wx + b, *states, Wh)
        self.saved = (x, Wx, core)
        return out

    def backward(self, grad):
        x, Wx, core = self.saved
        da, dstates, dWh = self.core_backward(grad, core)
        return (da @ Wx.T, *dstates, x.T @ da, dWh, da.sum(axis=0))

    def flops(self, node):
        (n, d), h = node.inputs[0].shape, node.inputs[1].shape[1]
        kh = self.gates * h
        return 2 * n * (d + h) * kh + n * kh + self.elementwise * n * h


class _Projected(Op):
    """The projected form: inputs (xw, *states, Wh) with xw = x Wx + b given."""

    category = "recurrent"

    def infer(self, xw, *rest):
        states, Wh = rest[:self.states], rest[self.states]
        inputs = (xw, *states, Wh)
        dtype = self.same_float_dtype(inputs)
        N, H = _state_shape(states)
        k = self.gates
        if H is None or xw.shape != (N, k * H) or Wh.shape != (H, k * H):
            self.fail(inputs, f"needs xw (N, {k}H), {_state_text(states)}, Wh (H, {k}H)")
        return (N, self.states * H), dtype

    def forward(self, xw, *rest):
        out, core = self.core_forward(xw, *rest)  # the core never writes into xw
        self.saved = core
        return out

    def backward(self, grad):
        da, dstates, dWh = self.core_backward(grad, self.saved)
        return (da, *dstates, dWh)

    def flops(self, node):
        """The hidden matmul and the gates; xw's projection is counted in its own node."""
        n, h = node.inputs[1].shape
        return 2 * n * h * self.gates * h + self.elementwise * n * h


def _state_shape(states):
    first = states[0]
    if first.ndim != 2 or any(s.shape != first.shape for s in states):
        return None, None
    return first.shape


def _state_text(states):
    return ", ".join(f"{s.name} (N, H)" for s in states)


class RNNStep(_RNNCore, _Step):
    """next_h = tanh(x Wx + prev_h Wh + b). Shapes: x (N, D), prev_h (N, H) -> (N, H)."""


class LSTMStep(_LSTMCore, _Step):
    """One LSTM step; gate columns in cs231n's order i, f, o, g.

    Shapes: x (N, D), prev_h (N, H), prev_c (N, H) -> (N, 2H), the next h and c side by
    side (``lstm_step`` splits them into two nodes).
    """


class GRUStep(_GRUCore, _Step):
    """One GRU step; gate columns r (reset), z (update), n (candidate).

    r = sigmoid(x Wx_r + h Wh_r + b_r), z = sigmoid(x Wx_z + h Wh_z + b_z),
    n = tanh(x Wx_n + (r * h) Wh_n + b_n), next_h = (1 - z) * n + z * h.
    The reset gate acts on h before its matmul (Cho et al., 2014).
    Shapes: x (N, D), prev_h (N, H) -> (N, H).
    """


class RNNStepProjected(_RNNCore, _Projected):
    """RNNStep given xw = x Wx + b (N, H): inputs (xw, prev_h, Wh) -> (N, H)."""


class LSTMStepProjected(_LSTMCore, _Projected):
    """LSTMStep given xw = x Wx + b (N, 4H): inputs (xw, prev_h, prev_c, Wh) -> (N, 2H)."""


class GRUStepProjected(_GRUCore, _Projected):
    """GRUStep given xw = x Wx + b (N, 3H): inputs (xw, prev_h, Wh) -> (N, H)."""


def rnn_step(x, prev_h, Wx, Wh, b, name=None):
    """One fused vanilla RNN step, next_h = tanh(x Wx + prev_h Wh + b).
    Shapes: x (N, D), prev_h (N, H), Wx (D, H), Wh (H, H), b (H,) -> (N, H)."""
    return apply(RNNStep(), x, prev_h, Wx, Wh, b, name=name)


def _split_state(state, H, name):
    return split(state, (H, H), names=(name, f"{name}.c" if name else None))


def lstm_step(x, prev_h, prev_c, Wx, Wh, b, name=None):
    """One fused LSTM step (gates i, f, o, g); returns (next_h, next_c) as two nodes cut
    from one LSTMStep node. Shapes: x (N, D), prev_h (N, H), prev_c (N, H), Wx (D, 4H),
    Wh (H, 4H), b (4H,) -> (N, H), (N, H)."""
    state = apply(LSTMStep(), x, prev_h, prev_c, Wx, Wh, b,
                  name=f"{name}.state" if name else None)
    return _split_state(state, prev_h.shape[1], name)


def gru_step(x, prev_h, Wx, Wh, b, name=None):
    """One fused GRU step (gates r, z, n). Shapes: x (N, D), prev_h (N, H), Wx (D, 3H),
    Wh (H, 3H), b (3H,) -> (N, H)."""
    return apply(GRUStep(), x, prev_h, Wx, Wh, b, name=name)


def rnn_step_projected(xw, prev_h, Wh, name=None):
    """``rnn_step`` given xw = x Wx + b. Shapes: xw (N, H), prev_h (N, H), Wh (H, H)
    -> (N, H)."""
    return apply(RNNStepProjected(), xw, prev_h, Wh, name=name)


def lstm_step_projected(xw, prev_h, prev_c, Wh, name=None):
    """``lstm_step`` given xw = x Wx + b; returns (next_h, next_c). Shapes: xw (N, 4H),
    prev_h (N, H), prev_c (N, H), Wh (H, 4H) -> (N, H), (N, H)."""
    state = apply(LSTMStepProjected(), xw, prev_h, prev_c, Wh,
                  name=f"{name}.state" if name else None)
    return _split_state(state, prev_h.shape[1], name)


def gru_step_projected(xw, prev_h, Wh, name=None):
    """``gru_step`` given xw = x Wx + b. Shapes: xw (N, 3H), prev_h (N, H), Wh (H, 3H)
    -> (N, H)."""
    return apply(GRUStepProjected(), xw, prev_h, Wh, name=name)
