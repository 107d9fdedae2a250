"""Captions from an AttentionCaptioner (attention_captioner.py), with the weights
it gave the grid cells for every word it wrote.

Two small graphs, built once per batch size under no_grad: ``start`` takes the grid to
(h0, g, u), where g is the grid with its place embedding and u = g U_att + b_att its
projection for scoring (once per image); ``step`` takes (word, h, c, g, u) to (scores,
next h, a, next c), a being the attention weights (N, P) that produced the next word.
"""

import numpy as np

import minigraph as mg
from minigraph.errors import UsageError, check_int, check_number

from ..shared.decoding import beam_search, pick_next_word


class AttentionSampling:
    """``sample`` for the attention captioner (a mixin: needs encode_grid and
    attention_step)."""

    def _build_sampler(self, N):
        p = self.parameters()
        H = p["Wh"].shape[0]
        P, D = self.grid_shape
        A = p["U_att"].shape[1]
        with mg.no_grad():
            grid = mg.input("features", (N, P, D), self.dtype)
            g, u, h0 = self.encode_grid(grid)
            start = mg.Graph([h0, g, u])
            word = mg.input("word", (N,), np.int64)
            h = mg.input("h", (N, H), self.dtype)
            c = mg.input("c", (N, H), self.dtype)
            g_in = mg.input("g", (N, P, D), self.dtype)
            u_in = mg.input("u", (N, P, A), self.dtype)
            x = mg.embedding(word, p["W_embed"], name="x")
            next_h, next_c, a = self.attention_step(g_in, u_in, x, h, c, 0, name="next_h")
            scores = mg.affine(next_h, p["W_vocab"], p["b_vocab"], name="scores")
            step = mg.Graph([scores, next_h, a] + ([next_c] if next_c is not None else []))
        return start, step

    def _encode(self, features):
        start, _ = self._sampler(features.shape[0])
        with mg.no_grad():
            start.forward({"features": features})
        return [node.value.copy() for node in start.outputs]  # h0, g, u

    def _run_attention_step(self, step, word, h, c, g, u):
        feed = {"word": word, "h": h, "g": g, "u": u}
        if self.cell_type == "lstm":
            feed["c"] = c
        with mg.no_grad():
            scores = step.forward(feed)
        outs = step.outputs
        next_c = outs[3].value.copy() if len(outs) > 3 else c
        return scores.copy(), outs[1].value.copy(), next_c, outs[2].value.copy()

    def sample(self, features, max_length=30, *, method="greedy", temperature=1.0,
               beam_size=3, length_penalty=1.0, seed=None, return_attention=False):
        """Captions for grid features (N, P, D): (N, max_length) int ids, as
        CaptioningRNN.sample (methods 'greedy', 'sample', 'beam', the same arguments).

        ``return_attention=True`` returns (captions, attention): attention (N, max_length,
        P) holds at [i, t] the weights over the P cells with which word captions[i, t] was
        generated (for beam search, those of the hypothesis that won); rows after a
        caption's <END> are zeros."""
        if self._start is None or self._end is None:
            raise UsageError("sampling needs '<START>' and '<END>' in word_to_idx")
        features = np.asarray(features)
        P, D = self.grid_shape
        if features.ndim != 3 or features.shape[1:] != (P, D):
            raise mg.ShapeError(f"AttentionCaptioner.sample: features must be the grid "
                                f"(N, P={P}, D={D}), got {features.shape}")
        features = features.astype(self.dtype, copy=False)
        if method not in ("greedy", "sample", "beam"):
            raise UsageError(f"unknown sampling method {method!r}: greedy, sample or beam")
        max_length = check_int("AttentionCaptioner.sample", "max_length", max_length)
        temperature = check_number("AttentionCaptioner.sample", "temperature", temperature)
        N = features.shape[0]
        captions = np.full((N, max_length), self._null, dtype=np.int64)
        attention = np.zeros((N, max_length, P), dtype=self.dtype)
        if method == "beam":
            beam_size = check_int("AttentionCaptioner.sample", "beam_size", beam_size)
            for i in range(N):
                ids, weights = self._beam(features[i:i + 1], max_length, beam_size,
                                          length_penalty)
                captions[i, :len(ids)] = ids
                if weights:
                    attention[i, :len(weights)] = np.stack(weights)
        else:
            rng = self.sample_rng if seed is None else np.random.default_rng(seed)
            self._greedy_or_sampled(features, captions, attention,
                                    0.0 if method == "greedy" else temperature, rng)
        return (captions, attention) if return_attention else captions

    def _greedy_or_sampled(self, features, captions, attention, temperature, rng):
        N, max_length = captions.shape
        _, step = self._sampler(N)
        h, g, u = self._encode(features)
        c = np.zeros_like(h)
        word = np.full(N, self._start, dtype=np.int64)
        done = np.zeros(N, dtype=bool)
        for t in range(max_length):
            scores, h, c, a = self._run_attention_step(step, word, h, c, g, u)
            word = pick_next_word(scores, temperature, rng)
            captions[~done, t] = word[~done]
            attention[~done, t] = a[~done]
            done |= word == self._end
            if done.all():
                break

    def _beam(self, feature_row, max_length, beam_size, length_penalty, top=None):
        _, step = self._sampler(beam_size)
        h0, g, u = self._encode(feature_row)
        g, u = np.repeat(g, beam_size, axis=0), np.repeat(u, beam_size, axis=0)

        def advance(words, h, c):  # one image: every row shares its grid
            return self._run_attention_step(step, words, h, c, g, u)

        return beam_search(advance, h0, self._start, self._end, beam_size, max_length,
                           length_penalty, with_notes=top is None, top=top)
