"""Each model is written once (models/shared/recurrence.py, AttentionCaptioner.attention_step), so
its three graphs agree: the training graph loss() runs (whole-sequence nodes), the
per-step graph (``build_graph``), the drawing graph (one column per step, a loss L_t at
every step) and the one-step sampling graph. Loss and gradients to rounding (float64),
greedy samples identical to the argmax of the drawing graph's outputs y_t."""

import numpy as np
import pytest

from minigraph.models.captioning.attention_captioner import AttentionCaptioner
from minigraph.models.captioning.rnn_captioner import CaptioningRNN
from minigraph.models.charrnn.model import CharRNN

CELLS = ["rnn", "lstm", "gru"]
WORDS = ["<NULL>", "<START>", "<END>", "a", "red", "blue", "circle", "square", "left"]
TOL = 1e-12  # relative, float64


def _assert_close(label, got, want):
    scale = max(float(np.max(np.abs(want))), 1.0)
    assert float(np.max(np.abs(np.asarray(got) - want))) <= TOL * scale, label


def _assert_same_loss_and_grads(model, runs):
    """runs: {graph name: (loss, grads)}; every one equals the first."""
    (first, (loss, grads)), *others = runs.items()
    assert set(grads) == set(model.params)
    for name, (other_loss, other_grads) in others:
        _assert_close(f"{name} loss vs {first}", other_loss, loss)
        for param in grads:
            _assert_close(f"{name} d{param} vs {first}", other_grads[param], grads[param])


def _drawing_argmax(graph, T):
    """The drawing graph's prediction at every step: argmax of its outputs y_t."""
    return np.stack([graph[f"y[{t}]"].value.argmax(axis=1) for t in range(T)], axis=1)


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("cell", CELLS)
def test_char_rnn_training_drawing_and_sampling_graphs_agree(cell, fused, layers):
    rng = np.random.default_rng(3)
    chars = list("abcdefg\n")
    model = CharRNN(len(chars), hidden_size=6, num_layers=layers, cell=cell, fused=fused,
                    embed_size=5, dtype=np.float64, seed=1, chars=chars)
    ids = rng.integers(0, len(chars), (3, 8))
    x, y = ids[:, :-1], ids[:, 1:]
    state = [(rng.standard_normal((3, 6)), rng.standard_normal((3, 6)) if cell == "lstm"
              else None) for _ in range(layers)]
    fast = model.loss(x, y, state)
    per_step = model.loss(x, y, state, retain_graph=True)
    drawing = model.drawing_graph(x, y, state)
    runs = {"fast": fast[:2], "per-step": per_step[:2],
            "drawing": (drawing.outputs[0].value[()], model.gradients())}
    _assert_same_loss_and_grads(model, runs)
    for (h, c), (h_step, c_step), outputs in zip(fast.state, per_step.state,
                                                 np.split(np.arange(len(drawing.outputs) - 1),
                                                          layers)):
        _assert_close("final h", h_step, h)
        _assert_close("final h (drawing)", drawing.outputs[1 + outputs[0]].value, h)
        if cell == "lstm":
            _assert_close("final c", c_step, c)

    text = model.sample(prime="ab", length=10, temperature=0)  # greedy, by the step graph
    sampled = np.array([[chars.index(ch) for ch in "ab" + text]])
    graph = model.drawing_graph(sampled[:, :-1], sampled[:, 1:])
    predicted = _drawing_argmax(graph, sampled.shape[1] - 1)
    np.testing.assert_array_equal(predicted[0, 1:], sampled[0, 2:])


def _captioner(kind, cell, fused):
    word_to_idx = {w: i for i, w in enumerate(WORDS)}
    if kind == "attention":
        model = AttentionCaptioner(word_to_idx, input_dim=4, num_cells=3, wordvec_dim=5,
                                   hidden_dim=6, attention_dim=4, cell_type=cell,
                                   fused=fused, dtype=np.float64, seed=2)
        return model, (4, 3, 4)
    model = CaptioningRNN(word_to_idx, input_dim=7, wordvec_dim=5, hidden_dim=6,
                          cell_type=cell, fused=fused, dtype=np.float64, seed=2)
    return model, (4, 7)


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("kind", ["captioning", "attention"])
def test_captioner_training_drawing_and_sampling_graphs_agree(kind, cell, fused):
    rng = np.random.default_rng(4)
    model, feature_shape = _captioner(kind, cell, fused)
    features = rng.standard_normal(feature_shape)
    captions = rng.integers(1, len(WORDS), (4, 6))
    captions[0, 4:] = 0  # padding: masked steps count in no graph
    fast = model.loss(features, captions)
    per_step = model.loss(features, captions, retain_graph=True)
    drawing = model.drawing_graph(features, captions)
    _assert_same_loss_and_grads(model, {
        "fast": fast, "per-step": per_step,
        "drawing": (drawing.outputs[0].value[()], model.gradients())})

    sampled = model.sample(features, max_length=6)  # greedy, by the one-step graph
    start = np.full((len(features), 1), WORDS.index("<START>"))
    fed = np.concatenate([start, sampled], axis=1)
    graph = model.drawing_graph(features, fed)
    predicted = _drawing_argmax(graph, sampled.shape[1])
    for row, ids in zip(predicted, sampled):  # up to and with each caption's <END>
        written = ids != WORDS.index("<NULL>")
        np.testing.assert_array_equal(row[written], ids[written])
