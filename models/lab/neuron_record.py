"""What a char-rnn computes on a text, read from the nodes of its own graph.

``record`` runs the model over the text in windows, carrying the state across them, and
reads every step's h (and for the LSTM c and the gates i, f, o; for the GRU r and z) off
the graph's nodes by name. The gates are nodes only in the composed form of the cell, so
the model is rebuilt with ``fused=False`` (same parameters, same numbers).

``gradient_strips`` answers "how far back did this prediction look?": for each character,
the norm of the gradient of the loss of predicting it with respect to the hidden state at
each of the k characters before it, from one backward pass of the model's graph.
"""

import weakref

import numpy as np

import minigraph as mg

# node-name suffix of each quantity in the composed cells (minigraph.cells)
SUFFIX = {"h": "", "c": ".c", "i": ".i", "f": ".f", "o": ".o", "r": ".r", "z": ".z"}
QUANTITIES = {"lstm": ("h", "c", "i", "f", "o"), "gru": ("h", "r", "z"), "rnn": ("h",)}
GATES = {"lstm": ("i", "f", "o"), "gru": ("r", "z"), "rnn": ()}
_STRIP_GRAPHS = weakref.WeakKeyDictionary()  # model -> {(N, W): Graph}, built once


def composed_twin(model):
    """The same model built from primitive ops, so every gate is a node of its graph."""
    if not model.fused:
        return model
    twin = type(model)(chars=model.chars, **{**model.config, "fused": False})
    for name, value in model.params.items():
        twin.params[name][...] = value
    return twin


def _state_feed(state, cell):
    feed = {}
    for layer, (h, c) in enumerate(state):
        feed[f"h_in[{layer}]"] = h
        if cell == "lstm":
            feed[f"c_in[{layer}]"] = c
    return feed


def record(model, ids, window=100):
    """Run the model over ids (T,) from a zero state, in eval mode.

    Returns {"values": {quantity: (L, T, H) float64}, "probs": (T, V) next-character
    probabilities}; values[q][l, t] is quantity q of layer l after reading ids[t]."""
    twin = composed_twin(model)
    cell, L, H = model.cell, model.num_layers, model.hidden_size
    T = len(ids)
    values = {q: np.zeros((L, T, H)) for q in QUANTITIES[cell]}
    scores = np.zeros((T, len(model.chars)))
    state = model.zero_state(1)
    for start in range(0, T, window):
        piece = np.asarray(ids[start:start + window], dtype=np.int64)[None]
        n = piece.shape[1]
        graph = twin.build_graph(1, n)
        graph.eval()
        with mg.no_grad():
            graph.forward({"x": piece, "y": np.zeros_like(piece), **_state_feed(state, cell)})
        for layer in range(L):
            for q in values:
                for t in range(n):
                    values[q][layer, start + t] = graph[f"h{layer}[{t}]{SUFFIX[q]}"].value[0]
        scores[start:start + n] = graph["scores"].value[0]
        state = [(graph[f"h{layer}[{n - 1}]"].value.copy(),
                  graph[f"h{layer}[{n - 1}].c"].value.copy() if cell == "lstm" else None)
                 for layer in range(L)]
        graph.train()
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(axis=1, keepdims=True)
    return {"values": values, "probs": probs}


def gate_saturation(values, cell, low=0.1, high=0.9):
    """{gate: (L, H, 2)}: per layer and unit, the fraction of characters at which the gate
    is left-saturated (< low) and right-saturated (> high), as in Karpathy, Johnson and
    Fei-Fei (2015), figure 3."""
    return {g: np.stack([(values[g] < low).mean(axis=1), (values[g] > high).mean(axis=1)],
                        axis=-1) for g in GATES[cell]}


def _windows(T, W):
    """For each predicted position p = 1 .. T-1: (window start s, step j of the loss).
    Window s .. s+W-1 reads ids[s + j] and predicts ids[s + j + 1] = ids[p]."""
    return [(0, p - 1) if p < W else (p - W, W - 1) for p in range(1, T)]


def gradient_strips(model, ids, values, k=50, rows=128):
    """(L, T, W) float32 with W = min(k, T - 1): strips[l, p, d] = |dL_p / dh^l_{p-1-d}|,
    where L_p = -log P(ids[p] | ids[:p]); NaN where p - 1 - d < 0 (before the text).

    Each row of a minibatch is the window of W characters ending just before p, started
    from the recorded state before it (``values`` from ``record``), with a loss mask
    that keeps only the step predicting ids[p]: rows are independent, so one backward
    gives every row's gradients. Gradients stop at the window start; the state fed
    there is exact, so strips match full backpropagation for the W steps shown."""
    ids = np.asarray(ids, dtype=np.int64)
    cell, L, H = model.cell, model.num_layers, model.hidden_size
    T = len(ids)
    W = min(k, T - 1)
    strips = np.full((L, T, W), np.nan, dtype=np.float32)
    windows = _windows(T, W)
    for first in range(0, len(windows), rows):
        batch = windows[first:first + rows]
        N = len(batch)
        graph = _strip_graph(model, N, W)
        x = np.stack([ids[s:s + W] for s, _ in batch])
        y = np.stack([ids[s + 1:s + W + 1] for s, _ in batch])
        mask = np.zeros((N, W), bool)
        mask[np.arange(N), [j for _, j in batch]] = True
        feed = {"x": x, "strip_targets": y, "strip_mask": mask}
        for layer in range(L):
            h = np.stack([values["h"][layer, s - 1] if s > 0 else np.zeros(H)
                          for s, _ in batch]).astype(model.dtype)
            feed[f"h_in[{layer}]"] = h
            if cell == "lstm":
                feed[f"c_in[{layer}]"] = np.stack(
                    [values["c"][layer, s - 1] if s > 0 else np.zeros(H)
                     for s, _ in batch]).astype(model.dtype)
        graph.eval()
        graph.forward(feed)
        graph.backward(retain_graph=True)
        for layer in range(L):
            norms = np.stack([np.linalg.norm(graph[f"h{layer}[{t}]"].grad, axis=1)
                              for t in range(W)], axis=1) * N  # undo the mean over rows
            for row, (s, j) in enumerate(batch):
                p = s + j + 1
                strips[layer, p, :j + 1] = norms[row, j::-1]
        graph.train()
    return strips


def _strip_graph(model, N, W):
    """The model's graph for (N, W) with a loss of its own on top of the scores: a mask
    input chooses which steps count (the model's own loss counts every step)."""
    cache = _STRIP_GRAPHS.setdefault(model, {})
    if (N, W) not in cache:
        scores = model.build_graph(N, W)["scores"]
        targets = mg.input("strip_targets", (N, W), np.int64)
        mask = mg.input("strip_mask", (N, W), np.bool_)
        loss = mg.masked_softmax_ce(scores, targets, mask, average="batch", name="strip_loss")
        cache[(N, W)] = mg.Graph(loss, name=f"{model.cell} strips N={N} W={W}")
    return cache[(N, W)]
