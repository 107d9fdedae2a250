"""A PNG grid of images, each with one reference caption and the generated one
(`minigraph caption gallery`, `minigraph demo`; the attention maps are in
attention_gallery.py)."""

import os
import textwrap

import numpy as np

from ..data import decode_captions
from ..shared.plots import save_figure
from .evaluation import caption_images


def write_gallery(model, data, data_dir, split, count, out, overwrite=False):
    """A grid of images, one reference caption and the generated caption for each."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    images = sorted(set(data[f"{split}_image_idxs"].tolist()))[:count]
    generated = caption_images(model, data[f"{split}_{model.feature_key}"][images])
    first_ref = {}
    for image, text in zip(data[f"{split}_image_idxs"],
                           decode_captions(data[f"{split}_captions"], data["idx_to_word"])):
        first_ref.setdefault(int(image), text)
    columns = 4
    rows = (len(images) + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(4 * columns, 4.6 * rows), dpi=80,
                             layout="constrained")
    for ax in np.ravel(axes):
        ax.axis("off")
    for ax, image, text in zip(np.ravel(axes), images, generated):
        ax.imshow(Image.open(os.path.join(data_dir, data[f"{split}_urls"][image])))
        # matplotlib does not wrap titles to their axes, so long captions ran into the
        # neighbouring picture: wrap each to about the width of one column
        lines = textwrap.wrap(f"GT: {first_ref[image]}", 44) + textwrap.wrap(
            f"model: {text}", 44)
        ax.set_title("\n".join(lines), fontsize=8, loc="left")
    save_figure(fig, out, overwrite=overwrite, bbox_inches="tight", pad_inches=0.15)
