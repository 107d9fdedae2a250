"""Fused cell steps agree with the same cells composed from primitive ops."""

import numpy as np
import pytest

import minigraph as mg
from minigraph.gradient_check import rel_error

N, D, H, T = 3, 5, 4, 6


def _unroll(cell, fused, seed=7):
    """A T-step sequence through ``cell``; returns the graph and its leaves."""
    rng = np.random.default_rng(seed)
    k = mg.GATES[cell]
    x = mg.input("x", value=rng.standard_normal((N, T, D)))
    Wx = mg.param(rng.standard_normal((D, k * H)) * 0.4, "Wx")
    Wh = mg.param(rng.standard_normal((H, k * H)) * 0.4, "Wh")
    b = mg.param(rng.standard_normal(k * H) * 0.4, "b")
    h = h0 = mg.input("h0", value=rng.standard_normal((N, H)))
    c = c0 = mg.input("c0", value=rng.standard_normal((N, H)))
    hs = []
    for t in range(T):
        xt = mg.select_step(x, t)
        if cell == "lstm":
            h, c = mg.lstm_cell(xt, h, c, Wx, Wh, b, fused=fused)
        elif cell == "gru":
            h = mg.gru_cell(xt, h, Wx, Wh, b, fused=fused)
        else:
            h = mg.rnn_cell(xt, h, Wx, Wh, b, fused=fused)
        hs.append(h)
    out = mg.stack(hs)
    leaves = [x, Wx, Wh, b, h0] + ([c0] if cell == "lstm" else [])
    return mg.Graph(out), out, leaves


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_fused_cell_matches_composed_cell_forward_and_backward(cell):
    results = {}
    for fused in (True, False):
        graph, out, leaves = _unroll(cell, fused)
        value = graph.forward().copy()
        upstream = np.random.default_rng(1).standard_normal(out.shape)
        graph.backward(upstream)
        results[fused] = (value, [leaf.grad.copy() for leaf in leaves])
    (fused_value, fused_grads), (composed_value, composed_grads) = results[True], results[False]
    assert rel_error(fused_value, composed_value) < 1e-10
    for fused_grad, composed_grad in zip(fused_grads, composed_grads, strict=True):
        assert rel_error(fused_grad, composed_grad) < 1e-10


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_composed_cell_has_many_more_nodes_than_fused(cell):
    fused_graph = _unroll(cell, True)[0]
    composed_graph = _unroll(cell, False)[0]
    assert len(composed_graph.op_nodes) > 2 * len(fused_graph.op_nodes)
    fused_ops = {type(n.op).__name__ for n in fused_graph.op_nodes}
    assert {"RNNStep": "rnn", "LSTMStep": "lstm", "GRUStep": "gru"}.keys() & fused_ops


def test_lstm_gate_order_is_i_f_o_g():
    """With only the forget-gate bias large and everything else zero, the cell keeps c."""
    H_ = 2
    b = np.zeros(4 * H_)
    b[H_:2 * H_] = 50.0  # f ~ 1
    b[:H_] = -50.0  # i ~ 0
    x = mg.input("x", value=np.ones((1, 1)))
    h0 = mg.input("h0", value=np.zeros((1, H_)))
    c0 = mg.input("c0", value=np.array([[0.3, -0.7]]))
    Wx = mg.param(np.zeros((1, 4 * H_)), "Wx")
    Wh = mg.param(np.zeros((H_, 4 * H_)), "Wh")
    h, c = mg.lstm_step(x, h0, c0, Wx, Wh, mg.param(b, "b"))
    graph = mg.Graph([h, c])
    graph.forward()
    np.testing.assert_allclose(c.value, c0.value, atol=1e-12)
    np.testing.assert_allclose(h.value, 0.5 * np.tanh(c0.value), atol=1e-12)  # o = sigmoid(0)


def _saturated_step(cell, fused, dtype, span):
    """One step whose gate pre-activations are exactly the biases, spread over [-span, span]
    (x = 0, and the weights that feed the sigmoid gates are 0): every gate saturates."""
    rng = np.random.default_rng(3)
    k, n, h_ = mg.GATES[cell], 2, 5
    b = rng.permutation(np.linspace(-span, span, k * h_)).astype(dtype)
    Wh = (rng.standard_normal((h_, k * h_)) * 0.5).astype(dtype)
    Wh[:, :(k - 1) * h_] = 0  # the sigmoid gates' columns (lstm i, f, o; gru r, z)
    if cell == "lstm":
        Wh[:] = 0
    x = mg.input("x", value=np.zeros((n, 3), dtype))
    h0 = mg.input("h0", value=rng.standard_normal((n, h_)).astype(dtype))
    c0 = mg.input("c0", value=rng.standard_normal((n, h_)).astype(dtype))
    Wx = mg.param((rng.standard_normal((3, k * h_)) * 0.5).astype(dtype), "Wx")
    Wh, b = mg.param(Wh, "Wh"), mg.param(b, "b")
    if cell == "lstm":
        out = mg.concat(mg.lstm_cell(x, h0, c0, Wx, Wh, b, fused=fused))
    else:
        out = mg.gru_cell(x, h0, Wx, Wh, b, fused=fused)
    graph = mg.Graph(out)
    value = graph.forward().copy()
    graph.backward(np.random.default_rng(4).standard_normal(out.shape).astype(dtype))
    return value, b.grad.copy(), [n.grad.copy() for n in (h0, Wx, Wh)]


@pytest.mark.parametrize("dtype, span, rtol", [(np.float64, 40.0, 1e-9),
                                               (np.float32, 20.0, 1e-4)])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_fused_cell_matches_composed_cell_with_saturated_gates(cell, dtype, span, rtol):
    """sigmoid(-40) = 4.2e-18: the fused gates must keep its digits, as the composed
    Sigmoid does, and so must the gate gradients s (1 - s) (compared entry by entry,
    relative to each entry, not to the largest)."""
    fused_value, fused_db, fused_grads = _saturated_step(cell, True, dtype, span)
    composed_value, composed_db, composed_grads = _saturated_step(cell, False, dtype, span)
    assert fused_value.dtype == dtype and fused_db.dtype == dtype
    np.testing.assert_allclose(fused_value, composed_value, rtol=rtol, atol=0)
    np.testing.assert_allclose(fused_db, composed_db, rtol=rtol, atol=0)
    assert np.min(np.abs(fused_db[fused_db != 0])) < 1e-7  # saturated gates were exercised
    for fused_grad, composed_grad in zip(fused_grads, composed_grads, strict=True):
        assert rel_error(fused_grad, composed_grad) < rtol
