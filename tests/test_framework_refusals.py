"""Issue 25, the framework's silent wrong results and first-hour surprises: frozen and
copied parameters, misspelled keywords, bad input shapes, bad optimizer settings, clipping
an inf gradient, backward of a graph built under no_grad."""

import re

import numpy as np
import pytest

import minigraph as mg
from minigraph.errors import UsageError


def _embedding_classifier(rng, frozen):
    """ids -> embedding (frozen or not) -> affine -> softmax CE; returns graph, nodes, feed."""
    V, D, C, N = 6, 4, 3, 8
    W_embed = mg.param(rng.standard_normal((V, D)), "W_embed", requires_grad=not frozen)
    W = mg.param(rng.standard_normal((D, C)) * 0.1, "W")
    b = mg.param(np.zeros(C), "b")
    ids = mg.input("ids", (N,), np.int64)
    targets = mg.input("y", (N,), np.int64)
    x = mg.embedding(ids, W_embed)
    loss = mg.softmax_ce(mg.affine(x, W, b), targets)
    feed = {"ids": rng.integers(0, V, N), "y": rng.integers(0, C, N)}
    return mg.Graph(loss), {"W_embed": W_embed, "W": W, "b": b}, feed


def test_a_frozen_embedding_does_not_move_in_150_adam_steps_while_the_rest_trains():
    graph, nodes, feed = _embedding_classifier(np.random.default_rng(0), frozen=True)
    start = {name: node.value.copy() for name, node in nodes.items()}
    optimizer = mg.optim.Adam(graph.params, lr=0.05)
    losses = []
    for _ in range(150):
        optimizer.zero_grad()
        losses.append(float(graph.forward(feed)))
        graph.backward()
        assert nodes["W_embed"].grad is None
        optimizer.step()
    np.testing.assert_array_equal(nodes["W_embed"].value, start["W_embed"])
    assert np.abs(nodes["W"].value - start["W"]).max() > 0.5
    assert losses[-1] < 0.5 * losses[0]


def test_param_keeps_a_copy_so_the_callers_array_never_changes():
    mine = np.ones((2, 3))
    W = mg.param(mine, "W")
    loss = mg.sum(W * W)
    graph = mg.Graph(loss)
    optimizer = mg.optim.SGD([W], lr=0.25)
    graph.forward()
    graph.backward()
    optimizer.step()
    np.testing.assert_array_equal(mine, np.ones((2, 3)))
    np.testing.assert_array_equal(W.value, np.full((2, 3), 0.5))  # 1 - 0.25 * 2


def test_param_with_copy_false_shares_the_callers_array():
    mine = np.ones(3)
    W = mg.param(mine, "W", copy=False)
    graph = mg.Graph(mg.sum(W * W))
    mine *= 3  # the caller updates its own array; the graph sees it
    assert float(graph.forward()) == 27.0


@pytest.mark.parametrize(("make", "typo"), [
    (lambda: mg.param(np.ones(3), nmae="W"), "nmae"),
    (lambda: mg.param(np.ones(3), "W", requires_gard=False), "requires_gard"),
    (lambda: mg.input("x", (2, 3), np.float64, requires_gard=False), "requires_gard"),
    (lambda: mg.apply(mg.ops.unary.Tanh(), mg.input("x", (2,), np.float64), nmae="y"),
     "nmae"),
])
def test_a_misspelled_keyword_is_refused_naming_the_allowed_ones(make, typo):
    with pytest.raises(mg.UsageError) as caught:
        make()
    message = str(caught.value)
    assert f"unknown keyword '{typo}'" in message
    assert "name" in message and "tags={...}" in message
    assert "\n" not in message


def test_tags_go_through_tags_or_the_drawing_tag_names():
    x = mg.input("x", (2,), np.float64, tags={"mine": 1}, role="carried")
    assert x.tags["mine"] == 1 and x.tags["role"] == "carried"
    W = mg.param(np.ones(2), "W", tags={"layer": 2})
    assert W.tags == {"role": "param", "layer": 2}
    with mg.tags(t=4):
        y = mg.apply(mg.ops.unary.Tanh(), x, tags={"mine": 2})
    assert y.tags == {"t": 4, "mine": 2}


@pytest.mark.parametrize(("shape", "bad"), [((2, -3), "-3"), ((2.5, 3), "2.5"),
                                            ((True, 3), "True"), (5, "5")])
def test_input_refuses_a_shape_that_is_not_nonnegative_integers(shape, bad):
    with pytest.raises(mg.ShapeError, match=r"shape must be a tuple of integers >= 0") as caught:
        mg.input("x", shape, np.float64)
    assert "input 'x'" in str(caught.value) and bad in str(caught.value)


def test_input_still_takes_numpy_integer_shapes():
    x = mg.input("x", (np.int64(2), 0), np.float64)
    assert x.shape == (2, 0)


@pytest.mark.parametrize("optimizer", [mg.optim.SGD, mg.optim.RMSProp, mg.optim.Adagrad,
                                       mg.optim.Adam])
@pytest.mark.parametrize("lr", [-1, float("nan"), float("inf")])
def test_every_optimizer_refuses_a_negative_or_non_finite_learning_rate(optimizer, lr):
    with pytest.raises(mg.UsageError, match=rf"{optimizer.__name__}: lr must be a finite "
                                            r"number >= 0, got"):
        optimizer([mg.param(np.ones(2), "W")], lr=lr)


