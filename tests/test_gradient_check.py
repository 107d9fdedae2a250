"""The gradient-check module: cs231n's helpers and the whole-graph check."""

import numpy as np
import pytest

import minigraph as mg
from minigraph.gradient_check import (
    check_graph,
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    grad_error,
    rel_error,
)


def test_numerical_gradient_of_a_known_function(rng):
    x = rng.standard_normal((3, 4))
    grad = eval_numerical_gradient(lambda a: np.sum(a ** 3), x, verbose=False)
    assert rel_error(grad, 3 * x ** 2) < 1e-8


def test_numerical_gradient_leaves_the_argument_unchanged(rng):
    x = rng.standard_normal(5)
    kept = x.copy()
    eval_numerical_gradient_array(np.sin, x, rng.standard_normal(5))
    np.testing.assert_array_equal(x, kept)


def test_numerical_gradient_array_is_the_vector_jacobian_product(rng):
    x, df = rng.standard_normal(6), rng.standard_normal(6)
    grad = eval_numerical_gradient_array(np.tanh, x, df)
    assert rel_error(grad, df * (1 - np.tanh(x) ** 2)) < 1e-8


def test_numerical_gradient_prints_when_verbose(capsys):
    eval_numerical_gradient(lambda a: float(np.sum(a)), np.zeros(2), verbose=True)
    assert "(0,)" in capsys.readouterr().out


def test_rel_error_and_grad_error():
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0
    assert rel_error(np.array([1.0]), np.array([3.0])) == pytest.approx(0.5)
    assert grad_error(np.array([3.0, 4.0]), np.array([3.0, 4.0])) == 0
    assert grad_error(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(np.sqrt(2) / 2)


def _two_layer_graph(rng, dtype=np.float64):
    x = mg.input("x", value=rng.standard_normal((4, 3)).astype(dtype))
    W1 = mg.param(rng.standard_normal((3, 5)).astype(dtype), "W1")
    W2 = mg.param(rng.standard_normal((5, 2)).astype(dtype), "W2")
    return mg.Graph(mg.tanh(x @ W1) @ W2), (W1, W2)


def test_check_graph_reports_max_error_per_parameter(rng):
    graph, _ = _two_layer_graph(rng)
    errors = check_graph(graph)
    assert set(errors) == {"W1", "W2"}
    assert max(errors.values()) < 1e-7


def test_check_graph_samples_entries_when_asked(rng):
    graph, _ = _two_layer_graph(rng)
    errors = check_graph(graph, num_checks=3, seed=5)
    assert max(errors.values()) < 1e-7


class _WrongTanh(mg.ops.Tanh):
    def backward(self, grad):
        return (grad * (1 - self.saved),)  # forgot to square


def test_check_graph_catches_a_wrong_backward(rng):
    x = mg.input("x", value=rng.standard_normal((4, 3)))
    W = mg.param(rng.standard_normal((3, 5)), "W")
    graph = mg.Graph(mg.apply(_WrongTanh(), x @ W))
    assert check_graph(graph)["W"] > 1e-2


def test_check_graph_refuses_float32(rng):
    graph, _ = _two_layer_graph(rng, np.float32)
    with pytest.raises(mg.DTypeError, match="needs float64"):
        check_graph(graph)


def _bilstm_classifier(seed, wrong_tanh=False):
    """The tutorial's bidirectional classifier with LSTM cells (float64); optionally with
    a tanh whose backward is wrong between the states and the read-out."""
    rng = np.random.default_rng(seed)
    N, T, D, H, C = 3, 8, 4, 5, 3
    x = mg.input("x", value=rng.standard_normal((N, T, D)))
    h0 = mg.input("h0", value=np.zeros((N, H)), requires_grad=False)

    def weights(direction):
        return [mg.param(rng.standard_normal(shape) * 0.3, f"{name}_{direction}")
                for name, shape in (("Wx", (D, 4 * H)), ("Wh", (H, 4 * H)), ("b", (4 * H,)))]

    hs, _, _ = mg.bidirectional("lstm", x, h0, weights("fwd"), weights("bwd"))
    summary = mg.mean(mg.stack(hs), axis=1)
    W_out = mg.param(rng.standard_normal((2 * H, C)) * 0.3, "W_out")
    if wrong_tanh:
        summary = mg.apply(_WrongTanh(), summary)
    scores = mg.affine(summary, W_out, mg.param(np.zeros(C), "b_out"))
    return mg.Graph(mg.softmax_ce(scores, mg.input("y", value=np.array([0, 2, 1]))))


@pytest.mark.parametrize("seed", [1, 4])
def test_a_correct_float64_bilstm_passes_check_graph_at_the_documented_tolerance(seed):
    from minigraph.gradient_check import CHECK_TOLERANCE
    errors = check_graph(_bilstm_classifier(seed))
    assert CHECK_TOLERANCE == 1e-7
    assert max(errors.values()) < 1e-8, errors  # typically 2e-9 .. 5e-9
    # the elementwise measure on the same graph is inflated by entries near zero
    elementwise = check_graph(_bilstm_classifier(seed), measure="rel_error")
    assert max(elementwise.values()) > 1e-6


def test_a_bilstm_with_a_wrong_backward_fails_check_graph():
    errors = check_graph(_bilstm_classifier(1, wrong_tanh=True))
    assert errors.pop("W_out") < 1e-7  # after the wrong op: still right
    assert errors.pop("b_out") < 1e-7
    assert min(errors.values()) > 1e-3, errors  # every weight before it is wrong


def test_check_graph_refuses_an_unknown_measure(rng):
    graph, _ = _two_layer_graph(rng)
    with pytest.raises(mg.UsageError, match="measure must be one of grad_error, rel_error"):
        check_graph(graph, measure="max")
