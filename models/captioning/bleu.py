"""Caption metrics: corpus BLEU-1..4 through nltk, the convention in captioning work."""

import warnings

from nltk.translate.bleu_score import corpus_bleu

from minigraph.errors import UsageError

BLEU_WEIGHTS = {"bleu1": (1.0,), "bleu2": (0.5, 0.5), "bleu3": (1 / 3, 1 / 3, 1 / 3),
                "bleu4": (0.25, 0.25, 0.25, 0.25)}


def bleu(references, hypotheses):
    """Corpus BLEU-1..4. references: per hypothesis, a list of reference token lists (all
    captions of that image); hypotheses: token lists. Returns {'bleu1': ..., 'bleu4': ...}."""
    if len(references) != len(hypotheses):
        raise UsageError(f"{len(references)} reference sets for {len(hypotheses)} hypotheses")
    with warnings.catch_warnings():
        # nltk warns when no n-gram of some order matches; the score is then 0, correctly
        warnings.filterwarnings("ignore", message=r"\s*The hypothesis contains 0 counts",
                                category=UserWarning)
        return {name: float(corpus_bleu(references, hypotheses, weights=weights))
                for name, weights in BLEU_WEIGHTS.items()}
