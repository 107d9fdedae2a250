"""A battery of tampered checkpoints: a real small char-rnn and captioner checkpoint, each
field changed in the ways a damaged or hostile file could (wrong type, out of range,
unknown name, null, nested), loaded through the command line in-process. Every case
either refuses in one line with exit 2 or runs (exit 0): never a traceback."""

import json
import shutil

import numpy as np
import pytest

from minigraph.models.cli import main

from .helpers import edited_hdf5

TEXT = "".join(f"line {i}: the quick brown fox jumps over the lazy dog.\n" for i in range(60))
NESTED = {"a": {"b": [1, {"c": None}]}}

# (group, attribute, path inside its JSON value or None for the whole, new value)
CHAR_CASES = [
    ("/", "config", "seed", None), ("/", "config", "seed", -1), ("/", "config", "seed", 2.5),
    ("/", "config", "cell", "tanh"), ("/", "config", "cell", ["lstm"]),
    ("/", "config", "dtype", "float16"), ("/", "config", "dtype", "x"),
    ("/", "config", "dtype", "float64"), ("/", "config", "dropout", 2),
    ("/", "config", "dropout", "0.1"), ("/", "config", "fused", "yes"),
    ("/", "config", "forget_bias", 1e300), ("/", "config", "forget_bias", None),
    ("/", "config", "num_layers", 0), ("/", "config", "num_layers", 3),
    ("/", "config", "hidden_size", 9), ("/", "config", "vocab_size", 10 ** 20),
    ("/", "config", "embed_size", None), ("/", "config", None, []),
    ("/", "config", None, NESTED), ("/", "vocab", None, NESTED),
    ("/", "vocab", 0, "ab"), ("/", "vocab", 0, 7), ("/", "vocab", 0, None),
    ("/", "vocab", 0, ""), ("/", "vocab", 1, "\n"), ("/", "vocab", 0, ["a"]),
    ("/", "vocab", None, None), ("/", "version", None, 99),
    ("/state", "iteration", None, -3), ("/state", "iteration", None, None),
    ("/state", "iteration", None, 2.5), ("/state", "position", None, 10 ** 9),
    ("/state", "position", None, "1"), ("/state", "data_sha256", None, 5),
    ("/state/settings", "seq_len", None, 0), ("/state/settings", "seq_len", None, "8"),
    ("/state/settings", "batch_size", None, 99), ("/state/settings", "lr", None, -0.1),
    ("/state/settings", "lr", None, 10 ** 400), ("/state/settings", "lr_decay", None, None),
    ("/state/settings", "clip", None, -1), ("/state/settings", "update_rule", None, "adamw"),
    ("/state/settings", "update_rule", None, ["adam"]),
    ("/state/settings", "lr_schedule", None, "linear"),
    ("/state/settings", "lr_schedule", None, {}), ("/state/settings", "warmup", None, -1),
    ("/state/settings", "horizon", None, 1e300), ("/state/settings", "reset_every", None, 2.5),
    ("/state/sample_rng", "bit_generator", None, "MT19937"),
    ("/state/sample_rng/state", "inc", None, -1),
    ("/state/sample_rng/state", "state", None, "x"),
    ("/state/dropout_rng", "has_uint32", None, 10 ** 30),
    ("/optim/W_out", "beta1", None, 2), ("/optim/W_out", "beta2", None, -0.5),
    ("/optim/W_out", "learning_rate", None, -1), ("/optim/W_out", "epsilon", None, 0),
    ("/optim/W_out", "t", None, 2.5), ("/optim/W_out", "t", None, -4),
    ("/optim/W_out", "nesterov", None, True), ("/optim/W_out", "beta1", None, "0.9"),
    ("/optim/W_out", "momentum", None, 0.5),  # SGD's, in range: Adam ignores it
]
# datasets changed in place: (path, function of the array -> new array or None to delete)
CHAR_ARRAYS = [
    ("/state/carried/h0", lambda a: a[:1]), ("/state/carried/h0", lambda a: a.astype(int)),
    ("/state/carried/c0", None), ("/state/carried/h0", lambda a: a * np.inf),
    ("/optim/W_out/v", lambda a: -np.ones_like(a)), ("/optim/W_out/m", lambda a: a[:1]),
    ("/optim/b_out", None), ("/history/loss", lambda a: a[:, None]),
]


