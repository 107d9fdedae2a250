"""How each kind of node looks, and the colour scale for gradient norms."""

import math

STYLES = {
    "param": {"shape": "box", "style": "rounded,filled", "fillcolor": "#d9f2d0",
              "color": "#3b7d2b", "penwidth": "1.6"},
    "input": {"shape": "box", "style": "filled", "fillcolor": "#dbe8fb", "color": "#3a66a8"},
    "const": {"shape": "box", "style": "filled,dashed", "fillcolor": "#f1f1f1",
              "color": "#888888"},
    "op": {"shape": "ellipse", "style": "filled", "fillcolor": "#ffffff", "color": "#555555"},
    "fused": {"shape": "box3d", "style": "filled", "fillcolor": "#fff1cc", "color": "#a07800"},
    "loss": {"shape": "doubleoctagon", "style": "filled", "fillcolor": "#f9d5d3",
             "color": "#a33"},
}


def is_fused(op):
    """Ops of category 'recurrent' (a whole cell step in one node, a user's own included)
    draw in the fused style."""
    return op is not None and op.category == "recurrent"


# log10 |grad| from 1e-8 (pale) to 1e2 (dark red): one colour per decade.
GRAD_SCALE = (-8, 2)
_PALETTE = ["#fff7ec", "#fee8c8", "#fdd49e", "#fdbb84", "#fc8d59", "#ef6548", "#d7301f",
            "#b30000", "#7f0000", "#4d0000"]


def grad_colour(norm):
    """Fill colour for a gradient norm, by its decade."""
    if norm is None or norm == 0 or not math.isfinite(norm):
        return "#ffffff" if norm == 0 or norm is None else "#00ffff"
    low, high = GRAD_SCALE
    position = (min(max(math.log10(norm), low), high - 1e-9) - low) / (high - low)
    return _PALETTE[int(position * len(_PALETTE))]


def text_colour(fill):
    """White text on the dark end of the gradient scale, black elsewhere."""
    return "#ffffff" if fill in _PALETTE[-4:] else "#000000"


def legend_rows(with_grads):
    rows = [("param", "parameter (drawn once, shared by all steps)"),
            ("input", "fed input"), ("op", "op output"), ("fused", "fused cell step"),
            ("loss", "loss")]
    if with_grads:
        low, high = GRAD_SCALE
        decades = range(low, high)
        rows += [(None, f"|grad| ~ 1e{d}", grad_colour(10.0 ** (d + 0.5))) for d in decades]
    return rows
