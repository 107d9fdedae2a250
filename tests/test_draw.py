"""Drawing: DOT content, rendered files, the step-through page in a real browser, stats.
The BPTT experiment's tests are in test_bptt.py."""

import os
import re
import sys

import numpy as np
import pytest

import minigraph as mg
from minigraph.analysis import stats
from minigraph.draw import draw, find_renderer, to_dot
from minigraph.models.lab.example_graphs import example_graph

from .helpers import two_step_rnn


def test_unrolled_view_has_a_column_per_step_and_parameters_once():
    graph = example_graph("captioning", "lstm", steps=4, drawing=True)
    source = to_dot(graph).source
    for t in range(4):
        assert f"<B>t = {t}</B>" in source
    wh = next(p for p in graph.params if p.name == "Wh")
    assert source.count(f"\t{wh.id} [label=<<TABLE") == 1 and "<TD>Wh</TD>" in source
    assert len(re.findall(rf"\b{wh.id} -> \d+ \[label", source)) == 4  # into every step
    assert 'label="(2, 8)"' in source  # shapes on edges
    assert "rankdir=BT" in source and not re.search(r"\bsize=", source)


def test_rolled_view_is_one_step_and_a_loop_and_window_view_summarises():
    graph = example_graph("char", "rnn", steps=6, drawing=True)
    rolled = to_dot(graph, view="rolled").source
    assert "x 6" in rolled and "column5" in rolled and "column0" not in rolled
    assert "steps ..." not in rolled and "h_in" not in rolled  # nothing of the other steps
    steps = {n.tags["t"] for n in graph.nodes if "t" in n.tags}
    drawn = {int(m) for m in re.findall(r"^\t(\d+) \[", rolled, re.M)}
    assert {n.tags["t"] for n in graph.nodes if n.id in drawn and "t" in n.tags} == {5}
    assert steps == set(range(6))
    window = to_dot(graph, view="window").source
    assert "column0" in window and "column5" in window and "column3" not in window
    assert "... 3 steps ..." in window


def test_budget_falls_back_to_window_with_a_warning():
    graph = example_graph("char", "lstm", steps=200)
    assert len(graph.nodes) > 300
    with pytest.warns(UserWarning, match="over the drawing budget"):
        source = to_dot(graph, budget=300).source
    assert "... 197 steps ..." in source


def test_gradients_are_shown_with_fan_out_sums_and_warn_when_missing():
    graph = example_graph("captioning", "lstm", steps=3, drawing=True)
    source = to_dot(graph, grads=True).source
    assert "|g| " in source and "sum of 3 gradients" in source  # Wx is used by 3 steps
    x = mg.input("x", value=np.ones(2))
    fresh = mg.Graph(mg.sum(mg.tanh(x)))
    fresh.forward()
    with pytest.warns(UserWarning, match="no gradients to draw"):
        to_dot(fresh, grads=True)


def test_carried_state_is_a_dashed_edge():
    source = to_dot(example_graph("char", "lstm", steps=2)).source
    assert "carried, detached" in source and "style=dashed" in source


def test_labels_can_be_turned_off():
    source = to_dot(example_graph("captioning", "rnn", steps=2), labels=False).source
    assert "(2, 8)" not in source


@pytest.mark.skipif(find_renderer() is None, reason="no dot program")
@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG"),
                                           (".pdf", b"%PDF")])
def test_rendered_files_are_valid(tmp_path, suffix, magic):
    path = draw(example_graph("captioning", "gru", steps=3)).save(tmp_path / f"g{suffix}")
    data = open(path, "rb").read()
    assert data.startswith(magic) and len(data) > 2000


def test_dot_output_needs_no_renderer(tmp_path):
    path = draw(example_graph("char", "gru", steps=2)).save(tmp_path / "g.dot")
    assert open(path).read().startswith("digraph")


def test_stats_against_hand_counts():
    graph, (N, D, H) = two_step_rnn()
    s = stats(graph)
    assert s["parameters"] == D * H + H * H + H
    # fused: one input projection for all steps, then one projected step node per step
    assert s["nodes_by_op"] == {"input": 2, "param": 3, "TemporalAffine": 1, "SelectStep": 2,
                                "RNNStepProjected": 2, "Stack": 1, "Sum": 1}
    assert s["edges"] == 3 + 2 + 2 * 3 + 2 + 1
    # per step: 2 N H H for h Wh and 4 N H elementwise; the projection: 2 N T D H + N T H
    assert s["flops_by_op"]["RNNStepProjected"] == 2 * (2 * N * H * H + 4 * N * H)
    assert s["flops_by_op"]["TemporalAffine"] == 2 * N * 2 * D * H + N * 2 * H
    # a step keeps prev_h, Wh and next_h; h0 and Wh are leaves (in memory anyway), step 1's
    # prev_h is step 0's next_h, and the projection keeps only leaves (x, Wx): each step
    # adds one (N, H) float64
    assert s["saved_bytes_by_step"] == {0: 8 * N * H, 1: 8 * N * H}
    assert s["saved_bytes"] == 2 * 8 * N * H
    assert s["path_to_loss"]["Wh"] == {0: 3, 1: 3}  # param -> step -> Stack -> loss
    assert s["longest_path_to_loss"]["Wh"] == {0: 4, 1: 3}  # step 0 also flows via h[1]


@pytest.mark.parametrize("vocab", [3, 15])
def test_embedding_affine_flops_count_the_rows_the_op_multiplies(vocab):
    N, T, D, M = 4, 5, 6, 7  # 20 positions: a table of 3 rows; for 15 (fewer than 20, but
    # the table would not pay) 20 embedded rows
    ids = mg.input("ids", value=np.zeros((N, T), np.int64))
    xw = mg.embedding_affine(ids, mg.param(np.ones((vocab, D)), "W_embed"),
                             mg.param(np.ones((D, M)), "Wx"), mg.param(np.zeros(M), "b"))
    assert mg.EmbeddingAffine.uses_table(vocab, N * T, D) == (vocab == 3)
    rows = vocab if vocab == 3 else N * T
    assert stats(mg.Graph(mg.sum(xw)))["flops_by_op"]["EmbeddingAffine"] == (
        2 * rows * D * M + rows * M)


def test_saved_memory_grows_linearly_with_T():
    small = stats(example_graph("char", "lstm", steps=10))["saved_bytes"]
    large = stats(example_graph("char", "lstm", steps=20))["saved_bytes"]
    assert 1.8 < large / small < 2.1


def test_to_dot_pipes_renders_and_displays_without_the_system_dot(tmp_path, monkeypatch):
    # a fresh machine: no Graphviz on PATH, only graphviz-pure beside this Python
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable))
    if find_renderer() is None:
        pytest.skip("graphviz-pure is not installed beside this Python")
    x = mg.param(np.ones(2), "x")
    dot = to_dot(mg.Graph(mg.sum(mg.tanh(x), name="loss")))
    svg = dot.pipe(format="svg").decode()
    assert svg.startswith("<?xml") and "loss" in svg
    assert dot._repr_mimebundle_()["image/svg+xml"].startswith("<?xml")
    assert dot.render(tmp_path / "g", format="svg") == str(tmp_path / "g.svg")
    assert (tmp_path / "g").read_text() == dot.source
    assert (tmp_path / "g.svg").read_text().startswith("<?xml")
    png = dot.render(outfile=tmp_path / "h.png")
    assert (tmp_path / "h.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.endswith("h.png")
