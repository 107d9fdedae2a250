"""`minigraph demo --engine`: a tour of the engine on a tiny RNN language model.

It builds a vanilla RNN unrolled over a few timesteps on random data, runs forward and
backward, prints each parameter's gradient, shows that the gradient of the shared weight
Wh is the sum of its per-timestep contributions, and takes a few SGD steps on the same
graph (built once, run again each step).
"""

import numpy as np

from minigraph.graph import Graph
from minigraph.node import input, param, tags
from minigraph.ops import (
    embedding,
    masked_softmax_ce,
    rnn_step,
    select_step,
    stack,
    temporal_affine,
)


def build_rnn_lm(params, N, T):
    """Embedding -> RNN over T steps -> vocabulary scores -> masked softmax CE."""
    ids = input("ids", (N, T), np.int64)
    targets = input("targets", (N, T), np.int64)
    mask = input("mask", (N, T), np.bool_)
    h0 = input("h0", (N, params["Wh"].shape[0]), params["Wh"].dtype, requires_grad=False)
    p = {name: param(value, name, copy=False) for name, value in params.items()}
    x = embedding(ids, p["W_embed"], name="x")
    h, hs = h0, []
    for t in range(T):
        with tags(t=t):
            h = rnn_step(select_step(x, t, name=f"x[{t}]"), h, p["Wx"], p["Wh"], p["b"],
                         name=f"h[{t}]")
        hs.append(h)
    scores = temporal_affine(stack(hs, name="h"), p["W_vocab"], p["b_vocab"], name="scores")
    loss = masked_softmax_ce(scores, targets, mask, name="loss")
    return Graph(loss, name="rnn-lm"), p


def run(seed=0, N=4, T=5, V=7, D=6, H=8, steps=20, lr=0.5, out=print):
    rng = np.random.default_rng(seed)
    params = {
        "W_embed": rng.standard_normal((V, D)) * 0.5,
        "Wx": rng.standard_normal((D, H)) / np.sqrt(D),
        "Wh": rng.standard_normal((H, H)) / np.sqrt(H),
        "b": np.zeros(H),
        "W_vocab": rng.standard_normal((H, V)) / np.sqrt(H),
        "b_vocab": np.zeros(V),
    }
    graph, p = build_rnn_lm(params, N, T)
    out(f"built {graph}")
    sequence = rng.integers(0, V, size=(N, T + 1))
    feed = {"ids": sequence[:, :-1], "targets": sequence[:, 1:],
            "mask": np.ones((N, T), bool), "h0": np.zeros((N, H))}
    loss = float(graph.forward(feed))
    graph.backward(retain_graph=True)
    out(f"loss {loss:.4f} (summed over {T} steps, per sequence; chance is T log V = "
        f"{T * np.log(V):.4f})")
    for name, node in p.items():
        out(f"  d{name:<8} {str(node.grad.shape):<8} |grad| = {np.linalg.norm(node.grad):.4f}")
    per_step = [np.linalg.norm(graph[f"h[{t}]"].grad) for t in range(T)]
    out("  |dL/dh_t| for t = 0..T-1: " + " ".join(f"{g:.4f}" for g in per_step))
    out(f"  Wh is used at all {T} steps: its gradient is the sum of {T} contributions")
    for _ in range(steps):
        graph.zero_grad()
        loss = float(graph.forward())
        graph.backward()
        for node in p.values():
            node.value -= lr * node.grad  # in place: the graph keeps seeing the same array
    out(f"after {steps} SGD steps on one minibatch (same graph, no rebuild): loss {loss:.4f}")
    return loss
