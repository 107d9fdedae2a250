"""Evaluate a captioner on a split: BLEU-1..4 against every reference caption of each
image, and (for the shapes set) attribute accuracy, exact images, relation accuracy and
pair recall@k: the share of images whose colour-shape pairs are all named among the top-k
captions (on the ``novel`` split: the held-out pairs)."""

import numpy as np

from ..data import decode_captions
from ..data.shapes import (
    attribute_accuracy,
    exact_image_accuracy,
    named_pairs,
    relation_accuracy,
)
from .bleu import bleu


def references_by_image(data, split):
    """{image index: [reference token lists]} from the split's captions."""
    texts = decode_captions(data[f"{split}_captions"], data["idx_to_word"])
    refs = {}
    for image, text in zip(data[f"{split}_image_idxs"], texts):
        refs.setdefault(int(image), []).append(text.split())
    return refs


def caption_images(model, features, method="greedy", beam_size=3, batch_size=500,
                   max_length=20):
    """Decoded captions for a stack of image features."""
    texts = []
    for i in range(0, len(features), batch_size):
        ids = model.sample(features[i:i + batch_size], max_length=max_length, method=method,
                           beam_size=beam_size)
        texts += decode_captions(ids, model.idx_to_word)
    return texts


def caption_candidates(model, features, beam_size=5, max_length=20):
    """Per image, the model's finished beam captions best first: [(score, text), ...]."""
    return [[(score, decode_captions(np.asarray(tokens, np.int64), model.idx_to_word))
             for score, tokens in ranked]
            for ranked in model.beam_candidates(features, beam_size=beam_size,
                                                max_length=max_length)]


def pair_recall(candidates_per_image, objects_per_image, k):
    """Share of images for which every distinct colour-shape pair among its objects is
    named by at least one of its first ``k`` captions (``candidates_per_image``: per image,
    caption texts best first; a beam may finish fewer than k). None when no image offers k
    captions (greedy decoding: one caption, so no recall@5)."""
    if k > 1 and all(len(texts) < k for texts in candidates_per_image):
        return None
    hits = 0
    for texts, objects in zip(candidates_per_image, objects_per_image):
        wanted = {(o["colour"], o["shape"]) for o in objects}
        hits += wanted <= {pair for text in texts[:k] for pair in named_pairs(text)}
    return hits / max(1, len(candidates_per_image))


def decode_split(model, data, split="val", max_images=None, method="greedy", beam_size=3,
                 recall_k=()):
    """(image indices, per image [(score, text)] best first): the first ``max_images``
    images of the split that have captions, decoded once. Beam search keeps
    max(beam_size, *recall_k) hypotheses; greedy decoding gives one caption, score 0."""
    images = sorted(references_by_image(data, split))[:max_images]
    features = data[f"{split}_{getattr(model, 'feature_key', 'features')}"][images]  # or grid
    if method == "beam":
        return images, caption_candidates(model, features, max([beam_size, *recall_k]))
    return images, [[(0.0, text)] for text in caption_images(model, features, method)]


def score_split(data, split, images, candidates, objects=None, recall_k=(), rerank=None):
    """The metrics of decoded candidates: {'bleu1'..'bleu4', 'attribute_accuracy',
    'exact_images', 'relation_accuracy' and 'recall@k' for each k of ``recall_k`` (when
    objects are given), 'captions', 'images'}. ``rerank(image, candidates)``, when given,
    reorders (or extends) each image's candidates before the top one becomes its caption
    (attribute_rerank.py)."""
    refs = references_by_image(data, split)
    if rerank is not None:
        candidates = [rerank(image, c) for image, c in zip(images, candidates)]
    texts = [c[0][1] for c in candidates]
    result = bleu([refs[i] for i in images], [t.split() for t in texts])
    if objects is not None:
        truth = [objects[i] for i in images]
        result["attribute_accuracy"] = attribute_accuracy(texts, truth)
        result["exact_images"] = exact_image_accuracy(texts, truth)
        result["relation_accuracy"] = relation_accuracy(texts, truth)
        for k in recall_k:
            result[f"recall@{k}"] = pair_recall([[t for _, t in c] for c in candidates],
                                                truth, k)
    result["captions"], result["images"] = texts, np.asarray(images)
    return result


def evaluate_split(model, data, split="val", max_images=None, method="greedy", beam_size=3,
                   objects=None, recall_k=(), rerank=None):
    """decode_split then score_split: the metrics of the model on the split."""
    images, candidates = decode_split(model, data, split, max_images, method, beam_size,
                                      recall_k)
    result = score_split(data, split, images, candidates, objects, recall_k, rerank)
    if method == "beam":
        result["beam_width"] = max([beam_size, *recall_k])
    return result
