"""What the models share (minigraph.models.shared.model.Model): the cs231n params contract, the
graph the model code writes, checkpoints."""

import numpy as np
import pytest

import minigraph as mg
from minigraph.checkpoint import CheckpointError
from minigraph.models.captioning.rnn_captioner import CaptioningRNN
from minigraph.models.charrnn.model import CharRNN

WORDS = {w: i for i, w in enumerate(["<NULL>", "<START>", "<END>", "a", "b", "c"])}


def captioner(**kw):
    return CaptioningRNN(WORDS, input_dim=3, wordvec_dim=4, hidden_dim=5, cell_type="lstm",
                         dtype=np.float64, seed=2, **kw)


def char_rnn(**kw):
    return CharRNN(6, hidden_size=5, num_layers=2, cell="gru", dtype=np.float64, seed=2,
                   chars=list("abcdef"), **kw)


def batch(model, rng):
    if isinstance(model, CaptioningRNN):
        return rng.standard_normal((2, 3)), rng.integers(0, 6, (2, 5))
    ids = rng.integers(0, 6, (2, 5))
    return ids[:, :-1], ids[:, 1:]


@pytest.mark.parametrize("make", [captioner, char_rnn])
def test_replacing_a_parameter_array_is_seen_by_every_graph_built(make):
    """cs231n's solver does ``model.params[k] = next_w`` with a new array."""
    rng = np.random.default_rng(0)
    model, twin = make(), make()
    args = batch(model, rng)
    loss, grads = model.loss(*args)[:2]
    for name, w in model.params.items():
        model.params[name] = w - 0.5 * grads[name]  # a new array, not an in-place update
        twin.params[name][...] = model.params[name]  # the same values, written in place
    assert model.loss(*args)[0] < loss
    assert model.loss(*args)[0] == twin.loss(*args)[0]
    if isinstance(model, CaptioningRNN):
        np.testing.assert_array_equal(model.sample(args[0], 6), twin.sample(args[0], 6))
    else:
        assert model.sample("ab", 12, temperature=0) == twin.sample("ab", 12, temperature=0)


def test_a_replacement_of_the_wrong_shape_or_dtype_is_refused_by_name():
    model = captioner()
    with pytest.raises(mg.ShapeError, match=r"params\['Wx'\] must keep shape \(4, 20\), got "
                                            r"\(20, 4\)"):
        model.params["Wx"] = model.params["Wx"].T.copy()
    with pytest.raises(mg.DTypeError, match=r"params\['b'\] must stay float64, got float32"):
        model.params["b"] = model.params["b"].astype(np.float32)
    with pytest.raises(KeyError, match="no parameter 'W_x'"):
        model.params["W_x"] = np.zeros(3)


def test_the_captioning_graph_holds_the_nodes_the_model_code_names():
    rng = np.random.default_rng(1)
    features, captions = batch(captioner(), rng)
    composed = captioner(fused=False)
    composed.loss(features, captions, retain_graph=True)
    x = composed.build_graph(2, 4)["x"]
    assert isinstance(x.op, mg.Embedding)
    np.testing.assert_array_equal(x.value, composed.params["W_embed"][captions[:, :-1]])
    fused = captioner()
    fused.loss(features, captions, retain_graph=True)
    xw = fused.build_graph(2, 4)["xw"]  # the fast path, as CaptioningRNN's docstring says
    assert isinstance(xw.op, mg.EmbeddingAffine)
    np.testing.assert_allclose(xw.value, x.value @ fused.params["Wx"] + fused.params["b"],
                               rtol=1e-12)


def test_unroll_keeps_the_input_it_is_given():
    """No silent rewrite: an embedding fed to a fused unroll stays in the graph."""
    ids = mg.input("ids", (2, 3), np.int64)
    x = mg.embedding(ids, mg.param(np.ones((5, 4)), "W_embed"), name="x")
    hs, _, _ = mg.unroll("rnn", x, mg.input("h0", (2, 6), np.float64),
                         mg.param(np.ones((4, 6)), "Wx"), mg.param(np.ones((6, 6)), "Wh"),
                         mg.param(np.ones(6), "b"))
    graph = mg.Graph(mg.stack(hs))
    assert graph["x"] is x and isinstance(graph["h.xw"].op, mg.TemporalAffine)


@pytest.mark.parametrize("make", [captioner, char_rnn])
def test_a_saved_model_loads_with_the_same_parameters_and_loss(make, tmp_path):
    rng = np.random.default_rng(3)
    model = make()
    args = batch(model, rng)
    for name, w in model.params.items():
        model.params[name] = w + rng.standard_normal(w.shape)
    model.save(tmp_path / "m.h5", history={"loss": [1.0, 0.5]})
    loaded, saved = type(model).load(tmp_path / "m.h5")
    assert saved["history"]["loss"] == [1.0, 0.5]
    for name, w in model.params.items():
        np.testing.assert_array_equal(loaded.params[name], w)
    assert loaded.loss(*args)[0] == model.loss(*args)[0]
    other = CharRNN if isinstance(model, CaptioningRNN) else CaptioningRNN
    with pytest.raises(CheckpointError, match=f"holds a {type(model).__name__}, not a "
                                              f"{other.__name__}"):
        other.load(tmp_path / "m.h5")


def test_loading_parameters_trained_on_another_vocabulary_says_so(tmp_path):
    captioner().save(tmp_path / "m.h5")
    other = CaptioningRNN({**WORDS, "d": 6}, input_dim=3, wordvec_dim=4, hidden_dim=5,
                          cell_type="lstm", dtype=np.float64)
    with pytest.raises(CheckpointError, match=r"different vocabulary \(6 tokens, this model "
                                              r"has 7\); first differences: \[\('d', 6\)\]"):
        other.load_params(tmp_path / "m.h5")
