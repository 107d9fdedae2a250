"""Nothing a user owns is destroyed: a kill -9 in the middle of a checkpoint save leaves the
previous checkpoint loadable; an output folder that cannot be written is found before any
work starts (also as root, where permission bits do not stop writes); `minigraph shapes`
refuses a folder that is not empty and writes its files atomically."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from minigraph import checkpoint
from minigraph.files import TMP_PREFIX
from minigraph.models.cli import main
from minigraph.models.data.coco import CAPTIONS_FILE, VOCAB_FILE

SAVER = """
import sys
import numpy as np
from minigraph import checkpoint
path = sys.argv[1]
for iteration in range(1, 100000):
    # every array holds the iteration: a checkpoint mixing two saves would show it
    params = {f"W{i}": np.full((256, 256), iteration, np.float32) for i in range(4)}
    checkpoint.save(path, kind="Test", params=params, config={}, state={"iteration": iteration})
    if iteration == 1:
        print("saved", flush=True)
"""


@pytest.mark.slow
def test_kill_9_during_checkpoint_saves_leaves_a_loadable_checkpoint(tmp_path):
    path = str(tmp_path / "m.h5")
    rng = np.random.default_rng(0)
    for _ in range(4):
        child = subprocess.Popen([sys.executable, "-c", SAVER, path], stdout=subprocess.PIPE,
                                 text=True)
        assert child.stdout.readline().strip() == "saved"
        time.sleep(rng.uniform(0.0, 0.3))  # a random point in the stream of saves
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        saved = checkpoint.load(path, kind="Test")
        iteration = saved["state"]["iteration"]
        assert iteration >= 1
        for value in saved["params"].values():
            assert value.shape == (256, 256) and np.all(value == iteration)


def read_only_folders():
    """Folders where even root cannot create a file (sysfs refuses new files)."""
    return [folder for folder in ("/sys", "/proc/self") if os.path.isdir(folder)]


@pytest.mark.parametrize("folder", read_only_folders())
def test_training_into_a_folder_that_cannot_be_written_stops_before_training(
        tmp_path, capsys, folder):
    text = tmp_path / "t.txt"
    text.write_text("the cat sat on the mat. " * 200, encoding="utf-8")
    status = main(["char", "train", "--text", str(text), "--hidden", "8", "--layers", "1",
                   "--iterations", "100000", "--quiet", "--out", f"{folder}/model.h5"])
    out, err = capsys.readouterr()
    assert status == 2
    assert err.startswith(f"error: cannot write --out {folder}/model.h5"), err
    assert "cannot create a file" in err or "is not writable" in err, err
    assert "iteration" not in out  # refused before the first step


@pytest.mark.parametrize("folder", read_only_folders())
def test_shapes_into_a_folder_that_cannot_be_written_is_one_error(capsys, folder):
    assert main(["shapes", "--out", folder, "--train", "5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --out: ") and "Traceback" not in err, err


def shapes(out, *extra):
    return main(["shapes", "--out", str(out), "--train", "12", "--val", "3", "--novel", "3",
                 *extra])


def test_shapes_refuses_a_folder_that_is_not_empty_unless_forced(tmp_path, capsys):
    out = tmp_path / "data"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    assert shapes(out) == 2
    err = capsys.readouterr().err
    assert "not empty" in err and "--force" in err
    assert os.listdir(out) == ["notes.txt"]
    assert shapes(out, "--force") == 0
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (out / CAPTIONS_FILE).is_file()


def test_shapes_replaces_a_symlink_instead_of_writing_through_it(tmp_path):
    out, victim = tmp_path / "data", tmp_path / "victim.txt"
    out.mkdir()
    victim.write_text("precious", encoding="utf-8")
    os.symlink(victim, out / "README.txt")
    (out / VOCAB_FILE).symlink_to(victim)
    assert shapes(out, "--force") == 0
    assert victim.read_text(encoding="utf-8") == "precious"
    assert not (out / "README.txt").is_symlink()
    assert not [name for name in os.listdir(out) if name.startswith(TMP_PREFIX)]
