"""What the ops added for users' own models compute: softmax and log-softmax by
log-sum-exp, softmax cross-entropy, divide and the arithmetic overloads, transpose and
reverse."""

import numpy as np
import pytest

import minigraph as mg


def _run(node):
    return mg.Graph(node).forward()


def test_softmax_of_huge_scores_is_finite_and_sums_to_one():
    scores = np.array([[1e4, 1e4 - 1.0, -1e4], [0.0, 0.0, 0.0]])
    y = _run(mg.softmax(mg.input("s", value=scores)))
    assert np.isfinite(y).all()
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-15)
    e = np.exp(-1.0)
    np.testing.assert_allclose(y[0], [1 / (1 + e), e / (1 + e), 0.0], rtol=1e-15, atol=0)
    np.testing.assert_allclose(y[1], 1 / 3, rtol=1e-15)


def test_log_softmax_keeps_the_digits_softmax_would_round_to_zero():
    scores = np.array([0.0, -1000.0], np.float32)
    y = _run(mg.log_softmax(mg.input("s", value=scores), axis=0))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [0.0, -1000.0])  # log(1 + e^-1000) rounds to 0


def test_softmax_over_the_first_axis_normalises_columns():
    x = np.random.default_rng(0).standard_normal((4, 3))
    y = _run(mg.softmax(mg.input("x", value=x), axis=0))
    np.testing.assert_allclose(y, np.exp(x) / np.exp(x).sum(axis=0), rtol=1e-14)


def test_softmax_ce_is_the_batch_mean_of_minus_log_probability():
    scores = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, -1.0]])
    targets = np.array([2, 0])
    loss = _run(mg.softmax_ce(mg.input("s", value=scores), mg.input("y", value=targets)))
    p0 = np.exp(3.0) / (np.exp(1.0) + np.exp(2.0) + np.exp(3.0))
    p1 = np.exp(0.5) / (2 * np.exp(0.5) + np.exp(-1.0))
    assert loss.shape == ()
    np.testing.assert_allclose(loss, -(np.log(p0) + np.log(p1)) / 2, rtol=1e-14)


def test_softmax_ce_names_a_target_outside_the_classes():
    loss = mg.softmax_ce(mg.input("scores", value=np.zeros((3, 4))),
                         mg.input("labels", value=np.array([0, 4, 1])))
    with pytest.raises(mg.InputError, match=r"target 4 at position 1 of 'labels' is outside "
                                            r"\[0, 4\)"):
        _run(loss)


def test_softmax_ce_refuses_sequence_scores_with_one_line_naming_the_shapes():
    with pytest.raises(mg.ShapeError, match=r"SoftmaxCE: needs scores \(N, C\) and targets "
                                            r"\(N,\).*\(2, 3, 4\)"):
        mg.softmax_ce(mg.input("s", value=np.zeros((2, 3, 4))),
                      mg.input("y", value=np.zeros((2, 3), np.int64)))


@pytest.mark.parametrize("build", [mg.softmax, mg.log_softmax])
def test_softmax_axis_outside_the_input_is_one_clear_error(build):
    with pytest.raises(mg.ShapeError, match=r"axis 2 is not an axis of a 2-d input"):
        build(mg.input("x", value=np.zeros((2, 3))), axis=2)


def test_divide_and_the_arithmetic_overloads_compute_what_numpy_does():
    rng = np.random.default_rng(1)
    a = rng.uniform(1, 2, (3, 4)).astype(np.float32)
    b = rng.uniform(1, 2, 4).astype(np.float32)
    x, y = mg.input("a", value=a), mg.input("b", value=b)
    for node, expected in [(x / y, a / b), (2 / x, 2 / a), (x / 4, a / 4), (-x, -a),
                           (mg.divide(x, y), a / b)]:
        value = _run(node)
        assert value.dtype == np.float32
        np.testing.assert_allclose(value, expected, rtol=1e-6)


def test_exp_and_log_are_inverse():
    x = np.linspace(-5, 5, 11)
    np.testing.assert_allclose(_run(mg.log(mg.exp(mg.input("x", value=x)))), x, atol=1e-14)


def test_transpose_swaps_two_axes_like_numpy():
    x = np.arange(24.0).reshape(2, 3, 4)
    node = mg.transpose(mg.input("x", value=x), 0, -1)
    assert node.shape == (4, 3, 2)
    np.testing.assert_array_equal(_run(node), np.swapaxes(x, 0, 2))


def test_reverse_puts_the_last_timestep_first():
    x = np.arange(24.0).reshape(2, 4, 3)
    y = _run(mg.reverse(mg.input("x", value=x)))
    for t in range(4):
        np.testing.assert_array_equal(y[:, t], x[:, 3 - t])


@pytest.mark.parametrize("build", [lambda x: mg.transpose(x, 0, 3), lambda x: mg.reverse(x, 2)])
def test_transpose_and_reverse_name_an_axis_the_input_lacks(build):
    with pytest.raises(mg.ShapeError, match="is not an axis of a 2-d input"):
        build(mg.input("x", value=np.zeros((2, 3))))
