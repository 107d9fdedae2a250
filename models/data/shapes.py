"""A captioning dataset of rendered shapes, in the cs231n COCO layout.

Each image (64x64 RGB) holds one to three objects with a shape, colour, size and
position; five captions per image come from a small grammar with synonyms and varied
word order that names every object's size, colour and shape and, for two objects, their
spatial relation. Splits: ``train``; ``val`` (new renders of the same distribution); and
``novel``, whose objects all have colour-shape pairs that never occur in train or val.
"""

import itertools

import numpy as np

from minigraph.errors import UsageError

SHAPES = ("circle", "square", "triangle", "diamond")
COLOURS = {"red": (215, 45, 45), "green": (45, 170, 70), "blue": (50, 90, 225),
           "yellow": (230, 205, 40), "purple": (145, 65, 200)}
SIZES = {"small": (6.0, 8.0), "large": (11.0, 13.5)}
SIZE_WORDS = {"small": ("small", "small", "little"), "large": ("large", "large", "big")}
# One held-out pair per shape, each colour used at most once: every colour and every shape
# is still seen in training, only these combinations are new.
NOVEL_PAIRS = (("red", "circle"), ("blue", "square"), ("yellow", "triangle"),
               ("green", "diamond"))
SPECIAL = ("<NULL>", "<START>", "<END>", "<UNK>")
MAX_TOKENS = 17  # <START> + up to 15 words + <END>, as in cs231n


def _mask(shape, cx, cy, r, ys, xs):
    dx, dy = xs - cx, ys - cy
    if shape == "circle":
        return dx * dx + dy * dy <= r * r
    if shape == "square":
        return (np.abs(dx) <= 0.85 * r) & (np.abs(dy) <= 0.85 * r)
    if shape == "diamond":
        return np.abs(dx) + np.abs(dy) <= 1.2 * r
    # triangle pointing up: inside three half-planes
    top, left, right = (0.0, -r), (-0.95 * r, 0.8 * r), (0.95 * r, 0.8 * r)

    def side(a, b):
        return (b[0] - a[0]) * (dy - a[1]) - (b[1] - a[1]) * (dx - a[0])
    return (side(top, left) <= 0) & (side(left, right) <= 0) & (side(right, top) <= 0)


def render(objects, size, rng):
    """Draw objects (dicts with shape, colour, x, y, radius) on a noisy grey canvas."""
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    image = np.full((size, size, 3), 120.0) + rng.normal(0, 6, (size, size, 3))
    for obj in objects:
        mask = _mask(obj["shape"], obj["x"], obj["y"], obj["radius"], ys, xs)
        colour = np.array(COLOURS[obj["colour"]]) + rng.normal(0, 8, 3)
        image[mask] = colour + rng.normal(0, 4, (int(mask.sum()), 3))
    return np.clip(image, 0, 255).astype(np.uint8)


def _relation(a, b):
    """'left', 'right', 'above' or 'below': where a is with respect to b."""
    dx, dy = a["x"] - b["x"], a["y"] - b["y"]
    if abs(dx) >= abs(dy):
        return "left" if dx < 0 else "right"
    return "above" if dy < 0 else "below"


def random_objects(rng, size, pairs):
    """One to three non-overlapping objects; for two, one axis clearly dominates."""
    count = int(rng.integers(1, 4))
    while True:
        objects = []
        for _ in range(count):
            colour, shape = pairs[rng.integers(len(pairs))]
            size_name = ("small", "large")[rng.integers(2)]
            radius = float(rng.uniform(*SIZES[size_name]))
            margin = radius + 2
            objects.append({"shape": shape, "colour": colour, "size": size_name,
                            "radius": radius, "x": float(rng.uniform(margin, size - margin)),
                            "y": float(rng.uniform(margin, size - margin))})
        if _well_placed(objects):
            return objects


def _well_placed(objects):
    for i, a in enumerate(objects):
        for b in objects[i + 1:]:
            dx, dy = abs(a["x"] - b["x"]), abs(a["y"] - b["y"])
            if np.hypot(dx, dy) < 1.3 * (a["radius"] + b["radius"]) + 2:
                return False
            if len(objects) == 2 and max(dx, dy) < 1.5 * min(dx, dy):
                return False  # diagonal: neither left/right nor above/below is clear
            if len(objects) == 3 and dx < a["radius"] + b["radius"]:
                return False  # three objects are described left to right
    return True


def _phrase(obj, rng):
    size_word = SIZE_WORDS[obj["size"]][rng.integers(3)]
    return ["a", size_word, obj["colour"], obj["shape"]]


