"""The check's picture: the exercise's forward as minigraph draws it, each input labelled
with its gradient's result, and the edges out of every input whose gradient is wrong in
red, so a student sees at a glance where the backward went wrong."""

import re

from minigraph.draw import to_dot
from minigraph.draw.render import render_bytes
from minigraph.draw.style import STYLES
from minigraph.files import atomic_write

WRONG = "#e0201b"  # brighter and thicker than anything else minigraph draws
WRONG_FILL = "#ffd9d6"
RIGHT = "#2e8b3a"


def _quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _restyle(line, attrs):
    """Append DOT attributes to one node or edge statement (later attributes win)."""
    extra = " ".join(f"{key}={_quote(value)}" for key, value in attrs.items())
    stripped = line.rstrip("\n")
    if stripped.endswith("]"):
        return stripped[:-1] + " " + extra + "]\n"
    return stripped + " [" + extra + "]\n"


def check_dot(result):
    """graphviz source of ``result``'s graph (a checking.CheckResult) with the verdicts."""
    exercise = result.exercise
    wrong = [row.grad for row in result.rows if not row.passed]
    verdict = (f"wrong: {', '.join(wrong)} (red edges)" if wrong
               else "every gradient right")
    title = f"exercise {exercise.name}: {exercise.backward_name}, {verdict}"
    dot = to_dot(result.graph, legend=False, title=title)
    # newrank: rank the whole graph at once, so the steps' clusters line up left to right
    # in time instead of stacking when a composed step's chain is short.
    dot.graph_attr["newrank"] = "true"
    # The outputs are not a loss here: each receives a random upstream gradient.
    styles = {out.id: ({**STYLES["op"], "peripheries": "2", "penwidth": "1.4"}, None)
              for out in result.graph.outputs}
    for name, row in zip(exercise.inputs, result.rows):
        leaf = result.leaves[name]
        if row.problem:
            number = row.problem
        else:
            number = f"rel. error {row.numeric_error:.1e}"
        label = f"{name}\n{row.grad}: {number}\n{'PASS' if row.passed else 'FAIL'}"
        if row.passed:
            styles[leaf.id] = ({"label": label, "color": RIGHT, "fontcolor": RIGHT}, None)
        else:
            styles[leaf.id] = ({"label": label, "color": WRONG, "fillcolor": WRONG_FILL,
                                "penwidth": "2.5", "fontcolor": "#8b0000"},
                               {"color": WRONG, "penwidth": "3", "fontcolor": WRONG})
    node_line = re.compile(r"^\t(\d+) \[")
    edge_line = re.compile(r"^\t(\d+) -> ")
    body = []
    for line in dot.body:
        node, edge = node_line.match(line), edge_line.match(line)
        if node and int(node.group(1)) in styles:
            line = _restyle(line, styles[int(node.group(1))][0])
        elif edge and int(edge.group(1)) in styles and styles[int(edge.group(1))][1]:
            line = _restyle(line, styles[int(edge.group(1))][1])
        body.append(line)
    dot.body[:] = body
    _keep_steps_in_time_order(dot, result.graph)
    _add_legend(dot, title)
    return dot


def _keep_steps_in_time_order(dot, graph):
    """Invisible edges from the last node of step t - 1 to the nodes of step t that take
    nothing from inside step t (x[t] = x[:, t]), so each step starts after the one before
    instead of every x[t] lining up at the left edge."""
    last = {}
    for node in graph.op_nodes:
        if "t" in node.tags:
            last[node.tags["t"]] = node
    for node in graph.op_nodes:
        t = node.tags.get("t")
        if t is None or t - 1 not in last:
            continue
        if not any(child.op is not None and child.tags.get("t") == t for child in node.inputs):
            dot.edge(str(last[t - 1].id), str(node.id), style="invis")


def _cell(text, fill="#ffffff", border="#555555", ink="#000000", width=1):
    return (f'<TD BGCOLOR="{fill}" COLOR="{border}" BORDER="{width}">'
            f'<FONT COLOR="{ink}">{text}</FONT></TD>')


def _add_legend(dot, title):
    """The title with a small legend table under it, as the graph's label: a label takes
    no part in the layout, so the legend never stretches the graph."""
    param, fed = STYLES["param"], STYLES["input"]
    row1 = (_cell("parameter", param["fillcolor"], param["color"])
            + _cell("fed input", fed["fillcolor"], fed["color"])
            + _cell("op / output (gets dout)"))
    row2 = (_cell("gradient right: PASS", border=RIGHT, ink=RIGHT)
            + _cell("gradient wrong: FAIL", WRONG_FILL, WRONG, "#8b0000", 2)
            + _cell("red edge \u2192 where a wrong gradient goes", border=WRONG, ink=WRONG,
                    width=2))
    dot.graph_attr["label"] = (
        f'<<TABLE BORDER="0" CELLSPACING="4" CELLPADDING="3">'
        f'<TR><TD COLSPAN="3"><FONT POINT-SIZE="14">{_escape(title)}</FONT></TD></TR>'
        f'<TR>{row1}</TR><TR>{row2}</TR></TABLE>>')
    dot.graph_attr["fontsize"] = "10"


def _escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_check_svg(result, path):
    """Render the picture to ``path`` (svg), replacing it whole."""
    return atomic_write(path, render_bytes(check_dot(result).source, "svg"))
