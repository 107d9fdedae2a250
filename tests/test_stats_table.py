"""`minigraph stats`: the readable table, the JSON and the memory plot."""

import json
import re

from minigraph.models.cli import main
from minigraph.models.lab.example_graphs import example_graph
from minigraph.models.lab.stats_table import format_table, memory_against_T, table_data

from .helpers import two_step_rnn


def test_table_lists_kinds_parameters_flops_memory_and_the_longest_path():
    graph, (N, D, H) = two_step_rnn()
    text = format_table(table_data(graph), "two steps")
    rows = {line.split()[0]: line.split()[1:] for line in text.splitlines()[2:] if line.strip()}
    step_flops = 2 * N * H * H + 4 * N * H
    assert rows["RNNStepProjected"][1:] == ["2", str(2 * step_flops)]
    assert rows["param"] == ["leaf", "3", "-"]
    assert rows["Wh"] == ["(4,", "4)", "16"] and rows["b"] == ["(4,)", "4"]
    assert rows["total"] == [str(D * H + H * H + H)]
    # SelectStep is free; each step holds one RNN step of 2 N H H + 4 N H FLOPs
    assert f"FLOPs (forward): {step_flops:g} per timestep x 2 steps" in text
    assert f"saved for backward: {8 * N * H} B per timestep, {2 * 8 * N * H} B in total" in text
    # Wx -> TemporalAffine -> SelectStep[0] -> step 0 -> step 1 -> Stack -> Sum
    assert text.endswith("longest path from a parameter to the loss: 6 ops, from Wx")


def test_table_of_a_bigger_model_uses_unit_prefixes():
    text = format_table(table_data(example_graph("captioning", "lstm", steps=16)))
    assert re.search(r"LSTMStepProjected +\w+ +16 +\d+\.\d\d k", text)
    assert re.search(r"saved for backward: \d+ B per timestep, \d+\.\d KiB in total", text)


def test_stats_command_prints_a_table_and_json_on_request(capsys, tmp_path):
    assert main(["stats", "--model", "char", "--cell", "rnn", "--steps", "3"]) == 0
    table = capsys.readouterr().out
    assert table.startswith("char rnn (fused), 3 steps") and "{" not in table
    assert main(["stats", "--model", "char", "--cell", "rnn", "--steps", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["flops_by_step"]) == {"0", "1", "2"}
    assert len(set(data["flops_by_step"].values())) == 1  # every step costs the same
    assert data["longest_path_to_loss"]["Wh0"]["0"] > data["longest_path_to_loss"]["Wh0"]["2"]


def test_memory_plot_shows_bytes_growing_by_the_same_amount_each_step(tmp_path):
    points = memory_against_T(lambda T: example_graph("char", "lstm", steps=T), (2, 4, 8))
    (_, a), (_, b), (_, c) = points
    assert c - b == 2 * (b - a) > 0
    path = tmp_path / "memory.png"
    assert main(["stats", "--model", "char", "--steps", "2", "--memory-plot", str(path)]) == 0
    assert path.read_bytes()[:4] == b"\x89PNG"
