"""CharRNN: gradients, carried state, exact resume, sampling, bad input."""

import numpy as np
import pytest

from minigraph.checkpoint import CheckpointError
from minigraph.errors import ShapeError, UsageError
from minigraph.gradient_check import eval_numerical_gradient, rel_error
from minigraph.models.charrnn.model import CharRNN
from minigraph.models.charrnn.trainer import CharTrainer
from minigraph.models.data.coco import DataError
from minigraph.models.data.text import (
    Tracks,
    Vocabulary,
    default_corpus,
    load_text,
    read_text,
    tiny_shakespeare,
)

from .helpers import EXTENDED, extended_twin, gradient_errors, needs_extended_precision

TEXT = "".join(f"line {i}: the quick brown fox jumps over the lazy dog.\n" for i in range(200))


@needs_extended_precision
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.slow
def test_multilayer_gradients_match_numerical(cell):
    """float64 backward of a 2-layer model against centered differences taken in extended
    precision by a twin holding the same parameters, from a non-zero carried state."""
    rng = np.random.default_rng(0)
    sizes = dict(vocab_size=7, hidden_size=5, num_layers=2, cell=cell, embed_size=4, seed=3)
    model = CharRNN(dtype=np.float64, **sizes)
    x, y = rng.integers(0, 7, (3, 4)), rng.integers(0, 7, (3, 4))
    state = [(rng.standard_normal((3, 5)), rng.standard_normal((3, 5)) if cell == "lstm"
              else None) for _ in range(2)]
    _, grads, _ = model.loss(x, y, state)
    twin = extended_twin(lambda dtype: CharRNN(dtype=dtype, **sizes), model)
    wide = [(h.astype(EXTENDED), None if c is None else c.astype(EXTENDED)) for h, c in state]
    errors = gradient_errors(lambda: twin.loss(x, y, wide)[0], twin, grads)
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_carried_state_makes_two_windows_equal_one_long_window(cell):
    model = CharRNN(vocab_size=9, hidden_size=6, num_layers=2, cell=cell, dtype=np.float64)
    ids = np.random.default_rng(1).integers(0, 9, (2, 21))
    x, y = ids[:, :-1], ids[:, 1:]
    whole, _ = model.evaluate(x, y, model.zero_state(2))
    first, state = model.evaluate(x[:, :10], y[:, :10], model.zero_state(2))
    second, _ = model.evaluate(x[:, 10:], y[:, 10:], state)
    assert (first + second) / 2 == pytest.approx(whole, rel=1e-12)
    fresh, _ = model.evaluate(x[:, 10:], y[:, 10:], model.zero_state(2))
    assert abs(fresh - second) > 1e-6  # the carried state really matters


def test_tracks_continue_exactly_from_one_minibatch_to_the_next():
    ids = np.arange(1000)
    tracks = Tracks(ids, batch_size=4, seq_len=10)
    x0, y0, wrapped0 = tracks.next()
    x1, _, wrapped1 = tracks.next()
    assert wrapped0 and not wrapped1
    np.testing.assert_array_equal(x1[:, 0], x0[:, -1] + 1)  # row n goes on where it stopped
    np.testing.assert_array_equal(y0, x0 + 1)
    assert len({int(row[0]) for row in x0}) == 4


def test_loss_is_pure_and_takes_any_batch_size():
    model = CharRNN(vocab_size=6, hidden_size=5, num_layers=2, cell="lstm", dtype=np.float64)
    ids = np.random.default_rng(2).integers(0, 6, (3, 9))
    x, y = ids[:, :-1], ids[:, 1:]
    first, grads, state = model.loss(x, y)
    second, again, _ = model.loss(x, y)
    assert first == second  # nothing carried behind the caller's back
    for name in grads:
        np.testing.assert_array_equal(grads[name], again[name])
    assert model.loss(x, y, model.zero_state(3))[0] == first  # None means zeros
    assert model.evaluate(x, y)[0] == model.evaluate(x, y)[0] == pytest.approx(first, rel=1e-12)
    carried, _, _ = model.loss(x, y, state)
    assert carried != first
    smaller, _, small_state = model.loss(x[:1], y[:1])  # a new batch size after the old one
    assert small_state[0][0].shape == (1, 5)
    with pytest.raises(ShapeError, match=r"state\[0\] h is \(3, 5\); a minibatch of 1 rows"):
        model.loss(x[:1], y[:1], state)


