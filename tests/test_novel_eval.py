"""Novel-split evaluation: pair recall@k, beam candidates, the per-cell attribute scorer and
image-text re-ranking."""

import numpy as np
import pytest

from minigraph.models.captioning.attribute_rerank import (
    COLOUR_LIST,
    SHAPE_LIST,
    AttributeReranker,
    expansions,
    image_text_score,
    likely_pairs,
)
from minigraph.models.captioning.attribute_scorer import (
    AttributeScorer,
    cell_features,
    cell_labels,
)
from minigraph.models.captioning.evaluation import pair_recall
from minigraph.models.shared.decoding import beam_search


def obj(colour, shape, x=32.0, y=32.0, radius=8.0, size="small"):
    return {"colour": colour, "shape": shape, "x": x, "y": y, "radius": radius, "size": size}


def test_pair_recall_needs_every_pair_of_an_image_among_the_top_k_captions():
    objects = [[obj("red", "circle")],
               [obj("blue", "square", x=15), obj("green", "diamond", x=45)],
               [obj("yellow", "triangle")]]
    candidates = [["a small green circle", "a small red circle"],
                  ["a blue square left of a green square", "a green diamond right of a red square"],
                  ["a big purple triangle", "a big yellow square"]]
    # k=1: none; k=2: the first (second caption), the second (pairs split over two captions)
    assert pair_recall(candidates, objects, 1) == 0.0
    assert pair_recall(candidates, objects, 2) == pytest.approx(2 / 3)


def test_pair_recall_is_undefined_when_no_image_offers_k_captions():
    objects = [[obj("red", "circle")], [obj("blue", "square")]]
    assert pair_recall([["a red circle"], ["a blue circle"]], objects, 5) is None  # greedy
    # a beam that finished fewer than k captions for one image: recall over what it has
    assert pair_recall([["a red circle"] * 5, ["a blue square"]], objects, 5) == 1.0


def test_beam_search_top_lists_finished_captions_best_first_and_its_head_is_the_beam_answer():
    # a 4-word model: 0 start, 1 end, 2 and 3 words; after a word, <END> is likeliest
    first = np.log([1e-9, 0.2, 0.5, 0.3])
    later = np.log([1e-9, 0.6, 0.25, 0.15])

    def advance(words, h, c):
        return np.stack([first if w == 0 else later for w in words]), h, c

    h0 = np.zeros((1, 2))
    top = beam_search(advance, h0, 0, 1, beam_size=3, max_length=4, top=3)
    best = beam_search(advance, h0, 0, 1, beam_size=3, max_length=4)
    assert [tokens for _, tokens in top] == [[2, 1], [3, 1], [2, 2, 1]]  # [1] is 4th
    assert top[0][1] == best
    assert [s for s, _ in top] == pytest.approx([
        (np.log(0.5) + np.log(0.6)) / 2, (np.log(0.3) + np.log(0.6)) / 2,
        (np.log(0.5) + np.log(0.25) + np.log(0.6)) / 3])


@pytest.mark.parametrize("kind", ["plain", "attention"])
def test_captioner_beam_candidates_start_with_its_beam_caption(kind):
    from minigraph.models.captioning.attention_captioner import AttentionCaptioner
    from minigraph.models.captioning.rnn_captioner import CaptioningRNN

    vocab = {w: i for i, w in enumerate(["<NULL>", "<START>", "<END>", "a", "b", "c"])}
    rng = np.random.default_rng(0)
    if kind == "plain":
        model = CaptioningRNN(vocab, input_dim=4, wordvec_dim=3, hidden_dim=5,
                              cell_type="lstm", seed=3)
        features = rng.standard_normal((2, 4))
    else:
        model = AttentionCaptioner(vocab, input_dim=4, num_cells=3, wordvec_dim=3,
                                   hidden_dim=5, cell_type="lstm", seed=3)
        features = rng.standard_normal((2, 3, 4))
    candidates = model.beam_candidates(features, beam_size=3, max_length=6)
    beam = model.sample(features, max_length=6, method="beam", beam_size=3)
    for ranked, row in zip(candidates, beam):
        tokens = ranked[0][1]
        np.testing.assert_array_equal(row[:len(tokens)], tokens)
        assert [s for s, _ in ranked] == sorted((s for s, _ in ranked), reverse=True)


