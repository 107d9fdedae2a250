"""The step-through page's data: a traced forward and backward (minigraph.trace) turned
into nodes with positions, edges with paths, and the list of steps the page walks.

Graphviz only places the boxes (``dot -Tjson``); the page draws them itself, so it can
write on them as the gradients arrive.
"""

import json

from ..errors import GraphError, WrongTypeError
from ..tracing import Trace
from .render import render_bytes

# inches: room for a name, an op and shape, one number and a strip of the contributions
BOX = (1.45, 0.8)
# Beyond these a page of boxes teaches nothing, and Graphviz's layout time explodes (a
# fused RNN: 40 steps 2 s, 60 steps 20 s, 85 steps 4 minutes): draw a smaller model.
NODE_LIMIT = 250
STEP_LIMIT = 24


def _kind(node, graph):
    if node is graph.outputs[0]:
        return "loss"
    if node.op is None:
        return node.kind
    # fused cell steps (ops/recurrent.py, or a user's own) compute a whole cell in one node
    return "fused" if getattr(node.op, "category", None) == "recurrent" else "op"


def _dot_id(node):
    return f"n{node.id}"


def layout_source(graph):
    """DOT that places the graph: time left to right, one cluster per timestep, the
    parameters outside every cluster (they belong to all steps)."""
    lines = ["digraph G {", 'rankdir=LR; nodesep=0.22; ranksep=0.38; newrank=true;',
             "node [shape=box, fixedsize=true, label=\"\"];"]
    by_step = {}
    for node in graph.nodes:
        line = f"{_dot_id(node)} [width={BOX[0]}, height={BOX[1]}];"
        t = node.tags.get("t") if node.kind != "param" else None
        by_step.setdefault(t, []).append(line)
    lines += by_step.pop(None, [])
    for t in sorted(by_step, key=str):
        lines.append(f'subgraph "cluster_t{t}" {{ label="t = {t}"; ' + " ".join(by_step[t]) + "}")
    for node in graph.nodes:
        for child in dict.fromkeys(node.inputs):  # one edge per pair, even for x * x
            lines.append(f"{_dot_id(child)} -> {_dot_id(node)};")
    lines.append("}")
    return "\n".join(lines)


def _points(text, height):
    """Graphviz 'e,x,y x,y ...' spline text -> (end point or None, [(x, y) ...]) with y
    measured from the top."""
    end, points = None, []
    for item in text.split():
        parts = item.split(",")
        if parts[0] == "e":
            end = (float(parts[1]), height - float(parts[2]))
        elif parts[0] != "s":
            points.append((float(parts[0]), height - float(parts[1])))
    return end, points


def layout(graph):
    """{'width', 'height', 'boxes': {node id: (x, y, w, h)}, 'paths': {(child id, user id):
    svg path}, 'clusters': [(label, x, y, w, h)]} in points, y down."""
    placed = json.loads(render_bytes(layout_source(graph), "json").decode("utf-8"))
    x0, y0, x1, y1 = (float(v) for v in placed["bb"].split(","))
    height = y1
    by_name, boxes, clusters = {}, {}, []
    ids = {_dot_id(n): n.id for n in graph.nodes}
    for obj in placed.get("objects", []):
        if "nodes" in obj or obj.get("name", "").startswith("cluster"):
            if "bb" in obj:
                a, b, c, d = (float(v) for v in obj["bb"].split(","))
                clusters.append((obj.get("label", ""), a, height - d, c - a, d - b))
            continue
        by_name[obj["_gvid"]] = obj["name"]
        x, y = (float(v) for v in obj["pos"].split(","))
        w, h = 72 * float(obj["width"]), 72 * float(obj["height"])
        boxes[ids[obj["name"]]] = (x - w / 2, height - y - h / 2, w, h)
    paths = {}
    for edge in placed.get("edges", []):
        end, points = _points(edge["pos"], height)
        path = f"M{points[0][0]:.1f},{points[0][1]:.1f} C" + " ".join(
            f"{x:.1f},{y:.1f}" for x, y in points[1:])
        if end is not None:  # the spline stops short of the arrowhead's tip
            path += f" L{end[0]:.1f},{end[1]:.1f}"
        key = (ids[by_name[edge["tail"]]], ids[by_name[edge["head"]]])
        paths[key] = path
    return {"width": x1 - x0, "height": height, "boxes": boxes, "paths": paths,
            "clusters": clusters}


def page_data(trace, title, graph=None):
    """Everything the page shows, as plain JSON-ready data (indices, numbers, strings)."""
    if not isinstance(trace, Trace):
        raise WrongTypeError("write_step_page needs a minigraph.trace() record, got "
                        f"{type(trace).__name__}: run `with mg.trace() as record: "
                        "graph.forward(); graph.backward()` and pass `record`")
    run = trace.run(graph)
    graph = run.graph
    timesteps = len({n.tags["t"] for n in graph.nodes if "t" in n.tags})
    if len(graph.nodes) > NODE_LIMIT or timesteps > STEP_LIMIT:
        raise GraphError(f"the step page draws every node: this graph has {len(graph.nodes)} "
                         f"nodes over {timesteps} timesteps (at most {NODE_LIMIT} nodes and "
                         f"{STEP_LIMIT} timesteps); unroll fewer steps")
    placed = layout(graph)
    index = {n: i for i, n in enumerate(graph.nodes)}
    edges, edge_index = [], {}
    for user in graph.nodes:
        for child in dict.fromkeys(user.inputs):
            edge_index[(child, user)] = len(edges)
            edges.append({"from": index[child], "to": index[user],
                          "path": placed["paths"].get((child.id, user.id), "")})
    contributions, steps = [], []
    for n in graph.op_nodes:
        steps.append({"phase": "forward", "node": index[n]})

    def add(c, step):
        contributions.append({
            "from": None if c.source is None else index[c.source], "to": index[c.target],
            "edge": None if c.source is None else edge_index[(c.target, c.source)],
            "norm": c.norm, "total": c.total, "part": c.part, "disjoint": c.disjoint,
            "deferred": c.deferred, "step": step})
        return len(contributions) - 1

    seeds = [add(c, len(steps)) for c in run.seeds]
    for step in run.steps:
        sent = [add(c, len(steps)) for c in step.sent]
        steps.append({"phase": "backward", "node": index[step.node], "grad": step.grad_norm,
                      "sent": sent, "seeds": seeds if step is run.steps[0] else []})
    received = {}
    for c in contributions:
        received.setdefault(c["to"], []).append(c)
    nodes = []
    for i, n in enumerate(graph.nodes):
        x, y, w, h = placed["boxes"][n.id]
        parts = received.get(i, [])
        nodes.append({
            "name": n.name, "op": n.op.label if n.op is not None else n.kind,
            "kind": _kind(n, graph), "shape": list(n.shape), "dtype": str(n.dtype),
            "t": n.tags.get("t"), "value": run.values.get(n), "needsGrad": n.requires_grad,
            "x": x, "y": y, "w": w, "h": h, "arrivals": len(parts),
            "assembled": len(parts) > 1 and all(c["disjoint"] for c in parts)})
    return {"title": title or graph.name or "", "width": placed["width"],
            "height": placed["height"], "clusters": placed["clusters"], "nodes": nodes,
            "edges": edges, "steps": steps, "contributions": contributions}
