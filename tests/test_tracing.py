"""The engine's trace: every contribution of a real backward, with norms taken as it
happens, summing to the engine's own gradients."""

import numpy as np
import pytest

import minigraph as mg
from minigraph import tracing

N, T, D, H = 2, 3, 3, 4


def _rnn(cell="rnn", fused=False, seed=0):
    rng = np.random.default_rng(seed)
    k = mg.GATES[cell]
    x = mg.input("x", value=rng.standard_normal((N, T, D)))
    h = mg.input("h0", value=rng.standard_normal((N, H)), requires_grad=False)
    c = mg.constant(np.zeros((N, H)), "c0") if cell == "lstm" else None
    Wx = mg.param(rng.standard_normal((D, k * H)) * 0.5, "Wx")
    Wh = mg.param(rng.standard_normal((H, k * H)) * 0.5, "Wh")
    b = mg.param(rng.standard_normal(k * H) * 0.1, "b")
    hs = []
    for t in range(T):
        with mg.tags(t=t):
            h, c = mg.cell_step(cell, mg.select_step(x, t, name=f"x[{t}]"), h, c, Wx, Wh, b,
                                fused=fused, name=f"h[{t}]")
        hs.append(h)
    y = mg.input("y", value=rng.standard_normal((N, T, H)), requires_grad=False)
    error = mg.stack(hs, name="h") - y
    return mg.Graph(mg.sum(error * error, name="loss")), Wh


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("fused", [False, True])
def test_trace_sums_to_the_engine_gradient_of_every_node(cell, fused):
    graph, _ = _rnn(cell, fused)
    with mg.trace() as record:
        graph.forward()
        graph.backward(retain_graph=True)
    compared = 0
    for node in graph.nodes:
        if node.grad is not None:
            np.testing.assert_allclose(record.gradient(node), node.grad, rtol=1e-12,
                                       atol=1e-14)
            compared += 1
    assert compared > len(graph.params)
    run = record.run()
    # the total after a node's last contribution is the norm of its whole gradient
    last = {c.target: c for step in run.steps for c in step.sent}
    for node, contribution in last.items():
        assert contribution.total == pytest.approx(np.linalg.norm(node.grad), rel=1e-12)


def test_one_step_per_op_node_in_the_engine_order():
    graph, _ = _rnn("lstm", fused=False)
    with mg.trace() as record:
        graph.forward()
        graph.backward()
    steps = record.run().steps
    assert [s.node for s in steps] == list(reversed(graph.op_nodes))
    assert steps[0].node is graph.outputs[0] and steps[0].grad_norm == 1.0
    assert record.run().seeds[0].norm == 1.0 and record.run().seeds[0].source is None


@pytest.mark.parametrize("fused", [False, True])
def test_a_shared_weight_receives_one_contribution_per_step(fused):
    graph, Wh = _rnn("rnn", fused)
    with mg.trace() as record:
        graph.forward()
        graph.backward()
    into_Wh = [c for s in record.run().steps for c in s.sent if c.target is Wh]
    assert sorted(c.source.tags["t"] for c in into_Wh) == list(range(T))
    assert all(c.deferred == fused for c in into_Wh)  # fused steps send a ProductGrad
    assert into_Wh[-1].total == pytest.approx(np.linalg.norm(Wh.grad), rel=1e-12)
    # a sum, not an assembly: the norm of the total is less than the sum of the norms
    assert into_Wh[-1].total < sum(c.norm for c in into_Wh)


def test_slices_that_fill_disjoint_parts_are_marked_as_assembly():
    graph, _ = _rnn("lstm", fused=True)
    with mg.trace() as record:
        graph.forward()
        graph.backward()
    sent = [c for s in record.run().steps for c in s.sent]
    state = [c for c in sent if c.target.name == "h[1].state"]
    assert sorted(c.part for c in state) == [f"[..., 0:{H}]", f"[..., {H}:{2 * H}]"]
    assert all(c.disjoint for c in state)
    x_parts = [c for c in sent if c.target.name == "x"]
    assert sorted(c.part for c in x_parts) == [f"[:, {t}]" for t in range(T)]
    squares = sum(c.norm ** 2 for c in x_parts)
    assert x_parts[-1].total == pytest.approx(np.sqrt(squares), rel=1e-12)


def test_overlapping_slices_are_a_sum_not_an_assembly():
    x = mg.input("x", value=np.arange(4.0))
    graph = mg.Graph(mg.sum(x[..., 0:3] * x[..., 1:4]))
    with mg.trace() as record:
        graph.forward()
        graph.backward()
    parts = [c for s in record.run().steps for c in s.sent if c.target is graph.inputs[0]]
    assert [c.disjoint for c in parts] == [True, False]


def test_norms_are_taken_while_backward_frees_intermediates():
    graph, _ = _rnn("gru", fused=False)
    with mg.trace() as kept:
        graph.forward()
        graph.backward(retain_graph=True)
    graph.zero_grad()
    with mg.trace() as freed:
        graph.forward(keep_values=False)
        graph.backward()
    assert all(n.grad is None for n in graph.op_nodes)  # the engine dropped them
    pairs = zip((c for s in kept.run().steps for c in s.sent),
                (c for s in freed.run().steps for c in s.sent))
    for a, b in pairs:
        assert (a.source, a.target, a.norm) == (b.source, b.target, b.norm)
    assert freed.run().values[graph.outputs[0]]["norm"] > 0


def test_nothing_is_recorded_outside_the_trace():
    graph, _ = _rnn("rnn")
    with mg.trace() as record:
        pass
    graph.forward()
    graph.backward()
    assert tracing.active() is None
    with pytest.raises(LookupError, match="recorded no backward"):
        record.run()
