"""Model: what CaptioningRNN and CharRNN share, in the spirit of micrograd's ``Module``.

A model owns named parameters and builds graphs over them:

- ``model.params`` is a ``{name: array}`` mapping, as in cs231n. Each array is held by one
  ``mg.param`` node, made once; every graph the model builds uses those nodes. An
  optimizer may update an array in place, or (cs231n style) put a new array in its place:
  ``model.params[name] = next_w`` re-points that one node (after checking its shape and
  dtype), so every graph already built sees the new value.
- ``run_graph(N, T)`` is the training graph ``loss()`` and ``evaluate()`` run for one
  minibatch shape (whole-sequence nodes where the cell has them), built the first time it
  is asked for and the same graph afterwards; ``build_graph(N, T)`` the same maths with one
  node per step (``loss(retain_graph=True)``, the neuron pages); ``cached(key, build)``
  does the same for a model's other graphs (drawing graphs, one-step samplers). The
  recurrent models describe themselves once and build all of these from that description
  (models/shared/recurrence.py).
- ``loss()`` returns a named tuple: ``LossAndGrads(loss, grads)`` (the cs231n pair) or, for
  char-rnn, ``LossResult(loss, grads, state)``.
- ``save`` / ``load`` / ``load_params`` go through ``minigraph.checkpoint`` (HDF5, atomic,
  no pickle), checking names, shapes, dtypes and the vocabulary.

A subclass sets ``self.config`` (its constructor arguments, JSON-able), defines
``_build(N, T, sequence=False)`` (``sequence``: the whole-sequence graph), ``checkpoint_vocab``
and ``_from_checkpoint(saved)``.
"""

from collections.abc import MutableMapping
from typing import NamedTuple

import numpy as np

import minigraph as mg
from minigraph import checkpoint


class LossAndGrads(NamedTuple):
    """A captioner's ``loss()``: unpacks as the cs231n pair, ``loss, grads = ...``."""

    loss: np.generic  # a numpy scalar of the model's dtype
    grads: dict  # {name: gradient array}, keyed like ``params``


class LossResult(NamedTuple):
    """CharRNN's ``loss()``: ``loss, grads, state = ...`` or ``result.state``."""

    loss: np.generic  # nats per character, the model's dtype
    grads: dict  # {name: gradient array}, keyed like ``params``
    state: list  # the final per-layer (h, c), to carry to the next window


class Evaluation(NamedTuple):
    """CharRNN's ``evaluate()``: ``loss, state = ...``."""

    loss: np.generic
    state: list


class Params(MutableMapping):
    """{name: array} backed by parameter nodes: reading gives the node's array, assigning a
    new array re-points the node. Names are fixed when the model is built."""

    def __init__(self, owner, nodes):
        self._owner, self._nodes = owner, nodes

    def __getitem__(self, name):
        return self._nodes[name].value

    def __setitem__(self, name, value):
        node = self._nodes.get(name)
        if node is None:
            raise mg.NotFoundError(f"{self._owner} has no parameter {name!r}; its parameters are "
                           f"{sorted(self._nodes)}")
        value = np.asarray(value)
        if value.shape != node.shape:
            raise mg.ShapeError(f"{self._owner}: params['{name}'] must keep shape {node.shape}, "
                                f"got {value.shape}")
        if value.dtype != node.dtype:
            raise mg.DTypeError(f"{self._owner}: params['{name}'] must stay {node.dtype}, got "
                                f"{value.dtype} (convert it with .astype)")
        node.value = value

    def __delitem__(self, name):
        raise mg.WrongTypeError(f"{self._owner}: parameters cannot be removed ({name!r})")

    def __iter__(self):
        return iter(self._nodes)

    def __len__(self):
        return len(self._nodes)

    def __repr__(self):
        shapes = ", ".join(f"{name}: {node.shape}" for name, node in self._nodes.items())
        return f"Params({shapes})"


