"""The figure, table and JSON of `minigraph bptt`: the vanishing-gradient experiment of
``vanishing_gradient`` over several seeds, with its spread drawn as a band."""

import json
import textwrap

import numpy as np

from minigraph.files import atomic_write

from ..shared.plots import save_figure
from .vanishing_gradient import DEFAULTS

COLOURS = {"rnn": "#c0392b", "lstm": "#2471a3", "lstm f-bias 0": "#8e44ad", "gru": "#229954"}
NAMES = {"rnn": "vanilla RNN", "lstm": "LSTM, forget bias 1", "lstm f-bias 0":
         "LSTM, forget bias 0", "gru": "GRU, update bias 1"}


def curves(results, key):
    """{cell: (checkpoints, seeds) array} of one series measured on the long recall batch
    every few training steps; the reach is taken as log10 (it spans decades)."""
    by_cell = {}
    for r in results:
        series = np.asarray(r[key], np.float64)
        if key == "reaches":
            series = np.log10(np.maximum(series, 1e-30))
        by_cell.setdefault(r["cell"], []).append(series)
    return {cell: np.stack(rows, axis=1) for cell, rows in by_cell.items()}


def summary_lines(results):
    """One line per cell: final loss / chance for every seed and the gradient reach."""
    lines = []
    for cell in dict.fromkeys(r["cell"] for r in results):
        rows = [r for r in results if r["cell"] == cell]
        ratios = " ".join(f"{r['final_loss'] / r['chance_loss']:.3f}" for r in rows)
        reach = np.exp(np.mean([np.log(max(r["reach_trained"], 1e-300)) for r in rows]))
        lines.append(f"{cell:>13}: final loss / chance per seed {ratios}; "
                     f"|dL/dh_0| / |dL/dh_T-1| after training {reach:.1e} (geometric mean)")
    return lines


def plot(results, path, settings=None):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = {**DEFAULTS, **(settings or {})}
    seeds = sorted({r["seed"] for r in results})
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 7.4), dpi=100)
    fig.subplots_adjust(left=0.07, right=0.98, top=0.9, bottom=0.34, wspace=0.2)
    chance = results[0]["chance_loss"]
    steps = np.asarray(results[0]["checked"])
    for ax, key in ((left, "reaches"), (right, "long_losses")):
        for cell, table in curves(results, key).items():
            if key == "reaches":
                mid, low, high = (10 ** table.mean(1), 10 ** table.min(1), 10 ** table.max(1))
            else:
                mid, low, high = table.mean(1) / chance, table.min(1) / chance, \
                    table.max(1) / chance
            finals = [r["final_loss"] / r["chance_loss"] for r in results if r["cell"] == cell]
            label = (f"{NAMES.get(cell, cell)}: final loss {min(finals):.3f} .. "
                     f"{max(finals):.3f} of chance")
            ax.plot(steps, mid, color=COLOURS.get(cell), linewidth=1.8,
                    label=label if key == "reaches" else None)
            ax.fill_between(steps, low, high, color=COLOURS.get(cell), alpha=0.18, linewidth=0)
        ax.set_xlabel("training step (Adam)", fontsize=11)
        ax.grid(alpha=0.3, which="both")
    left.set_yscale("log")
    left.set_ylabel("|dL/dh_0| / |dL/dh_T-1|  (log scale)", fontsize=11)
    left.set_title("How much of the gradient reaches the first step", fontsize=12)
    right.axhline(1.0, color="#555", linestyle="--", linewidth=1)
    right.axhline(0.1, color="#555", linestyle=":", linewidth=1)
    right.text(steps[-1], 1.01, "chance (ln K)", fontsize=9.5, va="bottom", ha="right")
    right.text(steps[-1], 0.11, "10% of chance", fontsize=9.5, va="bottom", ha="right")
    top = max(r["long_losses"][i] / r["chance_loss"] for r in results
              for i in range(len(steps)))
    right.set_ylim(0, max(1.15, top + 0.05))
    right.set_ylabel("loss on the long recall / chance loss", fontsize=11)
    right.set_title("Does it learn to recall the first symbol?", fontsize=12)
    fig.legend(loc="upper center", bbox_to_anchor=(0.5, 0.255), ncol=2, fontsize=10.5,
               frameon=False)
    fig.suptitle(f"Recall the symbol given at t = 0 after T = {s['T']} steps of distractors "
                 f"({len(seeds)} seeds: line = mean, band = min .. max over seeds)",
                 fontsize=13)
    caption = (
        f"Training batches: {s['N']} sequences whose marked symbol comes 1 .. {s['T']} steps "
        f"before the end (uniform); K = {s['K']} symbols, H = {s['H']}, {s['steps']} Adam "
        f"steps (lr {s['lr']:g}, global norm clipped to {s['clip']:g}). Both panels are "
        f"measured every {s['eval_every']} steps on one fixed batch of the long recall "
        "(the marked symbol at t = 0, all T steps to remember it). Initialisation, all "
        "cells: weights ~ N(0, 1/fan-in), biases 0, except the gate that keeps the old "
        "state: the LSTM's forget gate and the GRU's update gate z (next_h = (1 - z) n + "
        "z h) both start with bias 1, so each keeps sigmoid(1) = 0.73 of the old state per "
        "step (the GRU's usual bias 0 would keep 0.5, halving the direct path every step). "
        "'lstm f-bias 0' is the LSTM with forget bias 0.")
    fig.text(0.01, 0.01, textwrap.fill(caption, 165), fontsize=10, va="bottom")
    save_figure(fig, path)


def write_json(results, path, settings=None):
    """Per cell and seed: final loss, chance loss and the gradient reach
    |dL/dh_0| / |dL/dh_T-1| at initialisation and after training, and the curves of the
    figure (the long-recall loss and reach at each checked step). Written atomically."""
    rows = [{key: r[key] for key in ("cell", "seed", "final_loss", "chance_loss",
                                     "reach_init", "reach_trained", "cpu_seconds", "checked",
                                     "long_losses", "reaches")}
            for r in results]
    document = {"settings": {**DEFAULTS, **(settings or {})}, "runs": rows}
    # atomic, and marked as minigraph's: a later run may replace it, nothing else is
    atomic_write(path, json.dumps(document, indent=1), mark_json=True)