def caption(objects, rng):
    """One caption (a list of words) for the objects, from the grammar."""
    if len(objects) == 1:
        lead = [[], [], ["there", "is"], ["a", "picture", "of"]][rng.integers(4)]
        return lead + _phrase(objects[0], rng)
    if len(objects) == 2:
        a, b = objects
        relation = _relation(a, b)
        if rng.random() < 0.5:
            a, b = b, a
            relation = {"left": "right", "right": "left", "above": "below",
                        "below": "above"}[relation]
        if relation in ("left", "right"):
            link = [["to", "the", relation, "of"], ["to", "the", relation, "of"],
                    [relation, "of"]][rng.integers(3)]
        else:
            link = [relation]
        return _phrase(a, rng) + link + _phrase(b, rng)
    ordered = sorted(objects, key=lambda o: o["x"])
    return (_phrase(ordered[0], rng) + [","] + _phrase(ordered[1], rng) + ["and"]
            + _phrase(ordered[2], rng))


def vocabulary():
    words = {"a", "there", "is", "picture", "of", "to", "the", "left", "right", "above",
             "below", ",", "and", *COLOURS, *SHAPES}
    for choices in SIZE_WORDS.values():
        words.update(choices)
    idx_to_word = list(SPECIAL) + sorted(words)
    return idx_to_word, {w: i for i, w in enumerate(idx_to_word)}


def encode(words, word_to_idx):
    ids = [word_to_idx["<START>"]] + [word_to_idx.get(w, word_to_idx["<UNK>"]) for w in words]
    ids.append(word_to_idx["<END>"])
    if len(ids) > MAX_TOKENS:
        raise UsageError(f"caption of {len(words)} words is longer than {MAX_TOKENS - 2}")
    return ids + [word_to_idx["<NULL>"]] * (MAX_TOKENS - len(ids))


def named_pairs(text):
    """(colour, shape) pairs a caption names: a colour word directly before a shape word
    (after an optional size word)."""
    return [(colour, shape) for _, colour, shape in _described_objects(text)[0]]


def attribute_accuracy(captions, objects_per_image):
    """Share of objects whose colour and shape the image's caption names (each named pair
    is matched to at most one object)."""
    correct = total = 0
    for text, objects in zip(captions, objects_per_image):
        named = named_pairs(text)
        for obj in objects:
            pair = (obj["colour"], obj["shape"])
            total += 1
            if pair in named:
                named.remove(pair)
                correct += 1
    return correct / max(1, total)


def exact_image_accuracy(captions, objects_per_image):
    """Share of images whose caption names exactly their objects' colour-shape pairs: none
    missed and none invented (attribute accuracy forgives invented ones)."""
    exact = sum(sorted(named_pairs(text)) == sorted((o["colour"], o["shape"]) for o in objects)
                for text, objects in zip(captions, objects_per_image))
    return exact / max(1, len(captions))


_SIZE_OF_WORD = {word: size for size, choices in SIZE_WORDS.items() for word in choices}


def _described_objects(text):
    """The (size or None, colour, shape) phrases of a caption in order, and its relation
    words. A phrase is a colour word directly before a shape word."""
    words = text.split()
    phrases, relations = [], []
    for i, word in enumerate(words):
        if word in SHAPES and i >= 1 and words[i - 1] in COLOURS:
            size = _SIZE_OF_WORD.get(words[i - 2]) if i >= 2 else None
            phrases.append((size, words[i - 1], word))
        elif word in ("left", "right", "above", "below"):
            relations.append(word)
    return phrases, relations


def _fits(phrase, obj):
    size, colour, shape = phrase
    return obj["colour"] == colour and obj["shape"] == shape and size in (None, obj["size"])


def relation_accuracy(captions, objects_per_image):
    """Share of images with two or three objects whose caption places them right: the
    phrases must describe the objects (size, colour, shape), and then, for two, the stated
    relation must hold between them; for three, they must be named left to right."""
    right = total = 0
    for text, objects in zip(captions, objects_per_image):
        if len(objects) < 2:
            continue
        total += 1
        phrases, relations = _described_objects(text)
        if len(phrases) != len(objects):
            continue
        for order in itertools.permutations(objects):  # identical objects: any fitting order
            if not all(_fits(p, o) for p, o in zip(phrases, order)):
                continue
            if len(order) == 2:
                placed = relations == [_relation(order[0], order[1])]
            else:
                placed = [o["x"] for o in order] == sorted(o["x"] for o in order)
            if placed:
                right += 1
                break
    return right / max(1, total)
