"""Image-text re-ranking of a captioner's candidates with the per-cell attribute scorer
(attribute_scorer.py).

A captioner that never saw "red circle" in training does not put it among its beam
captions: after "red" its language model gives "circle" almost no probability, whatever
the image shows. Re-ranking alone cannot fix that (the right caption is not among the
candidates), so each candidate is first expanded: every colour-shape phrase in it may be
replaced by one of the pairs the scorer finds likeliest in the image, the rest of the
caption (sizes, relation words, order) kept. Every candidate is then scored

    beam score of the caption it came from  +  sum over all colour-shape pairs (c, s) of
    log q(c, s) if the caption names (c, s), else log(1 - q(c, s))

where q(c, s) is the scorer's evidence for the pair (max over cells of sqrt(p(colour)
p(shape))). The captioner still decides the sentence; the scorer decides which colours and
shapes it names. The weight of the two parts is 1: nothing here is tuned on any split.
"""

import itertools

import numpy as np

from ..data.shapes import COLOURS, SHAPES

COLOUR_LIST, SHAPE_LIST = list(COLOURS), list(SHAPES)
CLIP = 1e-4  # keeps log q and log(1 - q) finite where the scorer is certain
MAX_PHRASES = 4  # more colour-shape phrases than that: the caption is kept as it is


def phrase_positions(words):
    """Indices of the shape words that follow a colour word (each such pair is a phrase)."""
    return [i for i in range(1, len(words)) if words[i] in SHAPES and words[i - 1] in COLOURS]


def image_text_score(pairs, evidence):
    """Log-likelihood of the set of named (colour, shape) ``pairs`` under independent
    per-pair evidence ``evidence`` (colours, shapes) in [0, 1]."""
    q = np.clip(evidence, CLIP, 1 - CLIP)
    named = np.zeros(q.shape, bool)
    for colour, shape in pairs:
        named[COLOUR_LIST.index(colour), SHAPE_LIST.index(shape)] = True
    return float(np.where(named, np.log(q), np.log1p(-q)).sum())


def likely_pairs(evidence, count=4):
    """The ``count`` pairs with the highest evidence, likeliest first."""
    order = np.argsort(-evidence, axis=None, kind="stable")[:count]
    return [(COLOUR_LIST[i // len(SHAPE_LIST)], SHAPE_LIST[i % len(SHAPE_LIST)])
            for i in order]


def expansions(text, options):
    """Every caption made from ``text`` by giving each colour-shape phrase either its own
    pair or one of ``options``; ``text`` itself first."""
    words = text.split()
    slots = phrase_positions(words)
    if not slots or len(slots) > MAX_PHRASES:
        return [text]
    choices = [[(words[i - 1], words[i])] + [p for p in options if p != (words[i - 1], words[i])]
               for i in slots]
    out = []
    for combo in itertools.product(*choices):
        new = list(words)
        for i, (colour, shape) in zip(slots, combo):
            new[i - 1], new[i] = colour, shape
        out.append(" ".join(new))
    return out


class AttributeReranker:
    """``reranker(image, candidates)`` -> the candidates expanded and re-ranked, best first,
    for the image with that index in the split whose pair evidence (N, colours, shapes)
    it was given."""

    def __init__(self, evidence, options=4):
        self.evidence, self.options = np.asarray(evidence), options

    def __call__(self, image, candidates):
        evidence = self.evidence[image]
        options = likely_pairs(evidence, self.options)
        best = {}
        for beam_score, text in candidates:
            for new in expansions(text, options):
                pairs = {(w_c, w_s) for w_c, w_s in _pairs(new)}
                total = beam_score + image_text_score(pairs, evidence)
                if total > best.get(new, -np.inf):
                    best[new] = total
        return sorted(((score, text) for text, score in best.items()), key=lambda c: -c[0])


def _pairs(text):
    words = text.split()
    return [(words[i - 1], words[i]) for i in phrase_positions(words)]