def test_expansions_swap_each_phrase_for_the_offered_pairs_and_keep_the_rest():
    text = "a small green circle above a big blue square"
    out = expansions(text, [("red", "circle"), ("blue", "square")])
    assert out[0] == text
    assert "a small red circle above a big blue square" in out
    assert "a small red circle above a big red circle" in out
    assert len(out) == len(set(out)) == 3 * 2  # 3 choices for the first, 2 for the second
    assert expansions("there is nothing", [("red", "circle")]) == ["there is nothing"]


def test_image_text_score_is_the_bernoulli_log_likelihood_of_the_named_pairs():
    evidence = np.full((len(COLOUR_LIST), len(SHAPE_LIST)), 0.1)
    evidence[COLOUR_LIST.index("red"), SHAPE_LIST.index("circle")] = 0.8
    rest = (evidence.size - 1) * np.log(0.9)
    assert image_text_score({("red", "circle")}, evidence) == pytest.approx(np.log(0.8) + rest)
    assert image_text_score(set(), evidence) == pytest.approx(np.log(0.2) + rest)
    assert likely_pairs(evidence, 1) == [("red", "circle")]


def test_reranker_names_the_pair_the_image_shows_even_when_no_candidate_does():
    evidence = np.full((1, len(COLOUR_LIST), len(SHAPE_LIST)), 0.01)
    evidence[0, COLOUR_LIST.index("red"), SHAPE_LIST.index("circle")] = 0.95
    candidates = [(-0.1, "a small green circle"), (-0.3, "a small red square")]
    ranked = AttributeReranker(evidence)(0, candidates)
    assert ranked[0][1] == "a small red circle"
    # with the same evidence for everything the captioner's best caption stands
    flat = AttributeReranker(np.full_like(evidence, 0.01))(0, candidates)
    assert flat[0] == (pytest.approx(-0.1 + 20 * np.log(0.99) - np.log(0.99) + np.log(0.01)),
                       "a small green circle")


def test_cell_labels_mark_the_cells_an_object_covers():
    colours, shapes = cell_labels([[obj("purple", "square", x=8, y=8, radius=7)], []])
    assert colours.shape == (2, 16)
    assert colours[0, 0] == 5 and shapes[0, 0] == 2  # purple is colour 5, square shape 2
    assert (colours[0, 1:] == 0).all() and (shapes[0, 1:] == 0).all()
    assert (colours[1] == 0).all() and (shapes[1] == 0).all()


def _picture(colour, rng):
    from minigraph.models.data.shapes import render
    return render([obj(colour, "triangle", x=20, y=40, radius=10)], 64, rng)


def test_shape_features_are_blind_to_colour_and_colour_features_are_not():
    from minigraph.models.data.features import RandomConvFeatures

    extractor = RandomConvFeatures(seed=1, filters1=4, filters2=6)
    red = _picture("red", np.random.default_rng(7))
    blue = _picture("blue", np.random.default_rng(7))  # same noise, same place
    colour, shape = cell_features(extractor, np.stack([red, blue]))
    assert colour.shape == (2, 16, 4) and shape.shape == (2, 16, 12)
    np.testing.assert_array_equal(shape[0], shape[1])
    assert np.abs(colour[0] - colour[1]).max() > 1e-3


