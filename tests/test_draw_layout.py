"""Drawings read like the lecture: columns in time order in the rendered picture, names a
student reads, text of at least 11 pt, gradient colours fitted to the graph, no renderer
warnings, and the models' drawing mode computing the training graph's numbers."""

import re
import shutil
import subprocess

import numpy as np
import pytest

import minigraph as mg
from minigraph.draw import to_dot
from minigraph.draw.style import NONE_FILL, PALETTE, ZERO_FILL
from minigraph.models.captioning.rnn_captioner import CaptioningRNN
from minigraph.models.charrnn.model import CharRNN
from minigraph.models.lab.example_graphs import example_graph

RENDERERS = [p for p in (shutil.which("dot"), shutil.which("graphviz-pure")) if p]
needs_renderer = pytest.mark.skipif(not RENDERERS, reason="no dot program")


def render(source, program, fmt="svg"):
    """(stdout, stderr) of one renderer on DOT source."""
    result = subprocess.run([program, f"-T{fmt}"], input=source.encode(), capture_output=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode(errors="replace"), result.stderr.decode(errors="replace")


def positions(svg):
    """Node id -> (x, y) of its text's centre in the rendered SVG."""
    found = {}
    for match in re.finditer(r'<g id="node\d+" class="node">\s*<title>([^<]+)</title>(.*?)</g>',
                             svg, re.S):
        xs = [float(v) for v in re.findall(r'<text[^>]* x="([-\d.]+)"', match[2])]
        ys = [float(v) for v in re.findall(r'<text[^>]* y="([-\d.]+)"', match[2])]
        if xs:
            found[match[1]] = (sum(xs) / len(xs), sum(ys) / len(ys))
    return found


@needs_renderer
@pytest.mark.parametrize("model, cell, T", [("captioning", "lstm", 5), ("captioning", "gru", 20),
                                            ("char", "rnn", 60)])
@pytest.mark.slow
def test_rendered_columns_run_left_to_right_in_time_order(model, cell, T):
    graph = example_graph(model, cell, steps=T, drawing=True)
    with np.errstate(all="ignore"):
        dot = to_dot(graph)  # within the budget: an unrolled view, no warning
    assert f"column{T - 1}" in dot.source and "steps ..." not in dot.source
    step = {str(n.id): n.tags["t"] for n in graph.nodes if "t" in n.tags}
    for program in RENDERERS:
        at = positions(render(dot.source, program)[0])
        drawn = {i: t for i, t in step.items() if i in at}
        # along every row, a later step is further right
        for a, ta in drawn.items():
            for b, tb in drawn.items():
                if ta < tb and abs(at[a][1] - at[b][1]) < 1:
                    assert at[a][0] < at[b][0], (program, a, ta, b, tb)
        centres = [np.mean([at[i][0] for i, t in drawn.items() if t == s]) for s in range(T)]
        assert all(np.diff(centres) > 0), program
        headers = [at[f"column{s}"][0] for s in range(T)]
        assert all(np.diff(headers) > 0), program


@needs_renderer
def test_text_is_never_below_11_points_and_nothing_shrinks_the_page():
    dot = to_dot(example_graph("char", "lstm", steps=3, drawing=True), grads=True)
    assert not re.search(r"\bsize=", dot.source)
    for program in RENDERERS:
        svg = render(dot.source, program)[0]
        sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', svg)]
        assert sizes and min(sizes) >= 11, program
        assert 'transform="scale(1' in svg or "scale(" not in svg.split("<g", 2)[1], program


@needs_renderer
@pytest.mark.parametrize("model, cell, composed", [("char", "lstm", False),
                                                   ("captioning", "gru", True)])
@pytest.mark.slow
def test_every_view_renders_without_a_warning_in_every_renderer(model, cell, composed):
    graph = example_graph(model, cell, steps=4 if composed else 6, composed=composed,
                          drawing=True)
    training = example_graph(model, cell, steps=4)
    for view in ("unrolled", "rolled", "window"):
        for grads in (False, True):
            for g in (graph, training):
                source = to_dot(g, view=view, grads=grads).source
                for program in RENDERERS:
                    assert render(source, program)[1] == "", (program, view, grads)


def _fills(source):
    return re.findall(r'fillcolor="(#[0-9a-f]{6})"', source)


def test_a_five_step_rnn_shows_at_least_four_gradient_colours():
    source = to_dot(example_graph("char", "rnn", steps=5, drawing=True), grads=True).source
    assert len(set(_fills(source)) & set(PALETTE)) >= 4


def test_zero_gradient_is_not_no_gradient():
    w = mg.param(-np.ones(3), "w")
    ids = mg.input("ids", value=np.array([0, 1]))
    loss = mg.sum(mg.relu(w), name="loss")  # relu of negatives: dL/dw is exactly zero
    graph = mg.Graph([loss, mg.embedding(ids, mg.param(np.ones((2, 2)), "E"))])
    graph.forward()
    graph.backward(retain_graph=True)
    source = to_dot(graph, grads=True).source
    assert re.search(rf'\t{w.id} \[label=<<TABLE.*<TD>w</TD>.*fillcolor="{ZERO_FILL}"', source)
    assert re.search(rf'\t{ids.id} \[label=<<TABLE.*<TD>ids</TD>.*fillcolor="{NONE_FILL}"',
                     source)
    assert ZERO_FILL != NONE_FILL and "no gradient" in source


def test_slice_assembled_gradients_are_never_called_sums():
    for cell, composed in (("lstm", False), ("lstm", True)):
        graph = example_graph("captioning", cell, steps=3, composed=composed, drawing=True)
        source = to_dot(graph, grads=True).source
        slices = {"SliceLast", "SelectStep"}
        for node in graph.nodes:
            users = [u for u in graph.nodes if node in u.inputs and u.grad is not None]
            line = re.search(rf"^\t{node.id} \[label=<(.*?)> ", source, re.M)
            if len(users) > 1 and line and all(type(u.op).__name__ in slices for u in users):
                assert f"assembled from {len(users)} slices" in line[1], node
                assert "sum of" not in line[1], node
        assert "assembled from 4 slices" in source or not composed  # the four gates
        assert "assembled from 2 slices" in source or composed  # the fused h|c state


def test_names_are_the_ones_a_student_reads():
    graph = example_graph("captioning", "lstm", steps=3, composed=True, drawing=True)
    labels = re.findall(r"\[label=<(.*?)> ", to_dot(graph).source)
    first_lines = [re.sub(r"<[^>]+>", "", label.split("</TD>")[0]) for label in labels]
    made_up = {f"{type(n.op).__name__.lower() if n.op else n.kind}{n.id}" for n in graph.nodes}
    assert not made_up & set(first_lines)  # no matmul13
    for gate in "ifog":
        assert f"{gate}<SUB>" in " ".join(labels)
    for name in ("h", "c", "y", "L", "x"):
        assert f"<TD>{name}<SUB>" in " ".join(labels), name
    assert not [n for n in first_lines if n.startswith("[...")]
    char = example_graph("char", "rnn", steps=2, num_layers=2, drawing=True)
    source = to_dot(char).source
    assert "layer 1" in source and "<TD>h0<SUB>" not in source  # the layer is a tag


def test_loss_last_puts_one_loss_at_the_last_step_and_the_gradient_fades_backwards():
    graph = example_graph("char", "rnn", steps=8, drawing=True, loss="last")
    losses = [n for n in graph.nodes if type(n.op).__name__ == "MaskedSoftmaxCE"]
    assert [n.tags["t"] for n in losses] == [7]
    hs = {n.tags["t"]: n for n in graph.nodes if n.name == f"h[{n.tags.get('t')}]"}
    assert np.linalg.norm(hs[0].grad) < np.linalg.norm(hs[7].grad) / 2
    with pytest.raises(ValueError, match="loss='first'"):
        example_graph("char", "rnn", steps=3, drawing=True, loss="first")


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("fused", [True, False])
def test_drawing_mode_computes_the_training_loss_and_gradients(cell, fused):
    rng = np.random.default_rng(3)
    words = ["<NULL>", "<START>", "<END>", "w"]
    net = CaptioningRNN({w: i for i, w in enumerate(words)}, input_dim=5, wordvec_dim=4,
                        hidden_dim=3, cell_type=cell, fused=fused, dtype=np.float64)
    captions = rng.integers(0, 4, (3, 5))
    features = rng.standard_normal((3, 5))
    loss, grads = net.loss(features, captions)
    graph = net.drawing_graph(features, captions)
    # equal up to the rounding of another summation order (a few ulp of the loss)
    assert graph.outputs[0].value == pytest.approx(loss, rel=1e-14, abs=0)
    for name, grad in grads.items():
        np.testing.assert_allclose(net.parameters()[name].grad, grad,
                                   rtol=1e-12, atol=1e-15)
    char = CharRNN(6, hidden_size=3, num_layers=2, cell=cell, fused=fused, embed_size=4,
                   dtype=np.float64, seed=1)
    ids = rng.integers(0, 6, (2, 5))
    state = char.zero_state(2)
    loss, grads, _ = char.loss(ids[:, :-1], ids[:, 1:], state=state)
    graph = char.drawing_graph(ids[:, :-1], ids[:, 1:], state=state)
    assert graph.outputs[0].value == pytest.approx(loss, rel=1e-14, abs=0)
    for name, grad in grads.items():
        np.testing.assert_allclose(char.parameters()[name].grad, grad, rtol=1e-12, atol=1e-15)
