"""`minigraph caption gallery --attention`: where the captioner looked for each word.

For a few images, a row of panels: the image with its generated caption, then one panel
per generated word showing the image with that word's attention weights over the P grid
cells laid on top (the figure "Show, Attend and Tell" is known for). The P weights are a
sqrt(P) x sqrt(P) map over the image (cell p = row * side + col, row 0 at the top),
smoothly upsampled: the picture stays as it is where the model looked and fades to
black where it did not (darkness 0.85 * (1 - weight / the word's largest weight)).
"""

import io
import math
import os
import textwrap

import numpy as np

from minigraph.errors import UsageError
from minigraph.files import atomic_write

from ..data import decode_captions

COLUMNS = 8  # panels per line; longer captions continue on the next line


def attention_panels(model, grids, max_length=16):
    """[(words, weights)] per image: the greedy caption's words (up to and without <END>)
    and the (len(words), P) weights each was generated with."""
    captions, attention = model.sample(grids, max_length=max_length, return_attention=True)
    result = []
    for ids, weights in zip(captions, attention):
        words = decode_captions(ids, model.idx_to_word).split()
        result.append((words, weights[:len(words)]))
    return result


def _square(weights):
    side = math.isqrt(weights.shape[-1])
    if side * side != weights.shape[-1]:
        raise UsageError(f"the grid has {weights.shape[-1]} cells, not a square number: "
                         "cannot lay its attention weights over the image")
    return weights.reshape(weights.shape[:-1] + (side, side))


def draw_attention_figure(pictures, panels, title=None):
    """A matplotlib figure: for each picture (H, W, 3) and its (words, weights), the picture
    with its caption, then one panel per word with the weights over the picture."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines_per_image = [max(1, math.ceil((len(words) + 1) / COLUMNS)) for words, _ in panels]
    rows = sum(lines_per_image)
    fig, axes = plt.subplots(rows, COLUMNS, figsize=(1.7 * COLUMNS, 2.05 * rows), dpi=90,
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    row = 0
    for picture, (words, weights), lines in zip(pictures, panels, lines_per_image):
        height, width = picture.shape[:2]
        extent = (-0.5, width - 0.5, height - 0.5, -0.5)
        slots = [axes[row + i // COLUMNS, i % COLUMNS] for i in range(lines * COLUMNS)]
        slots[0].imshow(picture)
        slots[0].text(0.0, -0.04, "\n".join(textwrap.wrap(" ".join(words) or "(empty)", 24)),
                      transform=slots[0].transAxes, ha="left", va="top", fontsize=8)
        for ax, word, cells in zip(slots[1:], words, _square(np.asarray(weights))):
            ax.imshow(picture)
            shade = np.zeros(cells.shape + (4,))
            shade[..., 3] = 0.85 * (1 - cells / max(float(cells.max()), 1e-12))
            ax.imshow(shade, extent=extent, interpolation="bilinear")
            ax.text(0.5, -0.04, f"{word}  ({cells.max():.2f})", transform=ax.transAxes,
                    ha="center", va="top", fontsize=10)
        row += lines
    height = 2.05 * rows  # inches
    if title:
        fig.suptitle(title, fontsize=11, y=1 - 0.12 / height, va="top")
    top = 1 - 0.55 / height if title else 0.99  # room for the title, in inches
    fig.subplots_adjust(left=0.01, right=0.99, top=top, bottom=0.45 / height, wspace=0.06,
                        hspace=0.35)
    return fig


def write_attention_gallery(model, data, data_dir, split, count, out, overwrite=False):
    """The first ``count`` images of ``split`` with an attention map per generated word,
    written atomically to ``out`` (a PNG); an existing ``out`` is kept unless
    ``overwrite``."""
    from PIL import Image

    if not hasattr(model, "grid_shape"):
        raise UsageError(f"--attention needs an AttentionCaptioner (trained with `caption "
                         f"train --attention`); this model is a {type(model).__name__}")
    if os.path.exists(out) and not overwrite:
        raise UsageError(f"--out {out} exists; choose another --out or add --force to "
                         "replace it")
    images = sorted(set(data[f"{split}_image_idxs"].tolist()))[:count]
    panels = attention_panels(model, data[f"{split}_grid"][images])
    pictures = []
    for image in images:
        with Image.open(os.path.join(data_dir, data[f"{split}_urls"][image])) as picture:
            pictures.append(np.asarray(picture.convert("RGB")))
    fig = draw_attention_figure(pictures, panels, title=f"where the {model.cell_type} "
                                f"attention captioner looked for each word ({split} images; "
                                "peak weight in brackets)")
    import matplotlib.pyplot as plt
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    atomic_write(out, buffer.getvalue(), overwrite=overwrite)
    return panels
