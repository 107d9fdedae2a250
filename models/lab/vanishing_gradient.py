"""`minigraph bptt`: how far back the gradient reaches in RNN, LSTM and GRU, over seeds.

The recall task has one long dependency: the first input of a sequence of T steps is one
of K symbols, the other T - 1 inputs are distractors, and only after the last step must
the network name the first symbol. The loss sits at the end, so dL/dh_t for earlier t is
exactly what backpropagation through time carries back; chance is ln K.

Every cell is trained on the same batches for each seed, and every seed gives one row of
numbers: final loss, chance loss and the gradient reach |dL/dh_0| / |dL/dh_{T-1}|, at
initialisation and after training.
"""

import multiprocessing
import os
import time

import numpy as np

from minigraph import optim
from minigraph.cells import GATES, unroll
from minigraph.graph import Graph
from minigraph.node import input, param
from minigraph.ops import affine, masked_softmax_ce, reshape

#: the compared models: (label, cell, bias of the gate that keeps the old state)
CELLS = (("rnn", "rnn", None), ("lstm", "lstm", 1.0), ("lstm f-bias 0", "lstm", 0.0),
         ("gru", "gru", 1.0))

#: the task and budget of `minigraph bptt` (see docs/tutorials/02-bptt.md for why)
DEFAULTS = {"T": 40, "steps": 400, "N": 64, "K": 4, "H": 32, "lr": 1e-2, "clip": 5.0,
            "eval_every": 20}


def make_batch(rng, N, T, K, long_only=False):
    """x (N, T, K + 1): at every step a random one of K symbols (one-hot in the first K
    dimensions), and at one step t0 also a marker (the last dimension) that says "remember
    this one"; y (N,): the symbol given with the marker, to be named after the last step.
    The other symbols are distractors from the same alphabet, so a network cannot just
    ignore some input dimensions: it must keep what came with the marker and not let the
    later symbols overwrite it. The delay T - t0 is uniform in 1 .. T for training (short
    delays teach the mechanism, long ones test it); ``long_only`` puts every marker at
    t0 = 0: the long recall task the figure measures."""
    symbols = rng.integers(0, K, (N, T))
    x = np.zeros((N, T, K + 1), np.float64)
    x[np.arange(N)[:, None], np.arange(T)[None, :], symbols] = 1.0
    t0 = np.zeros(N, np.int64) if long_only else T - rng.integers(1, T + 1, N)
    x[np.arange(N), t0, K] = 1.0
    return x, symbols[np.arange(N), t0]


def initial_weights(cell, keep_bias, D, H, K, rng):
    """cs231n-style weights: Wx (D, kH) and Wh (H, kH) with unit-variance rows scaled by
    1 / sqrt(fan-in), biases 0, except the bias of the gate that keeps the old state:
    the LSTM's forget gate f and the GRU's update gate z (next_h = (1 - z) n + z h)."""
    k = GATES[cell]
    b = np.zeros(k * H)
    if cell in ("lstm", "gru") and keep_bias:
        b[H:2 * H] = keep_bias  # f is the second LSTM block, z the second GRU block
    return {"Wx": rng.standard_normal((D, k * H)) / np.sqrt(D),
            "Wh": rng.standard_normal((H, k * H)) / np.sqrt(H), "b": b,
            "W_out": rng.standard_normal((H, K)) / np.sqrt(H), "b_out": np.zeros(K)}


