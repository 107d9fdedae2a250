"""The command line."""

import subprocess
import sys

import pytest

from minigraph.models.cli import main


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


@pytest.mark.slow
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


def test_caption_train_gives_w_proj_its_own_rate_and_eval_prints_every_metric(
        shapes_dir, tmp_path, capsys):
    import numpy as np

    from minigraph.models.captioning.rnn_captioner import CaptioningRNN
    from minigraph.models.data import load_coco_data
    model_path = str(tmp_path / "m.h5")
    assert main(["caption", "train", "--data", shapes_dir, "--epochs", "1", "--hidden", "16",
                 "--wordvec", "8", "--proj-lr", "0", "--val-images", "10", "--out",
                 model_path, "--quiet"]) == 0
    trained, _ = CaptioningRNN.load(model_path)
    data = load_coco_data(shapes_dir)
    fresh = CaptioningRNN(data["word_to_idx"], input_dim=data["train_features"].shape[1],
                          wordvec_dim=8, hidden_dim=16, cell_type="lstm", seed=0)
    np.testing.assert_array_equal(trained.params["W_proj"], fresh.params["W_proj"])
    assert not np.array_equal(trained.params["W_vocab"], fresh.params["W_vocab"])
    capsys.readouterr()
    assert main(["caption", "eval", "--model", model_path, "--split", "val"]) == 0
    out = capsys.readouterr().out
    for metric in ("bleu4", "attribute_accuracy", "exact_images", "relation_accuracy"):
        assert f"'{metric}'" in out, metric
