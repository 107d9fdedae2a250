"""Fused recurrent cell steps with hand-derived backward: RNNStep, LSTMStep, GRUStep.

Each is one node doing what the composed cell (minigraph.cells) does in a dozen, with the
same numbers. All take x (N, D), the previous state, Wx (D, kH), Wh (H, kH) and b (kH,).
"""

import numpy as np

from ..op import Op, apply
from .math import stable_sigmoid
from .shape import split


class _Step(Op):
    gates = 1  # columns of Wx, Wh and b per hidden unit
    states = 1  # how many (N, H) state inputs follow x

    def infer(self, x, *rest):
        states, (Wx, Wh, b) = rest[:self.states], rest[self.states:]
        inputs = (x, *states, Wx, Wh, b)
        dtype = self.same_float_dtype(inputs)
        N, H = states[0].shape if states[0].ndim == 2 else (None, None)
        k = self.gates
        ok = (x.ndim == 2 and x.shape[0] == N and H is not None
              and all(s.shape == (N, H) for s in states)
              and Wx.shape == (x.shape[1], k * H) and Wh.shape == (H, k * H)
              and b.shape == (k * H,))
        if not ok:
            state_names = ", ".join(f"{s.name} (N, H)" for s in states)
            self.fail(inputs, f"needs x (N, D), {state_names}, Wx (D, {k}H), Wh (H, {k}H), "
                      f"b ({k}H,)")
        return (N, self.states * H), dtype


class RNNStep(_Step):
    """next_h = tanh(x Wx + prev_h Wh + b). Shapes: x (N, D), prev_h (N, H) -> (N, H)."""

    def forward(self, x, prev_h, Wx, Wh, b):
        next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
        self.saved = (x, prev_h, Wx, Wh, next_h)
        return next_h

    def backward(self, grad):
        x, prev_h, Wx, Wh, next_h = self.saved
        da = grad * (1 - next_h * next_h)
        return da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=0)


class LSTMStep(_Step):
    """One LSTM step; gate columns in cs231n's order i, f, o, g.

    Shapes: x (N, D), prev_h (N, H), prev_c (N, H) -> (N, 2H), the next h and c side by
    side (``lstm_step`` splits them into two nodes).
    """

    gates, states = 4, 2

    def forward(self, x, prev_h, prev_c, Wx, Wh, b):
        H = prev_h.shape[1]
        a = x @ Wx + prev_h @ Wh + b
        ifo = stable_sigmoid(a[:, :3 * H])
        g = np.tanh(a[:, 3 * H:])
        i, f, o = ifo[:, :H], ifo[:, H:2 * H], ifo[:, 2 * H:]
        next_c = f * prev_c + i * g
        tanh_c = np.tanh(next_c)
        out = np.concatenate([o * tanh_c, next_c], axis=1)
        self.saved = (x, prev_h, prev_c, Wx, Wh, ifo, g, tanh_c)
        return out

    def backward(self, grad):
        x, prev_h, prev_c, Wx, Wh, ifo, g, tanh_c = self.saved
        H = prev_h.shape[1]
        i, f, o = ifo[:, :H], ifo[:, H:2 * H], ifo[:, 2 * H:]
        dnext_h, dnext_c = grad[:, :H], grad[:, H:]
        dc = dnext_c + dnext_h * o * (1 - tanh_c * tanh_c)
        dgates = np.concatenate([dc * g, dc * prev_c, dnext_h * tanh_c], axis=1)
        da = np.concatenate([dgates * ifo * (1 - ifo), dc * i * (1 - g * g)], axis=1)
        return (da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, prev_h.T @ da, da.sum(axis=0))


class GRUStep(_Step):
    """One GRU step; gate columns r (reset), z (update), n (candidate).

    r = sigmoid(x Wx_r + h Wh_r + b_r), z = sigmoid(x Wx_z + h Wh_z + b_z),
    n = tanh(x Wx_n + (r * h) Wh_n + b_n), next_h = (1 - z) * n + z * h.
    The reset gate acts on h before its matmul (Cho et al., 2014).
    Shapes: x (N, D), prev_h (N, H) -> (N, H).
    """

    gates = 3

    def forward(self, x, prev_h, Wx, Wh, b):
        H = prev_h.shape[1]
        ax = x @ Wx + b
        rz = stable_sigmoid(ax[:, :2 * H] + prev_h @ Wh[:, :2 * H])
        r, z = rz[:, :H], rz[:, H:]
        reset_h = r * prev_h
        n = np.tanh(ax[:, 2 * H:] + reset_h @ Wh[:, 2 * H:])
        self.saved = (x, prev_h, Wx, Wh, rz, n, reset_h)
        return (1 - z) * n + z * prev_h

    def backward(self, grad):
        x, prev_h, Wx, Wh, rz, n, reset_h = self.saved
        H = prev_h.shape[1]
        r, z = rz[:, :H], rz[:, H:]
        dn = grad * (1 - z) * (1 - n * n)
        dreset_h = dn @ Wh[:, 2 * H:].T
        drz = np.concatenate([dreset_h * prev_h, grad * (prev_h - n)], axis=1) * rz * (1 - rz)
        da = np.concatenate([drz, dn], axis=1)
        dprev_h = grad * z + dreset_h * r + drz @ Wh[:, :2 * H].T
        dWh = np.concatenate([prev_h.T @ drz, reset_h.T @ dn], axis=1)
        return da @ Wx.T, dprev_h, x.T @ da, dWh, da.sum(axis=0)


def rnn_step(x, prev_h, Wx, Wh, b, name=None):
    return apply(RNNStep(), x, prev_h, Wx, Wh, b, name=name)


def lstm_step(x, prev_h, prev_c, Wx, Wh, b, name=None):
    """Returns (next_h, next_c) as two nodes cut from one fused LSTMStep node."""
    state = apply(LSTMStep(), x, prev_h, prev_c, Wx, Wh, b,
                  name=f"{name}.state" if name else None)
    H = prev_h.shape[1]
    return split(state, (H, H), names=(name, f"{name}.c" if name else None))


def gru_step(x, prev_h, Wx, Wh, b, name=None):
    return apply(GRUStep(), x, prev_h, Wx, Wh, b, name=name)
