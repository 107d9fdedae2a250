"""One setting, one name: the flags, the keys a checkpoint records and the constructor
arguments use the model constructors' words (--hidden-size / hidden_size). The old names
still work: old flags parse to the same setting (hidden from --help), old keywords warn,
old checkpoints load and resume exactly, and a misspelled flag is answered with the new
name."""

import argparse
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from minigraph.errors import UsageError
from minigraph.models.captioning.rnn_captioner import CaptioningRNN
from minigraph.models.captioning.training import RENAMED as CAPTION_RENAMED
from minigraph.models.captioning.training import train_captioner
from minigraph.models.charrnn.model import CharRNN
from minigraph.models.charrnn.trainer import CharTrainer
from minigraph.models.cli import build_parser, main
from minigraph.models.cli.char import OLD_FLAGS

from .helpers import edited_hdf5

# written by `minigraph char train ... --hidden 8 --layers 1 --optimizer rmsprop
# --iterations 3` on the commit before the renames (fcd4964), on FIXTURE_TEXT
OLD_CHAR_CHECKPOINT = Path(__file__).parent / "fixtures" / "char_rnn_before_renames.h5"
FIXTURE_TEXT = "".join(f"line {i}: the cat sat on the mat.\n" for i in range(200))
CHAR_RUN = ["--seq-len", "8", "--batch-size", "2", "--eval-every", "0", "--sample-every",
            "0", "--quiet"]

# (command, old flag, new flag, a value): every renamed flag of every command
OLD_AND_NEW = [
    (["char", "train"], "--hidden", "--hidden-size", "24"),
    (["char", "train"], "--layers", "--num-layers", "3"),
    (["char", "train"], "--optimizer", "--update-rule", "sgd"),
    (["caption", "train", "--data", "d"], "--hidden", "--hidden-dim", "24"),
    (["caption", "train", "--data", "d"], "--wordvec", "--wordvec-dim", "12"),
    (["caption", "train", "--data", "d"], "--cell", "--cell-type", "gru"),
    (["render"], "--layers", "--num-layers", "3"),
    (["stats"], "--layers", "--num-layers", "3"),
]


def _subparser(words):
    parser = build_parser()
    for word in words:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs or word not in subs[0].choices:
            break
        parser = subs[0].choices[word]
    return parser


@pytest.mark.parametrize("command, old, new, value", OLD_AND_NEW,
                         ids=[f"{' '.join(c[:2])} {o}" for c, o, _, _ in OLD_AND_NEW])
def test_an_old_flag_sets_the_same_setting_as_the_new_one(command, old, new, value):
    by_old = vars(build_parser().parse_args([*command, old, value]))
    by_new = vars(build_parser().parse_args([*command, new, value]))
    assert by_old == by_new
    assert by_new[new[2:].replace("-", "_")] == (int(value) if value.isdigit() else value)


@pytest.mark.parametrize("command, old, new, value", OLD_AND_NEW,
                         ids=[f"{' '.join(c[:2])} {o}" for c, o, _, _ in OLD_AND_NEW])
def test_the_help_lists_only_the_new_name(command, old, new, value):
    words = _subparser(command).format_help().replace("[", " ").replace(",", " ").split()
    assert new in words and old not in words


def test_every_old_char_flag_is_in_the_table_the_parser_reads():
    assert set(OLD_FLAGS) == {"--hidden", "--layers", "--optimizer", "--max-minutes"}
    assert CAPTION_RENAMED == {"cell": "cell_type", "hidden": "hidden_dim",
                               "wordvec": "wordvec_dim"}