def test_truncated_bptt_gradients_hold_the_carried_state_fixed():
    """The gradient of a window's loss treats the state carried in as a constant: it is
    the derivative of that window alone, not of the windows that made the state."""
    model = CharRNN(vocab_size=5, hidden_size=4, num_layers=1, cell="rnn", dtype=np.float64,
                    seed=3)
    ids = np.random.default_rng(4).integers(0, 5, (2, 7))
    x1, y1, x2, y2 = ids[:, :3], ids[:, 1:4], ids[:, 3:6], ids[:, 4:7]
    _, state = model.evaluate(x1, y1)
    _, grads, _ = model.loss(x2, y2, state)

    def window_alone(_):
        return model.evaluate(x2, y2, state)[0]

    def both_windows(_):  # the state recomputed from the perturbed parameters
        return model.evaluate(x2, y2, model.evaluate(x1, y1)[1])[0]

    for name in ("Wh0", "Wx0", "W_embed"):
        truncated = eval_numerical_gradient(window_alone, model.params[name], verbose=False)
        full = eval_numerical_gradient(both_windows, model.params[name], verbose=False)
        assert rel_error(grads[name], truncated) < 1e-7
        assert rel_error(grads[name], full) > 1e-3


def block_stream(blocks, rng, keys="abcd"):
    """Blocks of 4 characters '|', k_{i-1}, k_i, k_i with random keys k_i: a window of 4
    aligned on the blocks reads '|', k_{i-1}, k_i, k_i and must predict k_{i-1}, k_i, k_i, '|'.
    Its first target repeats the last character of the previous window: only a model that
    carries its state across the window boundary can know it."""
    picks = rng.integers(0, len(keys), blocks + 1)
    return "".join(f"|{keys[a]}{keys[b]}{keys[b]}" for a, b in zip(picks[:-1], picks[1:]))


def test_the_trainer_carries_the_state_from_one_window_to_the_next():
    T, N = 4, 8
    text = block_stream(800, np.random.default_rng(0))
    assert int(len(text) * 0.9) % (N * T) == 0  # every track starts on a block
    settings = dict(cell="lstm", num_layers=1, hidden_size=16, seq_len=T, batch_size=N, lr=1e-2,
                    seed=0)

    class ForgetfulTrainer(CharTrainer):  # the mutant: every window starts from zeros
        def step(self):
            self.state = None
            return super().step()

    carrying = CharTrainer(text, **settings).train(iterations=300, eval_every=0,
                                                   progress=False)
    forgetful = ForgetfulTrainer(text, **settings).train(iterations=300, eval_every=0,
                                                         progress=False)
    # Per window: one random key (log 4 nats) in 4 characters. Without the carried state
    # the first target is a second random key: at best 2 log 4 / 4 = 0.69 nats/char.
    best_with, best_without = np.log(4) / 4, np.log(4) / 2
    midway = (best_with + best_without) / 2
    assert np.mean(carrying.history["loss"][-50:]) < midway
    assert np.mean(forgetful.history["loss"][-50:]) > best_without - 0.05
    assert carrying.validate() < midway  # validation carries along its tracks too


def test_resume_continues_exactly(tmp_path):
    K = 6
    straight = CharTrainer(TEXT, num_layers=2, hidden_size=16, seq_len=12, batch_size=4,
                           dropout=0.2, seed=7)
    straight.train(iterations=2 * K, eval_every=0, progress=False)
    first = CharTrainer(TEXT, num_layers=2, hidden_size=16, seq_len=12, batch_size=4,
                        dropout=0.2, seed=7)
    first.train(iterations=K, eval_every=0, progress=False)
    first.save(tmp_path / "half.h5")
    resumed = CharTrainer.resume(tmp_path / "half.h5", TEXT)
    resumed.train(iterations=K, eval_every=0, progress=False)
    assert resumed.history["loss"] == straight.history["loss"]  # bit for bit
    for name, value in straight.model.params.items():
        np.testing.assert_array_equal(resumed.model.params[name], value)


def test_cosine_schedule_warms_up_then_falls_to_a_hundredth_at_the_horizon():
    trainer = CharTrainer(TEXT, num_layers=1, hidden_size=8, seq_len=8, batch_size=2, lr=1e-2,
                          lr_schedule="cosine", warmup=4, horizon=104)
    rates = [trainer.learning_rate(i) for i in range(120)]
    np.testing.assert_allclose(rates[:4], [2.5e-3, 5e-3, 7.5e-3, 1e-2])
    np.testing.assert_allclose(rates[54], (1e-2 + 1e-4) / 2)  # halfway down the cosine
    np.testing.assert_allclose(rates[104:], 1e-4)  # the floor, and flat after the horizon
    assert all(a >= b for a, b in zip(rates[4:], rates[5:]))


def test_cosine_training_plans_its_horizon_and_uses_the_rate_it_computes():
    trainer = CharTrainer(TEXT, num_layers=1, hidden_size=8, seq_len=8, batch_size=2, lr=1e-2,
                          lr_schedule="cosine")
    trainer.train(iterations=30, eval_every=0, progress=False)
    assert trainer.settings["horizon"] == 30
    used = {c["learning_rate"] for c in trainer.optim_configs.values()}
    assert used == {trainer.learning_rate(29)} and trainer.learning_rate(29) < 2e-4


