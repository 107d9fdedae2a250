"""A recurrent model written once: its description and the three graphs built from it.

CharRNN and CaptioningRNN are the same machine with different ends. Each describes itself
once as a ``Recurrence``: the word table W_embed, a stack of recurrent layers (cell, Wx,
Wh, b), dropout between layers and before the output, and the output layer W_out, b_out:

    x_t   = W_embed[word_t]
    h^l_t = cell(drop(h^{l-1}_t), h^l_{t-1})       h^0_t = x_t; Wx, Wh, b of layer l
    s_t   = drop(h^L_t) W_out + b_out

and three builders turn that description into graphs:

- ``whole_sequence``: the training graph. The time axis is folded where it is cheaper: the
  first layer's input projection is one EmbeddingAffine (rows of W_embed Wx + b), a layer's
  T steps are one node (``fast=True``, minigraph.unroll_sequence, for the cells that have
  one) or T step nodes stacked (``fast=False``: ``Model.build_graph``, whose h^l[t] nodes the
  neuron pages read);
- ``per_step``: the drawing graph, one column per step (x_t, the cells h_t, and with
  models/shared/per_step.py an output y_t and a loss L_t per step), the names the drawings show;
- ``one_step``: one step for sampling, state in, (scores, state) out.

The model adds its own inputs and initial state (the carried state of char-rnn, the image
projection of the captioner) and its loss. The same maths at every step means the three
agree: loss and gradients to rounding, sampled ids identically
(tests/test_models_written_once.py).
"""

import contextlib
from dataclasses import dataclass

import minigraph as mg

from .per_step import select_steps, unroll_steps


@dataclass(frozen=True)
class Recurrence:
    """A recurrent model's parameters and names (the nodes, not copies)."""

    cell: str  # rnn, lstm or gru
    fused: bool  # one node per cell step (and the embedding folded into layer 0's Wx)
    W_embed: mg.Node
    layers: tuple  # ((Wx, Wh, b), ...), layer 0 first
    W_out: mg.Node
    b_out: mg.Node
    dropout: float = 0.0
    dropout_rng: object = None
    embed_name: str = "x"  # the Embedding node of the unfused and drawing graphs
    first_xw_name: str = "xw"  # layer 0's EmbeddingAffine when fused
    layer_names: tuple = ("h",)  # the states of each layer: h[t], h.xw, ...
    tag_layers: bool = False  # tag each layer's nodes with layer=l (char-rnn's drawings)

    def drop(self, x, name):
        return mg.dropout(x, self.dropout, self.dropout_rng, name=name)


def whole_sequence(rec, ids, initial, fast=True):
    """The top layer's states (N, T, H) for word ids (N, T) and the last (h, c) of every
    layer. ``initial(layer)`` makes that layer's (h0, c0) (c0 None but for an lstm fed
    from zeros); it is called in layer order, after the layer's dropout."""
    sequence = fast and rec.fused and rec.cell in mg.SEQUENCE_CELLS
    states = None if rec.fused else mg.embedding(ids, rec.W_embed, name=rec.embed_name)
    finals = []
    for layer, (Wx, Wh, b) in enumerate(rec.layers):
        name = rec.layer_names[layer]
        with _layer_tags(rec, layer):
            if layer > 0 and rec.dropout > 0:
                states = rec.drop(states, f"drop{layer}")
            h0, c0 = initial(layer)
            if rec.fused and layer == 0:  # rows of W_embed Wx + b: one lookup per word
                xw = mg.embedding_affine(ids, rec.W_embed, Wx, b, name=rec.first_xw_name)
            elif sequence:
                xw = mg.temporal_affine(states, Wx, b, name=f"{name}.xw")
            if sequence:  # one node for all T steps
                states, h_last, c_last = mg.unroll_sequence(rec.cell, xw, h0, Wh, c0=c0,
                                                            name=name)
            else:
                if rec.fused and layer == 0:
                    hs, h_last, c_last = mg.unroll_projected(rec.cell, xw, h0, Wh, c0=c0,
                                                             name=name)
                else:
                    hs, h_last, c_last = mg.unroll(rec.cell, states, h0, Wx, Wh, b, c0=c0,
                                                   fused=rec.fused, name=name)
                states = mg.stack(hs, name=name)
        finals.append((h_last, c_last))
    if rec.dropout > 0:
        states = rec.drop(states, "drop_out")
    return states, finals


def per_step(rec, ids, initial):
    """The drawing form of ``whole_sequence``: the top layer's T states as a list of (N, H)
    nodes, each step its own cell node h[t] tagged t (and layer), and the last (h, c) of
    every layer."""
    inputs = select_steps(mg.embedding(ids, rec.W_embed, name=rec.embed_name))
    finals = []
    for layer, (Wx, Wh, b) in enumerate(rec.layers):
        with _layer_tags(rec, layer):
            if layer > 0 and rec.dropout > 0:
                inputs = _drop_steps(rec, inputs, f"drop{layer}")
            h0, c0 = initial(layer)
            inputs, h_last, c_last = unroll_steps(rec.cell, inputs, h0, c0, Wx, Wh, b,
                                                  fused=rec.fused)
        finals.append((h_last, c_last))
    if rec.dropout > 0:
        inputs = _drop_steps(rec, inputs, "drop_out")
    return inputs, finals


def one_step(rec, word, state_in, cell_name=None, embed_name=None):
    """One step for sampling (build it under no_grad): word ids (N,) and ``state_in(layer)``
    -> (h, c) inputs give (scores (N, V), [(next h, next c) per layer])."""
    x = mg.embedding(word, rec.W_embed, name=embed_name)
    state = []
    for layer, (Wx, Wh, b) in enumerate(rec.layers):
        h, c = state_in(layer)
        h, c = mg.cell_step(rec.cell, x, h, c, Wx, Wh, b, fused=rec.fused, name=cell_name)
        state.append((h, c))
        x = h
    return mg.affine(x, rec.W_out, rec.b_out, name="scores"), state


def _drop_steps(rec, steps, name):
    dropped = []
    for t, x in enumerate(steps):
        with mg.tags(t=t):
            dropped.append(rec.drop(x, f"{name}[{t}]"))
    return dropped


def _layer_tags(rec, layer):
    return mg.tags(layer=layer) if rec.tag_layers else contextlib.nullcontext()
