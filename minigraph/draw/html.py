"""An interactive page that steps through the forward pass and then the backward pass of a
drawn graph, node by node. One self-contained HTML file: the SVG, the data and the script
are inline, nothing is fetched."""

import html
import json

import numpy as np

from ..files import atomic_write
from .dot import to_dot
from .render import render_bytes


def _stats(array):
    if array is None:
        return None
    a = np.asarray(array, dtype=np.float64)
    if a.size == 0:
        return None
    return {"mean": float(a.mean()), "std": float(a.std()), "min": float(a.min()),
            "max": float(a.max()), "norm": float(np.linalg.norm(a))}


def page_data(graph, drawn_ids):
    """Node details and the forward-then-backward order, for nodes that are drawn."""
    nodes = {}
    for n in graph.nodes:
        if n.id not in drawn_ids:
            continue
        value = n.value if n.value is not None and n.value.dtype.kind == "f" else None
        nodes[n.id] = {"name": n.name, "op": type(n.op).__name__ if n.op else n.kind,
                       "label": n.op.label if n.op else n.kind, "shape": list(n.shape),
                       "dtype": str(n.dtype), "tags": {k: str(v) for k, v in n.tags.items()},
                       "inputs": [i.name for i in n.inputs], "value": _stats(value),
                       "grad": _stats(n.grad)}
    forward = [n.id for n in graph.op_nodes if n.id in drawn_ids]
    backward = [n.id for n in reversed(graph.op_nodes) if n.id in drawn_ids and n.grad is not None]
    steps = [{"phase": "forward", "id": i} for i in forward]
    steps += [{"phase": "backward", "id": i} for i in backward]
    return {"nodes": nodes, "steps": steps}


def write_page(template, path, title, data, **parts):
    """Fill a self-contained page template: __TITLE__ (escaped), __DATA__ (JSON) and any
    other __PART__ given verbatim, then write it as UTF-8."""
    page = template.replace("__TITLE__", html.escape(title))
    for name, text in parts.items():
        page = page.replace(f"__{name.upper()}__", text)
    page = page.replace("__DATA__", json.dumps(data))
    atomic_write(path, page)


def write_step_page(graph, path, title=None, **draw_options):
    """Write the page. Run forward and ``backward(retain_graph=True)`` first so values and
    gradients are there to show."""
    dot = to_dot(graph, legend=False, **draw_options)
    svg = render_bytes(dot.source, "svg").decode("utf-8")
    svg = svg[svg.index("<svg"):]
    drawn = {int(line.split("[", 1)[0].strip()) for line in dot.body
             if line.strip().split("[", 1)[0].strip().isdigit()}
    data = page_data(graph, drawn)
    write_page(PAGE, path, title or graph.name or "graph", data, svg=svg)
    return data


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>__TITLE__</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 0; display: flex; height: 100vh; }
#graph { flex: 1; overflow: auto; border-right: 1px solid #ddd; }
#graph svg { height: auto; max-width: none; }
#panel { width: 330px; padding: 14px; font-size: 13px; overflow: auto; }
#panel h3 { margin: 4px 0; }
#phase { font-weight: bold; padding: 2px 6px; border-radius: 4px; color: white; }
.forward { background: #2471a3; } .backward { background: #c0392b; }
g.node.current > ellipse, g.node.current > polygon, g.node.current > path {
  stroke: #ff00aa; stroke-width: 5px; }
g.node.done > ellipse, g.node.done > polygon, g.node.done > path { stroke-width: 2.5px; }
table { border-collapse: collapse; margin-top: 6px; } td { padding: 1px 8px 1px 0; }
button { font-size: 15px; margin-right: 6px; }
</style></head><body>
<div id="graph">__SVG__</div>
<div id="panel">
<h2>__TITLE__</h2>
<p>Step through the forward pass, then the backward pass: buttons or the arrow keys.</p>
<div><button id="prev">&larr; prev</button><button id="next">next &rarr;</button></div>
<p>Step <span id="count"></span> <span id="phase"></span></p>
<div id="info"></div>
</div>
<script>
const DATA = __DATA__;
const byId = {};
document.querySelectorAll("g.node").forEach(g => {
  const t = g.querySelector("title"); if (t) byId[t.textContent.trim()] = g; });
let current = -1;
function fmt(x) { return Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toFixed(4) : x.toExponential(2); }
function statsRows(name, s) {
  if (!s) return `<tr><td colspan=2><i>no ${name}</i></td></tr>`;
  return Object.entries(s).map(([k, v]) => `<tr><td>${name} ${k}</td><td>${fmt(v)}</td></tr>`).join("");
}
function show(i) {
  current = Math.max(0, Math.min(DATA.steps.length - 1, i));
  const step = DATA.steps[current], node = DATA.nodes[step.id];
  document.querySelectorAll("g.node").forEach(g => g.classList.remove("current", "done"));
  DATA.steps.slice(0, current).forEach(s => { const g = byId[s.id]; if (g) g.classList.add("done"); });
  const g = byId[step.id];
  if (g) { g.classList.add("current"); g.scrollIntoView({block: "center", inline: "center"}); }
  document.getElementById("count").textContent = `${current + 1} / ${DATA.steps.length}`;
  const phase = document.getElementById("phase");
  phase.textContent = step.phase; phase.className = step.phase;
  const tags = Object.entries(node.tags).map(([k, v]) => `${k}=${v}`).join(", ");
  document.getElementById("info").innerHTML =
    `<h3 id="node-name">${node.name}</h3><table>` +
    `<tr><td>op</td><td id="node-op">${node.label}</td></tr>` +
    `<tr><td>shape</td><td>(${node.shape.join(", ")}) ${node.dtype}</td></tr>` +
    `<tr><td>inputs</td><td>${node.inputs.join(", ")}</td></tr>` +
    `<tr><td>tags</td><td>${tags}</td></tr>` +
    statsRows("value", node.value) + statsRows("grad", node.grad) + `</table>` +
    (step.phase === "backward" ? "<p>Backward: this op turns its output's gradient into " +
      "gradients for its inputs; where an input has several users they are summed.</p>" : "");
  document.body.dataset.step = current;
  document.body.dataset.node = step.id;
}
document.getElementById("next").onclick = () => show(current + 1);
document.getElementById("prev").onclick = () => show(current - 1);
document.addEventListener("keydown", e => {
  if (e.key === "ArrowRight") show(current + 1);
  if (e.key === "ArrowLeft") show(current - 1);
});
show(0);
</script></body></html>
"""
