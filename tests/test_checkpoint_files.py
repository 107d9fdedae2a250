"""Checkpoints: written atomically with the user's file mode, stale temporaries cleaned, a
failed write leaves the old file intact; loaded as untrusted data (files made with h5py)."""

import errno
import json
import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

from minigraph import checkpoint, files
from minigraph.checkpoint import CheckpointError
from minigraph.models.captioning.rnn_captioner import CaptioningRNN
from minigraph.models.charrnn.model import CharRNN

from .helpers import edited_hdf5

CHARS = list("abcdef")


def _char_checkpoint(path, **config):
    model = CharRNN(len(CHARS), hidden_size=4, num_layers=1, embed_size=3, chars=CHARS,
                    **config)
    model.save(path)
    return model


def _edit(path, change):
    """Open a saved checkpoint with h5py and let ``change(f)`` tamper with it."""
    with edited_hdf5(path) as f:
        change(f)


def test_checkpoint_has_the_users_file_mode_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        _char_checkpoint(tmp_path / "m.h5")
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "m.h5").st_mode & 0o777 == 0o644


def _dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_temporaries_of_the_same_checkpoint_are_removed_on_the_next_save(tmp_path):
    # issue 25: only temporaries named as ours, of a process no longer running, are removed;
    # a user's file of a similar name and a live run's temporary are kept
    dead = _dead_pid()
    for name in (f".tmp-m.h5-{dead}-0123abcd", f".tmp-m.h5-{dead}-deadbeef"):
        (tmp_path / name).write_bytes(b"half a checkpoint")
    kept = [".tmp-other.h5-1", ".tmp-m.h5-12345", ".tmp-m.h5-notes.txt",
            f".tmp-m.h5-{os.getppid()}-0123abcd"]
    for name in kept:
        (tmp_path / name).write_bytes(b"another file's")
    _char_checkpoint(tmp_path / "m.h5")
    assert sorted(os.listdir(tmp_path)) == sorted(kept + ["m.h5"])


def test_full_disk_during_save_is_one_error_and_the_old_checkpoint_survives(
        tmp_path, monkeypatch):
    path = tmp_path / "m.h5"
    old = _char_checkpoint(path)
    writes, real_write = [], os.write

    def full_disk(fd, data):  # the first write gets 100 bytes in, the second finds no space
        writes.append(len(data))
        if len(writes) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, bytes(data[:100]))

    monkeypatch.setattr(files.os, "write", full_disk)
    new = CharRNN(len(CHARS), hidden_size=4, num_layers=1, embed_size=3, chars=CHARS, seed=9)
    with pytest.raises(files.WriteError, match="No space left on device.*unchanged") as err:
        new.save(path)
    assert err.value.exit_code == 1 and len(writes) == 2
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["m.h5"]
    loaded, _ = CharRNN.load(path)
    for name, value in old.params.items():
        np.testing.assert_array_equal(loaded.params[name], value)


def test_a_symlink_at_the_target_is_replaced_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / "m.h5").symlink_to(victim)
    _char_checkpoint(tmp_path / "m.h5")
    assert victim.read_text() == "keep me" and not (tmp_path / "m.h5").is_symlink()


# ---------------------------------------------------------------- untrusted files
TAMPERED = [
    ("huge-declared-dataset", lambda f: (f["params"].__delitem__("W_out"),
                                         f["params"].create_dataset(
                                             "W_out", shape=(10**11,), dtype="f4")),
     "declares (100000000000,) float32 (400.0 GB) from 0 bytes stored"),
    ("nan-parameter", lambda f: f["params"]["Wx0"].__setitem__((0, 0), np.nan),
     "parameter 'Wx0' is not a finite float array"),
    ("inf-parameter", lambda f: f["params"]["b_out"].__setitem__(0, np.inf),
     "parameter 'b_out' is not a finite float array"),
    ("unknown-config-key", lambda f: f.attrs.__setitem__(
        "config", json.dumps({**json.loads(f.attrs["config"]), "evil": 1})),
     "unknown config key 'evil'"),
    ("config-not-an-object", lambda f: f.attrs.__setitem__("config", "[1, 2]"),
     "'config' is not a JSON object"),
    ("config-not-json", lambda f: f.attrs.__setitem__("config", "{oops"),
     "the 'config' attribute is not JSON"),
    ("config-size-disagrees", lambda f: f.attrs.__setitem__(
        "config", json.dumps({**json.loads(f.attrs["config"]), "hidden_size": 10**6})),
     "config 'hidden_size' is 1000000 but parameter 'W_out' is (4, 6)"),
    ("group-where-an-array-belongs", lambda f: (f["params"].__delitem__("b0"),
                                                f["params"].create_group("b0")),
     "'params/b0' is a group where an array belongs"),
    ("external-link", lambda f: f["params"].__setitem__(
        "extra", h5py.ExternalLink("/etc/passwd.h5", "/x")),
     "'params/extra' is a link (ExternalLink)"),
    ("soft-link", lambda f: f["state"].__setitem__("loop", h5py.SoftLink("/params")),
     "'state/loop' is a link (SoftLink)"),
    ("string-dataset", lambda f: f["state"].create_dataset("note", data="hi"),
     "'state/note' is not a numeric array"),
    ("wrong-kind", lambda f: f.attrs.__setitem__("kind", "CaptioningRNN"),
     "holds a CaptioningRNN, not a CharRNN"),
    ("not-a-minigraph-file", lambda f: f.attrs.__setitem__("format", "keras"),
     "not a minigraph checkpoint"),
    ("missing-group", lambda f: f.__delitem__("optim"), "has no group 'optim'"),
    ("vocab-too-short", lambda f: f.attrs.__setitem__("vocab", json.dumps(["a"])),
     "'vocab' is not a list of 6 characters"),
    ("layers-zero", lambda f: f.attrs.__setitem__(
        "config", json.dumps({**json.loads(f.attrs["config"]), "num_layers": 0})),
     "config 'num_layers' is 0"),
    ("wrong-parameter-shape", lambda f: (f["params"].__delitem__("Wh0"),
                                         f["params"].create_dataset(
                                             "Wh0", data=np.zeros((4, 3), "f4"))),
     "'Wh0' is (4, 3) float32 in the file, the model wants (4, 16) float32"),
]


