"""A resume continues the run it was saved from, or refuses in one line: the same data (a
fingerprint in the checkpoint), and a schedule that goes on exactly as planned (K + K
resumed iterations equal 2K straight, bit for bit, for every schedule)."""

import h5py
import numpy as np
import pytest

from minigraph.checkpoint import CheckpointError
from minigraph.models.charrnn import trainer as char_trainer
from minigraph.models.charrnn.trainer import CharTrainer
from minigraph.models.cli import main
from minigraph.models.shared import training
from minigraph.models.shared.interrupt import Interrupted
from minigraph.models.shared.resume_checks import FINGERPRINT_KEY, text_fingerprint

from .helpers import edited_hdf5

TEXT = "".join(f"line {i}: the quick brown fox jumps over the lazy dog.\n" for i in range(120))
# the same characters, the same length, another text
SHUFFLED = "".join(sorted(TEXT[:500], key=lambda c: (hash(c) % 7, c))) + TEXT[500:]
SMALL = dict(num_layers=1, hidden_size=12, seq_len=8, batch_size=3, lr=5e-3, seed=3)


def _trained(tmp_path, K=3, **settings):
    trainer = CharTrainer(TEXT, **{**SMALL, **settings})
    trainer.train(iterations=K, eval_every=0, progress=False)
    trainer.save(tmp_path / "m.h5")
    return tmp_path / "m.h5"


def test_the_other_text_has_the_same_characters_and_length():
    assert sorted(set(SHUFFLED)) == sorted(set(TEXT)) and len(SHUFFLED) == len(TEXT)
    assert SHUFFLED != TEXT


def test_resume_on_another_text_of_the_same_characters_and_length_is_refused(tmp_path):
    path = _trained(tmp_path)
    with pytest.raises(CheckpointError, match="trained on other text .* add --other-data"):
        CharTrainer.resume(path, SHUFFLED)
    resumed = CharTrainer.resume(path, SHUFFLED, other_data=True)  # said so: goes on
    assert resumed.iteration == 3
    assert CharTrainer.resume(path, TEXT).iteration == 3


def test_the_checkpoint_records_the_texts_sha256(tmp_path):
    import hashlib

    with h5py.File(_trained(tmp_path), "r") as f:
        recorded = f["state"].attrs[FINGERPRINT_KEY]
    assert recorded == '"' + hashlib.sha256(TEXT.encode()).hexdigest() + '"'
    assert text_fingerprint("a\ud800") != text_fingerprint("a")  # a lone surrogate hashes


def test_an_old_checkpoint_without_a_fingerprint_resumes_with_a_warning(tmp_path):
    path = _trained(tmp_path)
    with edited_hdf5(path) as f:
        del f["state"].attrs[FINGERPRINT_KEY]
    with pytest.warns(UserWarning, match="no fingerprint of its text"):
        assert CharTrainer.resume(path, SHUFFLED).iteration == 3


def _k_plus_k(tmp_path, K, text=TEXT, **settings):
    straight = CharTrainer(text, **{**SMALL, **settings})
    straight.train(iterations=2 * K, eval_every=0, progress=False)
    first = CharTrainer(text, **{**SMALL, **settings})
    first.train(iterations=K, eval_every=0, progress=False)
    first.save(tmp_path / "half.h5")
    resumed = CharTrainer.resume(tmp_path / "half.h5", text)
    resumed.train(iterations=K, eval_every=0, progress=False)
    return straight, resumed


SHORT = TEXT[:200]  # 7 windows of 3 x 8 characters a pass: the 8th step decays


@pytest.mark.parametrize("settings", [
    dict(lr_schedule="step", lr_decay=0.5, text=SHORT),
    dict(lr_schedule="cosine", horizon=14),
    dict(lr_schedule="cosine", warmup=3, horizon=14),
], ids=["step", "cosine", "cosine-warmup"])
def test_k_plus_k_equals_2k_bit_for_bit_for_every_schedule(tmp_path, settings):
    straight, resumed = _k_plus_k(tmp_path, 7, **settings)
    assert len(straight.history["loss"]) == 14
    assert resumed.history["loss"] == straight.history["loss"]
    assert resumed.optim_configs["W_out"]["learning_rate"] == \
        straight.optim_configs["W_out"]["learning_rate"]
    for name, value in straight.model.params.items():
        np.testing.assert_array_equal(resumed.model.params[name], value)


def test_the_step_schedule_decayed_during_the_k_plus_k_runs(tmp_path):
    straight, resumed = _k_plus_k(tmp_path, 7, lr_schedule="step", lr_decay=0.5, text=SHORT)
    assert straight.optim_configs["W_out"]["learning_rate"] == 5e-3 * 0.5
    assert resumed.optim_configs["W_out"]["learning_rate"] == 5e-3 * 0.5


