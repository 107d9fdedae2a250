"""Fused cell steps agree with the same cells composed from primitive ops."""

import numpy as np
import pytest

import minigraph as mg
from minigraph.gradient_check import check_graph, rel_error

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
def test_fused_cell_is_one_step_node_of_its_own_type_composed_has_many_more(cell):
    fused_graph = _unroll(cell, True)[0]
    composed_graph = _unroll(cell, False)[0]
    assert len(composed_graph.op_nodes) > 2 * len(fused_graph.op_nodes)
    own_step = {"rnn": mg.RNNStep, "lstm": mg.LSTMStep, "gru": mg.GRUStep}[cell]
    fused_steps = [n for n in fused_graph.op_nodes if n.op.category == "recurrent"]
    assert len(fused_steps) == T and all(type(n.op) is own_step for n in fused_steps)
    assert all(n.op.category != "recurrent" for n in composed_graph.op_nodes)


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


def _sequence_and_weights(cell, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    k = mg.GATES[cell]
    x = rng.standard_normal((N, T, D)).astype(dtype)
    weights = [(rng.standard_normal(shape) * 0.4).astype(dtype)
               for shape in ((D, k * H), (H, k * H), (k * H,))]
    return x, weights


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_reverse_unroll_equals_a_forward_unroll_of_the_reversed_sequence(cell, fused):
    x, weights = _sequence_and_weights(cell, 5)
    h0 = np.random.default_rng(6).standard_normal((N, H))
    runs = {}
    for reverse, fed in ((True, x), (False, x[:, ::-1].copy())):
        hs, h_last, _ = mg.unroll(cell, mg.input("x", value=fed), mg.input("h0", value=h0),
                                  *(mg.param(w, n) for w, n in zip(weights, "Wx Wh b".split())),
                                  fused=fused, reverse=reverse)
        graph = mg.Graph([mg.stack(hs), h_last])
        graph.forward()
        runs[reverse] = ([h.value for h in hs], h_last.value,
                         [hs[t].tags["t"] for t in range(T)])
    (rev_hs, rev_last, rev_tags), (fwd_hs, fwd_last, _) = runs[True], runs[False]
    assert rev_tags == list(range(T))
    for t in range(T):  # h[t] of the reverse run has read x[t:], as the forward run of the
        # reversed sequence has after its step T - 1 - t
        np.testing.assert_allclose(rev_hs[t], fwd_hs[T - 1 - t], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(rev_last, rev_hs[0], rtol=0, atol=0)
    np.testing.assert_allclose(rev_last, fwd_last, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_bidirectional_concatenates_both_directions_and_passes_a_gradient_check(cell):
    x, forward_weights = _sequence_and_weights(cell, 8)
    _, backward_weights = _sequence_and_weights(cell, 9)
    fwd = [mg.param(w, f"{n}_fwd") for w, n in zip(forward_weights, ("Wx", "Wh", "b"))]
    bwd = [mg.param(w, f"{n}_bwd") for w, n in zip(backward_weights, ("Wx", "Wh", "b"))]
    x_node = mg.input("x", value=x)
    h0 = mg.input("h0", value=np.zeros((N, H)))
    hs, (h_fwd, _), (h_bwd, _) = mg.bidirectional(cell, x_node, h0, fwd, bwd)
    assert [h.name for h in hs] == [f"h[{t}]" for t in range(T)]
    assert all(h.shape == (N, 2 * H) and h.tags["t"] == t for t, h in enumerate(hs))
    out = mg.stack(hs)
    graph = mg.Graph(out)
    both = graph.forward().copy()
    alone = {}
    for direction, params, reverse in (("fwd", fwd, False), ("bwd", bwd, True)):
        one, _, _ = mg.unroll(cell, x_node, h0, *params, name=direction, reverse=reverse)
        alone[direction] = mg.Graph(mg.stack(one)).forward()
    np.testing.assert_array_equal(both[..., :H], alone["fwd"])
    np.testing.assert_array_equal(both[..., H:], alone["bwd"])
    np.testing.assert_array_equal(h_bwd.value, alone["bwd"][:, 0])
    errors = check_graph(mg.Graph(mg.sum(out * mg.constant(
        np.random.default_rng(2).standard_normal(out.shape)))), wrt=fwd + bwd + [x_node])
    assert max(errors.values()) < 1e-7, errors
