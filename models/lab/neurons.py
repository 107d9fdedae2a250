"""The neuron page: one self-contained HTML file showing what single cells of a char-rnn
respond to (Karpathy, Johnson and Fei-Fei 2015; LSTMVis), and how far back each
prediction looked (the gradient of its loss with respect to earlier hidden states).

The analysis lives in ``neuron_record`` (running the graph) and ``neuron_signals``
(features of the text and correlations); the page itself in ``neurons_page``.
"""

import base64
import html
import json
import re

import numpy as np

from minigraph.checkpoint import CheckpointError
from minigraph.errors import InputError
from minigraph.files import atomic_write

from ..data.text import Vocabulary
from .neuron_record import GATES, QUANTITIES, gate_saturation, gradient_strips, record
from .neuron_signals import rank_cells, text_signals
from .neurons_page import PAGE

STATES = ("h", "c")  # the quantities ranked against the text's signals


def check_vocabulary(chars, source):
    """A loaded vocabulary must be distinct single characters; anything else (a multi-
    character entry, a number) is refused with the entry named."""
    if not isinstance(chars, (list, tuple)) or not chars:
        raise CheckpointError(f"{source}: the vocabulary must be a non-empty list of "
                              f"characters, found {type(chars).__name__}")
    seen = set()
    for i, entry in enumerate(chars):
        if not isinstance(entry, str) or len(entry) != 1:
            raise CheckpointError(f"{source}: vocabulary entry {i} is {entry!r}; a char-rnn "
                                  "vocabulary holds single characters")
        if entry in seen:
            raise CheckpointError(f"{source}: vocabulary entry {i} {entry!r} appears twice; "
                                  "the characters must be distinct")
        seen.add(entry)


def script_json(data):
    """JSON that is safe inside <script>: no '<', '>' or '&' can end the element or open
    a comment, whatever strings the data holds (the user's text, a vocabulary)."""
    text = json.dumps(data, ensure_ascii=False)
    for raw, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    # a lone surrogate (a vocabulary or text read with surrogateescape) has no UTF-8: the
    # page keeps it as a JSON escape, which JavaScript reads back as the same code unit
    return LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _base64(array):
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def _quantised(values):
    """(L, T, H) -> per layer: int8 codes laid out unit by unit (H, T), base64, and the
    per-unit scale (max |value|): code = round(127 value / scale); and the colour span, the
    98th percentile of |value|."""
    scale = np.abs(values).max(axis=1)  # (L, H)
    scale = np.where(scale > 0, scale, 1.0)
    codes = np.rint(values / scale[:, None, :] * 127).astype(np.int8)
    span = np.percentile(np.abs(values), 98, axis=1)  # colour scale: a few peaks saturate
    span = np.where(span > 0, span, scale)
    return {"scale": np.round(scale, 5).tolist(), "span": np.round(span, 3).tolist(),
            "codes": [_base64(codes[layer].T) for layer in range(values.shape[0])]}


def page_data(model, text, k=50, compare=()):
    """Everything the page shows, computed from the model's graph on ``text``. ``compare``:
    (label, model) pairs whose last layer's gradient strips are drawn beside this one's."""
    if k < 1:
        raise InputError(f"neuron page: k (--k) must be at least 1, got {k}")
    ids = Vocabulary(model.chars).encode(text)
    if len(ids) < 2:
        raise InputError(f"neuron page: needs at least 2 characters of text (--chars), got "
                         f"{len(ids)}")
    cell, L, H = model.cell, model.num_layers, model.hidden_size
    recorded = record(model, ids)
    values, probs = recorded["values"], recorded["probs"]
    signals, dropped = text_signals(text)
    kinds = [q for q in STATES if q in values]
    activations = np.concatenate([values[q][layer] for layer in range(L) for q in kinds],
                                 axis=1)
    labels = [{"layer": layer, "kind": q, "unit": u}
              for layer in range(L) for q in kinds for u in range(H)]
    ranking = rank_cells(signals, activations, labels)
    best = ranking[0] if ranking else None
    opening = ({**best["cells"][0]["cell"], "signal": best["signal"], "r": best["cells"][0]["r"]}
               if best else {"layer": L - 1, "kind": "h", "unit": 0, "signal": None, "r": 0})
    strips = gradient_strips(model, ids, values, k=k)
    top = np.argsort(-probs, axis=1, kind="stable")[:, :5]
    saturation = gate_saturation(values, cell)
    return {
        "cell": cell, "layers": L, "hidden": H, "text": text, "vocab": list(model.chars),
        "quantities": list(QUANTITIES[cell]), "gates": list(GATES[cell]),
        "acts": {q: _quantised(values[q]) for q in values},
        "guess": top.tolist(),
        "guess_p": np.round(np.take_along_axis(probs, top, axis=1), 3).tolist(),
        "actual_p": [None] + np.round(probs[np.arange(len(ids) - 1), ids[1:]], 4).tolist(),
        "signals": ranking, "dropped": dropped, "start": opening,
        "saturation": {g: np.round(s, 4).tolist() for g, s in saturation.items()},
        "strips": {"k": int(strips.shape[2]), "data": _base64(strips.astype("<f4"))},
        "compare": [_other_strips(label, other, text, k) for label, other in compare],
    }


def _other_strips(label, model, text, k):
    ids = Vocabulary(model.chars).encode(text)
    strips = gradient_strips(model, ids, record(model, ids)["values"], k=k)
    return {"label": label, "cell": model.cell, "layers": model.num_layers,
            "strip": _base64(strips[-1].astype("<f4"))}


def write_neuron_page(model, text, path, k=50, compare=()):
    """Analyse ``text`` with ``model`` and write the page to ``path`` (atomically).
    Returns the data embedded in the page."""
    data = page_data(model, text, k=k, compare=compare)
    title = (f"char-rnn neurons: {model.cell.upper()}, {model.num_layers} layers x "
             f"{model.hidden_size} cells, {len(text)} characters")
    title = LONE_SURROGATE.sub("\ufffd", html.escape(title))
    page = PAGE.replace("__TITLE__", title).replace("__DATA__", script_json(data))
    atomic_write(path, page)
    return data


def validation_stretch(text, chars):
    """``chars`` characters of the last 10% of ``text`` (held out from training), starting
    at a line start so the page opens on a whole line."""
    tail = text[int(len(text) * 0.9):]
    newline = tail.find("\n")
    if 0 <= newline < len(tail) - 1:
        tail = tail[newline + 1:]
    return tail[:chars]
