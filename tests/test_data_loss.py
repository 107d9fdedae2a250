"""Issue 25, data loss: a file the user named is never changed unless minigraph wrote it
(recognised by its content) or --force is given; no command writes one of its inputs; side
files follow their main output's rule; temporaries and locks are recognisably ours; an
output that cannot be written is refused before the work; SIGTERM saves like Ctrl-C.

One file over 300 lines on purpose: it is the issue's battery, in the issue's five kinds
(the section comments), sharing the few helpers at the top."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from minigraph import files
from minigraph.errors import OutputError
from minigraph.file_marks import SAMPLES_HEADER, written_by_minigraph
from minigraph.models.charrnn.trainer import CharTrainer
from minigraph.models.cli import main
from minigraph.output_lock import lock_name, output_lock

TEXT = "".join(f"line {i}: the cat sat on the mat.\n" for i in range(300))
TINY = ["--hidden", "8", "--layers", "1", "--seq-len", "8", "--batch-size", "2", "--quiet"]


def _char_train(tmp_path, out, *extra, text=None):
    if text is None:
        text = tmp_path / "t.txt"
        text.write_text(TEXT, encoding="utf-8")
    return main(["char", "train", "--text", str(text), "--out", str(out), "--iterations", "2",
                 "--eval-every", "0", "--sample-every", "0", *TINY, *extra])


def _one_error_line(capsys, *phrases):
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err and lines and lines[0].startswith("error: "), err
    for phrase in phrases:
        assert phrase in lines[0], err
    return lines[0]


def _dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# -- 1. side files follow --out's rule; no output is an input --------------------------------

@pytest.mark.parametrize("side", ["m_samples.txt", "m_loss.png"])
def test_a_side_file_minigraph_did_not_write_is_refused_and_kept(tmp_path, capsys, side):
    (tmp_path / side).write_bytes(b"the user's own file")
    assert _char_train(tmp_path, tmp_path / "m.h5") == 2
    _one_error_line(capsys, side, "not written by minigraph", "--force")
    assert (tmp_path / side).read_bytes() == b"the user's own file"
    assert not (tmp_path / "m.h5").exists()


def test_the_training_text_named_like_the_samples_log_is_never_modified(tmp_path, capsys):
    text = tmp_path / "m_samples.txt"
    text.write_text(TEXT, encoding="utf-8")
    for extra in ([], ["--force"]):  # not even with --force: an output is never an input
        assert _char_train(tmp_path, tmp_path / "m.h5", *extra, text=text) == 2
        _one_error_line(capsys, "is also an input")
    assert text.read_text(encoding="utf-8") == TEXT


def test_an_input_reached_through_a_symlink_or_hard_link_is_refused(tmp_path, capsys):
    text = tmp_path / "t.txt"
    text.write_text(TEXT, encoding="utf-8")
    os.link(text, tmp_path / "h_loss.png")
    os.symlink(text, tmp_path / "s_samples.txt")
    for out in ("h.h5", "s.h5"):
        assert _char_train(tmp_path, tmp_path / out, "--force", text=text) == 2
        _one_error_line(capsys, "is also an input")
    assert text.read_text(encoding="utf-8") == TEXT


def test_side_files_of_a_previous_run_are_recognised_and_continued(tmp_path):
    out = tmp_path / "m.h5"
    assert main(["char", "train", "--text", str(_text(tmp_path)), "--out", str(out),
                 "--iterations", "2", "--eval-every", "2", "--sample-every", "2", *TINY]) == 0
    log = (tmp_path / "m_samples.txt").read_text(encoding="utf-8")
    assert log.startswith(SAMPLES_HEADER) and log.count("==== iteration") == 2
    assert written_by_minigraph(tmp_path / "m_loss.png")
    assert main(["char", "train", "--text", str(_text(tmp_path)), "--out", str(out),
                 "--resume", "--iterations", "2", "--eval-every", "2", "--sample-every", "2",
                 "--quiet"]) == 0
    log = (tmp_path / "m_samples.txt").read_text(encoding="utf-8")
    assert log.count(SAMPLES_HEADER) == 1 and "==== iteration 4 ====" in log


def test_force_replaces_a_foreign_side_file_with_a_fresh_log(tmp_path):
    (tmp_path / "m_samples.txt").write_text("notes\n", encoding="utf-8")
    assert main(["char", "train", "--text", str(_text(tmp_path)), "--out",
                 str(tmp_path / "m.h5"), "--iterations", "2", "--eval-every", "0",
                 "--sample-every", "2", "--force", *TINY]) == 0
    log = (tmp_path / "m_samples.txt").read_text(encoding="utf-8")
    assert log.startswith(SAMPLES_HEADER) and "notes" not in log


def _text(tmp_path):
    text = tmp_path / "t.txt"
    if not text.exists():
        text.write_text(TEXT, encoding="utf-8")
    return text


# -- 2. one check for every command's outputs ----------------------------------------------

@pytest.mark.parametrize("name, argv", [
    ("g.svg", ["render", "--model", "char", "--steps", "2", "--out", "{}"]),
    ("g.dot", ["render", "--model", "char", "--steps", "2", "--out", "{}"]),
    ("m.png", ["stats", "--model", "char", "--steps", "2", "--memory-plot", "{}"]),
    ("h.png", ["bptt", "--heatmap", "{}", "--steps", "3"]),
])
def test_a_picture_the_user_owns_is_refused_and_force_replaces_it(tmp_path, capsys, name,
                                                                 argv):
    path = tmp_path / name
    path.write_bytes(b"my own picture")
    filled = [str(path) if a == "{}" else a for a in argv]
    assert main(filled) == 2
    _one_error_line(capsys, "not written by minigraph", "--force")
    assert path.read_bytes() == b"my own picture"
    assert main(filled + ["--force"]) == 0
    assert written_by_minigraph(path)
    assert main(filled) == 0  # minigraph's own picture may be replaced by the next run


def test_the_step_page_name_derived_from_out_is_checked_too(tmp_path, capsys):
    page = tmp_path / "g.html"
    page.write_text("<html>my page</html>", encoding="utf-8")
    assert main(["render", "--model", "char", "--steps", "2", "--html", "--out",
                 str(tmp_path / "g.svg")]) == 2
    _one_error_line(capsys, "g.html", "not written by minigraph")
    assert page.read_text(encoding="utf-8") == "<html>my page</html>"


def test_demo_refuses_a_folder_holding_a_users_file_under_a_name_it_writes(tmp_path, capsys):
    (tmp_path / "gallery.png").write_bytes(b"my gallery")
    assert main(["demo", "--out", str(tmp_path), "--quiet"]) == 2
    _one_error_line(capsys, "gallery.png", "--force")
    assert (tmp_path / "gallery.png").read_bytes() == b"my gallery"


def test_marks_are_recognised_per_format_and_a_users_files_are_not(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from minigraph.models.shared.plots import save_figure

    for name in ("a.png", "a.svg", "a.pdf"):
        fig, _ = plt.subplots()
        save_figure(fig, tmp_path / name)
        assert written_by_minigraph(tmp_path / name), name
        fig, _ = plt.subplots()  # the same picture, saved by the user's own code
        fig.savefig(tmp_path / ("user_" + name))
        plt.close(fig)
        assert not written_by_minigraph(tmp_path / ("user_" + name)), name
    files.atomic_write(tmp_path / "r.json", '{"a": 1}', mark_json=True)
    files.atomic_write(tmp_path / "e.json", "{}", mark_json=True)
    import json
    assert json.loads((tmp_path / "r.json").read_text()) == {"written_by": "minigraph", "a": 1}
    assert json.loads((tmp_path / "e.json").read_text()) == {"written_by": "minigraph"}
    assert written_by_minigraph(tmp_path / "r.json")
    (tmp_path / "u.json").write_text('{"a": 1}')
    (tmp_path / "notes.txt").write_text("written by minigraph, said my notes")
    assert not written_by_minigraph(tmp_path / "u.json")
    assert not written_by_minigraph(tmp_path / "notes.txt")


# -- 3. temporaries and locks ----------------------------------------------------------------

def test_only_our_own_dead_temporaries_are_cleaned(tmp_path):
    dead = _dead_pid()
    stale = tmp_path / f".tmp-out.png-{dead}-00aa11bb"
    stale.write_bytes(b"half")
    live = tmp_path / f".tmp-out.png-{os.getppid()}-00aa11bb"
    user = tmp_path / ".tmp-out.png-backup"
    for keep in (live, user):
        keep.write_bytes(b"keep me")
    files.atomic_write(tmp_path / "out.png", b"data")
    assert sorted(os.listdir(tmp_path)) == sorted(["out.png", live.name, user.name])


def test_a_second_run_on_a_locked_out_is_refused_in_one_line(tmp_path, capsys):
    out = tmp_path / "m.h5"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with open(lock_name(out), "w") as f:
            f.write(f"{sleeper.pid}\n")
        assert _char_train(tmp_path, out) == 2
        _one_error_line(capsys, "being written by another run", str(sleeper.pid))
        assert not out.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_stale_lock_of_a_dead_run_is_taken_over_with_a_warning(tmp_path, capsys):
    out = tmp_path / "m.h5"
    with open(lock_name(out), "w") as f:
        f.write(f"{_dead_pid()}\n")
    assert _char_train(tmp_path, out) == 0
    assert "taking over the lock" in capsys.readouterr().err
    assert out.exists() and not os.path.exists(lock_name(out))


def test_a_lock_with_this_process_id_left_by_an_earlier_run_is_taken_over(tmp_path, capsys):
    # in a container the trainer is process 1 every time: a killed run's lock names us
    out = tmp_path / "m.h5"
    with open(lock_name(out), "w") as f:
        f.write(f"{os.getpid()}\n")
    assert _char_train(tmp_path, out) == 0
    assert "taking over the lock" in capsys.readouterr().err
    assert out.exists() and not os.path.exists(lock_name(out))


def test_a_users_file_in_the_lock_s_place_is_refused_and_kept(tmp_path, capsys):
    out = tmp_path / "m.h5"
    with open(lock_name(out), "w") as f:
        f.write("my notes\n")
    assert _char_train(tmp_path, out) == 2
    _one_error_line(capsys, "is not a lock minigraph wrote")
    assert open(lock_name(out)).read() == "my notes\n" and not out.exists()


def test_the_lock_is_held_during_the_block_and_released_after(tmp_path):
    out = tmp_path / "x.h5"
    with output_lock(out) as lock:
        assert open(lock).read().strip() == str(os.getpid())
        with pytest.raises(OutputError, match="another run"):
            with output_lock(out):
                pass
    assert not os.path.exists(lock)


# -- 4. the pre-check tries what the save does -----------------------------------------------

def test_a_long_out_name_trains_and_saves_when_the_name_itself_fits(tmp_path):
    out = tmp_path / ("a" * 240 + ".h5")  # its temporary would pass NAME_MAX unshortened
    assert main(["char", "train", "--text", str(_text(tmp_path)), "--out", str(out),
                 "--iterations", "1", "--eval-every", "1", "--sample-every", "1", *TINY]) == 0
    assert CharTrainer.resume(out, TEXT).iteration == 1
    assert written_by_minigraph(tmp_path / ("a" * 240 + "_samples.txt"))


@pytest.mark.parametrize("name, phrase", [("m.h5/", "not a file name"),
                                          ("sub/..", "not a file name"),
                                          ("b" * 250 + ".h5", "too long"),
                                          ("b" * 260 + ".h5", "too long")])
def test_an_unwritable_out_is_one_line_before_any_step(tmp_path, capsys, name, phrase):
    started = time.monotonic()
    assert _char_train(tmp_path, f"{tmp_path}/{name}") == 2  # pathlib would drop a slash
    _one_error_line(capsys, phrase)
    assert time.monotonic() - started < 30
    assert sorted(os.listdir(tmp_path)) == ["t.txt"]


# -- 5. SIGTERM saves like Ctrl-C --------------------------------------------------------------

@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["TERM", "HUP"])
def test_sigterm_or_sighup_in_char_training_saves_and_exits_128_plus_the_signal(tmp_path,
                                                                                 signum):
    text, model = _text(tmp_path), tmp_path / "m.h5"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "minigraph", "char", "train", "--text", str(text),
         "--iterations", "1000000", "--eval-every", "0", "--sample-every", "0", "--out",
         str(model), *TINY], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        for line in proc.stdout:
            if "stops after the current step" in line:
                break
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + signum, err
    assert "Traceback" not in err
    stopped = int(re.search(r"interrupted after iteration (\d+); saved ", err)[1])
    assert "--resume" in err
    assert CharTrainer.resume(model, TEXT).iteration == stopped
    assert not os.path.exists(lock_name(model))


# -- 2, continued: the other commands' outputs ------------------------------------------------

def test_exercise_check_never_replaces_a_users_svg_nor_the_exercise_itself(tmp_path, capsys):
    assert main(["exercise", "start", "tanh", str(tmp_path)]) == 0
    exercise = tmp_path / "tanh.py"
    picture = tmp_path / "tanh_check.svg"
    picture.write_text("<svg>my drawing</svg>", encoding="utf-8")
    assert main(["exercise", "check", str(exercise)]) == 2
    assert "not written by minigraph" in capsys.readouterr().err
    assert picture.read_text(encoding="utf-8") == "<svg>my drawing</svg>"
    renamed = tmp_path / "tanh.svg"
    os.link(exercise, renamed)  # the exercise file under an .svg name: an input
    skeleton = exercise.read_text(encoding="utf-8")
    assert main(["exercise", "check", str(exercise), "--out", str(renamed), "--force"]) == 2
    assert "is also an input" in capsys.readouterr().err
    assert exercise.read_text(encoding="utf-8") == skeleton


@pytest.mark.parametrize("flag, name", [("--out", "b.png"), ("--results", "b.json")])
def test_bptt_refuses_a_users_figure_or_results_before_training(tmp_path, capsys, flag, name):
    path = tmp_path / name
    path.write_text("mine", encoding="utf-8")
    argv = ["bptt", "--seeds", "1", "--iterations", "1", "--steps", "3", "--jobs", "1",
            "--out", str(tmp_path / "fig.png"), flag, str(path)]
    started = time.monotonic()
    assert main(argv) == 2
    _one_error_line(capsys, "not written by minigraph")
    assert path.read_text(encoding="utf-8") == "mine" and time.monotonic() - started < 30


def test_caption_train_and_eval_follow_the_same_rule(tmp_path, capsys, shapes_dir):
    out = tmp_path / "c.h5"
    (tmp_path / "c_loss.png").write_bytes(b"my plot")
    train = ["caption", "train", "--data", shapes_dir, "--epochs", "1", "--hidden", "8",
             "--wordvec", "8", "--val-images", "0", "--max-train", "20", "--quiet",
             "--out", str(out)]
    assert main(train) == 2
    _one_error_line(capsys, "c_loss.png", "not written by minigraph")
    assert (tmp_path / "c_loss.png").read_bytes() == b"my plot" and not out.exists()
    assert main(train + ["--force"]) == 0
    assert written_by_minigraph(tmp_path / "c_loss.png")
    data = tmp_path / "data"  # a copy: the session's set must stay whole whatever happens
    shutil.copytree(shapes_dir, data)
    captions = data / "coco2014_captions.h5"
    before = captions.read_bytes()
    assert main(["caption", "train", "--data", str(data), "--out", str(captions), "--force",
                 "--epochs", "1", "--quiet"]) == 2
    _one_error_line(capsys, "an input of this command")
    assert captions.read_bytes() == before
    results = tmp_path / "r.json"
    results.write_text('{"mine": 1}', encoding="utf-8")
    evaluate = ["caption", "eval", "--model", str(out), "--max-images", "2", "--results",
                str(results)]
    assert main(evaluate) == 2
    _one_error_line(capsys, "not written by minigraph", "--force")
    assert results.read_text(encoding="utf-8") == '{"mine": 1}'
    assert main(evaluate + ["--force"]) == 0
    assert main(evaluate) == 0  # its own results are replaced by the next run


def test_a_second_sigterm_stops_at_once_and_the_exit_code_says_sigterm():
    from minigraph.models.shared import interrupt

    with interrupt.graceful_interrupt():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)
        assert interrupt.stop_requested()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
    assert interrupt.exit_code() == 143
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL or callable(
        signal.getsignal(signal.SIGTERM))


def test_the_library_trainer_follows_the_rule_for_its_side_files(tmp_path):
    (tmp_path / "m_loss.png").write_bytes(b"my plot")
    trainer = CharTrainer(TEXT, num_layers=1, hidden_size=8, seq_len=8, batch_size=2)
    with pytest.raises(OutputError, match="not written by minigraph"):
        trainer.train(iterations=1, out=str(tmp_path / "m.h5"), progress=False)
    assert (tmp_path / "m_loss.png").read_bytes() == b"my plot" and trainer.iteration == 0
    trainer.train(iterations=1, eval_every=0, sample_every=0, out=str(tmp_path / "m.h5"),
                  progress=False, force=True)
    assert written_by_minigraph(tmp_path / "m_loss.png") and trainer.iteration == 1


def test_a_run_from_before_the_marks_resumes_with_its_unmarked_loss_plot(tmp_path, capsys):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = tmp_path / "m.h5"
    assert _char_train(tmp_path, out) == 0
    fig, _ = plt.subplots(figsize=(7, 4), dpi=100)  # how the loss plot was written before
    fig.savefig(tmp_path / "m_loss.png")
    fig.savefig(tmp_path / "n_loss.png")
    plt.close(fig)
    assert not written_by_minigraph(tmp_path / "m_loss.png")
    assert main(["char", "train", "--text", str(_text(tmp_path)), "--out", str(out),
                 "--resume", "--iterations", "1", "--quiet"]) == 0
    assert written_by_minigraph(tmp_path / "m_loss.png")
    assert _char_train(tmp_path, tmp_path / "n.h5") == 2  # a new run: not without --force
    _one_error_line(capsys, "n_loss.png")


def test_a_dangling_symlink_as_out_is_the_users_and_is_kept(tmp_path, capsys):
    out = tmp_path / "m.h5"
    os.symlink(tmp_path / "nowhere", out)
    assert _char_train(tmp_path, out) == 2
    _one_error_line(capsys, "symbolic link", "--force")
    assert os.path.islink(out) and os.readlink(out) == str(tmp_path / "nowhere")


def test_an_output_inside_the_data_folder_a_command_reads_is_refused(tmp_path, capsys,
                                                                      shapes_dir):
    data = tmp_path / "data"
    shutil.copytree(shapes_dir, data)
    vocab = data / "coco2014_vocab.json"
    before = vocab.read_bytes()
    out = tmp_path / "c.h5"
    assert main(["caption", "train", "--data", str(data), "--epochs", "1", "--hidden", "8",
                 "--wordvec", "8", "--val-images", "0", "--max-train", "20", "--quiet",
                 "--out", str(out)]) == 0
    assert main(["caption", "eval", "--model", str(out), "--max-images", "2", "--results",
                 str(vocab), "--force"]) == 2
    _one_error_line(capsys, "an input of this command")
    assert vocab.read_bytes() == before


@pytest.mark.slow
def test_sigterm_in_caption_training_saves_and_exits_143(tmp_path, shapes_dir):
    from minigraph.models.captioning.rnn_captioner import CaptioningRNN

    model = tmp_path / "c.h5"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "minigraph", "caption", "train", "--data", shapes_dir,
         "--epochs", "100000", "--hidden", "8", "--wordvec", "8", "--batch-size", "10",
         "--val-images", "0", "--quiet", "--out", str(model)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        for line in proc.stdout:
            if "stops after the current step" in line:
                break
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, err
    assert "Traceback" not in err and "--resume" in err
    _, saved = CaptioningRNN.load(model)
    assert len(saved["history"]["loss_history"]) >= 1
    assert not os.path.exists(lock_name(model))
