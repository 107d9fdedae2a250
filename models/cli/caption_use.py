"""`minigraph caption eval|sample|gallery`: the commands that use a trained captioner."""

import json
import os
import warnings

import numpy as np

from minigraph.errors import UsageError

from ..captioning.evaluation import caption_images, evaluate_split
from ..captioning.gallery import write_gallery
from ..captioning.report import data_dir_of, make_reranker, shapes_truth
from ..captioning.training import load_captioner, shapes_objects
from ..data import load_coco_data
from ..data.shapes_dataset import EXTRACTOR_FILE
from .flags import check_picture_output


def _load(model_path, data_dir):
    model, saved = load_captioner(model_path)
    return model, data_dir_of(saved, data_dir)


def _check_split(data, split, data_dir):
    splits = sorted(k[:-len("_captions")] for k in data if k.endswith("_captions"))
    if split not in splits:
        raise UsageError(f"--split {split!r}: {data_dir} has the splits {', '.join(splits)}")


def _load_data(model, data_dir):
    """The data, with the grid features when the model reads them."""
    return load_coco_data(data_dir, grid=model.feature_key == "grid")


def run_eval(args):
    wide = [k for k in args.recall_k or () if k > 1]
    if wide and not args.beam:
        raise UsageError(f"--recall-k {wide[0]} needs beam search (--beam N): greedy decoding "
                         f"gives one caption per image, so no top {wide[0]} to score")
    model, data_dir = _load(args.model, args.data)
    if args.results:
        check_picture_output(args.results, [".json"], "--results", force=args.force,
                             inputs=[args.model, data_dir])
    data = _load_data(model, data_dir)
    _check_split(data, args.split, data_dir)
    objects = shapes_objects(data_dir)
    if (args.recall_k or args.rerank) and objects is None:
        shapes_truth(data_dir)  # says why not
    method = "beam" if args.beam else "greedy"
    rerank = make_reranker(args.rerank, data_dir, data, args.split) \
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
                                            **shown}, indent=1) + "\n", mark_json=True)
        print(f"wrote {args.results}")
    for i, text in list(zip(result["images"], result["captions"]))[:5]:
        print(f"  {data[f'{args.split}_urls'][i]}: {text}")
    return 0


def run_sample(args):

    from ..data.features import RandomConvFeatures

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
        with warnings.catch_warnings():  # PIL's bomb warning: refused below, in one line
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)  # reads the header only: the size is known first
        with image:
            width, height = image.size
            if width * height > MAX_PICTURE_PIXELS:
                raise UsageError(f"--image {path} is {width}x{height} pixels, more than the "
                                 f"{MAX_PICTURE_PIXELS:,} a picture to caption may have "
                                 "(the dataset's are 64x64): scale it down")
            if min(width, height) < MIN_PICTURE_SIDE:
                raise UsageError(f"--image {path} is {width}x{height} pixels; the feature "
                                 f"extractor needs at least {MIN_PICTURE_SIDE}x"
                                 f"{MIN_PICTURE_SIDE} (the dataset's are 64x64)")
            pixels = np.asarray(image.convert("RGB"))
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise UsageError(f"--image {path} is not a picture PIL can read ({exc})") from None
    return pixels


# pictures given to caption: at least this side (the extractor's convolutions and 4x4 grid
# need 16; smaller than 32 says nothing), at most this many pixels (the extractor holds
# about 400 float32 numbers per pixel; a decompression bomb declares billions)
MIN_PICTURE_SIDE, MAX_PICTURE_PIXELS = 32, 1024 * 1024


def run_gallery(args):
    check_picture_output(args.out, [".png"], force=True, inputs=[args.model])
    if os.path.exists(args.out) and not args.force:  # stricter: even minigraph's own
        raise UsageError(f"--out {args.out} exists; choose another --out or add --force to "
                         "replace it")
    model, data_dir = _load(args.model, args.data)
    check_picture_output(args.out, [".png"], force=True, inputs=[data_dir])
    if args.attention and model.feature_key != "grid":
        raise UsageError(f"--attention needs an AttentionCaptioner (trained with `caption "
                         f"train --attention`); {args.model} holds a {type(model).__name__}")
    data = _load_data(model, data_dir)
    _check_split(data, args.split, data_dir)
    if args.attention:
        from ..captioning.attention_gallery import write_attention_gallery

        write_attention_gallery(model, data, data_dir, args.split, args.count or 4, args.out,
                                overwrite=args.force)
    else:
        write_gallery(model, data, data_dir, args.split, args.count or 12, args.out,
                      overwrite=args.force)
    print(f"wrote {args.out}")
    return 0
