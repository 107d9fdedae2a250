"""The engine: topological order, fan-out sums, reuse, freeing, no_grad, detach, export."""

import tracemalloc

import networkx as nx
import numpy as np
import pytest

import minigraph as mg
from minigraph.gradient_check import eval_numerical_gradient, rel_error


def test_diamond_gradient_sums_both_paths(rng):
    a_value, b_value = rng.standard_normal(5), rng.standard_normal(5)
    a = mg.input("a", value=a_value)
    b = mg.input("b", value=b_value)
    out = mg.sum(a * b + a)
    graph = mg.Graph(out)
    graph.forward()
    graph.backward()
    np.testing.assert_allclose(a.grad, b_value + 1)
    np.testing.assert_allclose(b.grad, a_value)


def test_x_plus_x_gives_two(rng):
    x = mg.input("x", value=rng.standard_normal((2, 3)))
    graph = mg.Graph(mg.sum(x + x))
    graph.forward()
    graph.backward()
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 2.0))


def test_fan_out_does_not_write_into_the_upstream_gradient(rng):
    x = mg.input("x", value=rng.standard_normal(4))
    y = x + x  # Add returns the same upstream array for both inputs
    graph = mg.Graph(y)
    graph.forward()
    upstream = rng.standard_normal(4)
    kept = upstream.copy()
    graph.backward(upstream)
    np.testing.assert_array_equal(upstream, kept)
    np.testing.assert_allclose(x.grad, 2 * kept)


