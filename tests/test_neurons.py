"""The neuron page's analysis: text features, correlations, states and gates read off the
graph, gradient strips against a single-window backward, vocabulary and JSON safety."""

import json

import numpy as np
import pytest

import minigraph as mg
from minigraph import checkpoint
from minigraph.checkpoint import CheckpointError
from minigraph.models.charrnn.model import CharRNN
from minigraph.models.cli import main
from minigraph.models.lab.neuron_record import gradient_strips, record
from minigraph.models.lab.neuron_signals import character_features, rank_cells, text_signals
from minigraph.models.lab.neurons import check_vocabulary, page_data, script_json

PLAY = ("ROMEO:\nBut soft, what light?\n\nJULIET:\nAy me.\n") * 6


def make_model(text, cell="lstm", layers=2, hidden=10, seed=0):
    return CharRNN(len(set(text)), hidden_size=hidden, num_layers=layers, cell=cell,
                   chars=sorted(set(text)), seed=seed)


def test_features_mark_quotes_brackets_speakers_and_upper_case_words():
    text = 'KING:\nSay "hi (x)" now\n'
    f = character_features(text)
    at = text.index
    assert f["inside quotes"][at('"')] == 1 and f["inside quotes"][at("h")] == 1
    assert f["inside quotes"][at('" now')] == 0 and f["inside quotes"][at("S")] == 0
    assert f["inside brackets"][at("x")] == 1 and f["inside brackets"][at(" now")] == 0
    assert list(f["inside an upper-case word"][:5]) == [1, 1, 1, 1, 0]  # KING, not ':'
    assert f["line after a speaker line"][at("Say")] == 1 and f["line after a speaker line"][0] == 0
    assert f["position in line"][at("S")] == 0 and f["position in line"][at("a")] == 1
    assert f["start of line"][at("S")] == 1 and f["start of line"][at("a")] == 0
    assert f["vowel"][at("a")] == 1 and f["space"][at(" ")] == 1


def test_features_constant_in_the_text_are_dropped():
    kept, dropped = text_signals(PLAY)  # no quotes, no brackets
    assert set(dropped) == {"inside quotes", "inside brackets"}
    assert all(np.ptp(values) > 0 for values in kept.values())


def test_ranking_finds_a_planted_cell_with_its_pearson_r():
    rng = np.random.default_rng(0)
    kept, _ = text_signals(PLAY)
    acts = rng.standard_normal((len(PLAY), 20))
    acts[:, 13] = kept["vowel"] + 0.3 * rng.standard_normal(len(PLAY))
    table = rank_cells(kept, acts, [f"cell {m}" for m in range(20)])
    vowel = next(row for row in table if row["signal"] == "vowel")
    assert vowel["cells"][0]["cell"] == "cell 13"
    assert vowel["cells"][0]["r"] == pytest.approx(np.corrcoef(kept["vowel"], acts[:, 13])[0, 1],
                                                   abs=1e-3)
    best = [abs(row["cells"][0]["r"]) for row in table]
    assert best == sorted(best, reverse=True) and best[0] > 0.8


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_recorded_states_equal_stepping_the_model_one_character_at_a_time(cell):
    model = make_model(PLAY, cell)
    ids = np.array([model.chars.index(c) for c in PLAY[:150]])
    values = record(model, ids, window=40)["values"]  # windows: the carried state must be exact
    state = model.zero_state(1)
    for t, char_id in enumerate(ids):
        _, state = model.step(char_id, state)
        for layer, (h, c) in enumerate(state):
            np.testing.assert_allclose(values["h"][layer, t], h[0], atol=1e-5)
            if cell == "lstm":
                np.testing.assert_allclose(values["c"][layer, t], c[0], atol=1e-5)
    for gate in {"lstm": "ifo", "gru": "rz", "rnn": ""}[cell]:
        assert 0 < values[gate].min() and values[gate].max() < 1
    if cell == "lstm":  # h = o * tanh(c), from three different nodes of the graph
        np.testing.assert_allclose(values["h"], values["o"] * np.tanh(values["c"]), atol=1e-5)


