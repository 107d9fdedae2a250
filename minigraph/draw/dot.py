"""Walk a graph into graphviz DOT: unrolled (one column per timestep, time left to right),
rolled (one step with a loop edge 'x T') or window (chosen steps, the rest summarised).
Pure: reads the graph, renders nothing. Over 300 lines because the three views share one
writer of nodes and edges; splitting the views would copy it."""

import warnings

import numpy as np

from ..errors import UsageError
from .layout import Layout
from .legend import legend_label
from .names import display
from .render import Digraph
from .style import (
    CARRIED_COLOUR,
    EDGE_COLOUR,
    FONT,
    NAME_SIZE,
    PARAM_EDGE_COLOUR,
    SLICE_OPS,
    SMALL_SIZE,
    VIEW_OPS,
    GradScale,
    kind_of,
    node_attrs,
    op_name,
    op_text,
    short_number,
)

NODE_BUDGET = 600


def _shape_text(shape):
    return "(" + ", ".join(str(s) for s in shape) + ")"


def _norm(array):
    return None if array is None else float(np.linalg.norm(np.asarray(array, np.float64)))


def _is_view(node):
    """Drawn as an edge: a reshape, a stack of a single value, or a slice of integer or
    boolean data (the targets of one step), which no gradient ever flows through."""
    name = op_name(node)
    return (name in VIEW_OPS or (name == "Stack" and len(node.inputs) == 1)
            or (name in SLICE_OPS and node.dtype.kind != "f"))


def _through_views(node):
    while node.op is not None and _is_view(node):
        node = node.inputs[0]
    return node


def _steps_shown(steps, view, window):
    if view == "unrolled":
        return list(steps)
    if view == "rolled":
        return steps[-1:]
    chosen = window or [0, 1 if len(steps) > 1 else 0, -1]
    return sorted({steps[i] for i in chosen if -len(steps) <= i < len(steps)})


def gradient_note(node, graph_users):
    """'sum of N gradients' where N uses of the node each send one back; 'assembled from N
    slices' where the uses read disjoint parts (the engine writes each into its place)."""
    uses = [(u, op_name(u)) for u in graph_users.get(node.id, []) if u.grad is not None]
    if len(uses) < 2:
        return ""
    slices = [u for u, name in uses if name in SLICE_OPS]
    if len(slices) == len(uses) and _disjoint(slices):
        return f"assembled from {len(slices)} slices"
    return f"sum of {len(uses)} gradients"


def _disjoint(slices):
    spans = []
    for u in slices:
        if op_name(u) == "SelectStep":
            spans.append(("step", u.op.t, u.op.t + 1))
        else:
            spans.append(("last", u.op.start, u.op.stop))
    if len({kind for kind, _, _ in spans}) > 1:
        return False
    spans.sort(key=lambda s: s[1])
    return all(a[2] <= b[1] for a, b in zip(spans, spans[1:]))


def _table(lines):
    """An HTML label with one table row per line: unlike <BR/>, rows leave room for a
    subscript in both renderers."""
    rows = "".join(f"<TR><TD>{line}</TD></TR>" for line in lines)
    return f'<<TABLE BORDER="0" CELLPADDING="1" CELLSPACING="1">{rows}</TABLE>>'


def _small(text):
    return f'<FONT POINT-SIZE="{SMALL_SIZE}">{text}</FONT>'


