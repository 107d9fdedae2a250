"""The attention captioner: gradients, attention weights, sampling, checkpoints."""

import numpy as np
import pytest

import minigraph as mg
from minigraph.gradient_check import (
    eval_numerical_gradient_array,
    rel_error,
)
from minigraph.models.captioning.attention_captioner import AttentionCaptioner
from minigraph.models.shared import per_step

from .helpers import EXTENDED, gradient_errors, needs_extended_precision

WORDS = {"<NULL>": 0, "<START>": 1, "<END>": 2, "cat": 3, "dog": 4, "red": 5}
SIZES = dict(input_dim=4, num_cells=3, wordvec_dim=5, hidden_dim=6, attention_dim=3)


def _model(cell="lstm", dtype=np.float64, gate=True, seed=231, **sizes):
    return AttentionCaptioner(WORDS, cell_type=cell, gate=gate, dtype=dtype, seed=seed,
                              **{**SIZES, **sizes})


def _batch(rng, N=2, T=3, P=3, D=4):
    return rng.standard_normal((N, P, D)), rng.integers(0, len(WORDS), (N, T + 1))


def _twin(model, dtype):
    twin = AttentionCaptioner(WORDS, **model.config | {"dtype": dtype})
    for name, value in model.params.items():
        twin.params[name][...] = value
    return twin


def _states_and_weights(model, N, T):
    """A graph whose output is every h_t and every a_t side by side (N, T (H + P))."""
    grid, words_in, _, _ = model.graph_inputs(N, T)
    x = mg.embedding(words_in, model.parameters()["W_embed"])
    hs, alphas = model.unroll_attention(grid, per_step.select_steps(x))
    return mg.Graph(mg.concat([mg.reshape(mg.stack(hs), (N, -1)),
                               mg.reshape(mg.stack(alphas), (N, -1))]))


@needs_extended_precision
@pytest.mark.parametrize("cell,gate", [("rnn", True), ("lstm", True), ("gru", True),
                                       ("lstm", False)])
@pytest.mark.slow
def test_every_parameter_passes_the_numerical_gradient_check(cell, gate):
    """The float64 backward against centered differences (h = 1e-6) taken in extended
    precision by a twin holding the same parameters (see test_captioning.py for why): the
    loss, and the states and attention weights against a random upstream gradient."""
    rng = np.random.default_rng(5)
    features, captions = _batch(rng)
    model = _model(cell, gate=gate)
    twin = _twin(model, EXTENDED)
    _, grads = model.loss(features, captions)
    errors = {f"loss/{name}": error for name, error in gradient_errors(
        lambda: twin.loss(features, captions)[0], twin, grads, h=1e-6).items()}

    graph, twin_graph = _states_and_weights(model, 2, 3), _states_and_weights(twin, 2, 3)
    feed = {"features": features, "captions_in": captions[:, :-1]}
    upstream = rng.standard_normal(graph.outputs[0].shape)
    model.zero_grad()
    graph.forward(feed)
    graph.backward(upstream)
    analytic = model.gradients()
    twin_graph.feed({"features": features.astype(EXTENDED), "captions_in": captions[:, :-1]})
    for name in sorted(analytic):
        numeric = eval_numerical_gradient_array(lambda _: twin_graph.forward(),
                                                twin.params[name], upstream.astype(EXTENDED),
                                                h=1e-6)
        errors[f"states/{name}"] = rel_error(numeric, analytic[name])
    assert len(errors) == 2 * len(model.params)
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_attention_weights_are_a_distribution_over_the_cells_at_every_step(cell):
    rng = np.random.default_rng(1)
    model = _model(cell, dtype=np.float32, num_cells=5)
    features = rng.standard_normal((3, 5, 4)).astype(np.float32) * 3
    weights = model.attention_weights(features, rng.integers(0, 6, (3, 7)))
    assert weights.shape == (3, 6, 5)
    assert weights.min() >= 0
    np.testing.assert_allclose(weights.sum(axis=2), 1.0, atol=1e-6)
    assert weights.std() > 0.01  # not uniform: the scores depend on the cells


