"""`minigraph exercise`: start copies a skeleton and never overwrites one silently; check
prints a verdict per input, exits 0 only when all pass, and draws the wrong inputs' edges
in red."""

import re

import pytest

from minigraph.models.cli import main
from minigraph.models.lab.exercises import BY_NAME

from .test_exercises import RIGHT, fill

RED = "#e0201b"


def red_edge_sources(svg_text):
    """Graph node ids whose outgoing edges are drawn red in a graphviz SVG (the legend's
    sample edge has a name, not a number)."""
    sources = set()
    for edge in re.findall(r'<g id="edge\d+" class="edge">(.*?)</g>', svg_text, re.S):
        title = re.search(r"<title>(\d+)&#45;&gt;(\d+)</title>", edge)
        if title and f'stroke="{RED}"' in edge:
            sources.add(title.group(1))
    return sources


def node_ids_by_label(svg_text):
    """{first line of a node's label: its graphviz id}."""
    ids = {}
    for node in re.findall(r'<g id="node\d+" class="node">(.*?)</g>', svg_text, re.S):
        title = re.search(r"<title>(\w+)</title>", node).group(1)
        first = re.search(r"<text[^>]*>([^<]*)</text>", node)
        if first:
            ids[first.group(1)] = title
    return ids


def test_list_prints_the_ladder_in_order(capsys):
    assert main(["exercise", "list"]) == 0
    out = capsys.readouterr().out
    positions = [out.index(f". {name} ") for name in BY_NAME]
    assert positions == sorted(positions) and len(positions) == 7


def test_start_copies_the_skeleton_and_refuses_to_overwrite(tmp_path, capsys):
    folder = tmp_path / "work"
    assert main(["exercise", "start", "rnn", str(folder)]) == 0
    path = folder / "rnn.py"
    assert path.read_text() == BY_NAME["rnn"].skeleton_text()
    path.write_text("# my half-done work\n")
    assert main(["exercise", "start", "rnn", str(folder)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert path.read_text() == "# my half-done work\n"
    assert main(["exercise", "start", "rnn", str(folder), "--force"]) == 0
    assert path.read_text() == BY_NAME["rnn"].skeleton_text()
    assert [p.name for p in folder.iterdir()] == ["rnn.py"]  # no temporary left behind


def test_check_untouched_skeleton_exits_1_with_one_line(tmp_path, capsys):
    assert main(["exercise", "start", "lstm_step", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["exercise", "check", str(tmp_path / "lstm_step.py")]) == 1
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "not filled in yet" in captured.err
    assert "Traceback" not in captured.err + captured.out


def test_check_right_answer_exits_0_and_draws_no_red(tmp_path, capsys):
    path = tmp_path / "rnn.py"
    path.write_text(fill("rnn", RIGHT["rnn"]))
    assert main(["exercise", "check", str(path)]) == 0
    out = capsys.readouterr().out
    verdicts = [line.split()[-1] for line in out.splitlines() if line.startswith("  d")]
    assert verdicts == ["PASS"] * 5 and "all 5 gradients right" in out
    svg = (tmp_path / "rnn_check.svg").read_text()
    assert red_edge_sources(svg) == set()


@pytest.mark.parametrize("name, edit, wrong", [
    ("rnn", ("dWx += dWx_t", "dWx = dWx_t"), {"Wx"}),
    ("fanout", ("dx += dpre", "dx = dpre"), {"x"}),
])
def test_check_wrong_answer_fails_those_inputs_and_draws_their_edges_red(
        tmp_path, capsys, name, edit, wrong):
    path = tmp_path / f"{name}.py"
    path.write_text(fill(name, RIGHT[name].replace(*edit)))
    svg_path = tmp_path / "picture.svg"
    assert main(["exercise", "check", str(path), "--svg", str(svg_path)]) == 1
    out = capsys.readouterr().out
    failed = {line.split()[0][1:] for line in out.splitlines() if line.endswith("FAIL")
              or " FAIL " in line}
    assert failed == wrong
    svg = svg_path.read_text()
    ids = node_ids_by_label(svg)
    assert red_edge_sources(svg) == {ids[input_name] for input_name in wrong}