def to_dot(graph, view="unrolled", window=None, grads=False, labels=True, legend=True,
           budget=NODE_BUDGET, title=None):
    """DOT for ``graph`` (a minigraph.Graph).

    view: 'unrolled' (every step, one column each, time left to right), 'rolled' (one step
    and a loop edge 'x T') or 'window' (``window``: step indices to expand, default the
    first two and the last; the others become one summary node). Above ``budget`` drawn
    nodes an unrolled view warns and falls back to the window view. ``grads``: fill nodes
    by the norm of their gradient on a log scale fitted to this graph (run backward with
    retain_graph=True first); the border and shape keep saying the node's kind.
    """
    if view not in ("unrolled", "rolled", "window"):
        raise UsageError(f"unknown view {view!r}: unrolled, rolled or window")
    nodes = [n for n in graph.nodes if not _is_view(n)]
    steps = sorted({n.tags["t"] for n in nodes if "t" in n.tags})
    if view == "unrolled" and len(nodes) > budget and len(steps) > 3:
        warnings.warn(f"{len(nodes)} nodes is over the drawing budget of {budget}: drawing a "
                      "window of steps instead (view='window')", stacklevel=2)
        view = "window"
    if grads and all(n.grad is None for n in nodes):
        warnings.warn("no gradients to draw: run graph.backward(retain_graph=True) first",
                      stacklevel=2)
        grads = False
    shown = _steps_shown(steps, view, window)
    hidden = [t for t in steps if t not in shown]
    graph_users = {}
    for n in graph.nodes:
        for child in n.inputs:
            graph_users.setdefault(child.id, []).append(n)
    inputs = {n.id: [_through_views(i) for i in n.inputs] for n in nodes}
    drawn = _drawn(nodes, inputs, shown, view)
    drawn_ids = {n.id for n in drawn}
    inputs = {n.id: [i for i in inputs[n.id] if i.id in drawn_ids] for n in drawn}
    layout = Layout(drawn, inputs, shown)
    loss_ids = {graph.outputs[0].id}
    kinds = {n.id: kind_of(n, loss_ids) for n in drawn}
    scale = GradScale([_norm(n.grad) for n in drawn]) if grads else None
    layers = {n.tags.get("layer") for n in drawn} - {None}

    dot = Digraph(name=graph.name or "graph", graph_attr={
        "rankdir": "BT", "fontname": FONT, "labelloc": "t", "nodesep": "0.16",
        "ranksep": "0.45", "newrank": "true"},
        node_attr={"fontname": FONT, "fontsize": str(NAME_SIZE), "margin": "0.08,0.04"},
        edge_attr={"fontname": FONT, "fontsize": str(SMALL_SIZE), "color": EDGE_COLOUR,
                   "arrowsize": "0.7"})
    label = legend_label(title or graph.name or "", set(kinds.values()) if legend else set(),
                         scale if legend else None, recurrent=bool(steps))
    if label:
        dot.attr(label=label)
    names = {}
    for node in sorted(drawn, key=lambda n: n.id):
        names[node.id] = display(node, names, layout.users, rolled=view == "rolled")
        lines = [names[node.id]]
        if labels:
            detail = _detail(node, names[node.id], layers, layout.users[node.id],
                             view == "rolled")
            if detail:
                lines.append(_small(detail))
            if grads and node.dtype.kind == "f":
                norm = _norm(node.grad)
                note = gradient_note(node, graph_users) if norm is not None else ""
                text = "no gradient" if norm is None else f"|g| {short_number(norm)}"
                lines += [_small(text)] + ([_small(note)] if note else [])
        fill = scale.colour(_norm(node.grad)) if grads else None
        dot.node(str(node.id), _table(lines), **node_attrs(kinds[node.id], fill))

    _add_rows(dot, layout, kinds, view, steps)
    summary = _add_summary(dot, layout, hidden) if hidden and view == "window" else None
    _add_edges(dot, graph, drawn, drawn_ids, layout, labels, summary)
    if view == "rolled" and len(steps) > 1:
        _add_loop(dot, layout, graph, steps)
    return dot


def _drawn(nodes, inputs, shown, view):
    """Nodes of the steps shown and the untimed nodes linked to them (in the rolled view,
    only those: nothing else of the unrolled steps)."""
    timed = [n for n in nodes if n.tags.get("t") in shown]
    untimed = [n for n in nodes if "t" not in n.tags]
    if view != "rolled":
        return timed + untimed
    keep = {n.id for n in timed}
    users = {}
    for n in nodes:
        for i in inputs[n.id]:
            users.setdefault(i.id, []).append(n)
    changed = True
    while changed:
        changed = False
        for n in untimed:
            if n.id in keep:
                continue
            near = [i.id for i in inputs[n.id]] + [u.id for u in users.get(n.id, [])]
            if any(i in keep for i in near):
                keep.add(n.id)
                changed = True
    return [n for n in nodes if n.id in keep]


def _detail(node, name, layers, users, rolled=False):
    """The second line: what the op does (unless the name already says it), the layer."""
    parts = []
    if (rolled and op_name(node) == "SelectStep") or (
            node.kind != "param" and node.dtype.kind != "f"):
        return ""
    shape_inside = node.kind == "param" or (node.op is not None and "t" not in node.tags
                                            and any("t" in u.tags for u in users))
    if node.op is not None and not (op_name(node) == "SliceLast" and "t" in node.tags):
        text = node.op.label if op_name(node) in SLICE_OPS else op_text(node)
        if text != name and name.split("<")[0] != text:
            parts.append(text)
    if node.tags.get("role") == "carried":
        parts.append("carried, detached")
    if len(layers) > 1 and node.tags.get("layer") is not None:
        parts.append(f"layer {node.tags['layer']}")
    if shape_inside:
        parts.append(_shape_text(node.shape))
    return ", ".join(parts)


