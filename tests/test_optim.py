"""Every update rule, as a cs231n function and as an optimizer object, against values
worked out by hand; float32 stays float32."""

import numpy as np
import pytest

import minigraph as mg
from minigraph import optim

W0 = (1.0, -2.0)
DW1 = (0.5, 0.1)
DW2 = (-0.5, 0.3)


def _two_steps(rule, config, dtype=np.float64):
    w = np.array(W0, dtype)
    for dw in (DW1, DW2):
        out, config = rule(w, np.array(dw, dtype), config)
        assert out is w  # updated in place: graphs holding w stay current
    return w, config


def test_sgd_subtracts_learning_rate_times_gradient():
    w, _ = _two_steps(optim.sgd, {"learning_rate": 0.1})
    # 1 - 0.1 (0.5 - 0.5), -2 - 0.1 (0.1 + 0.3)
    np.testing.assert_allclose(w, [1.0, -2.04], rtol=1e-15)


def test_sgd_momentum_accumulates_a_velocity():
    w, config = _two_steps(optim.sgd_momentum, {"learning_rate": 0.1, "momentum": 0.9})
    # v1 = -0.1 dw1 = (-0.05, -0.01); v2 = 0.9 v1 - 0.1 dw2 = (-0.045 + 0.05, -0.009 - 0.03)
    np.testing.assert_allclose(config["velocity"], [0.005, -0.039], rtol=1e-12)
    np.testing.assert_allclose(w, [1.0 - 0.05 + 0.005, -2.0 - 0.01 - 0.039], rtol=1e-12)


def test_rmsprop_divides_by_the_running_root_mean_square():
    w, config = _two_steps(optim.rmsprop, {"learning_rate": 0.1, "decay_rate": 0.9,
                                           "epsilon": 0.0})
    # cache1 = 0.1 dw1^2 = (0.025, 0.001): step 1 is 0.1 dw1 / sqrt(cache1) = 0.1 / sqrt(0.1)
    # per entry; cache2 = 0.9 cache1 + 0.1 dw2^2 = (0.0475, 0.0099)
    np.testing.assert_allclose(config["cache"], [0.0475, 0.0099], rtol=1e-12)
    step1 = 0.1 / np.sqrt(0.1)
    expected = [1.0 - step1 + 0.1 * 0.5 / np.sqrt(0.0475),
                -2.0 - step1 - 0.1 * 0.3 / np.sqrt(0.0099)]
    np.testing.assert_allclose(w, expected, rtol=1e-12)


def test_adagrad_divides_by_the_root_of_all_past_squared_gradients():
    w, config = _two_steps(optim.adagrad, {"learning_rate": 0.1, "epsilon": 0.0})
    # cache = dw1^2 + dw2^2 = (0.5, 0.1); step 1 is 0.1 per entry (dw / |dw|)
    np.testing.assert_allclose(config["cache"], [0.5, 0.1], rtol=1e-12)
    expected = [1.0 - 0.1 + 0.1 * 0.5 / np.sqrt(0.5), -2.0 - 0.1 - 0.1 * 0.3 / np.sqrt(0.1)]
    np.testing.assert_allclose(w, expected, rtol=1e-12)


def test_adam_corrects_the_bias_of_both_moments():
    w, config = _two_steps(optim.adam, {"learning_rate": 0.1, "epsilon": 0.0})
    # m2 = 0.9 * 0.1 dw1 + 0.1 dw2 = (-0.005, 0.039);
    # v2 = 0.999 * 0.001 dw1^2 + 0.001 dw2^2 = (0.00049975, 0.00009999)
    np.testing.assert_allclose(config["m"], [-0.005, 0.039], rtol=1e-12)
    np.testing.assert_allclose(config["v"], [0.00049975, 0.00009999], rtol=1e-12)
    assert config["t"] == 2
    # step 1: m_hat = dw1, v_hat = dw1^2, so 0.1 per entry; step 2 divides m by
    # 1 - 0.9^2 = 0.19 and v by 1 - 0.999^2 = 0.001999
    m_hat = np.array([-0.005, 0.039]) / 0.19
    v_hat = np.array([0.00049975, 0.00009999]) / 0.001999
    expected = np.array([1.0 - 0.1, -2.0 - 0.1]) - 0.1 * m_hat / np.sqrt(v_hat)
    np.testing.assert_allclose(w, expected, rtol=1e-12)