def _unrolled_rnn(T, N=2, D=3, H=4, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = mg.input("x", value=rng.standard_normal((N, T, D)).astype(dtype))
    Wx = mg.param(rng.standard_normal((D, H)).astype(dtype) * 0.5, "Wx")
    Wh = mg.param(rng.standard_normal((H, H)).astype(dtype) * 0.5, "Wh")
    b = mg.param(np.zeros(H, dtype), "b")
    h = mg.input("h0", value=np.zeros((N, H), dtype))
    hs = []
    for t in range(T):
        with mg.tags(t=t):
            h = mg.rnn_step(mg.select_step(x, t), h, Wx, Wh, b, name=f"h[{t}]")
        hs.append(h)
    return mg.Graph(mg.sum(mg.stack(hs)), name="rnn"), Wh


def test_shared_weight_gradient_is_sum_over_timesteps():
    T = 6
    graph, Wh = _unrolled_rnn(T)
    graph.forward()
    graph.backward(retain_graph=True)
    total = Wh.grad.copy()
    # Each step's contribution: prev_h^T @ da_t, recomputed from that step's own node.
    contributions = []
    for t in range(T):
        node = graph[f"h[{t}]"]
        prev_h = node.inputs[1].value
        da = node.grad * (1 - node.value ** 2)
        contributions.append(prev_h.T @ da)
    np.testing.assert_allclose(total, np.sum(contributions, axis=0), rtol=1e-12, atol=1e-14)
    assert np.abs(contributions[-1]).max() > 0 and np.abs(contributions[1]).max() > 0


def test_shared_weight_gradient_matches_numerical():
    graph, Wh = _unrolled_rnn(5)
    graph.forward()
    graph.backward()
    analytic = Wh.grad.copy()
    numeric = eval_numerical_gradient(lambda _: graph.forward(), Wh.value, verbose=False)
    assert rel_error(analytic, numeric) < 1e-7


def _diamond(build_b_first):
    """e = tanh((a * b) + a), with the leaves created in either order (so their ids and
    the order of creation differ, the structure does not)."""
    if build_b_first:
        b = mg.input("b", value=np.ones(2))
        a = mg.input("a", value=np.ones(2))
    else:
        a = mg.input("a", value=np.ones(2))
        b = mg.input("b", value=np.ones(2))
    c = mg.mul(a, b, name="c")
    d = mg.add(c, a, name="d")
    return mg.tanh(d, name="e")


def test_topological_order_follows_the_structure_not_the_build_order():
    """Inputs are visited left to right, so the order is a function of the graph alone:
    two builds in different orders give the same sequence of names."""
    orders = [[n.name for n in mg.topological_order([_diamond(first)])]
              for first in (False, True)]
    assert orders[0] == orders[1] == ["a", "b", "c", "d", "e"]


def test_topological_order_puts_every_node_after_its_inputs_exactly_once(rng):
    """A random DAG with fan-out and shared leaves, outputs listed in random order."""
    leaves = [mg.input(f"x{i}", value=np.ones(2)) for i in range(4)]
    nodes = list(leaves)
    for _ in range(40):
        a, b = rng.choice(len(nodes), size=2)
        nodes.append(nodes[a] * nodes[b] if rng.random() < 0.5 else nodes[a] + nodes[b])
    outputs = [nodes[i] for i in rng.permutation(len(nodes))[:6]]
    order = mg.topological_order(outputs)
    position = {n: i for i, n in enumerate(order)}
    assert len(position) == len(order)
    assert all(position[child] < position[n] for n in order for child in n.inputs)
    needed, stack = set(), list(outputs)
    while stack:  # exactly the ancestors of the outputs
        n = stack.pop()
        if n not in needed:
            needed.add(n)
            stack.extend(n.inputs)
    assert set(order) == needed


@pytest.mark.slow
def test_ten_thousand_steps_forward_backward_without_recursion_error():
    graph, Wh = _unrolled_rnn(10_000, N=1, D=2, H=3)
    loss = graph.forward()
    graph.backward()
    assert np.isfinite(loss) and np.isfinite(Wh.grad).all()
    assert len(graph.nodes) > 20_000


def _peak_bytes(T):
    graph, _ = _unrolled_rnn(T, N=4, D=8, H=16)
    tracemalloc.start()
    graph.forward()
    graph.backward()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


@pytest.mark.slow
def test_memory_of_forward_backward_grows_linearly_in_T():
    small, large = _peak_bytes(1000), _peak_bytes(2000)
    assert 1.6 < large / small < 2.4


def test_reuse_on_new_feed_needs_no_rebuild(rng):
    graph, Wh = _unrolled_rnn(4)
    nodes_before = list(graph.nodes)
    first = graph.forward()
    new_x = rng.standard_normal(graph["x"].shape)
    second = graph.forward({"x": new_x})
    assert graph.nodes == nodes_before
    assert first != second
    rebuilt, _ = _unrolled_rnn(4)
    rebuilt.params[0].value[...] = graph.params[0].value
    rebuilt.params[1].value[...] = graph.params[1].value
    assert rebuilt.forward({"x": new_x}) == pytest.approx(second, rel=1e-14)


def test_feed_with_the_wrong_shape_names_the_input():
    graph, _ = _unrolled_rnn(4)
    with pytest.raises(mg.ShapeError, match=r"input 'x' has shape \(2, 5, 3\).*\(2, 4, 3\)"):
        graph.forward({"x": np.zeros((2, 5, 3))})


def test_parameter_gradients_accumulate_until_zero_grad():
    graph, Wh = _unrolled_rnn(3)
    graph.forward()
    graph.backward()
    once = Wh.grad.copy()
    graph.forward()
    graph.backward()
    np.testing.assert_allclose(Wh.grad, 2 * once)
    graph.zero_grad()
    assert Wh.grad is None


def test_second_backward_over_a_freed_graph_raises():
    graph, Wh = _unrolled_rnn(3)
    graph.forward()
    graph.backward()
    once = Wh.grad.copy()
    with pytest.raises(mg.GraphError, match="forward run first"):
        graph.backward()
    np.testing.assert_array_equal(Wh.grad, once)


def test_backward_frees_intermediate_values_and_saved_arrays():
    graph, _ = _unrolled_rnn(3)
    graph.forward()
    graph.backward()
    intermediates = [n for n in graph.op_nodes if n not in graph.outputs]
    assert all(n.value is None and n.grad is None for n in intermediates)
    assert all(n.op.saved is None for n in graph.op_nodes)


def test_retain_graph_allows_a_second_backward():
    graph, Wh = _unrolled_rnn(3)
    graph.forward()
    graph.backward(retain_graph=True)
    once = Wh.grad.copy()
    graph.backward()
    np.testing.assert_allclose(Wh.grad, 2 * once)


def test_no_grad_builds_and_runs_nothing_for_backward():
    W = mg.param(np.ones((2, 2)), "W")
    with mg.no_grad():
        x = mg.input("x", value=np.ones((1, 2)))
        y = mg.tanh(x @ W)
        graph = mg.Graph(mg.sum(y))
        graph.forward()
    assert not y.requires_grad and not x.requires_grad
    assert all(n.op.saved is None for n in graph.op_nodes)
    with pytest.raises(mg.GraphError):
        graph.backward()


def test_forward_under_no_grad_then_backward_raises():
    graph, _ = _unrolled_rnn(2)
    with mg.no_grad():
        graph.forward()
    with pytest.raises(mg.GraphError, match="no_grad"):
        graph.backward()


def test_detach_cuts_the_gradient_but_passes_the_value(rng):
    x = mg.input("x", value=rng.standard_normal(3))
    W = mg.param(rng.standard_normal(3), "W")
    carried = mg.detach(x * W, name="carried")
    out = mg.sum(carried * W)
    graph = mg.Graph(out)
    graph.forward()
    graph.backward()
    np.testing.assert_allclose(W.grad, x.value * W.value)  # only the direct use
    assert x.grad is None


def test_no_silent_upcast_of_float32(rng):
    graph, Wh = _unrolled_rnn(4, dtype=np.float32)
    loss = graph.forward()
    graph.backward()
    assert loss.dtype == np.float32 and Wh.grad.dtype == np.float32
    x32 = mg.input("x", value=np.ones((2, 3), np.float32))
    w64 = mg.param(np.ones((3, 2)), "w64")
    with pytest.raises(mg.DTypeError, match="never upcasts"):
        mg.matmul(x32, w64)
    y = 1 - mg.sigmoid(x32) * 2.0  # Python numbers take the node's dtype
    assert y.dtype == np.float32


def test_networkx_export_carries_op_shape_dtype_name_and_tags():
    graph, _ = _unrolled_rnn(3)
    g = graph.to_networkx()
    assert isinstance(g, nx.DiGraph)
    assert g.number_of_nodes() == len(graph.nodes)
    step = graph["h[1]"]
    attrs = g.nodes[step.id]
    assert attrs["op"] == "RNNStep" and attrs["shape"] == (2, 4)
    assert attrs["dtype"] == "float64" and attrs["tags"]["t"] == 1 and attrs["name"] == "h[1]"
    Wh = next(p for p in graph.params if p.name == "Wh")
    users = {g.nodes[v]["tags"]["t"] for v in g.successors(Wh.id)}
    assert users == {0, 1, 2}
    assert list(nx.topological_sort(g))  # a DAG


def test_x_plus_x_edge_records_both_positions():
    x = mg.input("x", value=np.ones(2))
    y = x + x
    g = mg.Graph(y).to_networkx()
    assert g.edges[x.id, y.id]["positions"] == [0, 1]


class _OuterProduct(mg.Op):
    """y = a @ W, with W's gradient returned as a deferred ProductGrad(a, grad)."""

    def infer(self, a, W):
        return (a.shape[0], W.shape[1]), a.dtype

    def forward(self, a, W):
        self.saved = (a, W)
        return a @ W

    def backward(self, grad):
        a, W = self.saved
        return grad @ W.T, mg.ProductGrad(a, grad)


def test_deferred_product_gradients_sum_like_dense_ones(rng):
    W = mg.param(rng.standard_normal((3, 2)), "W")
    xs = [mg.input(f"x{t}", value=rng.standard_normal((4, 3))) for t in range(5)]
    outs = [mg.apply(_OuterProduct(), x, W) for x in xs]
    graph = mg.Graph(mg.sum(mg.tanh(mg.concat(outs))))
    graph.forward()
    graph.backward(retain_graph=True)
    deferred = W.grad.copy()  # multiplied out before backward returned
    dense = mg.Graph(mg.sum(mg.tanh(mg.concat([x @ W for x in xs]))))
    W.grad = None
    dense.forward()
    dense.backward()
    np.testing.assert_allclose(deferred, W.grad, rtol=1e-12)
    graph.backward()  # a retained graph: the second backward adds the same again
    np.testing.assert_allclose(W.grad, 2 * deferred, rtol=1e-12)


def test_forward_without_keeping_values_frees_intermediates_and_gives_the_same_gradients():
    graph, Wh = _unrolled_rnn(6)
    graph.forward()
    graph.backward()
    kept = Wh.grad.copy()
    graph.zero_grad()
    loss = graph.forward(keep_values=False)
    assert np.isfinite(loss)
    intermediates = [n for n in graph.op_nodes if n not in graph.outputs]
    assert all(n.value is None for n in intermediates)  # backward needs only what ops saved
    graph.backward()
    np.testing.assert_allclose(Wh.grad, kept, rtol=1e-14)


def test_partial_gradients_of_a_transposed_output_land_in_the_right_entries(rng):
    """The fused LSTM returns an F-ordered state and declares layout "F"; the engine then
    allocates that node's gradient F-ordered. The h and c halves must still get exactly
    the gradients a C-ordered computation gives."""
    N, H = 3, 5
    x = mg.input("x", value=rng.standard_normal((N, 4 * H)))
    h0 = mg.input("h0", value=rng.standard_normal((N, H)))
    c0 = mg.input("c0", value=rng.standard_normal((N, H)))
    Wh = mg.param(rng.standard_normal((H, 4 * H)) / 3, "Wh")
    h, c = mg.lstm_step_projected(x, h0, c0, Wh, name="h")
    dh, dc = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    loss = mg.sum(h * mg.constant(dh)) + mg.sum(c * mg.constant(dc))
    graph = mg.Graph(loss)
    graph.forward()
    state = h.inputs[0]
    assert state.value.flags.f_contiguous and state.op.layout == "F"
    graph.backward(retain_graph=True)
    assert state.grad.flags.f_contiguous
    np.testing.assert_array_equal(state.grad, np.concatenate([dh, dc], axis=1))
    stacked = mg.Graph(mg.stack([h, c]))
    assert stacked.forward().flags.c_contiguous


def test_repeated_backward_of_large_slice_assembled_gradients_stays_fresh(rng):
    """A gradient of at least SPARE_MIN_BYTES assembled from timestep slices (which the
    engine recycles between backward passes), run on feeds x1, x2, x1: the third backward
    gives exactly the first's gradients (nothing stale summed in), and the arrays the
    first returned are untouched by the later ones (a leaf's gradient never aliases a
    recycled buffer)."""
    from minigraph.graph import SPARE_MIN_BYTES

    N, T, D = 8, 40, SPARE_MIN_BYTES // (8 * 40 * 8) + 1  # float64: just over the limit
    x = mg.input("x", shape=(N, T, D), dtype=np.float64)
    W = mg.param(rng.standard_normal((D, D)) / D, "W")
    xw = mg.temporal_affine(x, W, mg.constant(np.zeros(D)), name="xw")
    loss = mg.sum(mg.tanh(mg.stack([mg.select_step(xw, t) for t in range(T)])))
    graph = mg.Graph(loss)
    feeds = [rng.standard_normal((N, T, D)) for _ in range(2)]
    returned, copies = [], []
    for feed in (feeds[0], feeds[1], feeds[0]):
        graph.forward({"x": feed})
        graph.backward()
        returned.append((W.grad, x.grad))
        copies.append((W.grad.copy(), x.grad.copy()))
        graph.zero_grad()
    for first, kept in zip(returned[0], copies[0]):
        np.testing.assert_array_equal(first, kept)
    for first, third in zip(copies[0], copies[2]):
        np.testing.assert_array_equal(first, third)
    assert not np.allclose(copies[0][1], copies[1][1])  # the two feeds differ


def test_accumulating_backward_leaves_the_earlier_gradient_array_untouched():
    """Without zero_grad a second backward sums into W.grad, as a new array: a caller who
    kept the first pass's gradient (a loss() result's grads) still holds the first."""
    W = mg.param(np.array([[1.0, -3.0]]), "W")
    graph = mg.Graph(mg.sum(W * W))
    graph.forward()
    graph.backward()
    first = W.grad
    graph.forward()
    graph.backward()
    np.testing.assert_array_equal(first, [[2.0, -6.0]])
    np.testing.assert_array_equal(W.grad, [[4.0, -12.0]])
