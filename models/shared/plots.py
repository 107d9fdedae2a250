"""Loss curves as PNG files (matplotlib, no display needed), and the bias-corrected
exponential average every smoothed loss in minigraph uses (plots and progress bars)."""

import io
import os

import numpy as np

from minigraph.errors import UsageError
from minigraph.files import atomic_write


class RunningAverage:
    """An exponential average with Adam's bias correction.

    m_t = beta m_{t-1} + (1 - beta) x_t starts at m_0 = 0, so on its own it is pulled
    towards zero for the first ~1 / (1 - beta) points; dividing by 1 - beta^t (the total
    weight given so far) removes that pull: a constant series reads as the constant from
    its first point on.
    """

    def __init__(self, beta=0.98):
        if not 0.0 <= beta < 1.0:
            raise UsageError(f"RunningAverage: beta must be in [0, 1), got {beta}")
        self.beta, self.mean, self.count = beta, 0.0, 0

    def update(self, value):
        """Add one value; returns the corrected average of everything seen so far."""
        self.count += 1
        self.mean = self.beta * self.mean + (1.0 - self.beta) * float(value)
        return self.value

    @property
    def value(self):
        return self.mean / (1.0 - self.beta ** self.count) if self.count else float("nan")


def smooth(values, beta=None):
    """The bias-corrected exponential average of ``values`` (1-D) at every point, run
    forward and then backward over the result, so the curve does not lag behind a falling
    loss (a plot is drawn after the fact; progress bars use the causal ``RunningAverage``).
    ``beta`` defaults to an averaging window of about a fifth of the series, at most 50
    points (beta = 1 - 1 / window)."""
    values = np.asarray(values, dtype=np.float64)
    if beta is None:
        window = max(1, min(50, len(values) // 5))
        beta = 1.0 - 1.0 / window

    def one_way(series):
        average = RunningAverage(beta)
        return np.array([average.update(v) for v in series])

    return one_way(one_way(values)[::-1])[::-1]


def plot_losses(path, train, validation=None, validation_x=None, title="loss",
                ylabel="loss"):
    """Training loss per iteration (raw and smoothed) and optional validation points."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    steps = np.arange(1, len(train) + 1)
    ax.plot(steps, train, color="#9ab", linewidth=0.6, label="train (per iteration)")
    ax.plot(steps, smooth(train), color="#158", linewidth=1.6,
            label="train (exponential average, bias-corrected, no lag)")
    if validation:
        ax.plot(validation_x, validation, "o-", color="#c40", label="validation")
    ax.set_xlabel("iteration")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    save_figure(fig, path)


def save_figure(fig, path, overwrite=True, **savefig_options):
    """Write a matplotlib figure to ``path`` atomically (a crash or a symlink never spoils
    the old file; the format follows the extension) and close it. With ``overwrite`` False
    an existing ``path`` is never replaced (``FileExistsError``)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fmt = os.path.splitext(str(path))[1].lstrip(".").lower() or "png"
    fig.savefig(buffer, format=fmt, **savefig_options)
    plt.close(fig)
    atomic_write(path, buffer.getvalue(), overwrite=overwrite)
