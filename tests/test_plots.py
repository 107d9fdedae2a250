"""The smoothed loss shown in plots and progress bars: a bias-corrected exponential
average."""

import numpy as np
import pytest

from minigraph.models.shared.plots import RunningAverage, plot_losses, smooth


@pytest.mark.parametrize("beta", [None, 0.9, 0.98])
def test_smoothed_constant_series_is_the_constant_from_the_first_point(beta):
    values = np.full(200, 2.75)
    assert np.allclose(smooth(values, beta), 2.75, rtol=1e-12, atol=0)


def test_running_average_weights_recent_points_by_beta():
    average = RunningAverage(0.5)
    assert average.update(1.0) == pytest.approx(1.0)
    # weights 0.5 (new) and 0.25 (old), normalised by 0.75
    assert average.update(4.0) == pytest.approx((0.5 * 4.0 + 0.25 * 1.0) / 0.75)


def test_running_average_rejects_beta_outside_zero_to_one():
    with pytest.raises(ValueError, match="beta must be in"):
        RunningAverage(1.0)


def test_plot_losses_writes_a_png(tmp_path):
    path = tmp_path / "loss.png"
    plot_losses(path, list(np.linspace(3, 1, 120)), [2.5, 1.5], [40, 120])
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plotted_smoothing_does_not_lag_behind_a_falling_loss():
    # a loss falling linearly by 1 a step: a one-way average sits (window - 1) = 49 steps
    # behind it, 49 units too high; away from the ends the forward-and-back one sits on it
    steps = np.arange(1000, dtype=np.float64)
    loss = 2000.0 - steps
    smoothed = smooth(loss, beta=1 - 1 / 50)
    assert np.abs(smoothed[300:700] - loss[300:700]).max() < 1.0
    one_way = np.array(_one_way(loss, 1 - 1 / 50))
    assert one_way[500] - loss[500] > 40  # the lag the plot no longer shows


def _one_way(values, beta):
    from minigraph.models.shared.plots import RunningAverage

    average = RunningAverage(beta)
    return [average.update(v) for v in values]
