"""The cs231n COCO captioning data layout: read it, batch it, decode it.

A data directory holds ``coco2014_captions.h5`` (``{split}_captions`` (M, 17) int ids and
``{split}_image_idxs`` (M,) for each split), ``coco2014_vocab.json`` (``idx_to_word``,
``word_to_idx``), one feature file per split with a ``features`` dataset
(``{split}2014_vgg16_fc7_pca.h5``, or ``{split}2014_vgg16_fc7.h5`` without PCA) and one url
file per split (``{split}2014_urls.txt``). The cs231n splits are train and val; a set made
by ``minigraph shapes`` adds ``novel``, and spatial features for attention, one
``{split}2014_grid.h5`` per split with a ``features`` dataset (images, P, D): P grid
cells of D numbers per image (16 and 64 for the shapes set), read with ``grid=True``.
"""

import io
import os

import h5py
import numpy as np

from minigraph import bounded_read
from minigraph.errors import DataError

CAPTIONS_FILE = "coco2014_captions.h5"
VOCAB_FILE = "coco2014_vocab.json"
URLS_BYTES = 256 << 20  # cs231n's train urls are 5.5 MB; a url a line


def feature_file(split, pca_features=True):
    return f"{split}2014_vgg16_fc7{'_pca' if pca_features else ''}.h5"


def grid_file(split):
    return f"{split}2014_grid.h5"


def url_file(split):
    return f"{split}2014_urls.txt"


def _path(base_dir, name):
    path = os.path.join(base_dir, name)
    if not os.path.exists(path):
        raise DataError(f"missing data file {path}")
    return path


def data_budget():
    """The reading budget of one load: every file's arrays count against it (see
    minigraph.bounded_read; MINIGRAPH_READ_LIMIT_MB raises it)."""
    return bounded_read.ReadBudget(bounded_read.limit_from_environment(bounded_read.DATA_BYTES),
                                   error=DataError)


def _read_h5(path, keys=None, budget=None):
    """The arrays ``keys`` (default: all) of an untrusted HDF5 file: its checksum (if
    minigraph wrote it) checked before libhdf5 parses it, its links, objects and declared
    sizes surveyed against ``budget`` before any array is read."""
    budget = budget or data_budget()
    bounded_read.check_seal(path, budget, DataError, "data file", warn_unsealed=False)
    try:
        with h5py.File(path, "r") as f:
            bounded_read.survey(f, path, budget, DataError)
            keys = list(f.keys()) if keys is None else keys
            missing = [k for k in keys if k not in f]
            if missing:
                raise DataError(f"{path} has no dataset {missing[0]!r} (found {sorted(f.keys())})")
            arrays = {}
            for k in keys:
                if not isinstance(f.get(k, getlink=True), h5py.HardLink) or \
                        not isinstance(f[k], h5py.Dataset) or f[k].dtype.kind not in "biuf":
                    raise DataError(f"{path}: {k!r} is not a numeric array")
                arrays[k] = np.asarray(f[k])
            return arrays
    except (OSError, UnicodeDecodeError, KeyError, RuntimeError, ValueError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"cannot read {path} as HDF5 (damaged?): {exc}") from None


