"""`minigraph caption eval|sample|gallery`: the commands that use a trained captioner."""

import json
import os
import textwrap

import numpy as np

from minigraph.errors import UsageError

from . import caption_report
from .caption_commands import _objects, load_captioner
from .caption_eval import caption_images, evaluate_split
from .data import decode_captions, load_coco_data
from .data.shapes_dataset import EXTRACTOR_FILE
from .flags import check_picture_output
from .plots import save_figure


def _load(model_path, data_dir):
    model, saved = load_captioner(model_path)
    data_dir = data_dir or saved["state"].get("data_dir")
    if not data_dir:
        raise UsageError("give --data: the checkpoint does not record its data directory")
    return model, data_dir


def _check_split(data, split, data_dir):
    splits = sorted(k[:-len("_captions")] for k in data if k.endswith("_captions"))
    if split not in splits:
        raise UsageError(f"--split {split!r}: {data_dir} has the splits {', '.join(splits)}")


def _load_data(model, data_dir):
    """The data, with the grid features when the model reads them."""
    return load_coco_data(data_dir, grid=model.feature_key == "grid")


def run_eval(args):
    if args.results:
        check_picture_output(args.results, [".json"], "--results")
    model, data_dir = _load(args.model, args.data)
    data = _load_data(model, data_dir)
    _check_split(data, args.split, data_dir)
    objects = _objects(data_dir)
    if (args.recall_k or args.rerank) and objects is None:
        caption_report.shapes_truth(data_dir)  # says why not
    method = "beam" if args.beam else "greedy"
    rerank = caption_report.make_reranker(args.rerank, data_dir, data, args.split) \
        if args.rerank else None
    result = evaluate_split(model, data, args.split, args.max_images, method,
                            max(args.beam, 1), objects[args.split] if objects else None,
                            args.recall_k or (), rerank)
    shown = {k: round(v, 4) if isinstance(v, float) else v for k, v in result.items()
             if k not in ("captions", "images")}
    print(f"{args.split} ({len(result['images'])} images, {method}"
          f"{', re-ranked' if rerank else ''}): {shown}")
    if args.results:
        from minigraph.files import atomic_write
        atomic_write(args.results, json.dumps({"model": args.model, "split": args.split,
                                            "decoding": method, "reranked": bool(rerank),
                                            **shown}, indent=1) + "\n")
        print(f"wrote {args.results}")
    for i, text in list(zip(result["images"], result["captions"]))[:5]:
        print(f"  {data[f'{args.split}_urls'][i]}: {text}")
    return 0


def run_sample(args):

    from .data.features import RandomConvFeatures

    model, data_dir = _load(args.model, args.data)
    extractor = RandomConvFeatures.load(os.path.join(data_dir, EXTRACTOR_FILE))
    images = [_read_image(p) for p in args.image]
    sizes = sorted({image.shape[:2] for image in images})
    if len(sizes) > 1:
        raise UsageError(f"--image: the pictures have different sizes {sizes}; give pictures "
                         "of one size (the dataset's)")
    images = np.stack(images)
    if model.feature_key == "grid":
        if extractor.grid_components is None:
            raise UsageError(f"{os.path.join(data_dir, EXTRACTOR_FILE)} has no grid features "
                             "(made before they existed): make the set again with "
                             "`minigraph shapes` to caption with an AttentionCaptioner")
        features = extractor.grid(images)
    else:
        features = extractor(images)
    texts = caption_images(model, features, "beam" if args.beam else "greedy",
                           max(args.beam, 1))
    for path, text in zip(args.image, texts):
        print(f"{path}: {text}")
    return 0


def _read_image(path):
    """An RGB picture of the size the feature extractor was made for, or a UsageError."""
    from PIL import Image, UnidentifiedImageError

    if not os.path.isfile(path):
        problem = "is a directory" if os.path.isdir(path) else "no such file"
        raise UsageError(f"--image {path}: {problem}")
    try:
        with Image.open(path) as image:
            pixels = np.asarray(image.convert("RGB"))
    except (UnidentifiedImageError, OSError) as exc:
        raise UsageError(f"--image {path} is not a picture PIL can read ({exc})") from None
    return pixels


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


def run_gallery(args):
    check_picture_output(args.out, [".png"])
    if os.path.exists(args.out) and not args.force:
        raise UsageError(f"--out {args.out} exists; choose another --out or add --force to "
                         "replace it")
    model, data_dir = _load(args.model, args.data)
    if args.attention and model.feature_key != "grid":
        raise UsageError(f"--attention needs an AttentionCaptioner (trained with `caption "
                         f"train --attention`); {args.model} holds a {type(model).__name__}")
    data = _load_data(model, data_dir)
    _check_split(data, args.split, data_dir)
    if args.attention:
        from .attention_gallery import write_attention_gallery
        write_attention_gallery(model, data, data_dir, args.split, args.count or 4, args.out,
                                overwrite=args.force)
    else:
        write_gallery(model, data, data_dir, args.split, args.count or 12, args.out,
                      overwrite=args.force)
    print(f"wrote {args.out}")
    return 0
