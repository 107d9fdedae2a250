"""Write the shapes captioning set in the layout ``load_coco_data`` reads."""

import json
import os
import time

import numpy as np
from PIL import Image
from tqdm.auto import tqdm

from minigraph.checkpoint import writing_hdf5
from minigraph.errors import UsageError
from minigraph.files import writing_text

from .coco import CAPTIONS_FILE, VOCAB_FILE, feature_file, grid_file, url_file
from .features import DESCRIPTION, GRID_DESCRIPTION, RandomConvFeatures
from .shapes import (
    COLOURS,
    NOVEL_PAIRS,
    SHAPES,
    caption,
    encode,
    random_objects,
    render,
    vocabulary,
)

OBJECTS_FILE = "shapes_objects.json"
EXTRACTOR_FILE = "feature_extractor.h5"
CAPTIONS_PER_IMAGE = 5


def make_shapes_dataset(out_dir, num_train=60000, num_val=1000, num_novel=500, seed=0,
                        image_size=64, progress=True):
    """Render, caption and featurize the three splits; returns the split sizes.

    Deterministic for a given seed. Writes the cs231n files plus ``images/`` (the PNGs,
    whose relative paths stand in for urls), ``shapes_objects.json`` (ground-truth
    objects, for attribute accuracy), ``feature_extractor.h5`` (to caption new pictures)
    and ``README.txt`` saying what the features really are.
    """
    if image_size < 48:
        raise UsageError(f"image_size must be at least 48, got {image_size}")
    rng = np.random.default_rng(seed)
    seen = [(c, s) for c in COLOURS for s in SHAPES if (c, s) not in NOVEL_PAIRS]
    idx_to_word, word_to_idx = vocabulary()
    sizes = {"train": num_train, "val": num_val, "novel": num_novel}
    os.makedirs(out_dir, exist_ok=True)
    extractor = RandomConvFeatures(seed=seed)
    splits, raw, raw_grid = {}, {}, {}
    for split, count in sizes.items():
        pairs = list(NOVEL_PAIRS) if split == "novel" else seen
        images, objects, captions, image_idxs, urls = [], [], [], [], []
        folder = os.path.join(out_dir, "images", split)
        os.makedirs(folder, exist_ok=True)
        for i in tqdm(range(count), desc=f"rendering {split}", disable=not progress):
            objs = random_objects(rng, image_size, pairs)
            image = render(objs, image_size, rng)
            url = f"images/{split}/{i:05d}.png"
            Image.fromarray(image).save(os.path.join(out_dir, url))
            images.append(image)
            objects.append(objs)
            urls.append(url)
            for _ in range(CAPTIONS_PER_IMAGE):
                captions.append(encode(caption(objs, rng), word_to_idx))
                image_idxs.append(i)
        splits[split] = (np.asarray(captions, np.int32), np.asarray(image_idxs, np.int32),
                         urls, objects)
        raw[split], raw_grid[split] = extractor.raw_both(
            np.stack(images), progress=f"features {split}" if progress else None)
    note = tqdm.write if progress else (lambda text: None)  # no phase is silent
    started = time.monotonic()
    note("fitting the features' PCA on the training images ...")
    extractor.fit(raw["train"])
    extractor.fit_grid(raw_grid["train"])
    note(f"writing the features and captions to {out_dir} ...")
    # every file below is written whole or not at all (files.atomic_write)
    with writing_hdf5(os.path.join(out_dir, CAPTIONS_FILE)) as f:
        for split, (captions, image_idxs, _, _) in splits.items():
            f.create_dataset(f"{split}_captions", data=captions)
            f.create_dataset(f"{split}_image_idxs", data=image_idxs)
    for split, (_, _, urls, _) in splits.items():
        for pca, features in ((True, extractor.transform(raw[split])), (False, raw[split])):
            with writing_hdf5(os.path.join(out_dir, feature_file(split, pca))) as f:
                f.create_dataset("features", data=features)
                f.attrs["description"] = DESCRIPTION if pca else DESCRIPTION.replace(
                    ", PCA)", ", before PCA)")
        with writing_hdf5(os.path.join(out_dir, grid_file(split))) as f:
            f.create_dataset("features", data=extractor.transform_grid(raw_grid.pop(split)))
            f.attrs["description"] = GRID_DESCRIPTION
        with writing_text(os.path.join(out_dir, url_file(split))) as f:
            f.write("\n".join(urls) + "\n")
    with writing_text(os.path.join(out_dir, VOCAB_FILE)) as f:
        json.dump({"idx_to_word": idx_to_word, "word_to_idx": word_to_idx}, f)
    with writing_text(os.path.join(out_dir, OBJECTS_FILE)) as f:
        json.dump({split: s[3] for split, s in splits.items()}, f)
    extractor.save(os.path.join(out_dir, EXTRACTOR_FILE))
    with writing_text(os.path.join(out_dir, "README.txt")) as f:
        f.write(f"Shapes captioning set made by `minigraph shapes` (seed {seed}).\n"
                "Same file layout as the cs231n COCO captioning data, but the images are "
                "rendered shapes and the\nfiles named *vgg16_fc7* hold " + DESCRIPTION +
                ".\nSplits: train, val (new renders), novel (only colour-shape pairs never "
                f"seen in train: {', '.join(' '.join(p) for p in NOVEL_PAIRS)}).\n"
                f"*_grid.h5 hold the {GRID_DESCRIPTION}.\n")
    note(f"fitted and written in {time.monotonic() - started:.0f} s")
    return sizes


def load_objects(data_dir):
    """Ground-truth objects per image, per split."""
    from minigraph import bounded_read
    from minigraph.errors import DataError

    return bounded_read.read_json(os.path.join(data_dir, OBJECTS_FILE), DataError,
                                  "objects file")
