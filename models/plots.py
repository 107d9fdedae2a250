"""Loss curves as PNG files (matplotlib, no display needed)."""

import io

import numpy as np

from minigraph.files import atomic_write


def smooth(values, window=50):
    values = np.asarray(values, dtype=np.float64)
    if len(values) < 2:
        return values
    window = max(1, min(window, len(values) // 5 or 1))
    kernel = np.ones(window) / window
    padded = np.concatenate([np.full(window - 1, values[0]), values])
    return np.convolve(padded, kernel, mode="valid")


def plot_losses(path, train, validation=None, validation_x=None, title="loss",
                ylabel="loss"):
    """Training loss per iteration (raw and smoothed) and optional validation points."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    steps = np.arange(1, len(train) + 1)
    ax.plot(steps, train, color="#9ab", linewidth=0.6, label="train (per iteration)")
    ax.plot(steps, smooth(train), color="#158", linewidth=1.6, label="train (smoothed)")
    if validation:
        ax.plot(validation_x, validation, "o-", color="#c40", label="validation")
    ax.set_xlabel("iteration")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    atomic_write(path, buffer.getvalue())  # a crash or a symlink never spoils the old file
