"""Bad input gets one clear error naming the op, node and values involved."""

import numpy as np
import pytest

import minigraph as mg
from minigraph.layers import temporal_softmax_loss, word_embedding_forward


def f64(name, *shape):
    return mg.input(name, value=np.zeros(shape))


def test_matmul_shape_mismatch_names_op_nodes_and_shapes():
    with pytest.raises(mg.ShapeError) as err:
        mg.matmul(f64("x", 3, 4), f64("Wx", 5, 2))
    message = str(err.value)
    assert "MatMul" in message and "x (3, 4)" in message and "Wx (5, 2)" in message
    assert "4 vs 5" in message


def test_broadcast_mismatch_is_caught_at_build_not_by_numpy():
    with pytest.raises(mg.ShapeError) as err:
        mg.add(f64("h", 2, 3), f64("b", 4))
    assert "Add" in str(err.value) and "(2, 3) and (4,) do not broadcast" in str(err.value)
    assert "operands could not be broadcast" not in str(err.value)


def test_cell_step_with_wrong_weight_shape_names_every_input():
    x, h, c = f64("x", 2, 3), f64("h", 2, 4), f64("c", 2, 4)
    Wx, Wh, b = f64("Wx", 3, 12), f64("Wh", 4, 16), f64("b", 16)
    with pytest.raises(mg.ShapeError, match=r"LSTMStep: .*Wx \(D, 4H\).*Wx \(3, 12\)"):
        mg.lstm_step(x, h, c, Wx, Wh, b)


def test_float_ids_into_embedding():
    ids = mg.input("captions", value=np.zeros((2, 3)))
    with pytest.raises(mg.DTypeError, match="Embedding: ids 'captions' must be integers"):
        mg.embedding(ids, f64("W_embed", 5, 4))


def test_embedding_id_out_of_range_names_the_id_position_and_vocabulary():
    ids = mg.input("captions", value=np.array([[0, 1], [7, 2]]))
    graph = mg.Graph(mg.embedding(ids, f64("W_embed", 5, 4)))
    with pytest.raises(mg.InputError, match=r"id 7 at position \(1, 0\) of 'captions' is "
                                            r"outside \[0, 5\)"):
        graph.forward()
    with pytest.raises(mg.InputError, match=r"id -1"):
        word_embedding_forward(np.array([[0, -1]]), np.zeros((5, 4)))


def test_non_boolean_mask_is_refused():
    scores, targets = f64("scores", 2, 3, 4), mg.input("y", value=np.zeros((2, 3), int))
    mask = mg.input("mask", value=np.ones((2, 3)))
    with pytest.raises(mg.DTypeError, match="mask 'mask' must be boolean, got float64"):
        mg.masked_softmax_ce(scores, targets, mask)
    with pytest.raises(mg.DTypeError, match="must be boolean"):
        temporal_softmax_loss(np.zeros((2, 3, 4)), np.zeros((2, 3), int), np.ones((2, 3), int))


def test_target_outside_vocabulary():
    with pytest.raises(mg.InputError, match=r"target 9 at position \(0, 2\)"):
        temporal_softmax_loss(np.zeros((1, 3, 4)), np.array([[0, 1, 9]]), np.ones((1, 3), bool))


def test_backward_from_non_scalar_needs_upstream_gradient():
    graph = mg.Graph(mg.tanh(f64("x", 2, 3), name="h"))
    graph.forward()
    with pytest.raises(mg.GraphError, match=r"non-scalar 'h' of shape \(2, 3\)"):
        graph.backward()
    with pytest.raises(mg.ShapeError, match=r"upstream gradient for 'h' is \(3,\)"):
        graph.backward(np.ones(3))


def test_unfed_input_is_named():
    x = mg.input("features", (2, 5), np.float32)
    graph = mg.Graph(mg.tanh(x))
    with pytest.raises(mg.GraphError, match=r"input 'features' \(2, 5\) was never fed"):
        graph.forward()


