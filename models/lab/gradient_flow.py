"""`minigraph bptt --heatmap`: where the gradient of each step's loss goes in time.

A model with a loss L_s at every step s is unrolled once; minigraph's own backward is then
run once per loss step, from L_s alone (``graph.backward`` with an upstream gradient for
that output and none for the others), and |dL_s/dh_t| is read off every hidden-state node.
Row s of a heatmap is one such backward; the diagonal is the gradient a loss gives its own
step, and moving left from it is moving back in time. Scaling the recurrent weight to a
chosen spectral radius shows the vanishing gradient (radius < 1) turn into an exploding
one (radius > 1), and what clipping the global norm does to it.
"""

import numpy as np

from minigraph import optim
from minigraph.cells import GATES, unroll
from minigraph.errors import UsageError
from minigraph.graph import Graph
from minigraph.node import input, param
from minigraph.ops import affine, masked_softmax_ce, reshape

from ..shared.plots import save_figure
from .vanishing_gradient import initial_weights

CELL_NAMES = {"rnn": "vanilla RNN", "lstm": "LSTM (forget bias 1)",
              "gru": "GRU (update bias 1)"}


def scale_recurrent(Wh, radius):
    """Wh (H, kH) with each of its k square (H, H) blocks rescaled to spectral radius
    ``radius`` (the largest |eigenvalue|): the factor h_{t-1} is multiplied by, per gate."""
    H = Wh.shape[0]
    blocks = []
    for block in np.split(Wh, Wh.shape[1] // H, axis=1):
        blocks.append(block * (radius / np.max(np.abs(np.linalg.eigvals(block)))))
    return np.concatenate(blocks, axis=1)


def gradient_flow(cell, T=30, radius=None, N=8, K=5, H=32, seed=0, clip=5.0, x_scale=0.05):
    """Per-step losses L_s (softmax cross-entropy of a read-out of h_s against a random
    target) over T steps of ``cell`` on inputs drawn from ``seed`` (the same for every
    cell; small, ``x_scale`` times a standard normal, so that tanh works in its linear
    range and the recurrent weight, not saturation, decides the gradient). Returns
    {"grads": (T, T) array of |dL_s/dh_t| (row s, column t, divided by sqrt(N); NaN
    where t > s, as L_s does not depend on later states), "norm": global norm of the
    parameter gradients of sum_s L_s, "clipped": that norm after
    ``optim.clip_by_global_norm(clip)``, and the "weights", "states" (T, N, H) and
    "targets" (N, T) used}. ``radius`` rescales Wh (see
    ``scale_recurrent``); None keeps the initialisation of ``minigraph bptt``."""
    if cell not in GATES:
        raise UsageError(f"unknown cell {cell!r}; choose one of {sorted(GATES)}")
    rng = np.random.default_rng(seed)
    x_value = x_scale * rng.standard_normal((N, T, K))
    targets = rng.integers(0, K, (N, T))
    weights = initial_weights(cell, None if cell == "rnn" else 1.0, K, H, K,
                              np.random.default_rng(seed + 1))
    if radius is not None:
        weights["Wh"] = scale_recurrent(weights["Wh"], radius)
    p = {name: param(value, name) for name, value in weights.items()}
    x = input("x", value=x_value, requires_grad=False)
    h0 = input("h0", value=np.zeros((N, H)), requires_grad=False)
    mask = input("mask", value=np.ones((N, 1), bool))
    hs, _, _ = unroll(cell, x, h0, p["Wx"], p["Wh"], p["b"])
    losses = []
    for s, h in enumerate(hs):
        scores = reshape(affine(h, p["W_out"], p["b_out"]), (N, 1, K))
        target = input(f"y[{s}]", value=targets[:, s:s + 1])
        losses.append(masked_softmax_ce(scores, target, mask, average="token",
                                        name=f"L[{s}]"))
    graph = Graph(losses, name=f"gradient flow {cell}")
    graph.forward()
    grads = np.full((T, T), np.nan)
    one = np.ones((), np.float64)
    for s in range(T):  # one backward per loss step, from L_s alone
        graph.backward([one if i == s else None for i in range(T)], retain_graph=True)
        for t in range(s + 1):
            grads[s, t] = np.linalg.norm(hs[t].grad) / np.sqrt(N)
    for node in p.values():
        node.grad = None
    graph.backward([one] * T, retain_graph=True)  # the whole loss, for the global norm
    param_grads = {name: node.grad.copy() for name, node in p.items()}
    norm = optim.clip_by_global_norm(param_grads, clip)
    return {"grads": grads, "norm": float(norm),
            "clipped": float(optim.global_norm(param_grads)), "weights": weights,
            "states": np.stack([h.value for h in hs]), "targets": targets}


def sweep(cells=("rnn", "lstm", "gru"), radii=(0.5, 1.0, 1.5), T=30, seed=0, clip=5.0):
    """{(cell, radius): gradient_flow(...)} on one shared input."""
    return {(cell, r): gradient_flow(cell, T, r, seed=seed, clip=clip)
            for r in radii for cell in cells}


def reach(grads):
    """Each row divided by its diagonal: |dL_s/dh_t| / |dL_s/dh_s|, the share of the gradient
    that L_s gives its own step which is still there t steps back (NaN where t > s)."""
    return grads / np.diag(grads)[:, None]


def plot_heatmaps(results, path, clip=5.0):
    """One heatmap per (radius row, cell column) of ``reach``: log colour, diverging at 1
    (blue: the gradient shrinks going back in time, red: it grows), one scale for all; and a
    last column with the global gradient norm before and after clipping."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.ticker import FuncFormatter

    cells = list(dict.fromkeys(c for c, _ in results))
    radii = list(dict.fromkeys(r for _, r in results))
    decades = {key: np.log10(reach(r["grads"])) for key, r in results.items()}
    finite = np.concatenate([d[np.isfinite(d)] for d in decades.values()])
    # one colour scale for every panel, at least one decade each side of 1
    low, high = min(-1.0, np.floor(finite.min())), max(1.0, np.ceil(finite.max()))
    norm = TwoSlopeNorm(vmin=low, vcenter=0.0, vmax=high)
    fig, axes = plt.subplots(len(radii), len(cells) + 1, dpi=100, layout="constrained",
                             figsize=(3.9 * len(cells) + 4.2, 3.4 * len(radii) + 1.6),
                             gridspec_kw={"width_ratios": [1] * len(cells) + [1.1]})
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="#e6e6e6")
    image = None
    for row, radius in enumerate(radii):
        for col, cell in enumerate(cells):
            ax = axes[row, col]
            image = ax.imshow(np.ma.masked_invalid(decades[(cell, radius)]), cmap=cmap,
                              norm=norm, origin="upper", interpolation="nearest")
            ax.set_title(f"{CELL_NAMES.get(cell, cell)}, radius {radius:g}", fontsize=11)
            ax.set_xlabel("state step t", fontsize=10)
            if col == 0:
                ax.set_ylabel("loss step s", fontsize=10)
        _plot_norms(axes[row, -1], results, cells, radius, clip)
    bar = fig.colorbar(image, ax=axes[:, len(cells) - 1], shrink=0.9,
                       label="|dL_s/dh_t| / |dL_s/dh_s|   (blue: vanishing, red: exploding)")
    step = 1 if high - low <= 8 else 2
    bar.set_ticks(np.arange(np.ceil(low / step) * step, high + 0.5, step))
    bar.formatter = FuncFormatter(lambda v, _: "1" if v == 0 else f"$10^{{{v:.0f}}}$")
    bar.update_ticks()
    T = next(iter(results.values()))["grads"].shape[0]
    fig.suptitle(f"How much of each step's gradient reaches earlier steps, over {T} steps "
                 "(one backward per loss step s)", fontsize=13)
    fig.supxlabel(
        "Row s is one backward from L_s alone, divided by the gradient L_s gives its own "
        "step (the diagonal, white = 1); leftwards is back in time\n(grey: t > s, where "
        "L_s does not depend on h_t). Every square block of the recurrent weight Wh is "
        "scaled to the spectral radius of its row; inputs are\nsmall, so tanh works in its "
        "linear range. Radius 0.5: blue within a few steps (vanishing). 1.5: the vanilla "
        "RNN's gradient grows going back\n(red, exploding), while the LSTM's and GRU's "
        "gates (forget and update biases 1) still damp it. Right: the global norm of all "
        "parameter\ngradients of sum_s L_s, before and after clipping to "
        f"{clip:g} (dashed line).", fontsize=10, x=0.01, ha="left")
    save_figure(fig, path)


def _plot_norms(ax, results, cells, radius, clip):
    before = [results[(c, radius)]["norm"] for c in cells]
    after = [results[(c, radius)]["clipped"] for c in cells]
    where = np.arange(len(cells))
    ax.bar(where - 0.2, before, 0.4, color="#c0392b", label="before clipping")
    ax.bar(where + 0.2, after, 0.4, color="#2471a3", label="after clipping")
    ax.axhline(clip, color="#555", linestyle="--", linewidth=1)
    ax.set_yscale("log")
    ax.set_ylim(min(after + [clip]) / 4, max(before + [clip]) * 4)
    ax.set_xticks(where, cells, fontsize=10)
    ax.set_title(f"global gradient norm, radius {radius:g}", fontsize=11)
    ax.legend(fontsize=9, loc="upper right")
    for x, value in zip(where, before):
        ax.annotate(f"{value:.2g}", (x - 0.2, value), ha="center", va="bottom", fontsize=9)


def run_heatmap(path, T=30, radii=(0.5, 1.0, 1.5), seed=0, clip=5.0, log=print):
    results = sweep(radii=radii, T=T, seed=seed, clip=clip)
    plot_heatmaps(results, path, clip)
    for (cell, radius), r in results.items():
        log(f"{cell:>4} radius {radius:g}: |dL_{T - 1}/dh_0| / |dL_{T - 1}/dh_{T - 1}| = "
            f"{r['grads'][-1, 0] / r['grads'][-1, -1]:.2e}; global norm {r['norm']:.3g} "
            f"-> {r['clipped']:.3g} after clipping")
    log(f"wrote {path}")
    return results