class RecallModel:
    """A cell of the given type over T steps, then an affine read-out of the last h."""

    def __init__(self, cell, T, N=32, K=4, H=32, keep_bias=None, seed=0):
        self.cell, self.T, self.N, self.K = cell, T, N, K
        D = K + 1
        self.params = initial_weights(cell, keep_bias, D, H, K, np.random.default_rng(seed))
        p = {name: param(value, name, copy=False) for name, value in self.params.items()}
        x = input("x", (N, T, D), np.float64, requires_grad=False)
        h0 = input("h0", (N, H), np.float64, requires_grad=False)
        self.hs, h_last, _ = unroll(cell, x, h0, p["Wx"], p["Wh"], p["b"])
        scores = reshape(affine(h_last, p["W_out"], p["b_out"]), (N, 1, K))
        targets = input("y", (N, 1), np.int64)
        mask = input("mask", (N, 1), np.bool_)
        loss = masked_softmax_ce(scores, targets, mask, average="token", name="loss")
        self.graph = Graph(loss, name=f"recall-{cell} T={T}")
        self.graph.feed({"h0": np.zeros((N, H)), "mask": np.ones((N, 1), bool)})
        self.nodes = p

    def run(self, x, y):
        """Forward and backward on one batch; returns (loss, |dL/dh_0| / |dL/dh_{T-1}|)."""
        loss = self.graph.forward({"x": x, "y": y[:, None]})
        for node in self.nodes.values():
            node.grad = None
        self.graph.backward(retain_graph=True)  # keep dL/dh_t to measure the reach
        return float(loss), reach(self.hs)

    def hidden_grad_norms(self, x, y):
        """|dL/dh_t| for t = 0 .. T-1 on one batch, divided by sqrt(N)."""
        self.run(x, y)
        return np.array([np.linalg.norm(h.grad) / np.sqrt(self.N) for h in self.hs])

    def train_step(self, x, y, configs, clip):
        loss, ratio = self.run(x, y)
        grads = {name: node.grad for name, node in self.nodes.items()}
        optim.clip_by_global_norm(grads, clip)
        for name, w in self.params.items():
            optim.adam(w, grads[name], configs[name])
        return loss, ratio


def reach(hs):
    """|dL/dh_0| / |dL/dh_{T-1}|: what fraction of the gradient survives the trip back."""
    last = np.linalg.norm(hs[-1].grad)
    return float(np.linalg.norm(hs[0].grad) / last) if last > 0 else 0.0


def run_one(label, seed, settings):
    """Train one model on one seed. Returns a dict of the measured numbers and curves."""
    s = {**DEFAULTS, **settings}
    started = time.process_time()
    cell, keep_bias = {c[0]: (c[1], c[2]) for c in CELLS}[label]
    model = RecallModel(cell, s["T"], s["N"], s["K"], s["H"], keep_bias, seed)
    data = np.random.default_rng(seed + 1000)  # the same batches for every cell
    probe = make_batch(np.random.default_rng(seed + 2000), s["N"], s["T"], s["K"], True)
    init = model.hidden_grad_norms(*probe)
    configs = {name: {"learning_rate": s["lr"]} for name in model.params}
    losses, long_losses, reaches, checked = [], [], [], []
    for step in range(s["steps"]):
        if step % s["eval_every"] == 0:
            loss, ratio = model.run(*probe)  # the long recall task, no update
            long_losses.append(loss)
            reaches.append(ratio)
            checked.append(step)
        x, y = make_batch(data, s["N"], s["T"], s["K"])
        losses.append(model.train_step(x, y, configs, s["clip"])[0])
    final, _ = model.run(*probe)
    trained = model.hidden_grad_norms(*probe)
    return {"cell": label, "seed": seed, "final_loss": final,
            "chance_loss": float(np.log(s["K"])), "reach_init": float(init[0] / init[-1]),
            "reach_trained": float(trained[0] / trained[-1]),
            "losses": losses, "long_losses": long_losses + [final],
            "reaches": reaches + [float(trained[0] / trained[-1])],
            "checked": checked + [s["steps"]], "norms_init": init.tolist(),
            "norms_trained": trained.tolist(), "cpu_seconds": time.process_time() - started}


def _run_job(job):
    return run_one(*job)


def experiment(seeds=(0, 1, 2, 3, 4), settings=None, cells=None, jobs=1, progress=False):
    """Run every cell on every seed: a list of ``run_one`` dicts, cell-major. ``jobs`` > 1
    trains in that many worker processes, each with one BLAS thread (these matrices are
    small: threads only fight over the cores). ``progress``: a bar counting finished runs
    (each takes seconds to a minute, so a run of many seeds is never silent)."""
    from tqdm.auto import tqdm

    cells = cells or [c[0] for c in CELLS]
    work = [(label, seed, settings or {}) for label in cells for seed in seeds]

    def counted(results):
        return list(tqdm(results, total=len(work), desc="bptt runs (cell x seed)",
                         unit="run", disable=not progress))

    if jobs <= 1:
        return counted(_run_job(job) for job in work)
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update({name: "1" for name in names})  # read by the workers' numpy
    try:
        with multiprocessing.get_context("spawn").Pool(jobs) as pool:
            return counted(pool.imap(_run_job, work, chunksize=1))  # in order, as map
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
