"""Every command, given bad input, prints one `error:` line (and perhaps a hint), no Python
traceback, and exits 2 (bad usage or input) or 1 (a run that failed)."""

import os
import shutil

import numpy as np
import pytest

from minigraph.models.cli import main

from .helpers import edited_hdf5

TEXT = "".join(f"line {i}: the cat sat on the mat.\n" for i in range(200))


@pytest.fixture(scope="module")
def world(tmp_path_factory, shapes_dir):
    """Files the bad commands point at: a text, a binary, an empty file, a folder, a tiny
    char model, a tiny captioner, a corrupt checkpoint."""
    d = tmp_path_factory.mktemp("world")
    (d / "text.txt").write_text(TEXT, encoding="utf-8")
    (d / "short.txt").write_text("abc", encoding="utf-8")
    (d / "binary.bin").write_bytes(b"\xff\xfe\x00\x81" * 50)
    (d / "empty.txt").write_bytes(b"")
    (d / "folder").mkdir()
    (d / "other.txt").write_text("Zebra quiz!", encoding="utf-8")
    assert main(["char", "train", "--text", str(d / "text.txt"), "--iterations", "2",
                 "--hidden", "8", "--layers", "1", "--seq-len", "8", "--batch-size", "2",
                 "--eval-every", "0", "--sample-every", "0", "--out", str(d / "char.h5"),
                 "--quiet"]) == 0
    assert main(["caption", "train", "--data", shapes_dir, "--epochs", "1", "--hidden", "8",
                 "--wordvec", "8", "--val-images", "5", "--max-train", "50", "--out",
                 str(d / "cap.h5"), "--quiet"]) == 0
    (d / "broken.h5").write_bytes((d / "char.h5").read_bytes()[:3000])
    (d / "one.txt").write_text("a", encoding="utf-8")
    (d / "folder2").mkdir()
    (d / "folder2" / "keep.txt").write_text("mine", encoding="utf-8")
    shutil.copytree(shapes_dir, d / "nan-data")
    with edited_hdf5(d / "nan-data" / "train2014_vgg16_fc7_pca.h5") as f:
        f["features"][0, 0] = np.nan
    return {"d": str(d), "data": shapes_dir}


def fill(args, world):
    return [a.format(**world) for a in args]


CHAR_TRAIN = ["char", "train", "--text", "{d}/text.txt", "--iterations", "1", "--hidden", "8",
              "--quiet", "--out", "{d}/new.h5"]
CHAR_TRAIN_NO_OUT = CHAR_TRAIN[:-2]
CAP_TRAIN = ["caption", "train", "--data", "{data}", "--epochs", "1", "--hidden", "8",
             "--quiet", "--out", "{d}/newcap.h5"]

