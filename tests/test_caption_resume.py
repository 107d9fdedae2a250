"""Captioning resumes exactly: K iterations, save, resume, K more equals 2K straight, bit
for bit, at an epoch boundary and in the middle of one (a Ctrl-C); and sampling is seeded."""

import numpy as np
import pytest

from minigraph.models.captioning.rnn_captioner import CaptioningRNN
from minigraph.models.captioning.solver import CaptioningSolver
from minigraph.models.data import load_coco_data, sample_coco_minibatch
from minigraph.models.shared import training
from minigraph.models.shared.interrupt import Interrupted


def _model(data):
    return CaptioningRNN(data["word_to_idx"], input_dim=data["train_features"].shape[1],
                         wordvec_dim=6, hidden_dim=8, cell_type="gru", seed=3)


def _solver(data, epochs, path=None):
    return CaptioningSolver(_model(data), data, batch_size=10, num_epochs=epochs,
                            lr_decay=0.9, verbose=False, progress=False, seed=7,
                            checkpoint_path=path, optim_config={"learning_rate": 5e-3})


@pytest.fixture(scope="module")
def data(shapes_dir):
    return load_coco_data(shapes_dir, max_train=40, seed=1)  # 4 iterations per epoch


def test_k_plus_k_equals_2k_iterations_bit_for_bit(data, tmp_path):
    straight = _solver(data, 2).train()
    half = _solver(data, 1, tmp_path / "m.h5").train()
    assert len(half.loss_history) == 4
    resumed = _solver(data, 2)
    resumed.load_checkpoint(tmp_path / "m.h5")
    resumed.train()
    assert len(straight.loss_history) == 8
    np.testing.assert_array_equal(np.asarray(resumed.loss_history, np.float64),
                                  np.asarray(straight.loss_history, np.float64))
    for name, value in straight.model.params.items():
        np.testing.assert_array_equal(resumed.model.params[name], value)
    assert resumed.epoch == straight.epoch == 2


def test_resume_after_ctrl_c_in_the_middle_of_an_epoch_is_exact(data, tmp_path, monkeypatch):
    straight = _solver(data, 2).train()
    steps = []
    monkeypatch.setattr(training, "stop_requested", lambda: len(steps) >= 6)
    stopped = _solver(data, 2, tmp_path / "m.h5")
    real_step = stopped._step
    monkeypatch.setattr(stopped, "_step", lambda: (steps.append(1), real_step()))
    with pytest.raises(Interrupted, match="interrupted after iteration 6; saved"):
        stopped.train()
    monkeypatch.undo()
    resumed = _solver(data, 2)
    resumed.load_checkpoint(tmp_path / "m.h5")
    assert len(resumed.loss_history) == 6 and resumed.epoch == 1
    resumed.train()
    np.testing.assert_array_equal(np.asarray(resumed.loss_history, np.float64),
                                  np.asarray(straight.loss_history, np.float64))
    for name, value in straight.model.params.items():
        np.testing.assert_array_equal(resumed.model.params[name], value)


def test_sampling_draws_from_seeded_streams(data):
    features = data["val_features"][:3]
    a = _model(data).sample(features, method="sample", temperature=1.5)
    b = _model(data).sample(features, method="sample", temperature=1.5)
    np.testing.assert_array_equal(a, b)  # the model's own stream, from its seed
    c = _model(data).sample(features, method="sample", temperature=1.5, seed=11)
    d = _model(data).sample(features, method="sample", temperature=1.5, seed=11)
    np.testing.assert_array_equal(c, d)
    first, _, _ = sample_coco_minibatch(data, 5)
    again, _, _ = sample_coco_minibatch(data, 5)
    np.testing.assert_array_equal(first, again)


@pytest.mark.slow
def test_caption_train_resume_from_the_command_line_is_exact(shapes_dir, tmp_path, capsys):
    from minigraph.models.cli import main

    common = ["caption", "train", "--data", shapes_dir, "--hidden", "8", "--wordvec", "6",
              "--batch-size", "10", "--max-train", "40", "--val-images", "0", "--quiet"]
    assert main(common + ["--epochs", "2", "--out", str(tmp_path / "straight.h5")]) == 0
    assert main(common + ["--epochs", "1", "--out", str(tmp_path / "m.h5")]) == 0
    capsys.readouterr()
    assert main(["caption", "train", "--data", shapes_dir, "--epochs", "2", "--resume",
                 "--quiet", "--val-images", "0", "--out", str(tmp_path / "m.h5")]) == 0
    assert "resuming" in capsys.readouterr().out
    straight, saved_straight = CaptioningRNN.load(tmp_path / "straight.h5")
    resumed, saved = CaptioningRNN.load(tmp_path / "m.h5")
    assert saved["state"]["iteration"] == saved_straight["state"]["iteration"] == 8
    np.testing.assert_array_equal(saved["history"]["loss_history"],
                                  saved_straight["history"]["loss_history"])
    for name, value in straight.params.items():
        np.testing.assert_array_equal(resumed.params[name], value)
    assert main(["caption", "train", "--data", shapes_dir, "--epochs", "3", "--resume",
                 "--hidden", "16", "--out", str(tmp_path / "m.h5")]) == 2
    assert "cannot change --hidden-dim 16 (it has 8)" in capsys.readouterr().err
