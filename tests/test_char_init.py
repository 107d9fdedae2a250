"""CharRNN's initialisation: the LSTM forget-gate bias starts at ``forget_bias`` (0 by
default), on the forget gate and nowhere else, and checkpoints keep it."""

import json

import numpy as np
import pytest

from minigraph.errors import UsageError
from minigraph.models.charrnn.model import CharRNN

from .helpers import edited_hdf5

CHARS = list("abcde")


def carried_cell_after_one_step(model):
    """c after one step from c = 1 with every weight matrix zero: the forget gate alone
    decides what is kept (i * g is 0 because g = tanh(0) = 0)."""
    for name in model.params:
        if name.startswith(("Wx", "Wh")):
            model.params[name][...] = 0
    H = model.hidden_size
    ones = np.ones((1, H), np.float32)
    _, state = model.evaluate(np.array([[2]]), np.array([[3]]), [(ones, ones)])
    return state[0][1]


def test_the_forget_gate_bias_is_zero_by_default_and_every_bias_starts_at_zero():
    model = CharRNN(len(CHARS), hidden_size=4, num_layers=2, chars=CHARS)
    assert model.config["forget_bias"] == 0.0
    for layer in range(2):
        assert not model.params[f"b{layer}"].any()
    np.testing.assert_allclose(carried_cell_after_one_step(
        CharRNN(len(CHARS), hidden_size=4, num_layers=1, chars=CHARS)), 0.5, rtol=1e-6)


def test_forget_bias_lands_on_the_forget_gate_only():
    model = CharRNN(len(CHARS), hidden_size=4, num_layers=1, chars=CHARS, forget_bias=3.0)
    b = model.params["b0"]
    assert np.array_equal(b[4:8], np.full(4, 3.0, np.float32))
    assert not np.delete(b, np.arange(4, 8)).any()
    sigmoid3 = 1 / (1 + np.exp(-3.0))
    np.testing.assert_allclose(carried_cell_after_one_step(model), sigmoid3, rtol=1e-6)


def test_a_negative_forget_bias_is_refused_by_name():
    with pytest.raises(UsageError, match="forget_bias must be a finite number >= 0"):
        CharRNN(len(CHARS), forget_bias=-1.0)


def test_checkpoints_keep_the_forget_bias_and_older_ones_without_it_load(tmp_path):
    model = CharRNN(len(CHARS), hidden_size=4, num_layers=1, chars=CHARS, forget_bias=1.0)
    model.save(tmp_path / "m.h5")
    loaded, saved = CharRNN.load(tmp_path / "m.h5")
    assert saved["config"]["forget_bias"] == 1.0
    np.testing.assert_array_equal(loaded.params["b0"], model.params["b0"])
    with edited_hdf5(tmp_path / "m.h5") as f:  # a file from before the setting existed
        config = json.loads(f.attrs["config"])
        del config["forget_bias"]
        f.attrs["config"] = json.dumps(config)
    older, _ = CharRNN.load(tmp_path / "m.h5")
    np.testing.assert_array_equal(older.params["b0"], model.params["b0"])