# (id, argv, expected exit status, a phrase the error must contain)
BAD = [
    # flags out of range: refused by the parser before anything runs
    ("seed-negative", CHAR_TRAIN + ["--seed", "-1"], 2, "--seed: must be at least 0"),
    ("batch-size-0", CHAR_TRAIN + ["--batch-size", "0"], 2, "--batch-size: must be at least 1"),
    ("seq-len-0", CHAR_TRAIN + ["--seq-len", "0"], 2, "--seq-len"),
    ("layers-0", CHAR_TRAIN + ["--layers", "0"], 2, "--layers"),
    ("hidden-0", CHAR_TRAIN + ["--hidden", "0"], 2, "--hidden"),
    ("hidden-word", CHAR_TRAIN + ["--hidden", "many"], 2, "expected an integer"),
    ("clip-0", CHAR_TRAIN + ["--clip", "0"], 2, "--clip: must be greater than 0"),
    ("clip-negative", CHAR_TRAIN + ["--clip", "-5"], 2, "--clip"),
    ("lr-negative", CHAR_TRAIN + ["--lr", "-0.1"], 2, "--lr"),
    ("lr-nan", CHAR_TRAIN + ["--lr", "nan"], 2, "finite"),
    ("lr-decay-negative", CHAR_TRAIN + ["--lr-decay", "-0.5"], 2, "--lr-decay"),
    ("dropout-negative", CHAR_TRAIN + ["--dropout", "-0.1"], 2, "[0, 1)"),
    ("dropout-1", CHAR_TRAIN + ["--dropout", "1"], 2, "[0, 1)"),
    ("iterations-negative", CHAR_TRAIN + ["--iterations", "-3"], 2, "--iterations"),
    ("eval-every-negative", CHAR_TRAIN + ["--eval-every", "-5"], 2, "--eval-every"),
    ("max-minutes-0", CHAR_TRAIN + ["--max-minutes", "0"], 2, "--max-minutes"),
    ("cell-bogus", CHAR_TRAIN + ["--cell", "transformer"], 2, "invalid choice"),
    ("unknown-flag", ["char", "train", "--hiden", "8"], 2, "unrecognized arguments"),
    ("no-subcommand", ["char"], 2, "required"),
    ("unknown-command", ["chars"], 2, "invalid choice"),
    # input files
    ("text-missing", CHAR_TRAIN_NO_OUT + ["--text", "{d}/nope.txt", "--out", "{d}/a.h5"], 2,
     "nope.txt"),
    ("text-binary", CHAR_TRAIN_NO_OUT + ["--text", "{d}/binary.bin", "--out", "{d}/a.h5"], 2,
     "not valid UTF-8"),
    ("text-empty", CHAR_TRAIN_NO_OUT + ["--text", "{d}/empty.txt", "--out", "{d}/a.h5"], 2,
     "is empty"),
    ("text-folder", CHAR_TRAIN_NO_OUT + ["--text", "{d}/folder", "--out", "{d}/a.h5"], 2,
     "is a folder, not a regular file"),
    ("text-too-short", CHAR_TRAIN_NO_OUT + ["--text", "{d}/short.txt", "--out", "{d}/a.h5"], 2,
     "too short"),
    # outputs that would destroy something or cannot be written
    ("out-empty", CHAR_TRAIN_NO_OUT + ["--out", ""], 2, "empty"),
    ("out-is-the-text", CHAR_TRAIN_NO_OUT + ["--out", "{d}/text.txt"], 2,
        "is also an input"),  # issue 25: an input is never an output
    ("out-is-a-checkpoint", CHAR_TRAIN_NO_OUT + ["--out", "{d}/char.h5"], 2, "--resume"),
    ("out-is-a-captioner", CHAR_TRAIN_NO_OUT + ["--out", "{d}/cap.h5"], 2,
     "a CaptioningRNN checkpoint"),
    ("out-is-a-device", CHAR_TRAIN_NO_OUT + ["--out", "/dev/null"], 2, "not a regular file"),
    ("out-is-a-folder", CHAR_TRAIN_NO_OUT + ["--out", "{d}/folder"], 2, "is a directory"),
    ("out-under-a-file", CHAR_TRAIN_NO_OUT + ["--out", "{d}/text.txt/m.h5"], 2, "folder"),
    # resume
    ("resume-missing", CHAR_TRAIN_NO_OUT + ["--resume", "--out", "{d}/nope.h5"], 2,
     "does not exist"),
    ("resume-not-a-checkpoint", CHAR_TRAIN_NO_OUT + ["--resume", "--out", "{d}/other.txt"], 2,
     "not a CharRNN checkpoint"),
    ("resume-other-hidden", ["char", "train", "--text", "{d}/text.txt", "--resume", "--out",
                             "{d}/char.h5", "--hidden", "16", "--iterations", "1"], 2,
     "--hidden-size 16 (it has 8)"),
    ("resume-other-cell", ["char", "train", "--text", "{d}/text.txt", "--resume", "--out",
                           "{d}/char.h5", "--cell", "gru", "--iterations", "1"], 2,
     "--cell gru (it has lstm)"),
    ("resume-other-vocabulary", ["char", "train", "--text", "{d}/other.txt", "--resume",
                                 "--out", "{d}/char.h5", "--iterations", "1"], 2,
     "different vocabulary"),
    # using a model
    ("sample-model-missing", ["char", "sample", "--model", "{d}/nope.h5"], 2, "does not exist"),
    ("sample-model-is-text", ["char", "sample", "--model", "{d}/text.txt"], 2,
     "not a minigraph checkpoint"),
    ("sample-model-truncated", ["char", "sample", "--model", "{d}/broken.h5"], 2, "broken.h5"),
    ("sample-model-is-a-captioner", ["char", "sample", "--model", "{d}/cap.h5"], 2,
     "not a CharRNN"),
    ("sample-temperature-negative", ["char", "sample", "--model", "{d}/char.h5",
                                     "--temperature", "-1"], 2, "--temperature"),
    ("sample-top-k-0", ["char", "sample", "--model", "{d}/char.h5", "--top-k", "0"], 2,
     "--top-k"),
    ("sample-length-negative", ["char", "sample", "--model", "{d}/char.h5", "--length", "-1"],
     2, "--length"),
    ("eval-one-character", ["char", "eval", "--model", "{d}/char.h5", "--text", "{d}/one.txt"],
     2, "needs at least 2 characters"),
    ("eval-unknown-characters", ["char", "eval", "--model", "{d}/char.h5", "--text",
                                 "{d}/other.txt"], 2, "not in the vocabulary"),
    ("neurons-out-txt", ["char", "neurons", "--model", "{d}/char.h5", "--text", "{d}/text.txt",
                         "--out", "{d}/text.txt"], 2, "must end in .html"),
    ("neurons-chars-0", ["char", "neurons", "--model", "{d}/char.h5", "--chars", "0"], 2,
     "--chars"),
    # captioning
    ("shapes-train-0", ["shapes", "--out", "{d}/s", "--train", "0"], 2, "--train"),
    ("shapes-out-is-a-file", ["shapes", "--out", "{d}/text.txt", "--train", "5"], 2,
     "not a folder"),
    ("caption-data-missing", CAP_TRAIN[:2] + ["--data", "{d}/nope", "--out", "{d}/c.h5"], 2,
     "nope"),
    ("caption-data-empty-folder", CAP_TRAIN[:2] + ["--data", "{d}/folder", "--out",
                                                   "{d}/c.h5"], 2, "missing data file"),
    ("caption-batch-size-0", CAP_TRAIN + ["--batch-size", "0"], 2, "--batch-size"),
    ("caption-epochs-negative", CAP_TRAIN + ["--epochs", "-1"], 2, "--epochs"),
    ("caption-lr-decay-0", CAP_TRAIN + ["--lr-decay", "0"], 2, "--lr-decay"),
    ("caption-out-is-the-text", CAP_TRAIN[:-1] + ["{d}/text.txt"], 2, "not a CaptioningRNN"),
    ("caption-out-is-a-checkpoint", CAP_TRAIN[:-1] + ["{d}/cap.h5"], 2, "--force"),
    ("caption-eval-split-bogus", ["caption", "eval", "--model", "{d}/cap.h5", "--split",
                                  "bogus"], 2, "has the splits novel, train, val"),
    ("caption-eval-max-images-0", ["caption", "eval", "--model", "{d}/cap.h5",
                                   "--max-images", "0"], 2, "--max-images"),
    ("caption-eval-beam-negative", ["caption", "eval", "--model", "{d}/cap.h5", "--beam",
                                    "-1"], 2, "--beam"),
    ("caption-eval-char-model", ["caption", "eval", "--model", "{d}/char.h5"], 2,
     "not a CaptioningRNN"),
    ("caption-sample-image-folder", ["caption", "sample", "--model", "{d}/cap.h5", "--image",
                                     "{d}/folder"], 2, "is a directory"),
    ("caption-sample-image-not-a-picture", ["caption", "sample", "--model", "{d}/cap.h5",
                                            "--image", "{d}/text.txt"], 2, "not a picture"),
    ("caption-sample-image-missing", ["caption", "sample", "--model", "{d}/cap.h5", "--image",
                                      "{d}/nope.png"], 2, "no such file"),
    ("gallery-out-txt", ["caption", "gallery", "--model", "{d}/cap.h5", "--out",
                         "{d}/text.txt"], 2, "must end in .png"),
    ("gallery-out-exists", ["caption", "gallery", "--model", "{d}/cap.h5", "--out",
                            "{d}/cap_loss.png"], 2, "add --force"),
    ("gallery-count-0", ["caption", "gallery", "--model", "{d}/cap.h5", "--count", "0"], 2,
     "--count"),
    ("gallery-split-bogus", ["caption", "gallery", "--model", "{d}/cap.h5", "--split", "x",
                             "--out", "{d}/g.png"], 2, "splits"),
    # pictures of graphs
    ("render-steps-0", ["render", "--steps", "0"], 2, "--steps"),
    ("render-layers-0", ["render", "--layers", "0", "--model", "char"], 2, "--layers"),
    ("render-out-txt", ["render", "--out", "{d}/text.txt"], 2, "must end in"),
    ("render-out-folder", ["render", "--out", "{d}/folder"], 2, "is a directory"),
    ("stats-steps-0", ["stats", "--steps", "0"], 2, "--steps"),
    ("bptt-steps-0", ["bptt", "--steps", "0"], 2, "--steps"),
    ("bptt-out-txt", ["bptt", "--out", "{d}/text.txt"], 2, "must end in"),
    ("demo-train-images-0", ["demo", "--train-images", "0"], 2, "--train-images"),
    ("demo-minutes-0", ["demo", "--minutes", "0"], 2, "--minutes"),
    ("demo-out-is-a-file", ["demo", "--out", "{d}/text.txt"], 2, "not a folder"),
    # flags renamed for consistency, and their old spellings (hidden, still checked)
    ("minutes-0", CHAR_TRAIN + ["--minutes", "0"], 2, "--minutes: must be greater than 0"),
    ("caption-minutes-negative", CAP_TRAIN + ["--minutes", "-2"], 2, "--minutes"),
    ("caption-max-minutes-0", CAP_TRAIN + ["--max-minutes", "0"], 2, "--max-minutes"),
    ("bptt-iterations-0", ["bptt", "--iterations", "0"], 2, "--iterations: must be at least 1"),
    ("bptt-train-steps-0", ["bptt", "--train-steps", "0"], 2, "--train-steps"),
    ("bptt-seeds-0", ["bptt", "--seeds", "0"], 2, "--seeds"),
    ("bptt-seed-negative", ["bptt", "--seed", "-1"], 2, "--seed: must be at least 0"),
    ("bptt-jobs-0", ["bptt", "--jobs", "0"], 2, "--jobs"),
    ("render-kind-bogus", ["render", "--kind", "transformer"], 2, "invalid choice"),
    ("render-model-bogus", ["render", "--model", "transformer"], 2, "invalid choice"),
    ("stats-kind-bogus", ["stats", "--kind", "x"], 2, "invalid choice"),
    ("neurons-reach-0", ["char", "neurons", "--model", "{d}/char.h5", "--reach", "0"], 2,
     "--reach"),
    ("neurons-k-0", ["char", "neurons", "--model", "{d}/char.h5", "--k", "0"], 2, "--k"),
    ("sample-seed-negative", ["char", "sample", "--model", "{d}/char.h5", "--seed", "-4"], 2,
     "--seed"),
    ("exercise-check-seed-negative", ["exercise", "check", "{d}/text.txt", "--seed", "-1"], 2,
     "--seed: must be at least 0"),
    ("shapes-seed-negative", ["shapes", "--out", "{d}/s2", "--seed", "-1"], 2, "--seed"),
    ("shapes-val-negative", ["shapes", "--out", "{d}/s2", "--val", "-1"], 2, "--val"),
    ("shapes-val-0", ["shapes", "--out", "{d}/s2", "--val", "0"], 2, "--val: must be at least 1"),
    ("shapes-novel-0", ["shapes", "--out", "{d}/s2", "--novel", "0"], 2, "--novel"),
    ("stats-memory-plot-txt", ["stats", "--memory-plot", "{d}/text.txt"], 2,
     "the file name must end in .png"),
    ("exercise-check-out-txt", ["exercise", "check", "{d}/text.txt", "--out", "{d}/text.txt"],
     2, "the file name must end in .svg"),
    ("bptt-results-txt", ["bptt", "--results", "{d}/text.txt"], 2, "must end in .json"),
    ("shapes-out-not-empty", ["shapes", "--out", "{d}/folder2", "--train", "5"], 2,
     "is not empty"),
    ("shapes-out-read-only", ["shapes", "--out", "/sys/minigraph-shapes", "--train", "5"], 2,
     "/sys/minigraph-shapes"),
    ("char-out-read-only", CHAR_TRAIN_NO_OUT + ["--out", "/sys/model.h5"], 2,
     "cannot create a file"),
    ("caption-out-read-only", CAP_TRAIN[:-1] + ["/sys/cap.h5"], 2, "cannot create a file"),
    ("render-out-read-only", ["render", "--out", "/sys/graph.svg"], 2, "cannot create a file"),
    ("caption-data-non-finite", CAP_TRAIN[:2] + ["--data", "{d}/nan-data", "--out",
                                                 "{d}/c.h5"], 2, "non-finite value"),
    ("caption-eval-data-non-finite", ["caption", "eval", "--model", "{d}/cap.h5", "--data",
                                      "{d}/nan-data"], 2, "non-finite value"),
]