@pytest.mark.parametrize("method", ["greedy", "sample", "beam"])
def test_sampled_words_come_with_the_weights_the_training_graph_gives_them(method):
    """Each generated word's weights are those of the teacher-forced graph fed the same
    caption (sampling and training build the attention alike), a distribution per word,
    and zeros after <END>."""
    rng = np.random.default_rng(2)
    model = _model("gru", num_cells=4)
    features = rng.standard_normal((3, 4, 4)) * 2
    captions, weights = model.sample(features, max_length=6, method=method, seed=4,
                                     return_attention=True)
    np.testing.assert_array_equal(captions, model.sample(features, max_length=6,
                                                         method=method, seed=4))
    for i in range(3):
        ends = np.flatnonzero(captions[i] == WORDS["<END>"])
        length = ends[0] + 1 if ends.size else 6
        fed = np.concatenate([[WORDS["<START>"]], captions[i, :length]])[None]
        forced = model.attention_weights(features[i:i + 1], fed)[0]
        np.testing.assert_allclose(weights[i, :length], forced, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(weights[i, :length].sum(axis=1), 1.0, atol=1e-12)
        assert not weights[i, length:].any()


def test_seeded_sampling_repeats_and_another_seed_differs():
    rng = np.random.default_rng(3)
    model = _model("lstm")
    model.params["W_vocab"] = model.params["W_vocab"] * 0.01  # near-uniform words
    features = rng.standard_normal((4, 3, 4))
    a = model.sample(features, method="sample", seed=11, max_length=8)
    np.testing.assert_array_equal(a, model.sample(features, method="sample", seed=11,
                                                  max_length=8))
    assert (a != model.sample(features, method="sample", seed=12, max_length=8)).any()


def test_the_grid_is_projected_once_per_image_not_once_per_step():
    model = _model("rnn")
    graph = model.build_graph(2, 5)
    users = {name: [n for n in graph.nodes if any(i is node for i in n.inputs)]
             for name, node in model.parameters().items()}
    assert len(users["U_att"]) == 1 and len(users["W_pos"]) == 1
    assert len(users["W_att"]) == 5 and len(users["v_att"]) == 5  # once per step
    assert sorted(n.name for n in graph.nodes if n.op is not None and n.op.label.startswith(
        "Softmax")) == [f"a[{t}]" for t in range(5)]


def test_drawing_graph_has_the_training_loss_and_the_named_attention_nodes():
    rng = np.random.default_rng(4)
    model = _model("lstm")
    features, captions = _batch(rng)
    loss, _ = model.loss(features, captions)
    graph = model.drawing_graph(features, captions)
    assert rel_error(graph.outputs[0].value, loss) < 1e-12
    names = {n.name for n in graph.nodes}
    for t in range(3):
        assert {f"e[{t}]", f"a[{t}]", f"z[{t}]", f"h[{t}]", f"L[{t}]"} <= names
    assert all(n.tags.get("t") == int(n.name[2]) for n in graph.nodes
               if n.name[:2] in ("e[", "a[", "z["))


def test_a_pooled_feature_vector_is_refused_with_the_grid_shape_it_needs():
    model = _model("rnn", dtype=np.float32)
    with pytest.raises(mg.ShapeError, match=r"the grid \(N, P=3, D=4\), got \(2, 4\); load "
                       "the data with grid=True"):
        model.loss(np.zeros((2, 4), np.float32), np.ones((2, 4), np.int64))
    with pytest.raises(mg.ShapeError, match=r"got \(2, 5, 4\)"):
        model.sample(np.zeros((2, 5, 4), np.float32))


def test_checkpoint_round_trip_keeps_the_attention_model(tmp_path):
    rng = np.random.default_rng(6)
    model = _model("gru", dtype=np.float32, gate=False)
    features, captions = _batch(rng)
    path = tmp_path / "attention.h5"
    model.save(path)
    loaded, _ = AttentionCaptioner.load(path)
    assert loaded.config == model.config and "W_gate" not in loaded.params
    features = features.astype(np.float32)
    assert loaded.loss(features, captions)[0] == model.loss(features, captions)[0]


def test_training_on_a_few_captions_drives_the_loss_down():
    """Adam on 4 captions: the loss falls to a fraction of its start (the model learns
    through the attention path, not only the bias)."""
    from minigraph import optim
    rng = np.random.default_rng(7)
    model = _model("lstm", dtype=np.float32, hidden_dim=16, wordvec_dim=8)
    features = rng.standard_normal((4, 3, 4)).astype(np.float32)
    captions = rng.integers(3, 6, (4, 6))
    captions[:, 0] = WORDS["<START>"]
    configs = {name: {"learning_rate": 2e-2} for name in model.params}
    first = None
    for _ in range(150):
        loss, grads = model.loss(features, captions)
        first = loss if first is None else first
        for name, w in model.params.items():
            model.params[name], configs[name] = optim.adam(w, grads[name], configs[name])
    assert loss < 0.1 * first, (first, loss)