@pytest.mark.parametrize("change, message", [t[1:] for t in TAMPERED],
                         ids=[t[0] for t in TAMPERED])
def test_tampered_checkpoint_is_refused_naming_the_key(tmp_path, change, message):
    path = tmp_path / "m.h5"
    _char_checkpoint(path)
    _edit(path, change)
    with pytest.raises(CheckpointError) as err:
        CharRNN.load(path)
    assert message in str(err.value)


def test_tampered_optimizer_state_is_refused_on_resume(tmp_path):
    from minigraph.models.charrnn.trainer import CharTrainer

    text = "abcdef " * 400
    trainer = CharTrainer(text, num_layers=1, hidden_size=4, seq_len=4, batch_size=2)
    trainer.train(iterations=2, eval_every=0, progress=False)
    trainer.save(tmp_path / "m.h5")
    _edit(tmp_path / "m.h5", lambda f: (f["optim"]["Wx0"].__delitem__("m"),
                                        f["optim"]["Wx0"].create_dataset(
                                            "m", data=np.zeros((2, 2), "f4"))))
    with pytest.raises(CheckpointError, match=r"'optim/Wx0/m' is \(2, 2\) float32; the "
                                              r"parameter is \(4, 16\)"):
        CharTrainer.resume(tmp_path / "m.h5", text)
    _edit(tmp_path / "m.h5", lambda f: f["optim"]["Wx0"].attrs.__setitem__(
        "learning_rate", "NaN"))
    with pytest.raises(CheckpointError, match="learning_rate' is nan, not a finite number"):
        CharTrainer.resume(tmp_path / "m.h5", text)


def test_resuming_on_a_shorter_text_with_the_same_characters_is_refused(tmp_path):
    from minigraph.models.charrnn.trainer import CharTrainer

    text = "abcdef " * 400
    trainer = CharTrainer(text, num_layers=1, hidden_size=4, seq_len=4, batch_size=2)
    trainer.train(iterations=60, eval_every=0, progress=False)
    trainer.save(tmp_path / "m.h5")
    with pytest.raises(CheckpointError, match="stopped at window 61 of a pass over its text, "
                                              "but this text has only 15 windows"):
        # other_data: past the fingerprint's refusal, the position is checked too
        CharTrainer.resume(tmp_path / "m.h5", "abcdef " * 20, other_data=True)


def test_captioning_checkpoint_with_a_bad_vocabulary_is_refused(tmp_path):
    words = {"<NULL>": 0, "<START>": 1, "<END>": 2, "a": 3}
    CaptioningRNN(words, input_dim=5, wordvec_dim=3, hidden_dim=4).save(tmp_path / "c.h5")
    _edit(tmp_path / "c.h5", lambda f: f.attrs.__setitem__("vocab", json.dumps(
        {"<NULL>": 0, "<START>": 1, "<END>": 7, "a": 3})))
    with pytest.raises(CheckpointError, match="'vocab' is not a word-to-id map"):
        CaptioningRNN.load(tmp_path / "c.h5")
    _edit(tmp_path / "c.h5", lambda f: f.attrs.__setitem__("vocab", json.dumps([1, 2])))
    with pytest.raises(CheckpointError, match="'vocab' is not a word-to-id map"):
        CaptioningRNN.load(tmp_path / "c.h5")


def test_loading_a_valid_checkpoint_still_round_trips(tmp_path):
    model = _char_checkpoint(tmp_path / "m.h5", cell="gru")
    loaded, saved = CharRNN.load(tmp_path / "m.h5")
    assert saved["config"] == model.config and loaded.chars == CHARS
    for name, value in model.params.items():
        np.testing.assert_array_equal(loaded.params[name], value)
    assert checkpoint.peek_kind(tmp_path / "m.h5") == "CharRNN"