def test_cosine_resume_continues_exactly(tmp_path):
    K = 5
    settings = dict(num_layers=1, hidden_size=12, seq_len=8, batch_size=3, lr=5e-3, seed=3,
                    lr_schedule="cosine", warmup=2, horizon=2 * K)
    straight = CharTrainer(TEXT, **settings)
    straight.train(iterations=2 * K, eval_every=0, progress=False)
    first = CharTrainer(TEXT, **settings)
    first.train(iterations=K, eval_every=0, progress=False)
    first.save(tmp_path / "half.h5")
    resumed = CharTrainer.resume(tmp_path / "half.h5", TEXT)
    assert resumed.settings["horizon"] == 2 * K and resumed.settings["lr_schedule"] == "cosine"
    resumed.train(iterations=K, eval_every=0, progress=False)
    assert resumed.history["loss"] == straight.history["loss"]  # bit for bit


def test_an_unknown_schedule_is_refused_by_name():
    with pytest.raises(UsageError, match="lr_schedule 'linear' is not one of step, cosine"):
        CharTrainer(TEXT, num_layers=1, hidden_size=8, seq_len=8, batch_size=2,
                    lr_schedule="linear")


def test_resume_against_a_different_vocabulary_says_so(tmp_path):
    trainer = CharTrainer(TEXT, num_layers=1, hidden_size=8, seq_len=8, batch_size=2)
    trainer.save(tmp_path / "m.h5")
    with pytest.raises(CheckpointError, match="different vocabulary .* new \\['Z'\\]"):
        CharTrainer.resume(tmp_path / "m.h5", TEXT + "Z")


def test_temperature_zero_is_deterministic_and_unknown_prime_is_skipped():
    chars = sorted(set(TEXT))
    model = CharRNN(len(chars), hidden_size=8, num_layers=2, chars=chars)
    a = model.sample(prime="the", length=30, temperature=0)
    assert a == model.sample(prime="the", length=30, temperature=0, seed=99)
    assert len(a) == 30 and set(a) <= set(chars)
    with pytest.warns(UserWarning, match="'@'"):
        b = model.sample(prime="th@e", length=30, temperature=0)
    assert b == a
    assert model.sample(length=20, seed=1) == model.sample(length=20, seed=1)


def test_sampling_does_not_disturb_the_training_streams():
    one, two = (CharTrainer(TEXT, num_layers=1, hidden_size=8, seq_len=8, batch_size=2,
                            dropout=0.3, seed=2) for _ in range(2))
    one.train(iterations=3, eval_every=0, progress=False)
    two.model.sample(length=50)
    two.validate()
    two.train(iterations=3, eval_every=0, progress=False)
    assert one.history["loss"] == two.history["loss"]


def test_bad_text_files(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(DataError, match="empty.txt is empty"):
        read_text(tmp_path / "empty.txt")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(DataError, match=r"latin1.txt is not valid UTF-8 \(byte 3"):
        read_text(tmp_path / "latin1.txt")
    with pytest.raises(DataError, match="too short for one minibatch of 32 tracks x 65"):
        CharTrainer("short text " * 10, seq_len=64, batch_size=32)


def test_unicode_text_and_default_corpus():
    text = "naïve café — 日本語 " * 50
    vocab = Vocabulary.from_text(text)
    assert vocab.decode(vocab.encode(text)) == text
    corpus = default_corpus(50_000)
    assert len(corpus) > 40_000 and "def " in corpus
    assert default_corpus(50_000) == corpus


def test_an_exploding_loss_stops_training_with_the_iteration_and_advice():
    from minigraph.models.captioning.solver import TrainingError

    # lr 500: the loss passes 3 x the first + 5 at iteration 2; lr 50 peaked at 15.97 of the
    # 16.13 needed with forget-gate bias 0 and the compiled kernels, and did not stop
    trainer = CharTrainer(TEXT, num_layers=1, hidden_size=16, seq_len=8, batch_size=4, lr=500.0,
                          update_rule="sgd", clip=None, seed=0)
    with pytest.raises(TrainingError, match=r"iteration \d+: .*lower --lr"):
        trainer.train(iterations=200, eval_every=0, progress=False)


def test_tiny_shakespeare_ships_with_the_package(tmp_path, monkeypatch):
    text = tiny_shakespeare()
    assert len(text) == 1_115_394 and len(set(text)) == 65
    assert text.startswith("First Citizen:\nBefore we proceed any further, hear me speak.")
    assert load_text("shakespeare") == text
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shakespeare").write_text("my own", encoding="utf-8")
    assert load_text("./shakespeare") == "my own"  # a file of that name, written as a path
    with pytest.raises(DataError, match="cannot read text file shakespeare.txt"):
        load_text("shakespeare.txt")
