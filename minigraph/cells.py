"""Recurrent cells, built two ways with the same numbers.

``fused=False`` composes the cell from primitive ops (MatMul, Add, Sigmoid, Tanh, Mul):
the form a student draws. ``fused=True`` (the default) uses one fused step node with a
hand-derived backward: the form that trains fast. Weights follow cs231n: Wx (D, kH),
Wh (H, kH), b (kH,), with k = 1 (rnn), 4 (lstm: i, f, o, g) or 3 (gru: r, z, n).
"""

import numpy as np

from .node import constant, tags
from .ops import (
    gru_step,
    gru_step_projected,
    lstm_step,
    lstm_step_projected,
    matmul,
    rnn_step,
    rnn_step_projected,
    select_step,
    sigmoid,
    split,
    tanh,
    temporal_affine,
)

GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def _name(name, part):
    return f"{name}.{part}" if name else None


def rnn_cell(x, prev_h, Wx, Wh, b, fused=True, name=None):
    """next_h = tanh(x Wx + prev_h Wh + b)."""
    if fused:
        return rnn_step(x, prev_h, Wx, Wh, b, name=name)
    pre = matmul(x, Wx) + matmul(prev_h, Wh) + b
    return tanh(pre, name=name)


def lstm_cell(x, prev_h, prev_c, Wx, Wh, b, fused=True, name=None):
    """Returns (next_h, next_c): c = f * c + i * g, h = o * tanh(c)."""
    if fused:
        return lstm_step(x, prev_h, prev_c, Wx, Wh, b, name=name)
    H = prev_h.shape[1]
    pre = matmul(x, Wx) + matmul(prev_h, Wh) + b
    pre_i, pre_f, pre_o, pre_g = split(pre, (H, H, H, H))
    i, f, o = (sigmoid(p, name=_name(name, gate))
               for p, gate in zip((pre_i, pre_f, pre_o), "ifo"))
    g = tanh(pre_g, name=_name(name, "g"))
    next_c = f * prev_c + i * g
    next_h = o * tanh(next_c)
    next_c.name = _name(name, "c") or next_c.name
    next_h.name = name or next_h.name
    return next_h, next_c


def gru_cell(x, prev_h, Wx, Wh, b, fused=True, name=None):
    """r, z gates; n = tanh(x Wx_n + (r * h) Wh_n + b_n); next_h = (1 - z) * n + z * h."""
    if fused:
        return gru_step(x, prev_h, Wx, Wh, b, name=name)
    H = prev_h.shape[1]
    Wh_rz, Wh_n = split(Wh, (2 * H, H))
    x_rz, x_n = split(matmul(x, Wx) + b, (2 * H, H))
    r, z = split(sigmoid(x_rz + matmul(prev_h, Wh_rz)), (H, H),
                 names=(_name(name, "r"), _name(name, "z")))
    n = tanh(x_n + matmul(r * prev_h, Wh_n), name=_name(name, "n"))
    next_h = (1 - z) * n + z * prev_h
    next_h.name = name or next_h.name
    return next_h


def cell_step(cell, x, h, c, Wx, Wh, b, fused=True, name=None):
    """One step of any cell type; returns (next_h, next_c), next_c None except for lstm."""
    if cell == "lstm":
        return lstm_cell(x, h, c, Wx, Wh, b, fused=fused, name=name)
    if cell == "gru":
        return gru_cell(x, h, Wx, Wh, b, fused=fused, name=name), None
    if cell == "rnn":
        return rnn_cell(x, h, Wx, Wh, b, fused=fused, name=name), None
    raise ValueError(f"unknown cell type {cell!r}; choose one of {sorted(GATES)}")


def unroll(cell, x, h0, Wx, Wh, b, c0=None, fused=True, name="h"):
    """Run ``cell`` over every timestep of x (N, T, D) from h0 (and c0 for lstm; zeros when
    None). Returns (hs, h_T, c_T): the T hidden-state nodes, tagged t = 0..T-1, and the
    final state. The weights are the same nodes at every step: their gradients sum.

    Fused, the input projection x Wx + b of all timesteps is one TemporalAffine node named
    ``{name}.xw`` and each step is one ``...StepProjected`` node (see ``unroll_projected``);
    composed, each step is built from primitive ops. Both give the same numbers. The graph
    holds x itself either way: when x is an embedding lookup and you want the cheaper
    EmbeddingAffine, build it yourself and call ``unroll_projected``."""
    if cell not in GATES:
        raise ValueError(f"unknown cell type {cell!r}; choose one of {sorted(GATES)}")
    if fused:
        xw = temporal_affine(x, Wx, b, name=f"{name}.xw")
        return unroll_projected(cell, xw, h0, Wh, c0=c0, name=name)
    if cell == "lstm" and c0 is None:
        c0 = constant(np.zeros(h0.shape, h0.dtype), name="c0")
    h, c, hs = h0, c0, []
    for t in range(x.shape[1]):
        with tags(t=t):
            x_t = select_step(x, t, name=f"x[{t}]")
            h, c = cell_step(cell, x_t, h, c, Wx, Wh, b, fused=False, name=f"{name}[{t}]")
        hs.append(h)
    return hs, h, c


def unroll_projected(cell, xw, h0, Wh, c0=None, name="h"):
    """Run a fused ``cell`` over the input projections xw (N, T, kH) = x Wx + b of every
    timestep, already computed (a TemporalAffine, or one EmbeddingAffine node
    ``embedding_affine(ids, W_embed, Wx, b)`` when x is an embedding lookup). Each step is
    one ``...StepProjected`` node fed the slice ``xw[t]``. Returns (hs, h_T, c_T) like
    ``unroll``."""
    if cell not in GATES:
        raise ValueError(f"unknown cell type {cell!r}; choose one of {sorted(GATES)}")
    if cell == "lstm" and c0 is None:
        c0 = constant(np.zeros(h0.shape, h0.dtype), name="c0")
    h, c, hs = h0, c0, []
    for t in range(xw.shape[1]):
        with tags(t=t):
            xw_t = select_step(xw, t, name=f"xw[{t}]")
            step_name = f"{name}[{t}]"
            if cell == "lstm":
                h, c = lstm_step_projected(xw_t, h, c, Wh, name=step_name)
            elif cell == "gru":
                h = gru_step_projected(xw_t, h, Wh, name=step_name)
            else:
                h = rnn_step_projected(xw_t, h, Wh, name=step_name)
        hs.append(h)
    return hs, h, c
