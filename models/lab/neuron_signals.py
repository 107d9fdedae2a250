"""Simple per-character features of a text, and the hidden cells that track them best.

Each feature describes the text after reading character t (the moment a cell's value at t
is taken), as a number per character: 1/0 for "inside quotes", a column for "position in
line". Features that never change in the text (no quotes in Shakespeare) are dropped:
a constant has no correlation with anything, and a table of r = 0 rows teaches nothing.
"""

import numpy as np

VOWELS = set("aeiouAEIOU")
OPENING, CLOSING = "([{", ")]}"


def _lines(text):
    """(start, end) of every line, end exclusive and including its newline."""
    spans, start = [], 0
    for t, ch in enumerate(text):
        if ch == "\n":
            spans.append((start, t + 1))
            start = t + 1
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def is_speaker_line(line):
    """A play's speaker line: 'ROMEO:' or 'First Citizen:' alone on its line."""
    line = line.strip()
    return (2 <= len(line) <= 40 and line.endswith(":") and line[0].isupper()
            and all(c.isalpha() or c in " '-." for c in line[:-1]))


def character_features(text):
    """{feature name: float array (len(text),)} for every feature, constant or not."""
    T = len(text)
    quote, bracket, column, start = (np.zeros(T) for _ in range(4))
    inside, depth, col = False, 0, 0
    for t, ch in enumerate(text):
        if ch == '"':
            inside = not inside
        if ch in OPENING:
            depth += 1
        elif ch in CLOSING:
            depth = max(0, depth - 1)
        quote[t], bracket[t], column[t], start[t] = inside, depth > 0, col, col == 0
        col = 0 if ch == "\n" else col + 1

    upper = np.zeros(T)
    t = 0
    while t < T:  # a run of letters of two or more, all upper case: ROMEO, KING
        if text[t].isalpha():
            end = t
            while end < T and text[end].isalpha():
                end += 1
            if end - t >= 2 and text[t:end].isupper():
                upper[t:end] = 1
            t = end
        else:
            t += 1

    after_speaker = np.zeros(T)
    lines = _lines(text)
    for (a, b), (c, d) in zip(lines, lines[1:]):
        if is_speaker_line(text[a:b]):
            after_speaker[c:d] = 1

    return {
        "inside quotes": quote,
        "inside brackets": bracket,
        "position in line": column,
        "start of line": start,
        "inside an upper-case word": upper,
        "line after a speaker line": after_speaker,
        "vowel": np.array([ch in VOWELS for ch in text], dtype=float),
        "space": np.array([ch == " " for ch in text], dtype=float),
    }


def text_signals(text):
    """(kept features, names of the dropped ones): features constant in this text are dropped."""
    kept, dropped = {}, []
    for name, values in character_features(text).items():
        if values.size and np.ptp(values) > 0:
            kept[name] = values
        else:
            dropped.append(name)
    return kept, dropped


def correlations(features, activations):
    """Pearson r of every feature with every cell: features (T, F), activations (T, M) ->
    (F, M). A cell that never changes has r = 0 with everything (not NaN)."""
    def standardised(a):
        a = a - a.mean(axis=0)
        scale = np.sqrt((a * a).mean(axis=0))
        return np.divide(a, scale, out=np.zeros_like(a), where=scale > 0)

    T = features.shape[0]
    return standardised(features).T @ standardised(activations) / T


def rank_cells(signals, activations, labels, top=4):
    """For each signal, the ``top`` cells with the largest |r|.

    signals: {name: (T,)}; activations (T, M); labels: M descriptions of the cells
    (anything JSON can hold). Returns [{"signal", "cells": [{"cell": label, "r"}]}], the
    signals ordered by their best |r|, strongest first."""
    if not signals:
        return []
    names = list(signals)
    r = correlations(np.stack([signals[n] for n in names], axis=1), activations)
    table = []
    for f, name in enumerate(names):
        order = np.argsort(-np.abs(r[f]), kind="stable")[:top]
        table.append({"signal": name,
                      "cells": [{"cell": labels[m], "r": round(float(r[f, m]), 3)}
                                for m in order]})
    table.sort(key=lambda row: -abs(row["cells"][0]["r"]))
    return table