class Model:
    """Base of the models: parameter nodes, graph caches, gradients, checkpoints."""

    def __init__(self, params, dtype):
        """``params``: {name: initial array}, stored in ``dtype``."""
        self.dtype = np.dtype(dtype)
        # astype copies, so the node may hold that copy (the caller's array stays theirs)
        nodes = {name: mg.param(np.asarray(value).astype(self.dtype), name, copy=False)
                 for name, value in params.items()}
        self._params = Params(type(self).__name__, nodes)
        self._graphs = {}  # training graphs by minibatch shape (N, T)
        self._other_graphs = {}  # samplers and the like, by the subclass's own keys

    # ------------------------------------------------------------------ parameters
    @property
    def params(self):
        return self._params

    @params.setter
    def params(self, values):
        """``model.params = {...}`` replaces every array (same names, shapes, dtypes)."""
        if set(values) != set(self._params):
            raise mg.NotFoundError(f"{type(self).__name__}: params must have exactly the names "
                           f"{sorted(self._params)}")
        for name, value in values.items():
            self._params[name] = value

    def parameters(self):
        """{name: parameter node}, the nodes every graph of this model is built from."""
        return self._params._nodes

    def zero_grad(self):
        for node in self.parameters().values():
            node.zero_grad()

    def gradients(self):
        """{name: gradient array} after a backward; zeros for a parameter the graph did not
        reach."""
        return {name: node.grad if node.grad is not None else np.zeros_like(node.value)
                for name, node in self.parameters().items()}

    # ------------------------------------------------------------------ graphs
    def build_graph(self, N, T):
        """The training graph for minibatches of N sequences of T steps: built the first
        time, the same graph afterwards."""
        key = (int(N), int(T))
        if key not in self._graphs:
            self._graphs[key] = self._build(*key)
        return self._graphs[key]

    # Once a mode flag: the trainers set ``sequence = True`` to pick the whole-sequence
    # graph. loss() and evaluate() now always run that fast graph (``run_graph``); the
    # per-step forms are asked for by name (``build_graph``, ``drawing_graph``). The
    # attribute stays assignable, without effect, for user code that still sets it.
    sequence = True

    def run_graph(self, N, T, per_step=False):
        """The graph loss() and evaluate() run for (N, T): the fast training graph (one node
        per recurrent layer for all T steps where the cell has one, minigraph.unroll_sequence;
        same numbers as the per-step graph to rounding), or with ``per_step`` the graph of
        ``build_graph``."""
        if per_step:
            return self.build_graph(N, T)
        key = ("sequence", int(N), int(T))
        return self.cached(key, lambda: self._build(*key[1:], sequence=True))

    def cached(self, key, build):
        """Another graph (or tuple of graphs) of this model, built by ``build()`` once."""
        if key not in self._other_graphs:
            self._other_graphs[key] = build()
        return self._other_graphs[key]

    def _build(self, N, T, sequence=False):
        raise NotImplementedError

    def _forward_backward(self, graph, feed, retain_graph):
        """Run ``graph`` forward on ``feed`` and backward from its first output; returns
        LossAndGrads(loss, grads keyed like params)."""
        self.zero_grad()
        loss = graph.forward(feed, keep_values=retain_graph)[()]
        graph.backward(retain_graph=retain_graph)
        return LossAndGrads(loss, self.gradients())

    # ------------------------------------------------------------------ checkpoints
    @property
    def checkpoint_vocab(self):
        """The vocabulary saved with the model (JSON-able)."""
        raise NotImplementedError

    @classmethod
    def _from_checkpoint(cls, saved):
        """A freshly initialised model built from a checkpoint's config and vocabulary."""
        raise NotImplementedError

    def save(self, path, optim_configs=None, history=None, state=None):
        """Atomic HDF5 checkpoint: parameters, config, vocabulary, optimizer state, history
        and whatever else training needs to resume (``state``)."""
        checkpoint.save(path, kind=type(self).__name__, params=dict(self.params),
                        config=self.config, vocab=self.checkpoint_vocab,
                        optim_configs=optim_configs, history=history, state=state)

    @classmethod
    def load(cls, path):
        """(model, checkpoint dict) from a file written by ``save``."""
        saved = checkpoint.load(path, kind=cls.__name__)
        cls._check_checkpoint(path, saved)  # before the config builds anything
        model = cls._from_checkpoint(saved)
        model.load_params(path, saved)
        return model, saved

    @classmethod
    def _check_checkpoint(cls, path, saved):
        """Refuse a checkpoint whose config or vocabulary does not describe its arrays (the
        file is untrusted: a config must not make the constructor allocate at will)."""

    def load_params(self, path, saved=None):
        """Copy a checkpoint's parameters into this model, in place, after checking its
        vocabulary and the parameters' names, shapes and dtypes; returns the checkpoint."""
        saved = saved or checkpoint.load(path, kind=type(self).__name__)
        theirs, ours = _as_index(saved["vocab"]), _as_index(self.checkpoint_vocab)
        if theirs != ours:
            differ = sorted(set(theirs.items()) ^ set(ours.items()))[:5]
            raise checkpoint.CheckpointError(
                f"{path!r} was trained with a different vocabulary ({len(theirs)} tokens, this "
                f"model has {len(ours)}); first differences: {differ}")
        checkpoint.restore_params(path, self.params, saved["params"])
        return saved


def _as_index(vocab):
    """{token: id} from a {token: id} dict or a list of tokens in id order."""
    if vocab is None:
        return {}
    return dict(vocab) if isinstance(vocab, dict) else {t: i for i, t in enumerate(vocab)}
