"""AttentionCaptioner: "Show, Attend and Tell" soft attention on the cs231n captioner.

The image comes in as a grid of P cells of D features (``features`` (N, P, D), e.g. the
shapes set's ``*_grid.h5``, 16 cells of 64), not as one pooled vector. Every caption step
looks back at the grid, scoring each cell against the previous hidden state with
additive (Bahdanau) attention, as in the paper:

    g      = grid + W_pos                         a learned embedding of each cell's place
    h0     = mean_p(g) W_proj + b_proj            (the paper's f_init; c0 = 0)
    u      = g U_att + b_att                      (N, P, A), computed once per image
    q_t    = h_{t-1} W_att                        (N, A)  the query of step t
    e_t    = tanh(u + q_t) v_att                  (N, P)  a score per cell
    a_t    = softmax(e_t) over the P cells        (N, P)  attention weights, summing to 1
    z_t    = beta_t * context_t                   (N, D)  the context vector, where
    context_t = sum_p a_t[p] g[p]                         the weighted average of the cells
    beta_t = sigmoid(f_beta_t), f_beta_t = h_{t-1} W_gate + b_gate
                                                          the optional gate (gate=True;
                                                          without it z_t = context_t)
    h_t    = cell([W_embed[word_t], z_t], h_{t-1})        rnn, lstm or gru
    s_t    = h_t W_vocab + b_vocab;  loss as CaptioningRNN's (masked, summed, / N)

Without ``W_pos`` the context z_t would say what is in the attended cells but not where
they are, and "left of" could not be told from "right of". The model is built from the
same ops as every model here (MatMul, Add, Tanh, Softmax, Mul, Sum, the fused or composed
cell), so it draws, traces and gradient-checks like the others. It has CaptioningRNN's
``loss`` / ``evaluate`` / ``sample`` / ``save`` / ``load`` contract; ``sample`` can also
return the attention weights behind every generated word (attention_sampling.py).
"""

import inspect

import numpy as np

import minigraph as mg
from minigraph import checkpoint
from minigraph.errors import check_int

from ..shared import per_step
from ..shared.checkpoint_checks import check_config_values
from ..shared.model import Model
from .attention_sampling import AttentionSampling
from .rnn_captioner import CONFIG_KINDS, CaptioningRNN, check_cell_and_words


