"""Walk a graph into graphviz DOT: unrolled (a cluster per timestep), rolled (one step with
a loop edge 'x T') or window (chosen steps, the rest summarised)."""

import warnings

import graphviz
import numpy as np

from .style import STYLES, grad_colour, is_fused, legend_rows, text_colour

NODE_BUDGET = 300


def _shape_text(shape):
    return "(" + ", ".join(str(s) for s in shape) + ")"


def _norm(array):
    return None if array is None else float(np.linalg.norm(np.asarray(array, np.float64)))


def _kind(node, loss_ids):
    if node.id in loss_ids:
        return "loss"
    if node.op is None:
        return node.kind
    return "fused" if is_fused(node.op) else "op"


def _label(node, labels, grads, users):
    if not labels:
        return ""
    title = node.name if node.op is None else f"{node.op.label}\n{node.name}"
    if grads:
        value, grad = _norm(node.value), _norm(node.grad)
        title += "\n|v|={}  |g|={}".format(
            "-" if value is None else f"{value:.2g}", "-" if grad is None else f"{grad:.2g}")
        if users > 1 and node.grad is not None:
            title += f"\ng = sum of {users} gradients"  # fan-out: the engine added them
    return title


def _steps_shown(steps, view, window):
    if view == "unrolled":
        return set(steps)
    if view == "rolled":
        return {steps[0]} if steps else set()
    chosen = window or [steps[0], steps[1] if len(steps) > 1 else steps[0], steps[-1]]
    return {steps[i] if i >= 0 else steps[i] for i in chosen if -len(steps) <= i < len(steps)}


def to_dot(graph, view="unrolled", window=None, grads=False, labels=True, legend=True,
           budget=NODE_BUDGET, title=None):
    """DOT for ``graph`` (a minigraph.Graph). Pure: reads the graph, renders nothing.

    view: 'unrolled', 'rolled' or 'window' (``window``: step indices to expand, default the
    first two and the last). Above ``budget`` nodes an unrolled view warns and falls back to
    the window view. ``grads``: label nodes with value and gradient norms and colour them by
    log10 |grad| (run backward with retain_graph=True first).
    """
    nodes = graph.nodes
    steps = sorted({n.tags["t"] for n in nodes if "t" in n.tags})
    if view == "unrolled" and len(nodes) > budget and len(steps) > 3:
        warnings.warn(f"{len(nodes)} nodes is over the drawing budget of {budget}: drawing a "
                      "window of steps instead (view='window')", stacklevel=2)
        view = "window"
    if view not in ("unrolled", "rolled", "window"):
        raise ValueError(f"unknown view {view!r}: unrolled, rolled or window")
    if grads and all(n.grad is None for n in nodes):
        warnings.warn("no gradients to draw: run graph.backward(retain_graph=True) first",
                      stacklevel=2)
        grads = False
    shown_steps = _steps_shown(steps, view, window)
    hidden_steps = [t for t in steps if t not in shown_steps]
    visible = [n for n in nodes if n.tags.get("t", steps[0] if steps else None) in shown_steps
               or "t" not in n.tags]
    # Parameters and other untimed leaves used only by hidden steps still show once.
    loss_ids = {graph.outputs[0].id}
    users = {}
    for n in nodes:
        for child in n.inputs:
            users[child.id] = users.get(child.id, 0) + 1
    dot = graphviz.Digraph(name=graph.name or "graph", graph_attr={
        "rankdir": "LR", "fontname": "Helvetica", "label": title or graph.name or "",
        "labelloc": "t", "nodesep": "0.25", "ranksep": "0.35"},
        node_attr={"fontname": "Helvetica", "fontsize": "10"},
        edge_attr={"fontname": "Helvetica", "fontsize": "8", "color": "#666666"})
    clusters = {t: graphviz.Digraph(name=f"cluster_t{t}", graph_attr={
        "label": f"t = {t}" if view != "rolled" else "one step (shared weights)",
        "style": "rounded", "color": "#bbbbbb"}) for t in sorted(shown_steps)}
    for node in visible:
        attrs = dict(STYLES[_kind(node, loss_ids)])
        if grads and node.grad is not None:
            attrs["fillcolor"] = grad_colour(_norm(node.grad))
            attrs["fontcolor"] = text_colour(attrs["fillcolor"])
        target = clusters.get(node.tags.get("t")) if node.kind != "param" else None
        (target or dot).node(str(node.id), _label(node, labels, grads, users.get(node.id, 0)),
                             **attrs)
    for cluster in clusters.values():
        dot.subgraph(cluster)
    visible_ids = {n.id for n in visible}
    summary = None
    if hidden_steps:
        summary = "steps_hidden"
        dot.node(summary, f"... {len(hidden_steps)} steps ...\n"
                 f"(t = {hidden_steps[0]}..{hidden_steps[-1]})", shape="plaintext",
                 fontsize="12")
    drawn_edges = set()
    for node in nodes:
        for child in node.inputs:
            source, target = child.id in visible_ids, node.id in visible_ids
            if not (source or target):
                continue
            a = str(child.id) if source else summary
            b = str(node.id) if target else summary
            if a is None or b is None or a == b or (a, b) in drawn_edges:
                continue
            drawn_edges.add((a, b))
            attrs = {"label": _shape_text(child.shape) if labels else ""}
            if child.tags.get("role") == "carried":
                attrs.update(style="dashed", color="#a33",
                             label=(attrs["label"] + "\ncarried, detached").strip())
            if grads and len(child.inputs) == 0 and child.kind == "param":
                attrs["color"] = "#3b7d2b"
            dot.edge(a, b, **attrs)
    if view == "rolled" and len(steps) > 1:
        _add_loop(dot, graph, shown_steps, len(steps))
    if legend:
        _add_legend(dot, grads)
    dot.graph_attr["size"] = _size(len(visible))
    return dot


def _add_loop(dot, graph, shown_steps, T):
    """Edge from the step's hidden state back into the step, labelled 'x T'."""
    (t,) = shown_steps
    in_step = [n for n in graph.nodes if n.tags.get("t") == t and n.op is not None]
    users = {child.id for n in graph.nodes if n.tags.get("t") == t + 1 for child in n.inputs}
    carried = [n for n in in_step if n.id in users] or in_step[-1:]
    first = next((n for n in in_step if is_fused(n.op)), in_step[0])
    for node in carried:
        dot.edge(str(node.id), str(first.id), label=f"x {T}", color="#a33", penwidth="2",
                 constraint="false")


def _add_legend(dot, grads):
    legend = graphviz.Digraph(name="cluster_legend", graph_attr={
        "label": "legend", "style": "rounded", "color": "#dddddd", "fontsize": "10"})
    previous = None
    for i, row in enumerate(legend_rows(grads)):
        name = f"legend{i}"
        if row[0] is None:
            legend.node(name, row[1], shape="box", style="filled", fillcolor=row[2],
                        fontcolor=text_colour(row[2]), fontsize="8")
        else:
            legend.node(name, row[1], fontsize="8", **STYLES[row[0]])
        if previous:
            legend.edge(previous, name, style="invis")
        previous = name
    dot.subgraph(legend)


def _size(count):
    """Graphviz page size in inches, growing with the node count (capped)."""
    width = min(60, 6 + count * 0.35)
    return f"{width:.0f},{min(30, 4 + count * 0.08):.0f}"


def draw(graph, **options):
    """A ``Drawing`` of the graph (shows inline in Jupyter; ``.save(path)``)."""
    from .render import Drawing
    return Drawing(to_dot(graph, **options))
