"""Validation loss against wall time for the tiny-Shakespeare runs, minigraph beside PyTorch.

    python -m benchmarks.shakespeare_curves char_shakespeare.json char_shakespeare_torch.json \
        --out docs/img/shakespeare_curves.png

Each JSON is what benchmarks.char_shakespeare or benchmarks.char_shakespeare_torch wrote:
its curve (validation on 50 windows every few hundred steps) and the final score on the
whole validation text, drawn as a marker at the end of the run.
"""

import argparse
import json

from minigraph.models.shared.plots import save_figure

COLOURS = ("#1f5fa8", "#c0392b", "#2e8b57", "#8e44ad")


def main(argv=None):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", help="JSON files written by the benchmarks")
    parser.add_argument("--target", type=float, default=1.45, help="a dashed line at this loss")
    parser.add_argument("--out", default="shakespeare_curves.png")
    args = parser.parse_args(argv)
    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=130)
    for colour, path in zip(COLOURS, args.runs):
        with open(path, encoding="utf-8") as f:
            run = json.load(f)
        minutes = [t / 60 for t, _, _ in run["curve"]]
        losses = [v for _, _, v in run["curve"]]
        label = (f"{run.get('implementation', path)}: {run['validation_nats_per_char']:.3f} "
                 f"nats/char, {run['iterations']} steps")
        ax.plot(minutes, losses, color=colour, marker=".", label=label)
        ax.plot([run["train_seconds"] / 60], [run["validation_nats_per_char"]], color=colour,
                marker="*", markersize=13, linestyle="none")
    ax.axhline(args.target, color="0.4", linestyle="--", linewidth=1)
    ax.text(0.02, args.target, f" target {args.target}", va="bottom", color="0.3",
            transform=ax.get_yaxis_transform())
    ax.set_ylim(1.3, 2.2)
    ax.set_xlabel("minutes of training")
    ax.set_ylabel("validation loss, nats per character")
    ax.set_title("Tiny Shakespeare, 2-layer LSTM (star: whole validation text)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right")
    fig.tight_layout()
    save_figure(fig, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
