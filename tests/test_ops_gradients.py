"""Property tests: every op's backward agrees with centered differences in float64, over
random shapes (size-1 dimensions included) and random upstream gradients."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigraph as mg
from minigraph.gradient_check import eval_numerical_gradient_array, grad_error

from .op_examples import example, library_ops

TOLERANCE = 1e-7
H = 1e-5  # the centered differences' step
dims = st.integers(min_value=1, max_value=4)
seeds = st.integers(min_value=0, max_value=2**32 - 1)
PROPERTY = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def check_op(build, arrays, seed, reset=None, expect=None):
    """Build ``build(*input_nodes)``, backprop a random upstream gradient, and compare the
    gradient of every float input with centered differences. ``expect``: an op class the
    graph must contain."""
    rng = np.random.default_rng(seed)
    leaves = [mg.input(f"in{i}", value=a) for i, a in enumerate(arrays)]
    out = build(*leaves)
    graph = mg.Graph(out)
    assert expect is None or any(isinstance(n.op, expect) for n in graph.op_nodes)
    upstream = np.asarray(rng.standard_normal(out.shape))

    def run(_=None):
        if reset:
            reset(graph)
        return graph.forward()

    run()
    graph.backward(upstream)
    floats = [leaf for leaf in leaves if leaf.dtype.kind == "f"]
    analytic_grads = [np.zeros(n.shape) if n.grad is None else n.grad.copy() for n in floats]
    # Centered differences with step H cannot resolve a derivative more finely than the
    # rounding of the two function values, about eps * |f| / H: a gradient whose entries are
    # all that small (a saturated softmax: 4e-6 for inputs 6.4 and -7.6) is checked against
    # that floor, every other against TOLERANCE.
    noise_floor = 10 * np.finfo(np.float64).eps * max(1.0, np.abs(run() * upstream).sum()) / H
    for leaf, analytic in zip(floats, analytic_grads):
        numeric = eval_numerical_gradient_array(run, leaf.value, upstream, h=H)
        error = grad_error(analytic, numeric)
        worst = np.abs(analytic - numeric).max(initial=0.0)
        assert error < TOLERANCE or worst < noise_floor, \
            f"{leaf.name}: relative error {error:.2e}, largest difference {worst:.2e}"
    assert floats


def normal(rng, shape, scale=1.0):
    return rng.standard_normal(shape) * scale


@st.composite
def broadcast_pair(draw):
    shape = tuple(draw(st.lists(dims, min_size=1, max_size=3)))
    other = [1 if draw(st.booleans()) else s for s in shape]
    other = tuple(other[draw(st.integers(0, len(other) - 1)):])
    return (shape, other) if draw(st.booleans()) else (other, shape)


@pytest.mark.parametrize("build", [mg.add, mg.sub, mg.mul], ids=["add", "sub", "mul"])
@given(shapes=broadcast_pair(), seed=seeds)
@PROPERTY
def test_broadcasting_binary_ops(build, shapes, seed):
    rng = np.random.default_rng(seed)
    check_op(build, [normal(rng, s) for s in shapes], seed)


def away_from_zero(rng, shape, low=0.5, high=2.0):
    """Entries of either sign with |x| in [low, high]: 1 / x and log |x| stay smooth
    within the step of a difference quotient."""
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


@given(shapes=broadcast_pair(), seed=seeds)
@PROPERTY
def test_divide_with_broadcasting(shapes, seed):
    rng = np.random.default_rng(seed)
    check_op(mg.divide, [normal(rng, shapes[0]), away_from_zero(rng, shapes[1])], seed)


@given(shape=st.lists(dims, min_size=0, max_size=3), seed=seeds)
@PROPERTY
def test_exp_and_log(shape, seed):
    rng = np.random.default_rng(seed)
    check_op(mg.exp, [normal(rng, shape, 2.0)], seed)
    check_op(mg.log, [np.abs(away_from_zero(rng, shape, 0.2, 5.0))], seed)


@pytest.mark.parametrize("build", [mg.softmax, mg.log_softmax], ids=["softmax", "log_softmax"])
@given(shape=st.lists(dims, min_size=1, max_size=3), data=st.data(), seed=seeds)
@PROPERTY
def test_softmax_over_any_axis(build, shape, data, seed):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    rng = np.random.default_rng(seed)
    check_op(lambda x: build(x, axis=axis), [normal(rng, shape, 3.0)], seed)


@given(n=dims, c=st.integers(1, 6), seed=seeds)
@PROPERTY
def test_softmax_ce(n, c, seed):
    rng = np.random.default_rng(seed)
    check_op(mg.softmax_ce, [normal(rng, (n, c), 3.0), rng.integers(0, c, size=n)], seed)


@given(shape=st.lists(dims, min_size=2, max_size=4), data=st.data(), seed=seeds)
@PROPERTY
def test_transpose_of_any_two_axes(shape, data, seed):
    axes = st.integers(-len(shape), len(shape) - 1)
    a, b = data.draw(axes), data.draw(axes)
    rng = np.random.default_rng(seed)
    check_op(lambda x: mg.tanh(mg.transpose(x, a, b)), [normal(rng, shape)], seed)


@given(shape=st.lists(dims, min_size=1, max_size=3), data=st.data(), seed=seeds)
@PROPERTY
def test_reverse_of_any_axis(shape, data, seed):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    rng = np.random.default_rng(seed)
    check_op(lambda x: mg.tanh(mg.reverse(x, axis=axis)), [normal(rng, shape)], seed)


@given(n=dims, k=dims, m=dims, seed=seeds)
@PROPERTY
def test_matmul(n, k, m, seed):
    rng = np.random.default_rng(seed)
    check_op(mg.matmul, [normal(rng, (n, k)), normal(rng, (k, m))], seed)


@pytest.mark.parametrize("build", [mg.tanh, mg.sigmoid, mg.relu], ids=["tanh", "sigmoid", "relu"])
@given(shape=st.lists(dims, min_size=0, max_size=3), seed=seeds)
@PROPERTY
def test_elementwise(build, shape, seed):
    rng = np.random.default_rng(seed)
    x = normal(rng, shape, 2.0)
    x = np.sign(x) * (np.abs(x) + 0.01)  # keep relu's kink out of reach of h
    check_op(build, [x], seed)


@pytest.mark.parametrize("build", [mg.sum, mg.mean], ids=["sum", "mean"])
@given(shape=st.lists(dims, min_size=1, max_size=3), data=st.data(), seed=seeds)
@PROPERTY
def test_reductions(build, shape, data, seed):
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    keepdims = data.draw(st.booleans())
    rng = np.random.default_rng(seed)
    check_op(lambda x: build(x, axis=axis, keepdims=keepdims), [normal(rng, shape)], seed)


@given(a=dims, b=dims, c=dims, seed=seeds)
@PROPERTY
def test_reshape(a, b, c, seed):
    rng = np.random.default_rng(seed)
    check_op(lambda x: mg.reshape(x, (c, -1)), [normal(rng, (a, b, c))], seed)


@given(lead=dims, widths=st.lists(dims, min_size=1, max_size=3), seed=seeds)
@PROPERTY
def test_split_and_concat(lead, widths, seed):
    rng = np.random.default_rng(seed)
    x = normal(rng, (lead, sum(widths)))

    def build(node):
        pieces = mg.split(node, widths)
        return mg.concat([mg.tanh(p) for p in reversed(pieces)])
    check_op(build, [x], seed)


@given(n=dims, t=dims, d=dims, data=st.data(), seed=seeds)
@PROPERTY
def test_select_step_and_stack(n, t, d, data, seed):
    rng = np.random.default_rng(seed)
    order = data.draw(st.permutations(range(t)))
    keep = order[:data.draw(st.integers(1, t))]  # some steps unused, some reordered
    check_op(lambda x: mg.stack([mg.select_step(x, s) for s in keep]),
             [normal(rng, (n, t, d))], seed)


@given(n=dims, t=dims, v=dims, d=dims, seed=seeds)
@PROPERTY
def test_embedding_with_repeated_ids(n, t, v, d, seed):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, v, size=(n, t))
    check_op(mg.embedding, [ids, normal(rng, (v, d))], seed)


@pytest.mark.parametrize("vocab", [2, 40])  # the lookup-table order, then embed-then-multiply
@given(n=st.integers(2, 4), t=st.integers(4, 6), d=st.integers(3, 5), m=dims, seed=seeds)
@PROPERTY
def test_embedding_affine_in_both_orders(vocab, n, t, d, m, seed):
    assert mg.EmbeddingAffine.uses_table(vocab, n * t, d) == (vocab == 2)
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, vocab, size=(n, t))
    check_op(mg.embedding_affine,
             [ids, normal(rng, (vocab, d)), normal(rng, (d, m)), normal(rng, m)], seed)


@given(lead=st.lists(dims, min_size=1, max_size=2), d=dims, m=dims, seed=seeds)
@PROPERTY
def test_affine(lead, d, m, seed):
    rng = np.random.default_rng(seed)
    check_op(mg.affine, [normal(rng, (*lead, d)), normal(rng, (d, m)), normal(rng, m)], seed)


@given(n=dims, t=dims, d=dims, m=dims, seed=seeds)
@PROPERTY
def test_temporal_affine(n, t, d, m, seed):
    rng = np.random.default_rng(seed)
    check_op(mg.temporal_affine,
             [normal(rng, (n, t, d)), normal(rng, (d, m)), normal(rng, m)], seed)


@pytest.mark.parametrize("average", ["batch", "token"])
@given(n=dims, t=dims, v=st.integers(2, 6), seed=seeds)
@PROPERTY
def test_masked_softmax_ce(average, n, t, v, seed):
    rng = np.random.default_rng(seed)
    mask = rng.random((n, t)) < 0.7
    arrays = [normal(rng, (n, t, v), 3.0), rng.integers(0, v, size=(n, t)), mask]
    check_op(lambda s, y, m: mg.masked_softmax_ce(s, y, m, average=average), arrays, seed)


@given(shape=st.lists(dims, min_size=1, max_size=3), p=st.sampled_from([0.0, 0.3, 0.5]),
       seed=seeds)
@PROPERTY
def test_dropout_with_its_mask_held_fixed(shape, p, seed):
    rng = np.random.default_rng(seed)

    def reset(graph):  # the same mask at every evaluation of the difference quotient
        graph.op_nodes[-1].op.rng = np.random.default_rng(seed)
    check_op(lambda x: mg.dropout(x, p, np.random.default_rng(seed)),
             [normal(rng, shape)], seed, reset=reset)


def _cell_arrays(rng, n, d, h, gates, states):
    return ([normal(rng, (n, d))] + [normal(rng, (n, h)) for _ in range(states)]
            + [normal(rng, (d, gates * h), 0.5), normal(rng, (h, gates * h), 0.5),
               normal(rng, gates * h, 0.5)])


@given(n=dims, d=dims, h=dims, seed=seeds)
@PROPERTY
def test_rnn_step(n, d, h, seed):
    check_op(mg.rnn_step, _cell_arrays(np.random.default_rng(seed), n, d, h, 1, 1), seed)


@given(n=dims, d=dims, h=dims, seed=seeds)
@PROPERTY
def test_lstm_step(n, d, h, seed):
    check_op(lambda *xs: mg.concat(mg.lstm_step(*xs)),
             _cell_arrays(np.random.default_rng(seed), n, d, h, 4, 2), seed)


@given(n=dims, d=dims, h=dims, seed=seeds)
@PROPERTY
def test_gru_step(n, d, h, seed):
    check_op(mg.gru_step, _cell_arrays(np.random.default_rng(seed), n, d, h, 3, 1), seed)


def _projected_arrays(rng, n, h, gates, states):
    return ([normal(rng, (n, gates * h))] + [normal(rng, (n, h)) for _ in range(states)]
            + [normal(rng, (h, gates * h), 0.5)])


@given(n=dims, h=dims, seed=seeds)
@PROPERTY
def test_rnn_step_projected(n, h, seed):
    check_op(mg.rnn_step_projected, _projected_arrays(np.random.default_rng(seed), n, h, 1, 1),
             seed)


@given(n=dims, h=dims, seed=seeds)
@PROPERTY
def test_lstm_step_projected(n, h, seed):
    check_op(lambda *xs: mg.concat(mg.lstm_step_projected(*xs)),
             _projected_arrays(np.random.default_rng(seed), n, h, 4, 2), seed)


@given(n=dims, h=dims, seed=seeds)
@PROPERTY
def test_gru_step_projected(n, h, seed):
    check_op(mg.gru_step_projected, _projected_arrays(np.random.default_rng(seed), n, h, 3, 1),
             seed)


DIFFERENTIABLE = sorted(name for name, cls in library_ops().items() if cls.differentiable)


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_every_differentiable_op_passes_a_gradient_check_at_its_example(name):
    """Self-contained coverage: each op class the library exports has an example graph
    (tests/op_examples.py), and its backward agrees with centered differences there. An
    op added without an example fails here."""
    op_class = library_ops()[name]
    found = example(op_class, np.random.default_rng(11), np.float64)
    assert found is not None, f"no example graph for {name} in tests/op_examples.py"
    build, arrays, reset = found
    check_op(build, arrays, seed=12, reset=reset, expect=op_class)
