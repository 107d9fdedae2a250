"""CaptioningRNN: the CS231n image-captioning RNN as a minigraph graph builder (just over
300 lines: the model with its sampling and checkpoint checks, one job the course names).

Same constructor, parameter names, shapes, initialisation scales and ``loss`` as the
assignment's class. The loss is, for image features f (N, D) and captions (N, T + 1):

    h0     = f W_proj + b_proj                    (no tanh, as in cs231n)
    x_t    = W_embed[captions[:, t]]              for t < T      (the input words)
    h_t    = cell(x_t, h_{t-1})                   rnn, lstm (i, f, o, g) or gru
    s_t    = h_t W_vocab + b_vocab
    loss   = sum_t  CE(s_t, captions[:, t + 1])   over steps whose target is not <NULL>, / N

One unrolled graph is built per minibatch shape (N, T) and reused for every later
minibatch of that shape.
"""

import inspect

import numpy as np

import minigraph as mg
from minigraph import checkpoint
from minigraph.errors import check_int, check_number

from ..shared import per_step, recurrence
from ..shared.checkpoint_checks import check_config_values
from ..shared.decoding import beam_search, pick_next_word
from ..shared.model import Model
from ..shared.recurrence import Recurrence

# what each config value of a checkpoint may be (models/shared/checkpoint_checks.py)
CONFIG_KINDS = {"input_dim": "size", "wordvec_dim": "size", "hidden_dim": "size",
                "cell_type": "cell", "dtype": "dtype", "fused": "flag", "seed": "seed",
                "num_cells": "size", "attention_dim": "size_or_none", "gate": "flag"}


def check_cell_and_words(cell_type, word_to_idx):
    """What every captioner needs: a known cell and the padding token in its vocabulary."""
    if cell_type not in mg.GATES:
        raise mg.UsageError(f"invalid cell_type {cell_type!r}; choose one of "
                            f"{sorted(mg.GATES)}")
    if "<NULL>" not in word_to_idx:
        raise mg.UsageError("word_to_idx must contain '<NULL>' (the padding token)")