class FakeClock:
    """time.monotonic for the trainer: each call moves 10 ms, so a time-limited cosine run
    plans the same horizon every time."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        self.now += 0.01
        return self.now


def test_a_time_limited_cosine_run_stopped_and_resumed_equals_the_straight_run(
        tmp_path, monkeypatch):
    monkeypatch.setattr(char_trainer.time, "monotonic", FakeClock())
    straight = CharTrainer(TEXT, **SMALL, lr_schedule="cosine")
    straight.train(max_minutes=0.02, eval_every=0, progress=False)  # plans its horizon
    horizon = straight.settings["horizon"]
    assert 30 < horizon < 200 and straight.iteration > 30

    stopped = CharTrainer(TEXT, **SMALL, lr_schedule="cosine")
    monkeypatch.setattr(char_trainer.time, "monotonic", FakeClock())
    monkeypatch.setattr(training, "stop_requested", lambda: stopped.iteration >= 30)
    with pytest.raises(Interrupted):
        stopped.train(max_minutes=0.02, eval_every=0, progress=False, out=str(tmp_path / "m.h5"))
    monkeypatch.setattr(training, "stop_requested", lambda: False)
    resumed = CharTrainer.resume(tmp_path / "m.h5", TEXT)
    assert resumed.settings["horizon"] == horizon  # the plan is kept
    resumed.train(iterations=straight.iteration - 30, eval_every=0, progress=False)
    assert resumed.history["loss"] == straight.history["loss"]


# ---------------------------------------------------------------- the command line
def _cli_train(text, out, *extra):
    return main(["char", "train", "--text", str(text), "--out", str(out), "--hidden-size",
                 "12", "--num-layers", "1", "--seq-len", "8", "--batch-size", "3",
                 "--eval-every", "0", "--sample-every", "0", "--quiet", *extra])


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


@pytest.mark.parametrize("schedule", [[], ["--lr-schedule", "cosine", "--warmup", "2"]],
                         ids=["step", "cosine"])
def test_cli_k_then_k_resumed_equals_2k(tmp_path, text_file, schedule, capsys):
    from minigraph.models.charrnn.model import CharRNN

    horizon = ["--horizon", "12"] if schedule else []
    assert _cli_train(text_file, tmp_path / "straight.h5", "--iterations", "12",
                      *schedule) == 0
    assert _cli_train(text_file, tmp_path / "m.h5", "--iterations", "6", *schedule,
                      *horizon) == 0
    assert _cli_train(text_file, tmp_path / "m.h5", "--iterations", "6", "--resume") == 0
    straight, saved_straight = CharRNN.load(tmp_path / "straight.h5")
    resumed, saved = CharRNN.load(tmp_path / "m.h5")
    assert saved["history"]["loss"] == saved_straight["history"]["loss"]
    for name, value in straight.params.items():
        np.testing.assert_array_equal(resumed.params[name], value)


def test_cli_resume_past_the_cosine_horizon_is_refused_in_one_line(tmp_path, text_file,
                                                                   capsys):
    out = tmp_path / "m.h5"
    assert _cli_train(text_file, out, "--iterations", "5", "--lr-schedule", "cosine") == 0
    capsys.readouterr()
    assert _cli_train(text_file, out, "--iterations", "5", "--resume") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "ends at iteration 5 and it is at 5; no iterations are left" in err
    assert _cli_train(text_file, out, "--iterations", "2", "--resume", "--past-horizon") == 0


def test_cli_resume_on_another_text_is_refused_unless_other_data(tmp_path, text_file, capsys):
    out, other = tmp_path / "m.h5", tmp_path / "other.txt"
    other.write_text(SHUFFLED, encoding="utf-8")
    assert _cli_train(text_file, out, "--iterations", "3") == 0
    capsys.readouterr()
    assert _cli_train(other, out, "--iterations", "2", "--resume") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "trained on other text" in err
    assert _cli_train(other, out, "--iterations", "2", "--resume", "--other-data") == 0


def test_cli_horizon_without_cosine_and_other_data_without_resume_are_refused(
        tmp_path, text_file, capsys):
    assert _cli_train(text_file, tmp_path / "a.h5", "--iterations", "2", "--horizon", "9") == 2
    assert "--lr-schedule cosine" in capsys.readouterr().err
    assert _cli_train(text_file, tmp_path / "a.h5", "--iterations", "2", "--other-data") == 2
    assert "go with --resume" in capsys.readouterr().err


# ---------------------------------------------------------------- the captioners
@pytest.fixture(scope="module")
def captions(shapes_dir):
    from minigraph.models.data import load_coco_data

    return load_coco_data(shapes_dir, max_train=40, seed=1)  # 4 iterations per epoch


def _solver(data, epochs, path=None, **options):
    from minigraph.models.captioning.rnn_captioner import CaptioningRNN
    from minigraph.models.captioning.solver import CaptioningSolver

    model = CaptioningRNN(data["word_to_idx"], input_dim=data["train_features"].shape[1],
                          wordvec_dim=6, hidden_dim=8, cell_type="gru", seed=3)
    return CaptioningSolver(model, data, batch_size=10, num_epochs=epochs, lr_decay=0.9,
                            verbose=False, progress=False, seed=7, checkpoint_path=path,
                            optim_config={"learning_rate": 5e-3}, **options)


def test_caption_resume_on_another_word_list_is_refused(captions, tmp_path):
    _solver(captions, 1, tmp_path / "m.h5").train()
    swapped = dict(captions)
    words = sorted(captions["word_to_idx"], key=captions["word_to_idx"].get)
    a, b = words[5], words[6]  # two words trade ids: the same size, another meaning
    swapped["word_to_idx"] = {**captions["word_to_idx"], a: captions["word_to_idx"][b],
                              b: captions["word_to_idx"][a]}
    from minigraph.models.captioning.rnn_captioner import CaptioningRNN
    from minigraph.models.captioning.solver import CaptioningSolver

    model, _ = CaptioningRNN.load(tmp_path / "m.h5")  # as `caption train --resume` does
    solver = CaptioningSolver(model, swapped, batch_size=10, progress=False)
    with pytest.raises(CheckpointError, match="another word list .* resume on the data"):
        solver.load_checkpoint(tmp_path / "m.h5", other_data=True)


def test_caption_resume_on_other_captions_is_refused_unless_other_data(captions, shapes_dir,
                                                                       tmp_path):
    from minigraph.models.data import load_coco_data

    _solver(captions, 1, tmp_path / "m.h5").train()
    other = load_coco_data(shapes_dir, max_train=40, seed=2)  # other 40 captions
    with pytest.raises(CheckpointError, match="trained on other captions .* --other-data"):
        _solver(other, 2).load_checkpoint(tmp_path / "m.h5")
    resumed = _solver(other, 2)
    resumed.load_checkpoint(tmp_path / "m.h5", other_data=True)
    assert len(resumed.loss_history) == 4
    with edited_hdf5(tmp_path / "m.h5") as f:
        del f["state"].attrs[FINGERPRINT_KEY]
    with pytest.warns(UserWarning, match="no fingerprint of its captions"):
        _solver(other, 2).load_checkpoint(tmp_path / "m.h5")


def test_caption_time_limit_in_the_middle_of_an_epoch_then_resume_equals_straight(
        captions, tmp_path, monkeypatch):
    from minigraph.models.captioning import solver as solver_module

    straight = _solver(captions, 2).train()
    clock = iter(range(10_000))  # one second a call: the limit strikes before iteration 7
    monkeypatch.setattr(solver_module.time, "monotonic", lambda: next(clock))
    stopped = _solver(captions, 2, tmp_path / "m.h5", max_seconds=6.5).train()
    monkeypatch.undo()
    per_epoch = len(straight.loss_history) // 2
    steps = len(stopped.loss_history)
    # the limit struck inside an epoch (the clock counts calls, so where depends on how often
    # a step reads it): that epoch is neither counted as over nor its decay applied
    assert 0 < steps < 2 * per_epoch and steps % per_epoch != 0
    assert stopped.epoch == steps // per_epoch
    resumed = _solver(captions, 2)
    resumed.load_checkpoint(tmp_path / "m.h5")
    resumed.train()
    assert resumed.epoch == straight.epoch == 2
    np.testing.assert_array_equal(np.asarray(resumed.loss_history, np.float64),
                                  np.asarray(straight.loss_history, np.float64))
    for name, value in straight.model.params.items():
        np.testing.assert_array_equal(resumed.model.params[name], value)


def test_cli_time_limited_resume_past_the_horizon_goes_on_with_a_warning(tmp_path, text_file,
                                                                         capsys):
    """The README's `--resume --minutes 10` after a cosine run keeps working, and says so."""
    out = tmp_path / "m.h5"
    assert _cli_train(text_file, out, "--iterations", "5", "--lr-schedule", "cosine") == 0
    capsys.readouterr()
    assert _cli_train(text_file, out, "--minutes", "0.01", "--resume") == 0
    err = capsys.readouterr().err
    assert "warning: the cosine schedule of" in err and "reached its floor" in err