def _add_rows(dot, layout, kinds, view, steps):
    """Rank groups chained left to right, and a header over each column."""
    rows = layout.rows()
    top = max(rows) + 1 if rows else 0
    headers = []
    for t in layout.columns:
        name = f"column{t}"
        text = (f"one step, t = {steps[0]}..{steps[-1]}" if view == "rolled" else f"t = {t}")
        dot.node(name, f"<<B>{text}</B>>", shape="plaintext", style="", fontsize="15")
        headers.append(name)
        below = layout.top_of_column(t)
        if below is not None:
            dot.edge(str(below.id), name, style="invis", weight="8")
    if headers:  # data only the losses read (targets, masks) opens the header row
        rows[top] = ([str(n.id) for n in layout.targets] + headers
                     + [str(n.id) for n in layout.right])
    above = rows[min(rows)][0] if rows else None
    for block in layout.block:  # the input side, in rows under the steps
        dot.body.append("\t{rank=same; " + "; ".join(f'"{i}"' for i in block) + "}\n")
        if above is not None:
            for i in block:
                dot.edge(str(i), above, style="invis", weight="0")
        above = str(block[0])
    for depth in sorted(rows):
        row = rows[depth]
        if not row:
            continue
        dot.body.append("\t{rank=same; " + "; ".join(f'"{r}"' for r in row) + "}\n")
        for a, b in zip(row, row[1:]):
            dot.edge(a, b, style="invis")


def _add_summary(dot, layout, hidden):
    dot.node("steps_hidden", f"... {len(hidden)} steps ...\n(t = {hidden[0]}..{hidden[-1]})",
             shape="plaintext", fontsize=str(NAME_SIZE))
    return "steps_hidden"


def _add_edges(dot, graph, drawn, drawn_ids, layout, labels, summary):
    drawn_edges = set()
    for node in graph.nodes:
        if _is_view(node):
            continue
        for child in node.inputs:
            source = _through_views(child)
            a = str(source.id) if source.id in drawn_ids else summary
            b = str(node.id) if node.id in drawn_ids else summary
            if a is None or b is None or a == b or (a, b) in drawn_edges:
                continue
            drawn_edges.add((a, b))
            # a node that feeds every step says its shape once, inside it
            plain = (source.kind == "param" or source.dtype.kind != "f"
                     or (layout.in_block(source) and "t" in node.tags))
            attrs = {"label": _shape_text(child.shape) if labels and not plain else ""}
            if source.kind == "param":
                attrs["color"] = PARAM_EDGE_COLOUR
            same_step = "t" in source.tags and source.tags.get("t") == node.tags.get("t")
            # in-column edges keep columns straight; the fan-out of shared nodes pulls nothing
            attrs["weight"] = "8" if same_step else "0" if layout.in_block(source) else "1"
            if source.tags.get("role") == "carried":  # the node says "carried, detached"
                attrs.update(style="dashed", color=CARRIED_COLOUR)
            if a == summary or b == summary:
                attrs.update(constraint="false", penwidth="1.6")
            elif layout.cross_step(source, node):
                attrs["penwidth"] = "1.6"
                ports = {} if source in layout.targets else {"tailport": "e", "headport": "w"}
                if layout.row(source) > layout.row(node):
                    # down a row (h_{t-1} into the next cell): drawn as an upward edge with the
                    # arrow turned round, which both renderers route cleanly
                    attrs.update(dir="back", **({"tailport": "w", "headport": "e"}
                                                if ports else {}))
                    a, b = b, a
                else:
                    attrs.update(constraint="false", **ports)
            if a != summary and b != summary and layout.same_row(source, node):
                attrs["xlabel"] = attrs.pop("label")  # dot cannot route labelled flat edges
            dot.edge(a, b, **attrs)


def _add_loop(dot, layout, graph, steps):
    """Edges from the shown step's state back into the step, labelled 'x T'."""
    (t,) = layout.columns
    if t - 1 not in steps:
        return
    previous = sorted((n for n in graph.nodes if n.tags.get("t") == t - 1 and not _is_view(n)),
                      key=lambda n: n.id)
    mine = layout.by_step[t]
    for user in mine:
        for child in user.inputs:
            child = _through_views(child)
            if child.tags.get("t") != t - 1:
                continue
            index = next(i for i, n in enumerate(previous) if n.id == child.id)
            if index < len(mine):
                dot.edge(str(mine[index].id), str(user.id), label=f"x {len(steps)}",
                         color=CARRIED_COLOUR, fontcolor=CARRIED_COLOUR, penwidth="2",
                         constraint="false")


def draw(graph, **options):
    """A ``Drawing`` of the graph (shows inline in Jupyter; ``.save(path)``)."""
    from .render import Drawing
    return Drawing(to_dot(graph, **options))
