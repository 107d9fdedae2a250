"""The command line."""

import subprocess
import sys

from minigraph.cli import main


def test_demo_builds_runs_and_learns(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "dWh" in out and "Graph(rnn-lm" in out
    first = float(out.split("loss ")[1].split()[0])
    last = float(out.rsplit("loss ", 1)[1].split()[0])
    assert last < 0.5 * first


def test_module_entry_point_prints_version():
    result = subprocess.run([sys.executable, "-m", "minigraph", "--version"],
                            capture_output=True, text=True, check=True)
    assert result.stdout.startswith("minigraph ")