def _set_json(f, group, attribute, key, value):
    if attribute == "version":
        f[group].attrs[attribute] = value
        return
    whole = json.loads(f[group].attrs[attribute]) if attribute in f[group].attrs else None
    if key is None:
        whole = value
    else:
        whole[key] = value
    f[group].attrs[attribute] = json.dumps(whole)


def _change_array(f, path, change):
    value = f[path][()] if change is not None else None
    del f[path]
    if change is not None:
        f[path] = change(value)


@pytest.fixture(scope="module")
def char_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tamper")
    text = folder / "t.txt"
    text.write_text(TEXT, encoding="utf-8")
    base = folder / "base.h5"
    assert main(["char", "train", "--text", str(text), "--out", str(base), "--hidden-size",
                 "8", "--num-layers", "1", "--seq-len", "8", "--batch-size", "3",
                 "--iterations", "3", "--eval-every", "0", "--sample-every", "0",
                 "--dropout", "0.1", "--quiet"]) == 0
    return base, text


def _runs_or_refuses_in_one_line(args, capsys):
    capsys.readouterr()
    code = main(args)  # a traceback would raise out of here and fail the test
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if not line.startswith("warning:")]
    assert code in (0, 2), err
    if code == 2:
        assert len(lines) == 1 and lines[0].startswith("error: "), err
    return code


def _tampered_char(char_files, tmp_path, edit):
    base, text = char_files
    path = tmp_path / "m.h5"
    shutil.copy(base, path)
    with edited_hdf5(path) as f:
        edit(f)
    return path, text


def _both_commands(path, text, capsys):
    sample = _runs_or_refuses_in_one_line(["char", "sample", "--model", str(path),
                                           "--length", "5"], capsys)
    resume = _runs_or_refuses_in_one_line(
        ["char", "train", "--text", str(text), "--out", str(path), "--resume", "--iterations",
         "1", "--eval-every", "0", "--sample-every", "0", "--quiet"], capsys)
    return sample, resume


@pytest.mark.parametrize("group, attribute, key, value", CHAR_CASES,
                         ids=[f"{g}:{a}:{k}={v!r}"[:60] for g, a, k, v in CHAR_CASES])
def test_a_tampered_char_checkpoint_refuses_in_one_line_or_runs(char_files, tmp_path, capsys,
                                                                group, attribute, key, value):
    path, text = _tampered_char(char_files, tmp_path,
                                lambda f: _set_json(f, group, attribute, key, value))
    sample, resume = _both_commands(path, text, capsys)
    if attribute in ("config", "vocab", "version") or attribute == "lr" or (
            group.startswith("/optim") and attribute != "momentum"):
        assert resume == 2  # every value above is wrong for the model or its optimizer


@pytest.mark.parametrize("where, change", CHAR_ARRAYS,
                         ids=[f"{w}-{i}" for i, (w, _) in enumerate(CHAR_ARRAYS)])
def test_a_tampered_char_array_refuses_in_one_line(char_files, tmp_path, capsys, where,
                                                   change):
    path, text = _tampered_char(char_files, tmp_path, lambda f: _change_array(f, where, change))
    assert _both_commands(path, text, capsys)[1] == 2


def test_the_untampered_checkpoint_runs_both_commands(char_files, tmp_path, capsys):
    path, text = _tampered_char(char_files, tmp_path, lambda f: None)
    assert _both_commands(path, text, capsys) == (0, 0)


# ---------------------------------------------------------------- a captioner
CAPTION_CASES = [
    ("/", "config", "cell_type", "lstm2"), ("/", "config", "dtype", "int8"),
    ("/", "config", "seed", None), ("/", "config", "fused", 1),
    ("/", "config", "hidden_dim", "8"), ("/", "vocab", "<START>", None),
    ("/", "vocab", "<END>", 2.0), ("/", "vocab", "<NULL>", NESTED), ("/", "vocab", None, NESTED),
    ("/", "vocab", None, ["<NULL>", "<START>", "<END>"]), ("/", "version", None, 99),
    ("/", "vocab", "extra", 3),
]


