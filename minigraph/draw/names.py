"""Names a student reads: h_3 for ``h[3]``, i_3 for the input gate ``h[3].i``, "x_3 Wx" for
an unnamed matmul, and the op in words where a node has no name of its own. Labels are
graphviz HTML; every name is escaped."""

import html
import re

from .style import CELL_OPS, op_name, op_text

_STEP_NAME = re.compile(r"^(?P<base>[A-Za-z_][A-Za-z_0-9]*?)\[(?P<t>\d+)\](?:\.(?P<part>\w+))?$")
_PARTS = {"c": "c", "i": "i", "f": "f", "o": "o", "g": "g", "n": "n", "r": "r", "z": "z"}


def is_automatic(node):
    """True for the names Node makes up (``matmul13``, ``input4``)."""
    prefix = op_name(node).lower() if node.op is not None else node.kind
    return node.name == f"{prefix}{node.id}"


def sub(text, index):
    return f'{html.escape(text)}<SUB><FONT POINT-SIZE="11">{html.escape(str(index))}</FONT></SUB>'


def step_symbol(node, rolled=False):
    """(symbol, t) for a node named like ``h[3]``, ``h0[3].c`` or ``xw[3]`` at step 3, else
    None. A layer number glued to the name (``h0`` in layer 0) is dropped: the layer is
    shown apart."""
    t = node.tags.get("t")
    match = _STEP_NAME.match(node.name or "")
    if t is None or match is None or int(match["t"]) != t:
        return None
    base, part = match["base"], match["part"]
    layer = node.tags.get("layer")
    if layer is not None and base.endswith(str(layer)) and len(base) > len(str(layer)):
        base = base[:-len(str(layer))]
    if part in _PARTS:
        base = _PARTS[part]
    elif part is not None:
        return None
    return base, "t" if rolled else t


def display(node, names, users, rolled=False):
    """The first line of a node's label (HTML). ``names`` maps nodes named so far to their
    display (for a matmul that says what it multiplies); ``users`` maps a node id to the
    nodes that read it (for a slice that says which gate it feeds)."""
    symbol = step_symbol(node, rolled)
    if symbol is not None:
        base, t = symbol
        return f"{sub('x', t)} Wx + b" if base == "xw" else sub(base, t)
    if node.op is not None and op_name(node) in CELL_OPS:
        return html.escape(op_text(node))
    if not is_automatic(node):
        return html.escape(node.name)
    if op_name(node) == "MatMul" and all(i.id in names for i in node.inputs):
        return " ".join(names[i.id] for i in node.inputs)
    readers = users.get(node.id, [])
    if op_name(node) == "SliceLast" and len(readers) == 1:
        gate = step_symbol(readers[0], rolled)
        if gate is not None and gate[0] in "ifogrzn":
            return f"{sub(*gate)} (pre)"
    return html.escape(op_text(node))