def load_coco_data(base_dir, max_train=None, pca_features=True, seed=0, grid=False):
    """Load every split into cs231n's dictionary: ``{split}_captions``,
    ``{split}_image_idxs``, ``{split}_features``, ``{split}_urls``, ``idx_to_word``,
    ``word_to_idx``; with ``grid=True`` also ``{split}_grid``, the spatial features
    (images, P, D) an attention captioner reads. ``max_train`` keeps that many training
    captions drawn at random (with replacement, as cs231n does) by a Generator seeded with
    ``seed``."""
    captions_path = _path(base_dir, CAPTIONS_FILE)
    budget = data_budget()  # one budget for every file this load reads
    data = _read_h5(captions_path, budget=budget)
    splits = sorted(k[:-len("_captions")] for k in data if k.endswith("_captions"))
    if "train" not in splits:
        raise DataError(f"{captions_path} has no dataset 'train_captions'")
    vocab_path = _path(base_dir, VOCAB_FILE)
    vocab = bounded_read.read_json(vocab_path, DataError, "vocabulary")
    _check_vocabulary(vocab, vocab_path)
    for key in ("idx_to_word", "word_to_idx"):
        data[key] = vocab[key]
    V = len(data["idx_to_word"])
    for split in splits:
        if f"{split}_image_idxs" not in data:
            raise DataError(f"{captions_path} has no dataset '{split}_image_idxs'")
        features_path = _path(base_dir, feature_file(split, pca_features))
        data[f"{split}_features"] = _read_h5(features_path, ["features"], budget)["features"]
        urls_path = _path(base_dir, url_file(split))
        raw = bounded_read.read_capped(urls_path, URLS_BYTES, DataError, "url file")
        budget.charge_bytes(urls_path, "urls", len(raw))
        try:
            lines = io.StringIO(raw.decode("utf-8"), newline=None)  # as open() splits
            data[f"{split}_urls"] = np.asarray([line.strip() for line in lines])
        except UnicodeDecodeError as exc:
            raise DataError(f"cannot read {urls_path} as UTF-8 text: {exc}") from None
        _check_split(data, split, V, captions_path, features_path, base_dir)
        if grid:
            data[f"{split}_grid"] = _read_grid(base_dir, split, data[f"{split}_features"],
                                               budget)
    if max_train is not None:
        rng = np.random.default_rng(seed)
        picks = rng.integers(data["train_captions"].shape[0], size=max_train)
        data["train_captions"] = data["train_captions"][picks]
        data["train_image_idxs"] = data["train_image_idxs"][picks]
    return data


def _read_grid(base_dir, split, features, budget=None):
    """The split's grid features (images, P, D), checked against its pooled features."""
    path = os.path.join(base_dir, grid_file(split))
    if not os.path.exists(path):
        raise DataError(f"missing grid file {path}: attention needs spatial features "
                        "(images, P, D); `minigraph shapes` writes them (sets made before "
                        "grid features existed have none: make the set again)")
    grid = _read_h5(path, ["features"], budget)["features"]
    if grid.ndim != 3 or grid.dtype.kind != "f" or 0 in grid.shape:
        raise DataError(f"{path}: 'features' is {grid.shape} {grid.dtype}; expected "
                        "(images, P, D) floats with P grid cells of D numbers each")
    if grid.shape[0] != features.shape[0]:
        raise DataError(f"{path} has {grid.shape[0]} images but the {split} features have "
                        f"{features.shape[0]}")
    if not np.isfinite(grid).all():
        row = int(np.argwhere(~np.isfinite(grid))[0][0])
        raise DataError(f"{path}: 'features' holds a non-finite value (image {row})")
    return grid


def _check_vocabulary(vocab, path):
    """A JSON object with idx_to_word (a list of distinct words) and word_to_idx (its
    inverse), holding the tokens the models rely on."""
    if not isinstance(vocab, dict):
        raise DataError(f"{path} is not a JSON object (found a {type(vocab).__name__})")
    for key in ("idx_to_word", "word_to_idx"):
        if key not in vocab:
            raise DataError(f"{path} has no key {key!r}")
    words, index = vocab["idx_to_word"], vocab["word_to_idx"]
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise DataError(f"{path}: 'idx_to_word' must be a list of words")
    if not isinstance(index, dict) or len(index) != len(words) or any(
            index.get(w) != i for i, w in enumerate(words)):
        raise DataError(f"{path}: 'word_to_idx' is not the inverse of 'idx_to_word' (every "
                        "word must map to its position)")
    missing = [t for t in ("<NULL>", "<START>", "<END>") if t not in index]
    if missing:
        raise DataError(f"{path}: the vocabulary has no {', '.join(missing)} token")


