"""The command line."""

import subprocess
import sys

from minigraph.cli import main


def test_engine_tour_builds_runs_and_learns(capsys):
    assert main(["demo", "--engine"]) == 0
    out = capsys.readouterr().out
    assert "dWh" in out and "Graph(rnn-lm" in out
    first = float(out.split("loss ")[1].split()[0])
    last = float(out.rsplit("loss ", 1)[1].split()[0])
    assert last < 0.5 * first


def test_module_entry_point_prints_version():
    result = subprocess.run([sys.executable, "-m", "minigraph", "--version"],
                            capture_output=True, text=True, check=True)
    assert result.stdout.startswith("minigraph ")


def test_demo_trains_a_captioner_and_writes_its_pictures(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--train-images", "120", "--minutes", "0.1",
                 "--char-minutes", "0.05", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "BLEU-4" in text and "attribute accuracy" in text
    assert "a sample at temperature 0.8:" in text and "chars/s" in text
    for name in ("gallery.png", "captioner_loss.png", "unrolled_graph.svg", "captioner.h5"):
        assert (out / name).stat().st_size > 1000, name
    assert "<svg" in (out / "unrolled_graph.svg").read_text()