@pytest.mark.parametrize("argv, status, phrase", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_is_one_error_line_without_traceback(world, capsys, argv, status, phrase):
    before = {name: os.stat(os.path.join(world["d"], name)).st_mtime_ns
              for name in ("text.txt", "char.h5", "cap.h5")}
    assert main(fill(argv, world)) == status
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and lines[0].startswith("error: ") and len(lines) <= 2, err
    assert phrase in lines[0], err
    assert {name: os.stat(os.path.join(world["d"], name)).st_mtime_ns
            for name in before} == before  # nothing the user owns was touched


def test_debug_flag_and_environment_variable_show_the_traceback(world, capsys, monkeypatch):
    argv = ["char", "sample", "--model", os.path.join(world["d"], "nope.h5")]
    assert main(["--debug"] + argv) == 2
    assert "Traceback" in capsys.readouterr().err
    monkeypatch.setenv("MINIGRAPH_DEBUG", "1")
    assert main(argv) == 2
    assert "Traceback" in capsys.readouterr().err


def test_help_shows_defaults(capsys):
    assert main(["char", "train", "--help"]) == 0
    out = capsys.readouterr().out
    assert "(default: 256)" in out and "(default: char_model.h5)" in out


@pytest.mark.parametrize("argv, status", [
    (["char", "train", "--seed", "-1"], 2),
    (["char", "sample", "--model", "no-such-model.h5"], 2),
])
@pytest.mark.slow
def test_a_real_process_prints_one_line_and_exits_with_the_status(tmp_path, argv, status):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "minigraph", *argv], capture_output=True,
                            text=True, cwd=tmp_path)
    assert result.returncode == status
    assert "Traceback" not in result.stderr and result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) <= 2


def test_caption_train_with_zero_epochs_claims_no_files(world, tmp_path, capsys):
    out = tmp_path / "zero.h5"
    assert main(["caption", "train", "--data", world["data"], "--epochs", "0", "--hidden", "8",
                 "--quiet", "--out", str(out)]) == 0
    assert "nothing written" in capsys.readouterr().out
    assert not out.exists() and not (tmp_path / "zero_loss.png").exists()