def test_setting_a_bad_learning_rate_later_is_refused_and_leaves_the_old_one():
    optimizer = mg.optim.Adam([mg.param(np.ones(2), "W")], lr=1e-3)
    with pytest.raises(mg.UsageError, match="lr must be a finite number >= 0, got -0.5"):
        optimizer.lr = -0.5
    assert optimizer.lr == 1e-3
    optimizer.lr = 0.0  # a schedule may decay to zero
    assert optimizer.lr == 0.0


@pytest.mark.parametrize(("setting", "value", "rule"), [
    ("beta1", 2.0, ">= 0 and < 1"), ("beta2", -0.1, ">= 0 and < 1"), ("eps", -1e-8, ">= 0")])
def test_adam_refuses_betas_and_eps_outside_their_range(setting, value, rule):
    with pytest.raises(mg.UsageError, match=f"Adam: {setting} must be a finite number {rule}"):
        mg.optim.Adam([mg.param(np.ones(2), "W")], **{setting: value})


def test_clipping_an_inf_gradient_is_refused_and_changes_no_gradient():
    grads = {"W": np.array([1.0, np.inf]), "b": np.array([3.0, 4.0])}
    with pytest.raises(mg.AnomalyError, match="gradient 'W' holds inf or NaN"):
        mg.optim.clip_by_global_norm(grads, 1.0)
    np.testing.assert_array_equal(grads["b"], [3.0, 4.0])
    np.testing.assert_array_equal(grads["W"], [1.0, np.inf])


def test_clipping_finite_gradients_still_scales_them_to_the_norm():
    grads = {"b": np.array([3.0, 4.0])}
    assert mg.optim.clip_by_global_norm(grads, 1.0) == 5.0
    np.testing.assert_allclose(grads["b"], [0.6, 0.8])


def test_backward_of_a_graph_built_under_no_grad_raises_graph_error():
    W = mg.param(np.array([1.0, 2.0]), "W")
    with mg.no_grad():
        loss = mg.sum(W * W)
    graph = mg.Graph(loss)
    assert float(graph.forward()) == 5.0
    with pytest.raises(mg.GraphError, match="built under no_grad") as caught:
        graph.backward()
    assert "\n" not in str(caught.value)
    assert W.grad is None


@pytest.mark.parametrize(("rule", "config", "message"), [
    (mg.optim.adam, {"learning_rate": -1.0}, "optim.adam: learning_rate must be a finite "
                                             "number >= 0, got -1.0"),
    (mg.optim.adam, {"beta1": 2.0}, "optim.adam: beta1 must be a finite number >= 0 and < 1"),
    (mg.optim.sgd, {"learning_rate": float("nan")}, "optim.sgd: learning_rate must be"),
    (mg.optim.rmsprop, {"decay_rate": 1.5}, "optim.rmsprop: decay_rate must be"),
])
def test_the_config_dict_rules_refuse_settings_out_of_range_and_leave_w(rule, config,
                                                                       message):
    w = np.ones(2)
    with pytest.raises(mg.UsageError, match=re.escape(message)):
        rule(w, np.ones(2), config)
    np.testing.assert_array_equal(w, np.ones(2))


def test_a_config_dict_read_back_as_numpy_scalars_still_trains():
    w = np.ones(2)
    config = {"learning_rate": np.array(0.5), "beta1": np.float64(0.9)}
    mg.optim.sgd(w, np.ones(2), config)
    np.testing.assert_array_equal(w, [0.5, 0.5])
    mg.optim.adam(w, np.ones(2), config)
    np.testing.assert_allclose(w, [0.0, 0.0], atol=1e-6)  # Adam's first step: lr * sign


def test_a_models_own_arrays_are_its_parameter_nodes_so_in_place_updates_reach_its_graphs():
    from minigraph.models.charrnn.model import CharRNN

    model = CharRNN(vocab_size=5, hidden_size=4, num_layers=1, dtype=np.float64)
    ids = np.array([[0, 1, 2, 3]])
    before = float(model.loss(ids[:, :-1], ids[:, 1:]).loss)
    for name, node in model.parameters().items():
        assert model.params[name] is node.value  # no copy between the model and its nodes
    model.params["W_out"] *= 0  # an in-place update, as the optimizers make
    after = float(model.loss(ids[:, :-1], ids[:, 1:]).loss)
    assert before != after
    assert after == pytest.approx(np.log(5))  # scores are b_out = 0: uniform


@pytest.mark.parametrize("flag", ["False", 0, None])
def test_param_requires_grad_must_be_a_boolean(flag):
    with pytest.raises(UsageError, match="requires_grad must be True or False"):
        mg.param(np.zeros(3), "W", requires_grad=flag)


@pytest.mark.parametrize("limit", ["inf", "1e400", "nan", "abc", "-5", "0"])
def test_a_read_limit_that_is_not_a_size_is_refused_in_one_line(monkeypatch, tmp_path, limit):
    from minigraph import checkpoint

    path = tmp_path / "w.h5"
    checkpoint.save(path, kind="Test", params={"W": np.zeros(3, np.float32)}, config={},
                    vocab=None)
    monkeypatch.setenv("MINIGRAPH_READ_LIMIT_MB", limit)
    with pytest.raises(UsageError, match="MINIGRAPH_READ_LIMIT_MB"):
        checkpoint.load(path, kind="Test")


@pytest.mark.parametrize("outputs", [None, [], 3, "loss", [None]])
def test_a_graph_of_something_that_is_not_nodes_is_one_line(outputs):
    with pytest.raises(mg.GraphError, match="Graph needs an output node or a list of them"):
        mg.Graph(outputs)