def _without(key):
    def edit(f):
        vocab = json.loads(f.attrs["vocab"])
        index = vocab.pop(key)
        # ids stay 0 .. V-1: the last word takes the removed one's id, W_embed loses a row
        last = max(vocab, key=vocab.get)
        vocab[last] = index
        f.attrs["vocab"] = json.dumps(vocab)
        embed = f["params/W_embed"][()]
        embed[index] = embed[-1]
        _change_array(f, "params/W_embed", lambda _: embed[:-1])
    return edit


@pytest.mark.parametrize("edit", [
    *[lambda f, c=case: _set_json(f, *c) for case in CAPTION_CASES],
    _without("<START>"), _without("<END>"),
], ids=[*[f"{a}:{k}={v!r}"[:50] for _, a, k, v in CAPTION_CASES], "no-START", "no-END"])
def test_a_tampered_captioner_refuses_in_one_line(captioner_file, shapes_dir, tmp_path,
                                                  capsys, edit):
    path = tmp_path / "c.h5"
    shutil.copy(captioner_file, path)
    with edited_hdf5(path) as f:
        edit(f)
    assert _runs_or_refuses_in_one_line(["caption", "eval", "--model", str(path), "--data",
                                         shapes_dir, "--max-images", "2"], capsys) == 2


def test_the_untampered_captioner_evaluates(captioner_file, shapes_dir, capsys):
    assert _runs_or_refuses_in_one_line(["caption", "eval", "--model", str(captioner_file),
                                         "--data", shapes_dir, "--max-images", "2"],
                                        capsys) == 0


# ---------------------------------------------------------------- a captioner's resume
RESUME_CASES = [
    ("/state/settings", "seed", None, "7"), ("/state/settings", "lr", None, -1),
    ("/state/settings", "lr_decay", None, 0), ("/state/settings", "batch_size", None, None),
    ("/state/settings", "max_train", None, [1]), ("/state/settings", "cell_type", None, "x"),
    ("/state/settings", "attention", None, "no"), ("/state", "epoch", None, -2),
    ("/state", "epoch", None, 1.5), ("/state/rng", "bit_generator", None, "MT19937"),
    ("/optim/Wx", "beta1", None, 2), ("/optim/Wx", "learning_rate", None, -0.5),
    ("/state", "data_sha256", None, ["x"]),
]


@pytest.fixture(scope="module")
def trained_captioner(shapes_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("resume") / "c.h5"
    assert main(["caption", "train", "--data", shapes_dir, "--hidden-dim", "8",
                 "--wordvec-dim", "6", "--batch-size", "10", "--max-train", "20",
                 "--val-images", "0", "--epochs", "1", "--quiet", "--out", str(path)]) == 0
    return path


@pytest.mark.parametrize("group, attribute, key, value", RESUME_CASES,
                         ids=[f"{g}:{a}={v!r}" for g, a, _, v in RESUME_CASES])
def test_a_tampered_captioner_resume_refuses_in_one_line(trained_captioner, shapes_dir,
                                                         tmp_path, capsys, group, attribute,
                                                         key, value):
    path = tmp_path / "c.h5"
    shutil.copy(trained_captioner, path)
    with edited_hdf5(path) as f:
        _set_json(f, group, attribute, key, value)
    assert _runs_or_refuses_in_one_line(["caption", "train", "--data", shapes_dir, "--resume",
                                         "--epochs", "2", "--val-images", "0", "--quiet",
                                         "--out", str(path)], capsys) == 2


@pytest.mark.parametrize("group, attribute", [
    ("/optim/W_embed", "beta1"), ("/optim/W_embed", "learning_rate"), ("/optim/W_embed", "t"),
    ("/state/settings", "reset_every"), ("/state/settings", "horizon")])
def test_integers_too_large_for_any_float_or_run_are_refused(char_files, tmp_path, capsys,
                                                             group, attribute):
    path, text = _tampered_char(char_files, tmp_path,
                                lambda f: _set_json(f, group, attribute, None, 10 ** 20))
    assert _both_commands(path, text, capsys)[1] == 2
