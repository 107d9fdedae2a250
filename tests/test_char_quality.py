"""Sampling and evaluation agree with the training graph; training teaches the model to
start from the zero state; the checkpoint is written before validation can fail."""

import numpy as np
import pytest

from minigraph.models.charrnn.model import CharRNN
from minigraph.models.charrnn.trainer import CharTrainer
from minigraph.models.data.coco import DataError
from minigraph.models.data.text import Vocabulary

TEXT = "".join(f"ROMEO: line {i} of the play.\nJULIET: and {i * 7} more.\n" for i in range(60))


def log_probs(scores):
    scores = scores.astype(np.float64).ravel()
    shifted = scores - scores.max()
    return shifted - np.log(np.exp(shifted).sum())


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_sampling_steps_score_a_text_as_the_training_graph_does(cell):
    vocab = Vocabulary.from_text(TEXT)
    model = CharRNN(len(vocab), hidden_size=12, num_layers=2, cell=cell, chars=vocab.chars,
                    seed=3)
    ids = vocab.encode(TEXT[:40]).astype(np.int64)
    graph_loss, _ = model.evaluate(ids[None, :-1], ids[None, 1:])
    state, total = model.zero_state(1), 0.0
    for current, following in zip(ids[:-1], ids[1:]):
        scores, state = model.step(int(current), state)
        total -= log_probs(scores)[following]
    assert total / (len(ids) - 1) == pytest.approx(float(graph_loss), rel=1e-5)


def test_temperature_zero_follows_the_argmax_after_the_prime():
    vocab = Vocabulary.from_text(TEXT)
    model = CharRNN(len(vocab), hidden_size=10, num_layers=1, chars=vocab.chars, seed=5)
    state = model.zero_state(1)
    for c in "ROMEO":
        _, state = model.step(vocab.index[c], state)
    current, expected = vocab.index[":"], []
    for _ in range(8):
        scores, state = model.step(current, state)
        current = int(np.argmax(scores))
        expected.append(vocab.chars[current])
    assert model.sample("ROMEO:", 8, temperature=0) == "".join(expected)


def test_a_sample_without_prime_starts_after_a_newline():
    vocab = Vocabulary.from_text(TEXT)
    model = CharRNN(len(vocab), hidden_size=10, num_layers=1, chars=vocab.chars, seed=2)
    assert model.sample("", 12, temperature=0) == model.sample("\n", 12, temperature=0)
    no_newline = CharRNN(3, hidden_size=4, num_layers=1, chars=list("abc"), seed=0)
    assert len(no_newline.sample("", 5, temperature=0)) == 5


def test_training_restarts_each_track_from_zeros_every_reset_every_windows():
    trainer = CharTrainer(TEXT, num_layers=1, hidden_size=6, seq_len=4, batch_size=8, reset_every=4)
    ones = [(np.ones((8, 6), np.float32), np.ones((8, 6), np.float32))]
    for window in range(8):
        h, c = trainer._reset_some_tracks(ones, window)[0]
        zeroed = [n for n in range(8) if not h[n].any()]
        assert zeroed == [n for n in range(8) if (n - window) % 4 == 0]
        assert np.array_equal(h, c)
    # each track restarts once every 4 windows
    restarts = [sum(not trainer._reset_some_tracks(ones, k)[0][0][n].any() for k in range(8))
                for n in range(8)]
    assert restarts == [2] * 8
    assert trainer._reset_some_tracks(None, 0) is None
    off = CharTrainer(TEXT, num_layers=1, hidden_size=6, seq_len=4, batch_size=8, reset_every=0)
    assert off._reset_some_tracks(ones, 0) is ones


def test_the_checkpoint_is_written_before_validation_can_fail(tmp_path, monkeypatch):
    trainer = CharTrainer(TEXT, num_layers=1, hidden_size=6, seq_len=8, batch_size=2)
    out = tmp_path / "m.h5"

    def broken(*args, **kwargs):
        raise DataError("validation data went wrong")
    monkeypatch.setattr(trainer, "validate", broken)
    with pytest.raises(DataError):
        trainer.train(iterations=3, eval_every=3, sample_every=0, out=str(out), progress=False)
    resumed = CharTrainer.resume(str(out), TEXT)
    assert resumed.iteration == 3
    assert resumed.history["loss"] == trainer.history["loss"]


def test_validation_and_eval_show_a_progress_bar(capsys):
    trainer = CharTrainer(TEXT, num_layers=1, hidden_size=6, seq_len=8, batch_size=2)
    quiet = trainer.validate(progress=False)
    assert "validation" not in capsys.readouterr().err
    shown = trainer.validate(progress=True)
    assert "validation" in capsys.readouterr().err
    assert shown == quiet


@pytest.mark.parametrize("length, scored", [(40, 39), (300, 256), (3000, 2048)])
def test_char_eval_scores_a_short_text_instead_of_refusing_it(tmp_path, capsys, length,
                                                              scored):
    from minigraph.models.cli import main

    trainer = CharTrainer(TEXT, num_layers=1, hidden_size=6, seq_len=64, batch_size=32)
    trainer.save(str(tmp_path / "m.h5"))
    (tmp_path / "t.txt").write_text(TEXT[:length], encoding="utf-8")
    assert main(["char", "eval", "--model", str(tmp_path / "m.h5"), "--text",
                 str(tmp_path / "t.txt")]) == 0
    assert capsys.readouterr().out.startswith(f"{scored} characters: ")