class AttentionCaptioner(AttentionSampling, CaptioningRNN):
    """Soft attention over a grid of image features; see the module docstring.

    input_dim: D, the features per grid cell; num_cells: P, the cells per image;
    attention_dim: A, the width of the additive scoring layer (default hidden_dim);
    gate: multiply the context by the learned scalar gate beta_t (the paper's "doubly
    stochastic" model gates it too). Other arguments as CaptioningRNN."""

    feature_key = "grid"  # data[f"{split}_grid"] is what this model reads

    def __init__(self, word_to_idx, input_dim=64, num_cells=16, wordvec_dim=128,
                 hidden_dim=128, attention_dim=None, cell_type="rnn", gate=True,
                 dtype=np.float32, fused=True, seed=0):
        check_cell_and_words(cell_type, word_to_idx)
        D = check_int("AttentionCaptioner", "input_dim", input_dim)
        P = check_int("AttentionCaptioner", "num_cells", num_cells)
        W = check_int("AttentionCaptioner", "wordvec_dim", wordvec_dim)
        H = check_int("AttentionCaptioner", "hidden_dim", hidden_dim)
        A = check_int("AttentionCaptioner", "attention_dim",
                      hidden_dim if attention_dim is None else attention_dim)
        self.cell_type, self.fused, self.gate = cell_type, fused, bool(gate)
        self.word_to_idx = dict(word_to_idx)
        self.idx_to_word = {i: w for w, i in word_to_idx.items()}
        self._null = word_to_idx["<NULL>"]
        self._start = word_to_idx.get("<START>")
        self._end = word_to_idx.get("<END>")
        self.config = {"input_dim": D, "num_cells": P, "wordvec_dim": W, "hidden_dim": H,
                       "attention_dim": A, "cell_type": cell_type, "gate": self.gate,
                       "dtype": np.dtype(dtype).name, "fused": fused, "seed": seed}
        V, k = len(word_to_idx), mg.GATES[cell_type]
        rng = np.random.default_rng(seed)
        self.sample_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
        params = {
            "W_pos": rng.standard_normal((P, D)) * 0.1,
            "W_proj": rng.standard_normal((D, H)) / np.sqrt(D),
            "b_proj": np.zeros(H),
            "U_att": rng.standard_normal((D, A)) / np.sqrt(D),
            "b_att": np.zeros(A),
            "W_att": rng.standard_normal((H, A)) / np.sqrt(H),
            "v_att": rng.standard_normal(A) / np.sqrt(A),
            "W_embed": rng.standard_normal((V, W)) / 100,
            "Wx": rng.standard_normal((W + D, k * H)) / np.sqrt(W + D),
            "Wh": rng.standard_normal((H, k * H)) / np.sqrt(H),
            "b": np.zeros(k * H),
            "W_vocab": rng.standard_normal((H, V)) / np.sqrt(H),
            "b_vocab": np.zeros(V),
        }
        if self.gate:  # bias 1: the gate starts mostly open (sigmoid(1) = 0.73)
            params.update(W_gate=rng.standard_normal((H, 1)) / np.sqrt(H), b_gate=np.ones(1))
        Model.__init__(self, params, dtype)

    @property
    def grid_shape(self):
        """(P, D): the grid this model reads for each image."""
        return self.config["num_cells"], self.config["input_dim"]

    # ------------------------------------------------------------------ the attention step
    def encode_grid(self, grid):
        """grid (N, P, D) node -> (g, u, h0): the grid with its place embedding, its
        projection for scoring (computed once per image, not per step) and h0."""
        p = self.parameters()
        g = mg.add(grid, p["W_pos"], name="g")
        u = mg.temporal_affine(g, p["U_att"], p["b_att"], name="U g")
        h0 = mg.affine(mg.mean(g, axis=1, name="mean g"), p["W_proj"], p["b_proj"], name="h0")
        return g, u, h0

    def attend(self, g, u, h, t):
        """One attention step from the state h (N, H) before step t: (z_t, a_t)."""
        p = self.parameters()
        N, P, A = u.shape
        with mg.tags(t=t):  # names as the formulas above write them
            q = mg.matmul(h, p["W_att"], name=f"q[{t}]")  # the query: h_{t-1} W_att
            q = mg.reshape(q, (N, 1, A), name=f"q[{t}] as (N, 1, A)")
            hidden = mg.tanh(mg.add(u, q, name=f"u + q[{t}]"), name=f"tanh[{t}]")
            e = mg.sum(mg.mul(hidden, p["v_att"], name=f"v tanh[{t}]"), axis=2, name=f"e[{t}]")
            a = mg.softmax(e, axis=1, name=f"a[{t}]")
            weighted = mg.mul(mg.reshape(a, (N, P, 1), name=f"a[{t}] as (N, P, 1)"), g,
                              name=f"a g[{t}]")
            z = mg.sum(weighted, axis=1, name=f"z[{t}]" if not self.gate else f"context[{t}]")
            if self.gate:
                pre = mg.affine(h, p["W_gate"], p["b_gate"], name=f"f_beta[{t}]")
                beta = mg.sigmoid(pre, name=f"beta[{t}]")
                z = mg.mul(beta, z, name=f"z[{t}]")
        return z, a

    def attention_step(self, g, u, x_t, h, c, t, name=None):
        """The model's step, written once (the training and drawing graphs unroll it, the
        sampler runs it): attend from h_{t-1}, then the cell on [x_t, z_t]. Returns (h_t,
        c_t, a_t)."""
        p = self.parameters()
        z, a = self.attend(g, u, h, t)
        with mg.tags(t=t):
            inp = mg.concat([x_t, z], name=f"input[{t}]")
            h, c = mg.cell_step(self.cell_type, inp, h, c, p["Wx"], p["Wh"], p["b"],
                                fused=self.fused, name=name)
        return h, c, a

    def unroll_attention(self, grid, x_steps):
        """The unrolled captioner over per-step word vectors x_steps (T nodes (N, W)):
        returns (hs, alphas), the T states h_t and T attention weights a_t."""
        g, u, h = self.encode_grid(grid)
        c = (mg.constant(np.zeros(h.shape, h.dtype), name="c0")
             if self.cell_type == "lstm" else None)
        hs, alphas = [], []
        for t, x_t in enumerate(x_steps):
            h, c, a = self.attention_step(g, u, x_t, h, c, t, name=f"h[{t}]")
            if c is not None:
                c.tags["belt"] = True
            hs.append(h)
            alphas.append(a)
        return hs, alphas

    # ------------------------------------------------------------------ graphs
    def graph_inputs(self, N, T):
        """The fed inputs: (grid, words_in, words_out, mask)."""
        P, D = self.grid_shape
        grid = mg.input("features", (N, P, D), self.dtype, requires_grad=False)
        words_in = mg.input("captions_in", (N, T), np.int64)
        words_out = mg.input("captions_out", (N, T), np.int64)
        mask = mg.input("mask", (N, T), np.bool_)
        return grid, words_in, words_out, mask

    def _build(self, N, T, sequence=False):
        p = self.parameters()
        grid, words_in, words_out, mask = self.graph_inputs(N, T)
        x = mg.embedding(words_in, p["W_embed"], name="x")
        hs, _ = self.unroll_attention(grid, per_step.select_steps(x))
        scores = mg.temporal_affine(mg.stack(hs, name="h"), p["W_vocab"], p["b_vocab"],
                                    name="scores")
        loss = mg.masked_softmax_ce(scores, words_out, mask, name="loss")
        return mg.Graph(loss, name=f"attention-{self.cell_type} N={N} T={T}")

    def _build_drawing(self, N, T, loss="all"):
        """Drawing mode (CaptioningRNN.drawing_graph runs it): the same steps, x_t, e_t, a_t,
        z_t, h_t, with an output y_t and a loss L_t at every step."""
        per_step.check_loss_choice(loss)
        p = self.parameters()
        grid, words_in, words_out, mask = self.graph_inputs(N, T)
        x = mg.embedding(words_in, p["W_embed"], name="x")
        hs, _ = self.unroll_attention(grid, per_step.select_steps(x))
        total = per_step.step_losses(hs, p["W_vocab"], p["b_vocab"], words_out, mask, loss=loss)
        return mg.Graph(total, name=f"attention-{self.cell_type} N={N} T={T} (drawing)")

    def _check_features(self, features, captions):
        """The grid: one (P, D) array per caption (CaptioningRNN._feed does the rest)."""
        P, D = self.grid_shape
        if features.ndim != 3 or features.shape[1:] != (P, D):
            raise mg.ShapeError(f"AttentionCaptioner: features must be the grid (N, P={P}, "
                                f"D={D}), got {features.shape}; load the data with "
                                "grid=True and pass data['<split>_grid']")
        if features.shape[0] != captions.shape[0]:
            raise mg.ShapeError(f"features {features.shape} and captions {captions.shape} must "
                                "have the same number of rows N")

    def _graph_for(self, N, T, per_step=False):
        return self.build_graph(N, T)  # no whole-sequence graph: each step reads the grid

    def attention_weights(self, features, captions):
        """The weights a_t of every step with the captions fed in (teacher forcing):
        (N, T, P), each row a distribution over the cells. No gradients kept."""
        _, feed = self._feed(features, captions)
        N, T = feed["captions_out"].shape

        def build():
            p = self.parameters()
            with mg.no_grad():
                grid, words_in, _, _ = self.graph_inputs(N, T)
                x = mg.embedding(words_in, p["W_embed"], name="x")
                _, alphas = self.unroll_attention(grid, per_step.select_steps(x))
                return mg.Graph(mg.stack(alphas, name="a"))
        graph = self.cached(("attention", N, T), build)
        names = {node.name for node in graph.nodes}  # with T = 1, a_0 reads no word
        with mg.no_grad():
            return graph.forward({key: feed[key] for key in ("features", "captions_in")
                                  if key in names}).copy()

    # ------------------------------------------------------------------ checkpoints
    @classmethod
    def _check_checkpoint(cls, path, saved):
        checkpoint.check_config_keys(path, saved["config"],
                                     set(inspect.signature(cls).parameters) - {"word_to_idx"})
        checkpoint.check_config_sizes(path, saved["config"], saved["params"], {
            "input_dim": ("W_pos", 1), "num_cells": ("W_pos", 0),
            "wordvec_dim": ("W_embed", 1), "hidden_dim": ("Wh", 0),
            "attention_dim": ("U_att", 1)})
        check_config_values(path, saved["config"], CONFIG_KINDS, saved["params"])
        CaptioningRNN._check_vocab(path, saved)
