"""Ctrl-C (SIGINT) during training: the step in flight finishes, a checkpoint is written,
the message says where and how to go on, and the process exits 130. Real processes, real
signals."""

import os
import re
import signal
import subprocess
import sys

import pytest

from minigraph.models.charrnn.trainer import CharTrainer
from minigraph.models.cli import main

TEXT = "".join(f"line {i}: the cat sat on the mat.\n" for i in range(300))


def _interrupt(argv):
    """Start `python -m minigraph argv`, wait for it to say training began, send SIGINT."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "minigraph", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    seen = []
    for line in proc.stdout:  # the loop announces itself once the handler is in place
        seen.append(line)
        if "Ctrl-C stops after the current step" in line:
            break
    else:
        proc.wait(timeout=60)
        raise AssertionError(f"training never started: {''.join(seen)}{proc.stderr.read()}")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, "".join(seen) + out, err


@pytest.mark.slow
def test_ctrl_c_in_char_training_saves_a_checkpoint_that_resumes(tmp_path):
    text, model = tmp_path / "t.txt", tmp_path / "m.h5"
    text.write_text(TEXT, encoding="utf-8")
    status, out, err = _interrupt(["char", "train", "--text", str(text), "--iterations",
                                   "1000000", "--hidden", "8", "--layers", "1", "--seq-len",
                                   "8", "--batch-size", "2", "--eval-every", "0",
                                   "--sample-every", "0", "--quiet", "--out", str(model)])
    assert status == 130, err
    assert "Traceback" not in out + err
    stopped = int(re.search(r"interrupted after iteration (\d+); saved (\S+)\.", err)[1])
    assert f"saved {model}." in err and "--resume" in err
    assert stopped >= 1
    assert CharTrainer.resume(model, TEXT).iteration == stopped
    assert main(["char", "train", "--text", str(text), "--out", str(model), "--resume",
                 "--iterations", "3", "--eval-every", "0", "--sample-every", "0",
                 "--quiet"]) == 0
    assert CharTrainer.resume(model, TEXT).iteration == stopped + 3


@pytest.mark.slow
def test_ctrl_c_in_caption_training_saves_a_checkpoint(tmp_path, shapes_dir):
    from minigraph.models.captioning.rnn_captioner import CaptioningRNN

    model = tmp_path / "c.h5"
    status, out, err = _interrupt(["caption", "train", "--data", shapes_dir, "--epochs",
                                   "100000", "--hidden", "8", "--wordvec", "8", "--batch-size",
                                   "10", "--val-images", "0", "--quiet", "--out", str(model)])
    assert status == 130, err
    assert "Traceback" not in out + err
    assert re.search(r"interrupted after iteration \d+; saved ", err) and str(model) in err
    _, saved = CaptioningRNN.load(model)
    assert len(saved["history"]["loss_history"]) >= 1