@pytest.mark.parametrize("argv, suggestion", [
    (["char", "train", "--hiden", "8"], "did you mean --hidden-size?"),
    (["char", "train", "--num-layrs", "8"], "did you mean --num-layers?"),
    (["char", "train", "--optimiser", "sgd"], "did you mean --update-rule?"),
    (["caption", "train", "--data", "d", "--hiden", "8"], "did you mean --hidden-dim?"),
    (["caption", "train", "--data", "d", "--wordvec-dims", "8"], "did you mean --wordvec-dim?"),
    (["render", "--layer=2", "--nlayers", "2"], "did you mean --num-layers?"),
])
def test_a_misspelled_flag_is_answered_with_the_new_name(argv, suggestion, capsys,
                                                         monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # should the flag parse after all, nothing lands in the repo
    argv = [*argv, "--iterations", "0"] if argv[:2] == ["char", "train"] else argv
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments" in err and suggestion in err, err


def test_a_flag_far_from_every_name_points_to_the_commands_help(capsys):
    assert main(["char", "train", "--zebra", "1"]) == 2
    assert "hint: `minigraph char train --help` lists the options" in capsys.readouterr().err


def test_an_abbreviation_of_a_renamed_flag_is_not_ambiguous_with_its_old_spelling():
    """--hidd matches --hidden-size and its old spelling --hidden: one setting, no error."""
    assert build_parser().parse_args(["char", "train", "--hidd", "12"]).hidden_size == 12


def test_old_trainer_keywords_warn_and_build_the_same_model():
    new = CharTrainer(FIXTURE_TEXT, num_layers=2, hidden_size=6, seq_len=4, batch_size=2)
    with pytest.warns(DeprecationWarning) as caught:
        old = CharTrainer(FIXTURE_TEXT, layers=2, hidden=6, seq_len=4, batch_size=2)
    assert sorted(str(w.message) for w in caught) == [
        "CharTrainer(hidden=...) is now CharTrainer(hidden_size=...); the old name will be "
        "removed", "CharTrainer(layers=...) is now CharTrainer(num_layers=...); the old name "
        "will be removed"]
    assert old.model.config == new.model.config and old.model.num_layers == 2
    for name, value in new.model.params.items():
        np.testing.assert_array_equal(old.model.params[name], value)
    with pytest.raises(UsageError, match="give hidden_size= only"):
        CharTrainer(FIXTURE_TEXT, hidden=6, hidden_size=6)


def test_the_new_keywords_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        CharTrainer(FIXTURE_TEXT, num_layers=1, hidden_size=4, seq_len=4, batch_size=2)


def test_old_train_captioner_keywords_warn_and_set_the_new_settings(shapes_dir, tmp_path):
    with pytest.warns(DeprecationWarning) as caught:
        model, _, _ = train_captioner(shapes_dir, cell="gru", hidden=8, wordvec=6, epochs=0,
                                      max_train=20, val_images=0, progress=False,
                                      out=str(tmp_path / "c.h5"), log=lambda message: None)
    assert sorted(str(w.message).split("(")[1] for w in caught) == [
        "cell=...) is now train_captioner", "hidden=...) is now train_captioner",
        "wordvec=...) is now train_captioner"]
    assert (model.config["cell_type"], model.config["hidden_dim"],
            model.config["wordvec_dim"]) == ("gru", 8, 6)


@pytest.mark.slow
def test_a_char_checkpoint_written_before_the_renames_resumes_exactly(tmp_path, capsys):
    text = tmp_path / "text.txt"
    text.write_text(FIXTURE_TEXT, encoding="utf-8")
    old = tmp_path / "old.h5"
    shutil.copy(OLD_CHAR_CHECKPOINT, old)
    # its own settings, given under the old names, are accepted; another value is refused
    assert main(["char", "train", "--text", str(text), "--out", str(old), "--resume",
                 "--hidden", "8", "--layers", "1", "--iterations", "2", *CHAR_RUN]) == 0
    assert main(["char", "train", "--text", str(text), "--out", str(old), "--resume",
                 "--hidden-size", "16", "--iterations", "1", *CHAR_RUN]) == 2
    assert "cannot change --hidden-size 16 (it has 8)" in capsys.readouterr().err
    straight = tmp_path / "straight.h5"
    assert main(["char", "train", "--text", str(text), "--out", str(straight),
                 "--hidden-size", "8", "--num-layers", "1", "--update-rule", "rmsprop",
                 "--iterations", "5", *CHAR_RUN]) == 0
    resumed, saved = CharRNN.load(old)
    expected, _ = CharRNN.load(straight)
    assert saved["state"]["iteration"] == 5 and saved["state"]["settings"]["update_rule"] == \
        "rmsprop"
    for name, value in expected.params.items():
        np.testing.assert_array_equal(resumed.params[name], value)


def _write_old_setting_names(path):
    """Rename a captioner checkpoint's recorded settings to the names the code before the
    renames wrote (cell, hidden, wordvec), as a file from then holds them."""
    with edited_hdf5(path) as f:
        settings = f["state/settings"].attrs
        for old, new in CAPTION_RENAMED.items():
            settings[old] = settings[new]
            del settings[new]


@pytest.mark.slow
def test_a_captioner_checkpoint_with_the_old_setting_names_resumes_exactly(
        shapes_dir, tmp_path, capsys):
    common = ["caption", "train", "--data", shapes_dir, "--hidden-dim", "8", "--wordvec-dim",
              "6", "--cell-type", "gru", "--batch-size", "10", "--max-train", "40",
              "--val-images", "0", "--quiet"]
    assert main(common + ["--epochs", "2", "--out", str(tmp_path / "straight.h5")]) == 0
    assert main(common + ["--epochs", "1", "--out", str(tmp_path / "old.h5")]) == 0
    _write_old_setting_names(tmp_path / "old.h5")
    assert main(["caption", "train", "--data", shapes_dir, "--resume", "--out",
                 str(tmp_path / "old.h5"), "--hidden-dim", "16", "--epochs", "2"]) == 2
    assert "cannot change --hidden-dim 16 (it has 8)" in capsys.readouterr().err
    assert main(["caption", "train", "--data", shapes_dir, "--epochs", "2", "--resume",
                 "--hidden", "8", "--val-images", "0", "--quiet", "--out",
                 str(tmp_path / "old.h5")]) == 0
    straight, _ = CaptioningRNN.load(tmp_path / "straight.h5")
    resumed, saved = CaptioningRNN.load(tmp_path / "old.h5")
    assert saved["state"]["iteration"] == 8
    assert set(CAPTION_RENAMED.values()) <= set(saved["state"]["settings"])  # written anew
    assert not set(CAPTION_RENAMED) & set(saved["state"]["settings"])
    for name, value in straight.params.items():
        np.testing.assert_array_equal(resumed.params[name], value)