def single_window_norms(model, ids, p, W, values, layer):
    """|dL_p/dh| at the W steps before p from the model's own graph for one window, the
    loss gradient seeded by hand on the scores: softmax - onehot at the last step only."""
    s = p - W
    graph = mg.Graph(model.build_graph(1, W)["scores"])
    feed = {"x": ids[None, s:p]}
    for i in range(model.num_layers):
        feed[f"h_in[{i}]"] = values["h"][i, s - 1][None].astype(np.float32)
        if model.cell == "lstm":
            feed[f"c_in[{i}]"] = values["c"][i, s - 1][None].astype(np.float32)
    scores = graph.forward(feed)[0, -1].astype(np.float64)
    upstream = np.zeros((1, W, len(model.chars)), np.float32)
    probs = np.exp(scores - scores.max())
    upstream[0, -1] = probs / probs.sum()
    upstream[0, -1, ids[p]] -= 1
    graph.backward(upstream, retain_graph=True)
    return np.array([np.linalg.norm(graph[f"h{layer}[{t}]"].grad) for t in range(W)])[::-1]


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_gradient_strips_equal_a_single_window_backward(cell):
    model = make_model(PLAY, cell)
    ids = np.array([model.chars.index(c) for c in PLAY[:90]])
    values = record(model, ids)["values"]
    strips = gradient_strips(model, ids, values, k=12, rows=16)
    assert strips.shape == (2, 90, 12)
    for p in (40, 89):
        for layer in range(2):
            expected = single_window_norms(model, ids, p, 12, values, layer)
            np.testing.assert_allclose(strips[layer, p], expected, rtol=1e-4, atol=1e-9)
    # early characters: only the steps that exist, NaN before the text starts
    assert np.isnan(strips[0, 5, 5:]).all() and np.isfinite(strips[0, 5, :5]).all()
    assert np.isnan(strips[:, 0]).all()


@pytest.mark.parametrize("vocab, problem", [
    (["a", "bc"], "entry 1 is 'bc'"), (["a", "a"], "appears twice"), (["a", 7], "entry 1 is 7"),
    ("abc", "must be a non-empty list")])
def test_loaded_vocabulary_must_be_distinct_single_characters(vocab, problem):
    with pytest.raises(CheckpointError, match=problem):
        check_vocabulary(vocab, "m.h5")


def test_neurons_command_refuses_a_checkpoint_whose_vocabulary_holds_markup(tmp_path, capsys):
    hostile = '</script><img src=x onerror="window.__pwned=1">'
    chars = ["a", "b", hostile]
    model = CharRNN(3, hidden_size=4, num_layers=1, chars=chars)
    path = tmp_path / "m.h5"
    checkpoint.save(path, kind="CharRNN", params=model.params, config=model.config, vocab=chars)
    (tmp_path / "t.txt").write_text("abab" * 20, encoding="utf-8")
    args = ["char", "neurons", "--model", str(path), "--text", str(tmp_path / "t.txt"),
            "--out", str(tmp_path / "n.html")]
    try:
        code = main(args)
        message = capsys.readouterr().err
        assert code != 0
    except CheckpointError as exc:
        message = str(exc)
    assert "vocabulary entry 2" in message and str(path) in message
    assert not (tmp_path / "n.html").exists()


def test_embedded_json_cannot_end_the_script_element():
    data = {"text": '</script><!-- & <img src=x onerror=alert(1)> \u2028'}
    embedded = script_json(data)
    assert not set("<>&") & set(embedded) and "\u2028" not in embedded
    assert json.loads(embedded) == data


@pytest.mark.parametrize("text, k, flag", [(PLAY, 0, "--k"), ("R", 5, "--chars")])
def test_page_refuses_an_empty_strip_or_too_little_text(text, k, flag):
    with pytest.raises(mg.InputError, match=flag):
        page_data(make_model(PLAY), text, k=k)
