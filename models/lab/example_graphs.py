"""The two application models at drawing size, one minibatch run forward and backward:
the graphs `minigraph render` and `minigraph stats` draw and count, and the tutorials and
tests look at.

This is the one place the lab reaches into the model rooms (captioning and charrnn): it
shows their graphs, so it must build them (tests/test_layering.py names this exception).
The imports stay inside the functions, so importing the lab loads neither model.
"""

import numpy as np

from ..shared.renamed import renamed_keywords


@renamed_keywords("example_graph", {"layers": "num_layers"})
def example_graph(model="captioning", cell="lstm", steps=4, num_layers=1, composed=False,
                  seed=0, drawing=False, loss="all"):
    """A small model of the given kind with one minibatch run forward and backward, every
    value and gradient kept. Returns the graph: the training graph, or with ``drawing`` the
    model's drawing mode (an output and a loss at every step, or only the last with
    ``loss='last'``)."""
    rng = np.random.default_rng(seed)
    if model == "attention":
        return _attention_example(cell, steps, composed, seed, drawing, loss, rng)
    if model == "captioning":
        from ..captioning.rnn_captioner import CaptioningRNN
        words = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "red", "circle", "square"]
        net = CaptioningRNN({w: i for i, w in enumerate(words)}, input_dim=16, wordvec_dim=8,
                            hidden_dim=8, cell_type=cell, fused=not composed, seed=seed)
        captions = rng.integers(1, len(words), (2, steps + 1))
        if drawing:
            return net.drawing_graph(rng.standard_normal((2, 16)).astype(np.float32), captions,
                                     loss=loss)
        net.loss(rng.standard_normal((2, 16)).astype(np.float32), captions, retain_graph=True)
        return net.build_graph(2, steps)
    from ..charrnn.model import CharRNN
    net = CharRNN(12, hidden_size=8, num_layers=num_layers, cell=cell, fused=not composed,
                  embed_size=6, seed=seed)
    ids = rng.integers(0, 12, (2, steps + 1))
    if drawing:
        return net.drawing_graph(ids[:, :-1], ids[:, 1:], loss=loss)
    net.loss(ids[:, :-1], ids[:, 1:], retain_graph=True)
    return net.build_graph(2, steps)


def _attention_example(cell, steps, composed, seed, drawing, loss, rng):
    """The attention captioner at drawing size: 2 captions, a 2x2 grid of 6 features."""
    from ..captioning.attention_captioner import AttentionCaptioner
    words = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "red", "circle", "square"]
    net = AttentionCaptioner({w: i for i, w in enumerate(words)}, input_dim=6, num_cells=4,
                             wordvec_dim=8, hidden_dim=8, attention_dim=5, cell_type=cell,
                             fused=not composed, seed=seed)
    grid = rng.standard_normal((2, 4, 6)).astype(np.float32)
    captions = rng.integers(1, len(words), (2, steps + 1))
    if drawing:
        return net.drawing_graph(grid, captions, loss=loss)
    net.loss(grid, captions, retain_graph=True)
    return net.build_graph(2, steps)
