"""Recurrent cells, built two ways with the same numbers.

``fused=False`` composes the cell from primitive ops (MatMul, Add, Sigmoid, Tanh, Mul):
the form a student draws. ``fused=True`` (the default) uses one fused step node with a
hand-derived backward: the form that trains fast. Weights follow cs231n: Wx (D, kH),
Wh (H, kH), b (kH,), with k = 1 (rnn), 4 (lstm: i, f, o, g) or 3 (gru: r, z, n).
"""

import numpy as np

from .errors import NotFoundError, ShapeError, UsageError
from .node import constant, tags
from .ops import (
    concat,
    gru_step,
    gru_step_projected,
    lstm_sequence,
    lstm_step,
    lstm_step_projected,
    matmul,
    rnn_sequence,
    rnn_step,
    rnn_step_projected,
    select_step,
    sigmoid,
    split,
    tanh,
    temporal_affine,
)


class _CellTable(dict):
    """{cell name: value}; an unknown name is a NotFoundError listing the cells."""

    def __missing__(self, cell):
        raise NotFoundError(f"unknown cell type {cell!r}; choose one of {sorted(self)}")


GATES = _CellTable(rnn=1, lstm=4, gru=3)  # gate blocks of H columns per cell


def _name(name, part):
    return f"{name}.{part}" if name else None


def rnn_cell(x, prev_h, Wx, Wh, b, fused=True, name=None):
    """next_h = tanh(x Wx + prev_h Wh + b).
    Shapes: x (N, D), prev_h (N, H), Wx (D, H), Wh (H, H), b (H,) -> (N, H)."""
    if fused:
        return rnn_step(x, prev_h, Wx, Wh, b, name=name)
    pre = matmul(x, Wx) + matmul(prev_h, Wh) + b
    return tanh(pre, name=name)


def lstm_cell(x, prev_h, prev_c, Wx, Wh, b, fused=True, name=None):
    """Returns (next_h, next_c): c = f * c + i * g, h = o * tanh(c), gates i, f, o, g.
    Shapes: x (N, D), prev_h (N, H), prev_c (N, H), Wx (D, 4H), Wh (H, 4H), b (4H,)
    -> (N, H), (N, H)."""
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
    """r, z gates; n = tanh(x Wx_n + (r * h) Wh_n + b_n); next_h = (1 - z) * n + z * h.
    Shapes: x (N, D), prev_h (N, H), Wx (D, 3H), Wh (H, 3H), b (3H,) -> (N, H)."""
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
    """One step of any cell type; returns (next_h, next_c), next_c None except for lstm.
    Shapes: as the cell's own function, with k = GATES[cell] gate blocks of H columns."""
    if cell == "lstm":
        return lstm_cell(x, h, c, Wx, Wh, b, fused=fused, name=name)
    if cell == "gru":
        return gru_cell(x, h, Wx, Wh, b, fused=fused, name=name), None
    if cell == "rnn":
        return rnn_cell(x, h, Wx, Wh, b, fused=fused, name=name), None
    raise UsageError(f"unknown cell type {cell!r}; choose one of {sorted(GATES)}")


def _check_sequence(where, x, h0):
    """T = 0 or H = 0 would build an empty or degenerate graph: refuse them by name."""
    if len(x.shape) != 3 or x.shape[1] == 0:
        raise ShapeError(f"{where}: the sequence '{x.name}' {x.shape} must be (N, T, D) with "
                         "T >= 1 timesteps")
    if 0 in h0.shape:
        raise ShapeError(f"{where}: the state '{h0.name}' {h0.shape} has a zero-size axis; the "
                         "hidden size H must be at least 1")


def unroll(cell, x, h0, Wx, Wh, b, c0=None, fused=True, name="h", reverse=False):
    """Run ``cell`` over every timestep of x (N, T, D) from h0 (and c0 for lstm; zeros when
    None). Returns (hs, h_T, c_T): the T hidden-state nodes (N, H), tagged t = 0..T-1, and
    the final state. The weights are the same nodes at every step: their gradients sum.

    ``reverse=True`` runs from t = T-1 down to 0 (the second direction of a bidirectional
    RNN): hs[t] is still the state at time t, having read x[t], ..., x[T-1], and the final
    state is the one after x[0].

    Fused, the input projection x Wx + b of all timesteps is one TemporalAffine node named
    ``{name}.xw`` and each step is one ``...StepProjected`` node (see ``unroll_projected``);
    composed, each step is built from primitive ops. Both give the same numbers. The graph
    holds x itself either way: when x is an embedding lookup and you want the cheaper
    EmbeddingAffine, build it yourself and call ``unroll_projected``."""
    if cell not in GATES:
        raise UsageError(f"unknown cell type {cell!r}; choose one of {sorted(GATES)}")
    _check_sequence("unroll", x, h0)
    if fused:
        xw = temporal_affine(x, Wx, b, name=f"{name}.xw")
        return unroll_projected(cell, xw, h0, Wh, c0=c0, name=name, reverse=reverse)
    c0 = _initial_cell_state(cell, h0, c0)
    h, c, hs = h0, c0, [None] * x.shape[1]
    for t in _time_order(x.shape[1], reverse):
        with tags(t=t):
            x_t = select_step(x, t, name=f"x[{t}]")
            h, c = cell_step(cell, x_t, h, c, Wx, Wh, b, fused=False, name=f"{name}[{t}]")
        hs[t] = h
    return hs, h, c