class CaptioningRNN(Model):
    """The cs231n captioner. ``fused=True`` (the default) builds the fast graph: the word
    embedding and the cell's input projection are one EmbeddingAffine node named ``xw``
    (W_embed[captions_in] Wx + b, read from the table W_embed Wx + b) and each step is one
    fused node; ``fused=False`` builds what the formula above writes: an Embedding node
    ``x`` and every step composed from MatMul, Add, Sigmoid, Tanh and Mul. Same numbers."""

    feature_key = "features"  # reads data[f"{split}_features"] (AttentionCaptioner: "grid")

    def __init__(self, word_to_idx, input_dim=512, wordvec_dim=128, hidden_dim=128,
                 cell_type="rnn", dtype=np.float32, fused=True, seed=0):
        check_cell_and_words(cell_type, word_to_idx)
        input_dim = check_int("CaptioningRNN", "input_dim", input_dim)
        wordvec_dim = check_int("CaptioningRNN", "wordvec_dim", wordvec_dim)
        hidden_dim = check_int("CaptioningRNN", "hidden_dim", hidden_dim)
        self.cell_type, self.fused = cell_type, fused
        self.word_to_idx = dict(word_to_idx)
        self.idx_to_word = {i: w for w, i in word_to_idx.items()}
        self._null = word_to_idx["<NULL>"]
        self._start = word_to_idx.get("<START>")
        self._end = word_to_idx.get("<END>")
        self.config = {"input_dim": input_dim, "wordvec_dim": wordvec_dim,
                       "hidden_dim": hidden_dim, "cell_type": cell_type,
                       "dtype": np.dtype(dtype).name, "fused": fused, "seed": seed}
        V, D, W, H, k = len(word_to_idx), input_dim, wordvec_dim, hidden_dim, mg.GATES[cell_type]
        rng = np.random.default_rng(seed)
        # sampling draws from its own stream of the same seed: never OS entropy, and never
        # the initialisation stream
        self.sample_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
        super().__init__({  # cs231n's initialisation scales
            "W_embed": rng.standard_normal((V, W)) / 100,
            "W_proj": rng.standard_normal((D, H)) / np.sqrt(D),
            "b_proj": np.zeros(H),
            "Wx": rng.standard_normal((W, k * H)) / np.sqrt(W),
            "Wh": rng.standard_normal((H, k * H)) / np.sqrt(H),
            "b": np.zeros(k * H),
            "W_vocab": rng.standard_normal((H, V)) / np.sqrt(H),
            "b_vocab": np.zeros(V),
        }, dtype)

    # ------------------------------------------------------------------ training graph
    def graph_inputs(self, N, T):
        """The fed inputs of a graph for N captions of T + 1 tokens and the initial state
        h0 = features W_proj + b_proj: (words_in, words_out, mask, h0). The training graph
        and the drawing-mode graph (models/shared/per_step.py) both start here, so they are fed
        alike."""
        p = self.parameters()
        features = mg.input("features", (N, p["W_proj"].shape[0]), self.dtype,
                            requires_grad=False)
        words_in = mg.input("captions_in", (N, T), np.int64)
        words_out = mg.input("captions_out", (N, T), np.int64)
        mask = mg.input("mask", (N, T), np.bool_)
        h0 = mg.affine(features, p["W_proj"], p["b_proj"], name="h0")
        return words_in, words_out, mask, h0

    def recurrence(self):
        """This model as models/shared/recurrence.py describes one (one layer, no dropout): the
        three graphs (training, drawing, sampling step) are built from it."""
        p = self.parameters()
        return Recurrence(self.cell_type, self.fused, p["W_embed"], ((p["Wx"], p["Wh"], p["b"]),),
                          p["W_vocab"], p["b_vocab"])

    def _build(self, N, T, sequence=False):
        """The unrolled graph for N captions of T + 1 tokens (T timesteps); ``sequence``:
        one node for all T steps (the fast graph loss() runs), else one node per step
        (``build_graph``)."""
        p = self.parameters()
        words_in, words_out, mask, h0 = self.graph_inputs(N, T)
        states, _ = recurrence.whole_sequence(self.recurrence(), words_in,
                                              lambda layer: (h0, None), fast=sequence)
        scores = mg.temporal_affine(states, p["W_vocab"], p["b_vocab"], name="scores")
        loss = mg.masked_softmax_ce(scores, words_out, mask, name="loss")
        return mg.Graph(loss, name=f"captioning-{self.cell_type} N={N} T={T}")

    def _build_drawing(self, N, T, loss="all"):
        """The drawing graph for N captions of T + 1 tokens: the training graph's inputs,
        feeds and parameters, step by step, with an output y_t and a loss L_t per step."""
        per_step.check_loss_choice(loss)
        words_in, words_out, mask, h0 = self.graph_inputs(N, T)
        rec = self.recurrence()
        hs, _ = recurrence.per_step(rec, words_in, lambda layer: (h0, None))
        total = per_step.step_losses(hs, rec.W_out, rec.b_out, words_out, mask, loss=loss)
        return mg.Graph(total, name=f"captioning-{self.cell_type} N={N} T={T} (drawing)")

    def _check_features(self, features, captions):
        """Pooled features: one (D,) row per caption."""
        if features.ndim != 2 or features.shape[0] != captions.shape[0]:
            raise mg.ShapeError(f"features {features.shape} and captions {captions.shape} must "
                                "have the same number of rows N")

    def _graph_for(self, N, T, per_step=False):
        return self.run_graph(N, T, per_step=per_step)

    def _feed(self, features, captions, per_step=False):
        """(graph, feed): the graph loss() runs (``per_step``: build_graph's) and the feed
        for it, after checking the arrays."""
        features = np.asarray(features)
        captions = np.asarray(captions)
        if captions.ndim != 2 or captions.shape[1] < 2:
            raise mg.ShapeError(f"captions must be (N, T + 1) with T >= 1, got {captions.shape}")
        self._check_features(features, captions)
        if features.dtype.kind != "f":
            raise mg.DTypeError(f"features must be floating point, got {features.dtype}")
        graph = self._graph_for(*captions[:, 1:].shape, per_step=per_step)
        words_out = captions[:, 1:]
        feed = {"features": features.astype(self.dtype, copy=False),  # the model's own dtype
                "captions_in": captions[:, :-1], "captions_out": words_out,
                "mask": words_out != self._null}
        return graph, feed

    def loss(self, features, captions, *, retain_graph=False):
        """Returns LossAndGrads(loss, grads), the cs231n pair (``loss, grads = ...``), with
        grads keyed like ``self.params``. The loss is a numpy
        scalar of the model's dtype (so an extended-precision model keeps its precision).
        ``retain_graph`` keeps every value and gradient in the graph (for drawing)."""
        graph, feed = self._feed(features, captions, per_step=retain_graph)
        return self._forward_backward(graph, feed, retain_graph)

    def drawing_graph(self, features, captions, loss="all"):
        """The drawing mode (models/shared/per_step.py): this minibatch's graph with x_t, the cell,
        h_t, an output y_t and a loss L_t at every step (``loss='last'``: the last step
        only), run forward and backward with every value and gradient kept."""
        _, feed = self._feed(features, captions, per_step=True)
        N, T = feed["captions_out"].shape
        graph = self.cached(("drawing", N, T, loss), lambda: self._build_drawing(N, T, loss))
        self._forward_backward(graph, feed, retain_graph=True)
        return graph

    def evaluate(self, features, captions):
        """The loss alone, with nothing kept for backward."""
        graph, feed = self._feed(features, captions)
        with mg.no_grad():
            return graph.forward(feed)[()]

    # ------------------------------------------------------------------ sampling
    def _sampler(self, N):
        """One-step graphs for N rows, built once under no_grad: features -> h0, and
        (word, h, c) -> (scores, next h, next c)."""
        return self.cached(("sampler", N), lambda: self._build_sampler(N))

    def _build_sampler(self, N):
        p = self.parameters()
        H = p["Wh"].shape[0]
        with mg.no_grad():
            features = mg.input("features", (N, p["W_proj"].shape[0]), self.dtype)
            start = mg.Graph(mg.affine(features, p["W_proj"], p["b_proj"], name="h0"))
            word = mg.input("word", (N,), np.int64)
            h = mg.input("h", (N, H), self.dtype)
            c = mg.input("c", (N, H), self.dtype)
            scores, [(next_h, next_c)] = recurrence.one_step(
                self.recurrence(), word, lambda layer: (h, c), cell_name="next_h",
                embed_name="x")
            outputs = [scores, next_h] + ([next_c] if next_c is not None else [])
            step = mg.Graph(outputs)
        return start, step

    def _run_step(self, step, word, h, c):
        feed = {"word": word, "h": h}
        if self.cell_type == "lstm":
            feed["c"] = c
        with mg.no_grad():
            scores = step.forward(feed)
        outs = step.outputs
        return scores, outs[1].value, outs[2].value if len(outs) > 2 else c

    def sample(self, features, max_length=30, *, method="greedy", temperature=1.0,
               beam_size=3, length_penalty=1.0, seed=None):
        """Captions for image features (N, D): (N, max_length) int ids, starting after
        <START>, each row ending at its first <END> and padded with <NULL>.

        method: 'greedy' (argmax, the default), 'sample' (from softmax(scores /
        temperature); temperature 0 is greedy, lower is more conservative) or 'beam'
        (beam search of width ``beam_size``, scored by log-probability / length **
        length_penalty). Runs in no-grad mode. 'sample' draws from the model's own stream
        (seeded by the constructor's ``seed``) unless ``seed`` is given.
        """
        if self._start is None or self._end is None:
            raise mg.UsageError("sampling needs '<START>' and '<END>' in word_to_idx")
        features = np.asarray(features).astype(self.dtype, copy=False)
        N = features.shape[0]
        if method not in ("greedy", "sample", "beam"):
            raise mg.UsageError(f"unknown sampling method {method!r}: greedy, sample or beam")
        max_length = check_int("CaptioningRNN.sample", "max_length", max_length)
        temperature = check_number("CaptioningRNN.sample", "temperature", temperature)
        if method == "beam":
            beam_size = check_int("CaptioningRNN.sample", "beam_size", beam_size)
            return np.stack([self._beam(features[i:i + 1], max_length, beam_size,
                                        length_penalty) for i in range(N)])
        if method not in ("greedy", "sample"):
            raise mg.UsageError(f"unknown sampling method {method!r}: greedy, sample or beam")
        rng = self.sample_rng if seed is None else np.random.default_rng(seed)
        start, step = self._sampler(N)
        with mg.no_grad():
            h = start.forward({"features": features})
        c = np.zeros_like(h)
        captions = np.full((N, max_length), self._null, dtype=np.int64)
        word = np.full(N, self._start, dtype=np.int64)
        done = np.zeros(N, dtype=bool)
        for t in range(max_length):
            scores, h, c = self._run_step(step, word, h, c)
            word = pick_next_word(scores, 0.0 if method == "greedy" else temperature, rng)
            captions[~done, t] = word[~done]
            done |= word == self._end
            if done.all():
                break
        return captions

    def beam_candidates(self, features, *, beam_size=5, max_length=30, length_penalty=1.0):
        """Per image of ``features`` (N, D), the finished beam hypotheses best first: a list
        of up to ``beam_size`` (score, ids) pairs, ids ending in <END>, score the
        log-probability / length ** length_penalty. Read by recall@k and re-ranking."""
        features = np.asarray(features).astype(self.dtype, copy=False)
        beam_size = check_int("CaptioningRNN.beam_candidates", "beam_size", beam_size)
        return [self._beam(features[i:i + 1], max_length, beam_size, length_penalty,
                           top=beam_size) for i in range(features.shape[0])]

    def _beam(self, feature_row, max_length, beam_size, length_penalty, top=None):
        start, _ = self._sampler(1)
        _, step = self._sampler(beam_size)
        with mg.no_grad():
            h0 = start.forward({"features": feature_row})

        def advance(words, h, c):
            return self._run_step(step, words, h, c)

        tokens = beam_search(advance, h0, self._start, self._end, beam_size, max_length,
                             length_penalty, top=top)
        if top is not None:
            return tokens
        row = np.full(max_length, self._null, dtype=np.int64)
        row[:len(tokens)] = tokens
        return row

    # ------------------------------------------------------------------ checkpoints
    @property
    def checkpoint_vocab(self):
        return self.word_to_idx

    @classmethod
    def _from_checkpoint(cls, saved):
        return cls(saved["vocab"], **saved["config"])

    @classmethod
    def _check_checkpoint(cls, path, saved):
        checkpoint.check_config_keys(path, saved["config"],
                                     set(inspect.signature(cls).parameters) - {"word_to_idx"})
        checkpoint.check_config_sizes(path, saved["config"], saved["params"], {
            "input_dim": ("W_proj", 0), "wordvec_dim": ("W_embed", 1),
            "hidden_dim": ("Wh", 0)})
        check_config_values(path, saved["config"], CONFIG_KINDS, saved["params"])
        cls._check_vocab(path, saved)

    @staticmethod
    def _check_vocab(path, saved):
        vocab = saved["vocab"]
        ids = sorted(v for v in vocab.values() if type(v) is int) if isinstance(
            vocab, dict) else None
        if ids != list(range(saved["params"]["W_embed"].shape[0])) or len(ids) != len(vocab):
            raise checkpoint.CheckpointError(f"{path}: 'vocab' is not a word-to-id map of ids "
                                             "0 .. V-1 matching W_embed")
        missing = [t for t in ("<NULL>", "<START>", "<END>") if t not in vocab]
        if missing:
            raise checkpoint.CheckpointError(f"{path}: 'vocab' has no {missing[0]} token "
                                             "(a captioner's vocabulary needs <NULL>, "
                                             "<START> and <END>)")
