"""Evaluate a captioner on a split: BLEU-1..4 against every reference caption of each
image, and (for the shapes set) attribute accuracy."""

import numpy as np

from .bleu import bleu
from .data import decode_captions
from .data.shapes import (
    attribute_accuracy,
    exact_image_accuracy,
    relation_accuracy,
)


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


def evaluate_split(model, data, split="val", max_images=None, method="greedy", beam_size=3,
                   objects=None):
    """{'bleu1'..'bleu4', 'attribute_accuracy', 'exact_images' and 'relation_accuracy'
    (when objects are given), 'captions', 'images'} for the first ``max_images`` images of
    the split that have captions."""
    refs = references_by_image(data, split)
    images = sorted(refs)[:max_images]
    features = data[f"{split}_{getattr(model, 'feature_key', 'features')}"]  # or the grid
    texts = caption_images(model, features[images], method, beam_size)
    result = bleu([refs[i] for i in images], [t.split() for t in texts])
    if objects is not None:
        truth = [objects[i] for i in images]
        result["attribute_accuracy"] = attribute_accuracy(texts, truth)
        result["exact_images"] = exact_image_accuracy(texts, truth)
        result["relation_accuracy"] = relation_accuracy(texts, truth)
    result["captions"], result["images"] = texts, np.asarray(images)
    return result
