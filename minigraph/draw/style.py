"""How each kind of node looks, the words ops go by, and the colour scale for gradients.

Every colour is a six-digit hex code: both graphviz-pure and the system's Graphviz read
those (the system Graphviz rejects three-digit ones such as #a33)."""

import math

import numpy as np

FONT = "Helvetica"
NAME_SIZE = 14  # node names
SMALL_SIZE = 11  # second lines, edge shapes, legend text: never below 11 pt

# Kind -> (shape, border colour, fill without gradients, extra style words).
KINDS = {
    "param": ("box", "#3b7d2b", "#d9f2d0", "rounded"),
    "input": ("box", "#3a66a8", "#dbe8fb", ""),
    "const": ("box", "#888888", "#f1f1f1", "dashed"),
    "op": ("ellipse", "#555555", "#ffffff", ""),
    "cell": ("box3d", "#a07800", "#fff1cc", ""),
    "loss": ("octagon", "#aa3333", "#f9d5d3", ""),
}
KIND_TEXT = {"param": "parameter (shared by all steps)", "input": "fed input",
             "const": "constant", "op": "op output", "cell": "cell step (fused)",
             "loss": "loss"}
# The same looks as plain attribute dicts, for code that styles its own drawings.
STYLES = {("fused" if kind == "cell" else kind): {
    "shape": shape, "style": ",".join(w for w in ("filled", extra) if w), "fillcolor": fill,
    "color": border} for kind, (shape, border, fill, extra) in KINDS.items()}
CARRIED_COLOUR = "#aa3333"
PARAM_EDGE_COLOUR = "#7faa70"
EDGE_COLOUR = "#555555"

CELL_OPS = {"RNNStep": "RNN cell", "LSTMStep": "LSTM cell", "GRUStep": "GRU cell",
            "RNNStepProjected": "RNN cell", "LSTMStepProjected": "LSTM cell",
            "GRUStepProjected": "GRU cell"}
# Ops whose backward writes a disjoint part of their input's gradient.
SLICE_OPS = {"SliceLast", "SelectStep"}
# Ops drawn as an edge: they only view their one input in another shape.
VIEW_OPS = {"Reshape"}
OP_TEXT = {"Add": "+", "Sub": "-", "Mul": "*", "MatMul": "matmul", "Tanh": "tanh",
           "Sigmoid": "sigmoid", "Relu": "relu", "Sum": "sum", "Mean": "mean",
           "Affine": "affine", "TemporalAffine": "affine, all steps",
           "Embedding": "embedding", "EmbeddingAffine": "embedding + affine, all steps",
           "MaskedSoftmaxCE": "cross-entropy", "Dropout": "dropout",
           "Stack": "stack", "Concat": "concat", "Detach": "detach", "SelectStep": "step t",
           "SliceLast": "slice", **CELL_OPS}

# Fill colours of the gradient scale, pale (small) to dark red (large), and the text on them.
PALETTE = ["#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c",
           "#bd0026", "#800026"]
DARK = set(PALETTE[-3:])
ZERO_FILL = "#cfe1f2"  # a gradient that is exactly zero
NONE_FILL = "#ffffff"  # no gradient at all (integer data, constants, nodes off the path)
NONFINITE_FILL = "#00e5ff"


def op_name(node):
    return type(node.op).__name__ if node.op is not None else None


def kind_of(node, loss_ids):
    """The drawn kind: by the op's category, so a user's own op draws like a built-in one."""
    if node.id in loss_ids or getattr(node.op, "category", None) == "loss":
        return "loss"
    if node.op is None:
        return node.kind
    return "cell" if getattr(node.op, "category", None) == "recurrent" else "op"


def op_text(node):
    name = op_name(node)
    return OP_TEXT.get(name, node.op.label if node.op is not None else node.kind)


def node_attrs(kind, fill=None):
    """Graphviz attributes: the shape and border say the kind; the fill is the kind's own
    colour, or the gradient colour when one is given."""
    shape, border, kind_fill, extra = KINDS[kind]
    fill = fill or kind_fill
    style = ",".join(w for w in ("filled", extra) if w)
    return {"shape": shape, "style": style, "color": border, "fillcolor": fill,
            "penwidth": "2.2" if fill != kind_fill else "1.4",
            "fontcolor": "#ffffff" if fill in DARK else "#000000"}


class GradScale:
    """A log scale fitted to the gradient norms of one drawing: the 5th percentile of
    log10 |g| gets the palest colour, the 95th the darkest (norms outside are clipped)."""

    def __init__(self, norms):
        logs = np.log10([n for n in norms if n is not None and n > 0 and math.isfinite(n)])
        if logs.size == 0:
            self.low, self.high = -1.0, 1.0
        else:
            self.low, self.high = (float(v) for v in np.percentile(logs, [5, 95]))
        if self.high - self.low < 0.5:  # nearly equal norms: half a decade around them
            middle = (self.high + self.low) / 2
            self.low, self.high = middle - 0.25, middle + 0.25

    def colour(self, norm):
        if norm is None:
            return NONE_FILL
        if not math.isfinite(norm):
            return NONFINITE_FILL
        if norm == 0:
            return ZERO_FILL
        position = (math.log10(norm) - self.low) / (self.high - self.low)
        index = int(min(max(position, 0.0), 1.0 - 1e-9) * len(PALETTE))
        return PALETTE[index]

    def ticks(self):
        """(colour, log10 value at its middle) for each colour of the bar."""
        step = (self.high - self.low) / len(PALETTE)
        return [(c, self.low + (i + 0.5) * step) for i, c in enumerate(PALETTE)]


def short_number(x):
    if x == 0:
        return "0"
    return f"{x:.2g}" if 1e-2 <= abs(x) < 1e3 else f"{x:.1e}".replace("e-0", "e-").replace(
        "e+0", "e")
