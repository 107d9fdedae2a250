"""CharRNN: Karpathy's char-rnn as a minigraph graph builder: its parameters, its carried
state and its checkpoint checks; its graphs come from models/shared/recurrence.py and its
text generation from charrnn/sampling.py.

For a minibatch of ids x (N, T) and next-character targets y (N, T):

    e_t         = W_embed[x_t]                                   (a learned one-hot)
    h^1_t       = cell_1(e_t,         h^1_{t-1})
    h^l_t       = cell_l(drop(h^{l-1}_t), h^l_{t-1})             l = 2 .. L
    s_t         = drop(h^L_t) W_out + b_out
    loss        = mean over n, t of CE(s_t, y_t)                  (nats per character)

``loss`` and ``evaluate`` are pure: each layer starts from the state the caller passes
(zeros when None, as in ``torch.nn.LSTM``) and the final state is returned; the caller
carries it to the next window of the same tracks (``CharTrainer`` does). The state enters
the graph as an input, so gradients stop at the window boundary: truncated BPTT. One graph
is built per (N, T).

With ``fused=True`` (the default) layer 0's embedding and input projection are one
EmbeddingAffine node ``h0.xw`` (a lookup in the V-row table W_embed Wx0 + b0) and each
step one fused node; ``fused=False`` builds the Embedding node ``embed`` and every step
composed from primitive ops. Same numbers.

Initialisation (from the ``seed``): W_embed ~ N(0, 1), so that layer 0's pre-activations
e_t Wx0 start with unit variance as every other layer's do; Wx, Wh and W_out ~
N(0, 1/fan_in); every bias 0, the LSTM's forget-gate bias included unless ``forget_bias``
says otherwise. Both choices were measured on the Shakespeare recipe (1,000 steps,
validation on 50 windows, ``python -m benchmarks.char_step_gap``): the common advice of a
forget-gate bias of 1 ("remember by default") and an embedding of N(0, 0.1^2) reached
1.7055 nats/char, a forget-gate bias of 0 1.5805, both changes 1.5381.
"""

import inspect

import numpy as np

import minigraph as mg
from minigraph import checkpoint
from minigraph.errors import check_int, check_number

from ..shared import per_step, recurrence
from ..shared.checkpoint_checks import check_config_values, check_vocab_strings
from ..shared.model import Evaluation, LossResult, Model
from ..shared.recurrence import Recurrence
from .sampling import sample_text

# what each config value of a checkpoint may be (models/shared/checkpoint_checks.py)
CONFIG_KINDS = {"vocab_size": "size", "hidden_size": "size", "num_layers": "size",
                "embed_size": "size", "cell": "cell", "dropout": "fraction", "dtype": "dtype",
                "seed": "seed", "fused": "flag", "forget_bias": "number"}


def _rng_streams(seed):
    """Independent Generators for initialisation, batching, dropout and sampling, all from
    one seed: evaluation and sampling never move the training streams."""
    init, batching, dropout, sampling = np.random.SeedSequence(seed).spawn(4)
    return (np.random.default_rng(init), np.random.default_rng(batching),
            np.random.default_rng(dropout), np.random.default_rng(sampling))