def _initial_cell_state(cell, h0, c0):
    """The LSTM's c0 defaults to zeros (cs231n and torch.nn.LSTM); other cells have none."""
    if cell == "lstm" and c0 is None:
        return constant(np.zeros(h0.shape, h0.dtype), name="c0")
    return c0


def _time_order(T, reverse):
    return range(T - 1, -1, -1) if reverse else range(T)


def unroll_projected(cell, xw, h0, Wh, c0=None, name="h", reverse=False):
    """Run a fused ``cell`` over the input projections xw (N, T, kH) = x Wx + b of every
    timestep, already computed (a TemporalAffine, or one EmbeddingAffine node
    ``embedding_affine(ids, W_embed, Wx, b)`` when x is an embedding lookup). Each step is
    one ``...StepProjected`` node fed the slice ``xw[t]``. Returns (hs, h_T, c_T) like
    ``unroll``, and runs from t = T-1 down to 0 when ``reverse`` is set."""
    if cell not in GATES:
        raise UsageError(f"unknown cell type {cell!r}; choose one of {sorted(GATES)}")
    _check_sequence("unroll_projected", xw, h0)
    c0 = _initial_cell_state(cell, h0, c0)
    h, c, hs = h0, c0, [None] * xw.shape[1]
    for t in _time_order(xw.shape[1], reverse):
        with tags(t=t):
            xw_t = select_step(xw, t, name=f"xw[{t}]")
            step_name = f"{name}[{t}]"
            if cell == "lstm":
                h, c = lstm_step_projected(xw_t, h, c, Wh, name=step_name)
            elif cell == "gru":
                h = gru_step_projected(xw_t, h, Wh, name=step_name)
            else:
                h = rnn_step_projected(xw_t, h, Wh, name=step_name)
        hs[t] = h
    return hs, h, c


SEQUENCE_CELLS = ("rnn", "lstm")  # cells with a whole-sequence node (minigraph/ops/sequence.py)


def unroll_sequence(cell, xw, h0, Wh, c0=None, name="h"):
    """``unroll_projected`` as one node for all T steps (the training fast path, same
    numbers): returns (hs, h_T, c_T) with hs one (N, T, H) node instead of T nodes, c_T
    None except for lstm. For ``cell`` in SEQUENCE_CELLS ('rnn', 'lstm').
    Shapes: xw (N, T, kH), h0 (N, H), Wh (H, kH) [, c0 (N, H)] -> (N, T, H), (N, H)."""
    if cell not in SEQUENCE_CELLS:
        raise UsageError(f"unroll_sequence: no whole-sequence node for cell {cell!r}; "
                         f"choose one of {list(SEQUENCE_CELLS)} or use unroll_projected")
    _check_sequence("unroll_sequence", xw, h0)
    if cell == "lstm":
        c0 = _initial_cell_state(cell, h0, c0)
        return lstm_sequence(xw, h0, c0, Wh, name=name)
    hs = rnn_sequence(xw, h0, Wh, name=name)
    return hs, select_step(hs, xw.shape[1] - 1, name=f"{name}.h_T"), None


def bidirectional(cell, x, h0, forward_weights, backward_weights, c0=None, fused=True,
                  name="h"):
    """A bidirectional RNN: ``cell`` unrolled left to right with ``forward_weights`` and
    right to left with ``backward_weights`` (each a tuple Wx, Wh, b), the two states
    concatenated at every step.

    x is (N, T, D); h0 (and c0 for lstm, zeros when None) starts both directions, or give
    a (forward, backward) pair. Returns (hs, forward_final, backward_final): T nodes
    (N, 2H) named h[t] and tagged t, hs[t] = [h_fwd[t], h_bwd[t]] (h_bwd[t] has read
    x[t:]), and each direction's final (h, c), c None except for lstm."""
    h0_fwd, h0_bwd = h0 if isinstance(h0, (tuple, list)) else (h0, h0)
    if cell == "lstm" and c0 is None:
        c0 = constant(np.zeros(h0_fwd.shape, h0_fwd.dtype), name="c0")
    c0_fwd, c0_bwd = c0 if isinstance(c0, (tuple, list)) else (c0, c0)
    fwd, h_fwd, c_fwd = unroll(cell, x, h0_fwd, *forward_weights, c0=c0_fwd, fused=fused,
                               name=f"{name}_fwd")
    bwd, h_bwd, c_bwd = unroll(cell, x, h0_bwd, *backward_weights, c0=c0_bwd, fused=fused,
                               name=f"{name}_bwd", reverse=True)
    hs = []
    for t, (a, b) in enumerate(zip(fwd, bwd)):
        with tags(t=t):
            hs.append(concat([a, b], name=f"{name}[{t}]"))
    return hs, (h_fwd, c_fwd), (h_bwd, c_bwd)
