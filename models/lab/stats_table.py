"""`minigraph stats`: a graph's statistics as a table a person reads, and the memory that
backpropagation through time keeps, plotted against the number of steps T."""

from collections import Counter, defaultdict

import numpy as np

from minigraph.analysis import stats

from ..shared.plots import save_figure


def _kind(node):
    """What a node is: its op's class; leaves by kind (param, input, const)."""
    return node.kind if node.op is None else type(node.op).__name__


def _flops(node):
    return int(node.op.flops(node))  # each op counts its own forward FLOPs


def table_data(graph):
    """``analysis.stats`` plus what the table shows: nodes and FLOPs by kind, parameters
    with their shapes, FLOPs per timestep, and the parameter use farthest from the loss."""
    result = stats(graph)
    kinds, kind_flops, step_flops = Counter(), Counter(), defaultdict(int)
    categories = {}
    for node in graph.nodes:
        kinds[_kind(node)] += 1
        categories[_kind(node)] = node.op.category if node.op is not None else "leaf"
        if node.op is not None:
            flops = _flops(node)
            kind_flops[_kind(node)] += flops
            if "t" in node.tags:
                step_flops[node.tags["t"]] += flops
    farthest = None
    for name, per_step in result["longest_path_to_loss"].items():
        for t, length in per_step.items():
            if farthest is None or length > farthest["ops"]:
                farthest = {"param": name, "t": t, "ops": length}
    result.update({
        "nodes_by_kind": dict(kinds), "flops_by_kind": dict(kind_flops),
        "category_of_kind": categories,
        "flops_by_step": dict(sorted(step_flops.items())),
        "param_shapes": {p.name: list(p.shape) for p in graph.params},
        "farthest_param_use": farthest,
    })
    return result


def _count(n):
    for size, unit in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if abs(n) >= size:
            return f"{n / size:.2f}{unit}"
    return f"{n:g}"


def _bytes(n):
    for size, unit in ((2 ** 30, " GiB"), (2 ** 20, " MiB"), (2 ** 10, " KiB")):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return f"{n:g} B"


def format_table(data, title=""):
    """The statistics of ``table_data`` as aligned text."""
    lines = [title] if title else []
    lines.append(f"{data['nodes']} nodes, {data['edges']} edges")
    lines += ["", f"  {'op':<22}{'category':<14}{'nodes':>7}{'FLOPs':>12}"]
    category = data["category_of_kind"]
    ops = sorted(((k, n) for k, n in data["nodes_by_kind"].items()
                  if k in data["flops_by_kind"]), key=lambda item: -data["flops_by_kind"][item[0]])
    leaves = [(k, n) for k, n in data["nodes_by_kind"].items() if k not in data["flops_by_kind"]]
    for kind, n in ops:
        lines.append(f"  {kind:<22}{category[kind]:<14}{n:>7}"
                     f"{_count(data['flops_by_kind'][kind]):>12}")
    for kind, n in sorted(leaves):
        lines.append(f"  {kind:<22}{'leaf':<14}{n:>7}{'-':>12}")
    shapes = data["param_shapes"]
    lines += ["", f"  {'parameter':<22}{'shape':>12}{'numbers':>10}"]
    for name, shape in shapes.items():
        lines.append(f"  {name:<22}{str(tuple(shape)):>12}{int(np.prod(shape)):>10,}")
    lines.append(f"  {'total':<22}{'':>12}{data['parameters']:>10,}")
    steps = data["flops_by_step"]
    per_step = sum(steps.values()) / len(steps) if steps else 0
    lines.append("")
    lines.append(f"FLOPs (forward): {_count(per_step)} per timestep x {len(steps)} steps, "
                 f"{_count(data['flops'])} in total "
                 f"({_count(data['flops'] - sum(steps.values()))} outside the steps)")
    saved = data["saved_bytes_by_step"]
    kept_per_step = sum(saved.values()) / len(saved) if saved else 0
    lines.append(f"saved for backward: {_bytes(kept_per_step)} per timestep, "
                 f"{_bytes(data['saved_bytes'])} in total")
    far = data["farthest_param_use"]
    if far:
        where = f" at t = {far['t']}" if far["t"] is not None else ""
        lines.append(f"longest path from a parameter to the loss: {far['ops']} ops, from "
                     f"{far['param']}{where}")
    return "\n".join(lines)


def memory_against_T(build, steps=(1, 2, 4, 8, 16, 32)):
    """[(T, bytes saved for backward)] for graphs ``build(T)``."""
    return [(T, stats(build(T))["saved_bytes"]) for T in steps]


def plot_memory(points, path, title):
    """A small PNG of saved bytes against T, with the bytes each extra step adds."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    T, kept = np.array(points, dtype=np.float64).T
    slope = (kept[-1] - kept[-2]) / (T[-1] - T[-2]) if len(T) > 1 else 0.0
    fig, ax = plt.subplots(figsize=(5.5, 3.6), dpi=100, layout="constrained")
    ax.plot(T, kept / 1024, "o-", color="#2471a3")
    ax.set_xlabel("timesteps T", fontsize=11)
    ax.set_ylabel("KiB saved for backward", fontsize=11)
    ax.set_title(title, fontsize=11)
    ax.grid(alpha=0.3)
    ax.text(0.03, 0.95, f"{slope:,.0f} bytes more per step:\nBPTT memory grows linearly in T",
            transform=ax.transAxes, va="top", fontsize=10)
    save_figure(fig, path)