def test_rules_fill_in_cs231n_defaults():
    _, config = optim.adam(np.zeros(2), np.ones(2))
    assert (config["learning_rate"], config["beta1"], config["beta2"], config["epsilon"]) == (
        1e-3, 0.9, 0.999, 1e-8)
    assert optim.sgd_momentum(np.zeros(2), np.ones(2))[1]["momentum"] == 0.9
    assert optim.rmsprop(np.zeros(2), np.ones(2))[1]["decay_rate"] == 0.99


@pytest.mark.parametrize("name", sorted(optim.RULES))
def test_every_rule_keeps_float32_weights_and_state_float32(name):
    w, config = _two_steps(optim.get_rule(name), None, np.float32)
    assert w.dtype == np.float32
    state = [v for v in config.values() if isinstance(v, np.ndarray)]
    assert all(a.dtype == np.float32 for a in state)
    assert state or name == "sgd"


def test_unknown_rule_names_the_choices():
    with pytest.raises(ValueError, match="unknown update rule 'adamw'.*'adam'"):
        optim.get_rule("adamw")


def _quadratic(dtype=np.float64):
    """loss = sum(w * w): the gradient is 2 w."""
    w = mg.param(np.array(W0, dtype), "w")
    return mg.Graph(mg.sum(w * w)), w


def test_sgd_object_steps_from_the_graph_gradients_and_zero_grad_forgets_them():
    graph, w = _quadratic()
    opt = optim.SGD([w], lr=0.1)
    graph.forward()
    graph.backward()
    opt.step()  # w - 0.1 * 2 w = 0.8 w
    np.testing.assert_allclose(w.value, [0.8, -1.6], rtol=1e-15)
    opt.zero_grad()
    assert w.grad is None
    graph.forward()
    graph.backward()
    np.testing.assert_allclose(w.grad, [1.6, -3.2], rtol=1e-15)  # not added to the old grad


@pytest.mark.parametrize("make, rule, config", [
    (lambda p: optim.SGD(p, lr=0.1, momentum=0.9), optim.sgd_momentum,
     {"learning_rate": 0.1, "momentum": 0.9}),
    (lambda p: optim.RMSProp(p, lr=0.1, decay_rate=0.9, eps=1e-6), optim.rmsprop,
     {"learning_rate": 0.1, "decay_rate": 0.9, "epsilon": 1e-6}),
    (lambda p: optim.Adagrad(p, lr=0.1, eps=1e-6), optim.adagrad,
     {"learning_rate": 0.1, "epsilon": 1e-6}),
    (lambda p: optim.Adam(p, lr=0.1, beta1=0.8, beta2=0.99, eps=1e-6), optim.adam,
     {"learning_rate": 0.1, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6}),
], ids=["momentum", "rmsprop", "adagrad", "adam"])
def test_optimizer_objects_give_the_numbers_of_their_rule_functions(make, rule, config):
    graph, w = _quadratic()
    opt = make([w])
    by_hand = np.array(W0)
    for _ in range(3):
        opt.zero_grad()
        graph.forward()
        graph.backward()
        rule(by_hand, 2 * by_hand, config)  # the same gradient, 2 w, by hand
        opt.step()
        np.testing.assert_allclose(w.value, by_hand, rtol=1e-14)
    assert not np.allclose(w.value, W0)


def test_adam_object_keeps_float32_and_follows_a_learning_rate_change():
    graph, w = _quadratic(np.float32)
    opt = mg.optim.Adam(graph.params, lr=0.1)
    graph.forward()
    graph.backward()
    opt.step()  # Adam's first step is lr per entry, in the direction of -grad
    np.testing.assert_allclose(w.value, [0.9, -1.9], rtol=1e-6)
    assert w.value.dtype == np.float32
    assert all(a.dtype == np.float32 for c in opt.configs for a in c.values()
               if isinstance(a, np.ndarray))
    opt.lr = 0.01
    assert opt.configs[0]["learning_rate"] == 0.01


def test_optimizer_skips_a_parameter_without_a_gradient():
    used = mg.param(np.ones(2), "used")
    unused = mg.param(np.ones(2), "unused")
    graph = mg.Graph(mg.sum(used * used))
    opt = optim.SGD({"used": used, "unused": unused}, lr=0.5)
    graph.forward()
    graph.backward()
    opt.step()
    np.testing.assert_array_equal(used.value, [0.0, 0.0])
    np.testing.assert_array_equal(unused.value, [1.0, 1.0])


def test_optimizer_refuses_things_that_are_not_parameters():
    with pytest.raises(TypeError, match="Adam: expected parameter nodes"):
        optim.Adam([np.ones(3)])
    w = mg.param(np.ones(2), "w")
    with pytest.raises(ValueError, match="listed twice"):
        optim.SGD([w, w])