def test_feeding_float64_into_a_float32_graph_is_refused():
    x = mg.input("x", (2, 2), np.float32)
    graph = mg.Graph(mg.tanh(x))
    with pytest.raises(mg.DTypeError, match="feed for input 'x' is float64"):
        graph.forward({"x": np.zeros((2, 2))})


def test_anomaly_mode_names_first_non_finite_value_with_its_op_and_timestep():
    x = mg.input("x", value=np.array([[1.0, 2.0]]))
    W = mg.param(np.array([[1.0], [np.inf]]), "W")
    h = x
    for t in range(3):
        with mg.tags(t=t):
            h = mg.tanh(mg.matmul(h, mg.param(np.ones((h.shape[1], 2)), f"W{t}")), name=f"h[{t}]")
    out = mg.sum(mg.matmul(h, W))
    graph = mg.Graph(out)
    with mg.detect_anomaly():
        with pytest.raises(mg.AnomalyError, match=r"non-finite value at node 'W' \(op param"):
            graph.forward()
        W.value[1, 0] = 1.0
        x.value[0, 1] = np.nan
        with pytest.raises(mg.AnomalyError, match=r"node 'x'"):
            graph.forward()
        x.value[0, :] = 1e308  # finite, but their sum in the first matmul overflows
        with np.errstate(over="ignore"), pytest.raises(mg.AnomalyError,
                           match=r"matmul\d+' \(op MatMul, t=0\): 0 NaN and 2 inf"):
            graph.forward()


class _ExplodingGrad(mg.Op):
    """Identity forward; an infinite gradient backward (what a broken custom op might do)."""

    def infer(self, x):
        return x.shape, x.dtype

    def forward(self, x):
        return x

    def backward(self, grad):
        return (grad * np.inf,)


def test_anomaly_mode_names_first_non_finite_gradient():
    x = mg.input("x", value=np.ones(3))
    with mg.tags(t=4, layer=1):
        boom = mg.apply(_ExplodingGrad(), x, name="boom")
    y = mg.tanh(boom, name="y")
    graph = mg.Graph(mg.sum(y))
    graph.forward()
    with mg.detect_anomaly():
        with pytest.raises(mg.AnomalyError, match=r"gradient at node 'x' \(op input"):
            graph.backward()


def test_anomaly_mode_is_off_by_default_and_restored():
    assert not mg.modes.anomaly_enabled()
    with mg.detect_anomaly():
        assert mg.modes.anomaly_enabled()
    assert not mg.modes.anomaly_enabled()


class _WrongShapeGrad(_ExplodingGrad):
    def backward(self, grad):
        return (grad[:1],)


def test_an_op_returning_a_wrongly_shaped_gradient_is_caught_by_the_engine():
    x = mg.input("x", value=np.ones(3))
    graph = mg.Graph(mg.sum(mg.apply(_WrongShapeGrad(), x, name="bad")))
    graph.forward()
    with pytest.raises(mg.GraphError, match=r"node 'bad' \(op _WrongShapeGrad\) returned a "
                                            r"gradient \(1,\) float64 for 'x', which is \(3,\)"):
        graph.backward()


def test_slicing_with_a_step_is_refused_clearly():
    with pytest.raises(mg.GraphError, match="step"):
        f64("x", 2, 6)[..., 0:6:2]


def test_two_inputs_with_one_name_are_refused_and_shared_names_are_not_guessed():
    with pytest.raises(mg.GraphError, match="two different inputs are named 'x'"):
        mg.Graph(mg.add(f64("x", 2), f64("x", 2)))
    h = f64("h", 2)
    graph = mg.Graph(mg.add(mg.tanh(h, name="act"), mg.sigmoid(h, name="act")))
    with pytest.raises(KeyError, match="more than one node is named 'act'"):
        graph["act"]
    assert graph["h"] is h
