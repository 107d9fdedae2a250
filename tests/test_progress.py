"""Issue 25: progress that tells the truth (a time-limited run shows its time limit and
the steps done, in units a reader knows) and no long phase left silent."""

import re

from minigraph.models.shared import progress
from minigraph.models.shared.progress import TrainingBar


class _Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _last_line(err):
    return [line for line in re.split(r"[\r\n]", err) if line.strip()][-1]


def test_a_time_limited_bar_shows_seconds_of_the_limit_and_the_steps_done(capsys,
                                                                         monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(progress.time, "monotonic", clock)
    bar = TrainingBar("training", total_steps=60000, max_seconds=120)
    for _ in range(2397):
        clock.now += 0.05  # 2397 steps in 119.85 s: far from 60000 steps
        bar.step(loss="1.500")
    bar.close()
    line = _last_line(capsys.readouterr().err)
    assert "120/120 s of the time limit" in line, line
    assert "step=2397/60000" in line and "loss=1.500" in line
    assert "s/s" not in line and "<" not in line  # no rate of seconds, no ETA to 60000


def test_a_step_limited_bar_counts_steps(capsys):
    bar = TrainingBar("char-rnn", total_steps=5)
    for _ in range(5):
        bar.step(loss="2.000")
    bar.close()
    line = _last_line(capsys.readouterr().err)
    assert "5/5" in line and "it/s" in line and "loss=2.000" in line


def test_a_time_limited_bar_never_passes_its_limit(capsys, monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(progress.time, "monotonic", clock)
    bar = TrainingBar("char-rnn", max_seconds=30)
    clock.now += 45  # the last step ends after the limit
    bar.step()
    bar.close()
    line = _last_line(capsys.readouterr().err)
    assert "30/30 s of the time limit, step=1" in line and bar.bar.n == 30