def test_scorer_learns_separable_cells_and_survives_a_save(tmp_path):
    rng = np.random.default_rng(0)
    colour_y, shape_y = rng.integers(0, 6, 600), rng.integers(0, 5, 600)
    colour_x = np.eye(6, dtype=np.float32)[colour_y] + 0.1 * rng.standard_normal((600, 6))
    shape_x = np.eye(5, dtype=np.float32)[shape_y] + 0.1 * rng.standard_normal((600, 5))
    scorer = AttributeScorer(6, 5, hidden=8, seed=0).fit(
        colour_x.astype(np.float32), shape_x.astype(np.float32), colour_y, shape_y,
        epochs=30, batch=50, lr=1e-2)
    p_colour, p_shape = scorer.probabilities(colour_x[None], shape_x[None])
    assert (p_colour[0].argmax(axis=1) == colour_y).mean() > 0.95
    assert (p_shape[0].argmax(axis=1) == shape_y).mean() > 0.95
    scorer.save(tmp_path / "s.h5")
    again = AttributeScorer.load(tmp_path / "s.h5")
    np.testing.assert_array_equal(again.pair_evidence(colour_x[None], shape_x[None]),
                                  scorer.pair_evidence(colour_x[None], shape_x[None]))


@pytest.mark.slow
def test_scorer_table_and_eval_commands_report_recall_with_and_without_reranking(
        shapes_dir, tmp_path, capsys):
    import json

    from minigraph.models.cli import main

    model, scorer, table = (str(tmp_path / n) for n in ("m.h5", "s.h5", "t.json"))
    assert main(["caption", "train", "--data", shapes_dir, "--epochs", "1", "--hidden", "16",
                 "--wordvec", "8", "--val-images", "0", "--out", model, "--quiet"]) == 0
    assert main(["caption", "scorer", "--data", shapes_dir, "--images", "120", "--epochs", "1",
                 "--out", scorer]) == 0
    assert "novel: cells with the right colour" in capsys.readouterr().out
    assert main(["caption", "table", "--model", model, "--scorer", scorer,
                 "--max-images", "6", "--results", table]) == 0
    rows = json.loads(open(table).read())["rows"]
    assert [(r["split"], r["decoding"], r["rerank"]) for r in rows] == [
        (split, decoding, rerank) for split in ("val", "novel")
        for decoding in ("greedy", "beam 5") for rerank in (False, True)]
    for r in rows:
        assert r["images"] == 6 and 0 <= r["attribute_accuracy"] <= 1
        assert (r["recall@5"] is None) == (r["decoding"] == "greedy") or r["rerank"]
    assert "| m.h5 (" in capsys.readouterr().out
    assert main(["caption", "table", "--model", model, "--results", table]) == 2  # exists
    assert "--force" in capsys.readouterr().err
    assert main(["caption", "eval", "--model", model, "--split", "novel", "--beam", "2",
                 "--recall-k", "1", "2", "--rerank", scorer, "--max-images", "4"]) == 0
    out = capsys.readouterr().out
    assert "re-ranked" in out and "'recall@2'" in out


def test_pair_evidence_binds_colour_and_shape_by_cell():
    scorer = AttributeScorer(2, 2, hidden=3)
    p_colour = np.zeros((1, 2, 6))
    p_shape = np.zeros((1, 2, 5))
    p_colour[0, 0, 1], p_shape[0, 0, 2] = 0.9, 0.8   # cell 0: red (1) square (2)
    p_colour[0, 1, 3], p_shape[0, 1, 1] = 1.0, 0.5   # cell 1: blue (3) circle (1)
    p_colour[0, 0, 0] = p_colour[0, 1, 0] = 0.05
    scorer.probabilities = lambda colour_x, shape_x: (p_colour, p_shape)
    evidence = scorer.pair_evidence(None, None)[0]
    red, blue, square, circle = 0, 2, 1, 0  # without the 'none' classes
    assert evidence[red, square] == pytest.approx(np.sqrt(0.9 * 0.8))
    assert evidence[blue, circle] == pytest.approx(np.sqrt(0.5))
    assert evidence[red, circle] == 0 and evidence[blue, square] == 0