class CharRNN(Model):
    def __init__(self, vocab_size, hidden_size=256, num_layers=2, cell="lstm", dropout=0.0,
                 dtype=np.float32, seed=0, embed_size=None, fused=True, chars=None,
                 forget_bias=0.0):
        if cell not in mg.GATES:
            raise mg.UsageError(f"invalid cell {cell!r}; choose one of {sorted(mg.GATES)}")
        vocab_size = check_int("CharRNN", "vocab_size", vocab_size)
        hidden_size = check_int("CharRNN", "hidden_size", hidden_size)
        num_layers = check_int("CharRNN", "num_layers", num_layers)
        dropout = check_number("CharRNN", "dropout", dropout, below=1.0)
        forget_bias = check_number("CharRNN", "forget_bias", forget_bias)
        if embed_size is not None:
            embed_size = check_int("CharRNN", "embed_size", embed_size)
        if chars is not None and len(chars) != vocab_size:
            raise mg.UsageError(f"{len(chars)} characters given for vocab_size {vocab_size}")
        self.cell, self.num_layers, self.dropout, self.fused = cell, num_layers, dropout, fused
        self.chars = list(chars) if chars is not None else None
        embed_size = embed_size or hidden_size
        self.config = {"vocab_size": vocab_size, "hidden_size": hidden_size,
                       "num_layers": num_layers, "cell": cell, "dropout": dropout,
                       "dtype": np.dtype(dtype).name, "seed": seed, "embed_size": embed_size,
                       "fused": fused, "forget_bias": forget_bias}
        init, self.batch_rng, self.dropout_rng, self.sample_rng = _rng_streams(seed)
        k, H = mg.GATES[cell], hidden_size
        params = {"W_embed": init.standard_normal((vocab_size, embed_size))}
        for layer in range(num_layers):
            D = embed_size if layer == 0 else H
            params[f"Wx{layer}"] = init.standard_normal((D, k * H)) / np.sqrt(D)
            params[f"Wh{layer}"] = init.standard_normal((H, k * H)) / np.sqrt(H)
            b = np.zeros(k * H)
            if cell == "lstm":  # gates i, f, o, g: the second block is the forget gate's
                b[H:2 * H] = forget_bias  # 0 by default: see the module docstring
            params[f"b{layer}"] = b
        params["W_out"] = init.standard_normal((H, vocab_size)) / np.sqrt(H)
        params["b_out"] = np.zeros(vocab_size)
        super().__init__(params, dtype)

    @property
    def hidden_size(self):
        return self.config["hidden_size"]

    def zero_state(self, N):
        """Per-layer (h, c) of zeros for N rows (c None except for lstm)."""
        zeros = np.zeros((N, self.hidden_size), self.dtype)
        return [(zeros, zeros if self.cell == "lstm" else None) for _ in range(self.num_layers)]

    # ------------------------------------------------------------------ the graphs
    def recurrence(self):
        """This model as models/shared/recurrence.py describes one: the three graphs (training,
        drawing, sampling step) are built from it."""
        p = self.parameters()
        layers = tuple((p[f"Wx{layer}"], p[f"Wh{layer}"], p[f"b{layer}"])
                       for layer in range(self.num_layers))
        return Recurrence(self.cell, self.fused, p["W_embed"], layers, p["W_out"], p["b_out"],
                          dropout=self.dropout, dropout_rng=self.dropout_rng,
                          embed_name="embed", first_xw_name="h0.xw",
                          layer_names=tuple(f"h{layer}" for layer in range(self.num_layers)),
                          tag_layers=True)

    def _carried_inputs(self, N):
        """initial(layer) for the builders: the carried (h, c) fed as inputs h_in[l], c_in[l]
        (no gradient: truncated BPTT stops at the window)."""
        H = self.hidden_size

        def initial(layer):
            h0 = mg.input(f"h_in[{layer}]", (N, H), self.dtype, requires_grad=False,
                          role="carried")
            c0 = (mg.input(f"c_in[{layer}]", (N, H), self.dtype, requires_grad=False,
                           role="carried") if self.cell == "lstm" else None)
            return h0, c0
        return initial

    def _build(self, N, T, sequence=False):
        """The training graph; ``sequence``: one node per layer for all T steps (the fast
        graph loss() runs), else one node per step (``build_graph``)."""
        ids = mg.input("x", (N, T), np.int64)
        targets = mg.input("y", (N, T), np.int64)
        mask = mg.constant(np.ones((N, T), bool), name="mask")
        states, finals = recurrence.whole_sequence(self.recurrence(), ids,
                                                   self._carried_inputs(N), fast=sequence)
        p = self.parameters()
        scores = mg.temporal_affine(states, p["W_out"], p["b_out"], name="scores")
        loss = mg.masked_softmax_ce(scores, targets, mask, average="token", name="loss")
        return mg.Graph([loss, *_flat(finals)],
                        name=f"char-{self.cell} L={self.num_layers} N={N} T={T}")

    def _build_drawing(self, N, T, loss="all"):
        """The drawing graph for (N, T) minibatches: the training graph's inputs, feeds,
        parameters and outputs, step by step, with an output y_t and a loss L_t per step.
        With dropout, each step draws its own masks (so only dropout 0 or eval mode gives
        the training graph's numbers)."""
        per_step.check_loss_choice(loss)
        ids = mg.input("x", (N, T), np.int64)
        targets = mg.input("targets", (N, T), np.int64)  # fed as "y" (drawing_graph)
        mask = mg.constant(np.ones((N, 1), bool), name="mask")  # every position counts
        rec = self.recurrence()
        hs, finals = recurrence.per_step(rec, ids, self._carried_inputs(N))
        total = per_step.step_losses(hs, rec.W_out, rec.b_out, targets, mask,
                                     average="token", loss=loss)
        return mg.Graph([total, *_flat(finals)], name=f"char-{self.cell} L={self.num_layers} "
                        f"N={N} T={T} (drawing)")

    def _feed(self, x, y, state, per_step=False):
        x, y = np.asarray(x), np.asarray(y)
        if x.ndim != 2 or x.shape != y.shape:
            raise mg.ShapeError(f"x {x.shape} and y {y.shape} must both be (N, T)")
        graph = self.run_graph(*x.shape, per_step=per_step)
        state = self.zero_state(x.shape[0]) if state is None else state
        self._check_state(state, x.shape[0])
        return graph, {"x": x, "y": y, **self._state_feed(state, "h_in[{}]", "c_in[{}]")}

    def _state_feed(self, state, h_name, c_name):
        """The per-layer (h, c) as a feed under the graph's input names."""
        feed = {}
        for layer, (h, c) in enumerate(state):
            feed[h_name.format(layer)] = h
            if self.cell == "lstm":
                feed[c_name.format(layer)] = c
        return feed

    def _state_out(self, graph, copy=True):
        """The per-layer (h, c) a graph's outputs after the first hold."""
        values = [o.value.copy() if copy else o.value for o in graph.outputs[1:]]
        if self.cell == "lstm":
            return [(values[2 * i], values[2 * i + 1]) for i in range(self.num_layers)]
        return [(v, None) for v in values]

    def _check_state(self, state, N):
        want = (N, self.hidden_size)
        if len(state) != self.num_layers:
            raise mg.ShapeError(f"state has {len(state)} layers; this CharRNN has "
                                f"{self.num_layers} (pass None to start from zeros)")
        for layer, (h, c) in enumerate(state):
            for what, value in (("h", h), ("c", c)) if self.cell == "lstm" else (("h", h),):
                if value is None or np.shape(value) != want:
                    raise mg.ShapeError(f"state[{layer}] {what} is "
                                        f"{None if value is None else np.shape(value)}; a "
                                        f"minibatch of {N} rows needs {want} (pass None to "
                                        "start from zeros)")

    def loss(self, x, y, state=None, *, retain_graph=False):
        """LossResult(loss in nats per character, grads keyed like params, final per-layer
        state): unpacks as ``loss, grads, state = model.loss(x, y)``.

        Pure: the same arguments give the same result (with dropout, the mask is the next
        draw of the model's dropout stream). ``state`` is the per-layer (h, c)
        to start from, None for zeros; pass the returned final state with the next window
        of the same tracks to carry it (truncated BPTT). ``retain_graph`` keeps every value
        and gradient in the graph (for drawing)."""
        graph, feed = self._feed(x, y, state, per_step=retain_graph)
        graph.train()
        loss, grads = self._forward_backward(graph, feed, retain_graph)
        return LossResult(loss, grads, self._state_out(graph))

    def drawing_graph(self, x, y, state=None, loss="all"):
        """The drawing mode (models/shared/per_step.py): this minibatch's graph with x_t, the cells,
        h_t, an output y_t and a loss L_t at every step (``loss='last'``: the last step
        only), run forward and backward with every value and gradient kept."""
        _, feed = self._feed(x, y, state, per_step=True)
        feed["targets"] = feed.pop("y")  # y_t names the outputs in a drawing
        N, T = feed["x"].shape
        graph = self.cached(("drawing", N, T, loss), lambda: self._build_drawing(N, T, loss))
        graph.train()
        self._forward_backward(graph, feed, retain_graph=True)
        return graph

    def evaluate(self, x, y, state=None):
        """Evaluation(loss, final state) in eval mode (no dropout), with nothing kept for
        backward; ``state`` as in ``loss``."""
        graph, feed = self._feed(x, y, state)
        graph.eval()
        with mg.no_grad():
            loss = graph.forward(feed)[()]
        graph.train()
        return Evaluation(loss, self._state_out(graph))

    def evaluate_tracks(self, tracks, max_batches=None, *, progress=False):
        """(mean loss in nats per character, characters scored) over the minibatches of a
        ``Tracks``, from a zero state carried along the tracks, in eval mode. ``progress``
        shows a bar (a long text takes minutes)."""
        from tqdm.auto import tqdm

        count = len(tracks) if max_batches is None else min(max_batches, len(tracks))
        state, losses = self.zero_state(tracks.batch_size), []
        for k in tqdm(range(count), desc="validation", unit="batch", disable=not progress,
                      leave=False):
            x, y = tracks.batch(k)
            loss, state = self.evaluate(x, y, state)
            losses.append(float(loss))
        return float(np.mean(losses)), count * tracks.batch_size * tracks.seq_len

    # ------------------------------------------------------------------ sampling
    def _step_graph(self):
        """(char id, per-layer state) -> (scores, next state) for one row, built once."""
        return self.cached("step", self._build_step)

    def _build_step(self):
        H = self.hidden_size
        with mg.no_grad():
            char = mg.input("char", (1,), np.int64)

            def state_in(layer):
                return (mg.input(f"h[{layer}]", (1, H), self.dtype),
                        mg.input(f"c[{layer}]", (1, H), self.dtype)
                        if self.cell == "lstm" else None)
            scores, state = recurrence.one_step(self.recurrence(), char, state_in)
            return mg.Graph([scores, *_flat(state)], name="char step")

    def step(self, char_id, state):
        """One character in, (scores (V,), next state) out; no grad."""
        graph = self._step_graph()
        feed = {"char": np.array([char_id]), **self._state_feed(state, "h[{}]", "c[{}]")}
        with mg.no_grad():
            scores = graph.forward(feed)
        return scores[0], self._state_out(graph, copy=False)

    def sample(self, prime="", length=500, temperature=1.0, top_k=None, seed=None):
        """``length`` characters generated after ``prime`` (charrnn/sampling.py says how
        temperature, top_k, an unknown prime character and ``seed`` act)."""
        return sample_text(self, prime, length, temperature, top_k, seed)

    # ------------------------------------------------------------------ checkpoints
    @property
    def checkpoint_vocab(self):
        return self.chars

    @classmethod
    def _from_checkpoint(cls, saved):
        return cls(chars=saved["vocab"], **saved["config"])

    @classmethod
    def _check_checkpoint(cls, path, saved):
        config = saved["config"]
        checkpoint.check_config_keys(path, config,
                                     set(inspect.signature(cls).parameters) - {"chars"})
        checkpoint.check_config_sizes(path, config, saved["params"], {
            "vocab_size": ("W_embed", 0), "embed_size": ("W_embed", 1),
            "hidden_size": ("W_out", 0)})
        layers = config.get("num_layers")
        if not isinstance(layers, int) or not 1 <= layers <= len(saved["params"]):
            raise checkpoint.CheckpointError(f"{path}: config 'num_layers' is {layers!r}")
        check_config_values(path, config, CONFIG_KINDS, saved["params"])
        vocab = saved["vocab"]
        if not isinstance(vocab, list) or len(vocab) != config["vocab_size"]:
            raise checkpoint.CheckpointError(f"{path}: 'vocab' is not a list of "
                                             f"{config['vocab_size']} characters")
        check_vocab_strings(path, vocab, "character")
        for i, char in enumerate(vocab):
            if len(char) != 1 or char in vocab[:i]:
                raise checkpoint.CheckpointError(
                    f"{path}: vocabulary entry {i} is {char!r}; a char-rnn vocabulary holds "
                    "distinct single characters")


def _flat(state):
    """[(h, c), ...] -> [h0, c0, h1, c1, ...] without the c of a cell that has none."""
    return [node for h, c in state for node in (h, c) if node is not None]