def _check_split(data, split, V, captions_path, features_path, base_dir):
    captions, idxs = data[f"{split}_captions"], data[f"{split}_image_idxs"]
    features = data[f"{split}_features"]
    if features.ndim != 2 or features.dtype.kind != "f":
        raise DataError(f"{features_path}: 'features' is {features.shape} {features.dtype}; "
                        "expected (images, D) floats")
    if captions.dtype.kind not in "iu" or idxs.dtype.kind not in "iu":
        raise DataError(f"{captions_path}: '{split}_captions' and '{split}_image_idxs' must "
                        "hold integers")
    if not np.isfinite(features).all():
        row = int(np.argwhere(~np.isfinite(features))[0][0])
        raise DataError(f"{features_path}: 'features' holds a non-finite value (image {row})")
    images = features.shape[0]
    if captions.ndim != 2 or idxs.shape != (captions.shape[0],):
        raise DataError(f"{captions_path}: '{split}_captions' {captions.shape} and "
                        f"'{split}_image_idxs' {idxs.shape} do not match")
    if captions.size and (captions.min() < 0 or captions.max() >= V):
        bad = captions[(captions < 0) | (captions >= V)][0]
        raise DataError(f"{captions_path}: '{split}_captions' holds id {bad}, outside the "
                        f"vocabulary of {V} words")
    if idxs.size and (idxs.min() < 0 or idxs.max() >= images):
        raise DataError(f"{captions_path}: '{split}_image_idxs' points past the {images} "
                        f"images of {features_path}")
    urls = data[f"{split}_urls"]
    if urls.shape[0] != images:
        raise DataError(f"{os.path.join(base_dir, url_file(split))} lists {urls.shape[0]} "
                        f"images but {features_path} has {images}")


def sample_coco_minibatch(data, batch_size=100, split="train", rng=None, features="features"):
    """(captions, image_features, urls) of ``batch_size`` captions drawn at random by
    ``rng`` (a numpy Generator). Without one, a Generator seeded with 0 is used, so the
    same call gives the same minibatch: pass your own seeded ``rng`` for a stream of them.
    ``features='grid'`` returns the grid features (loaded with ``grid=True``) instead."""
    rng = np.random.default_rng(0) if rng is None else rng
    if f"{split}_captions" not in data:
        raise DataError(f"no split {split!r} in the data (have "
                        f"{sorted(k[:-9] for k in data if k.endswith('_captions'))})")
    picks = rng.choice(data[f"{split}_captions"].shape[0], batch_size)
    captions = data[f"{split}_captions"][picks]
    image_idxs = data[f"{split}_image_idxs"][picks]
    if f"{split}_{features}" not in data:
        raise DataError(f"no '{split}_{features}' in the data (load it with "
                        f"{'grid=True' if features == 'grid' else 'load_coco_data'})")
    return (captions, data[f"{split}_{features}"][image_idxs],
            data[f"{split}_urls"][image_idxs])


def decode_captions(captions, idx_to_word):
    """Ids to text: <NULL> is dropped, decoding stops at <END>, <START> is not shown. A 1-d
    array gives one string, a 2-d array a list."""
    captions = np.asarray(captions)
    rows = captions[None] if captions.ndim == 1 else captions
    decoded = []
    for row in rows:
        words = []
        for idx in row:
            word = idx_to_word[int(idx)]
            if word == "<END>":
                break
            if word not in ("<NULL>", "<START>"):
                words.append(word)
        decoded.append(" ".join(words))
    return decoded[0] if captions.ndim == 1 else decoded


class FeatureScaleWarning(UserWarning):
    """Image features far from the scale a captioner's initialisation expects."""


FEATURE_SCALE = (1e-2, 1e2)  # root-mean-square values counted as "about 1"


def check_feature_scale(features, name="features"):
    """Warn (``FeatureScaleWarning``) when the root-mean-square of ``features`` is outside
    1e-2 .. 1e2. The captioner's W_proj is initialised for inputs of about unit scale
    (standardised or PCA features, as cs231n's): features scaled by 1e6 made h0 = features
    W_proj saturate and trained a GRU to a validation loss of 7e6 without a word. Returns
    the root-mean-square."""
    import warnings

    sample = np.asarray(features[:2000], dtype=np.float64)
    rms = float(np.sqrt(np.mean(sample ** 2))) if sample.size else 1.0
    low, high = FEATURE_SCALE
    if not low <= rms <= high:
        warnings.warn(f"{name} have a root-mean-square of {rms:.3g}, far from the scale of "
                      "about 1 the captioner is initialised for; training will be slow or "
                      "fail. Standardise them (subtract the mean, divide by the standard "
                      "deviation of the training features)", FeatureScaleWarning, stacklevel=3)
    return rms
