"""`minigraph caption scorer` (train the per-cell attribute scorer) and `minigraph caption
table` (every captioner on val and novel, greedy and beam, with and without attribute
re-ranking: one markdown table and one JSON file), and what `caption eval` shares with
them."""

import json
import os
import time

import numpy as np

from minigraph.errors import UsageError
from minigraph.files import atomic_write

from .attribute_rerank import AttributeReranker
from .attribute_scorer import AttributeScorer, cell_features, read_pictures, train_scorer
from .caption_eval import decode_split, score_split
from .data import load_coco_data
from .data.shapes_dataset import EXTRACTOR_FILE, OBJECTS_FILE, load_objects
from .flags import at_least, check_picture_output, check_training_output, count, non_negative

METRICS = ("attribute_accuracy", "exact_images", "relation_accuracy", "bleu4", "recall@1",
           "recall@5")
HEADERS = ("attr", "exact", "relation", "BLEU-4", "recall@1", "recall@5")


def add_commands(sub):
    scorer = sub.add_parser("scorer", help="train the per-cell colour/shape scorer used to "
                            "re-rank captions (shapes data only)")
    scorer.add_argument("--data", required=True, help="shapes data directory")
    scorer.add_argument("--images", type=count, default=6000,
                        help="training pictures to read (default: 6000)")
    scorer.add_argument("--epochs", type=count, default=3,
                        help="passes over the pictures' cells (default: 3)")
    scorer.add_argument("--seed", type=non_negative, default=0,
                        help="seed of the initialisation and the order (default: 0)")
    scorer.add_argument("--out", default="scorer.h5", help="file to write (default: scorer.h5)")
    scorer.add_argument("--force", action="store_true", help="replace an existing --out")
    scorer.set_defaults(handler=run_scorer)

    table = sub.add_parser("table", help="val and novel metrics of captioners, greedy and "
                           "beam, with and without re-ranking, as one table")
    table.add_argument("--model", required=True, nargs="+", help="captioner checkpoints")
    table.add_argument("--data", default=None, help="defaults to the first model's data")
    table.add_argument("--scorer", default=None, help="an AttributeScorer: adds re-ranked rows")
    table.add_argument("--beam", type=at_least(5), default=5,
                       help="beam width, at least 5 for recall@5 (default: 5)")
    table.add_argument("--max-images", type=count, default=None,
                       help="evaluate the first N images of each split (default: all)")
    table.add_argument("--results", default=None,
                       help="also write the rows to this .json file")
    table.add_argument("--force", action="store_true", help="replace an existing --results")
    table.set_defaults(handler=run_table)


def load_captioner(path):
    """(model, checkpoint dict) of any captioner checkpoint (CaptioningRNN or
    AttentionCaptioner), by the kind it records."""
    from .caption_commands import load_captioner as load

    return load(path)


def data_dir_of(saved, given):
    data_dir = given or saved["state"].get("data_dir")
    if not data_dir:
        raise UsageError("give --data: the checkpoint does not record its data directory")
    return data_dir


def shapes_truth(data_dir):
    """Ground-truth objects per split, or a UsageError for data that has none."""
    if not os.path.exists(os.path.join(data_dir, OBJECTS_FILE)):
        raise UsageError(f"{data_dir} has no {OBJECTS_FILE}: attribute metrics, recall and "
                         "re-ranking need the shapes set (minigraph shapes)")
    return load_objects(data_dir)


def make_reranker(scorer_path, data_dir, data, split):
    """An AttributeReranker for every image of the split, from its PNG pictures."""
    from .data.features import RandomConvFeatures

    scorer = AttributeScorer.load(scorer_path)
    extractor = RandomConvFeatures.load(os.path.join(data_dir, EXTRACTOR_FILE))
    features = cell_features(extractor, read_pictures(data_dir, data[f"{split}_urls"]))
    return AttributeReranker(scorer.pair_evidence(*features))


def run_scorer(args):
    from .data.features import RandomConvFeatures

    check_training_output(args.out, "AttributeScorer", False, args.force)
    truth = shapes_truth(args.data)
    data = load_coco_data(args.data)
    extractor = RandomConvFeatures.load(os.path.join(args.data, EXTRACTOR_FILE))
    started = time.monotonic()
    scorer, accuracy = train_scorer(args.data, data, truth, extractor, args.images,
                                    args.epochs, args.seed)
    scorer.save(args.out)
    for split, acc in accuracy.items():
        print(f"{split}: cells with the right colour {acc['colour']:.3f}, "
              f"shape {acc['shape']:.3f}")
    print(f"trained on {min(args.images, len(data['train_urls']))} pictures in "
          f"{time.monotonic() - started:.0f} s (load average {_load_average()}); "
          f"wrote {args.out}")
    return 0


def _load_average():
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def table_rows(models, data_dir, scorer=None, beam=5, max_images=None, log=print):
    """One dict per (captioner, split, decoding, re-ranking): its metrics and iterations."""
    data = load_coco_data(data_dir, grid=any(load_captioner(path)[0].feature_key == "grid"
                                             for path in models))
    truth = shapes_truth(data_dir)
    splits = [s for s in ("val", "novel") if f"{s}_captions" in data]
    rerankers = {s: make_reranker(scorer, data_dir, data, s) for s in splits} if scorer else {}
    rows = []
    for path in models:
        model, saved = load_captioner(path)
        iterations = len(saved["history"].get("loss_history", []))
        for split in splits:
            for method in ("greedy", "beam"):
                started = time.monotonic()
                images, candidates = decode_split(model, data, split, max_images, method,
                                                  beam, (1, 5) if method == "beam" else ())
                for rerank in [None] + ([rerankers[split]] if scorer else []):
                    result = score_split(data, split, images, candidates, truth[split],
                                         (1, 5), rerank)
                    row = {"model": os.path.basename(path), "kind": saved["kind"],
                           "cell": saved["config"].get("cell_type"), "iterations": iterations,
                           "split": split, "images": len(images),
                           "decoding": f"beam {beam}" if method == "beam" else "greedy",
                           "rerank": rerank is not None}
                    row.update({m: result.get(m) for m in METRICS})
                    rows.append(row)
                    log(format_table([row], header=not rows[:-1]))
                log(f"  ({time.monotonic() - started:.0f} s, load average {_load_average()})")
    return rows


def _cell(value):
    return "—" if value is None else f"{value:.3f}"


def format_table(rows, header=True):
    """Markdown table of table_rows' dicts."""
    lines = []
    if header:
        lines.append("| captioner (iterations) | split | decoding | re-ranked | "
                     + " | ".join(HEADERS) + " |")
        lines.append("|" + "---|" * (4 + len(HEADERS)))
    for r in rows:
        lines.append(f"| {r['model']} ({r['iterations']}) | {r['split']} | {r['decoding']} | "
                     f"{'yes' if r['rerank'] else 'no'} | "
                     + " | ".join(_cell(r[m]) for m in METRICS) + " |")
    return "\n".join(lines)


def run_table(args):
    if args.results:
        check_picture_output(args.results, [".json"], "--results")
        if os.path.exists(args.results) and not args.force:
            raise UsageError(f"--results {args.results} exists: add --force to replace it")
    for path in args.model:
        load_captioner(path)  # every checkpoint checked before the long part starts
    data_dir = args.data or data_dir_of(load_captioner(args.model[0])[1], None)
    rows = table_rows(args.model, data_dir, args.scorer, args.beam, args.max_images)
    print("\n" + format_table(rows))
    print(f"load average {_load_average()}")
    if args.results:
        report = {"rows": rows, "data": os.path.abspath(data_dir), "beam": args.beam,
                  "load_average": list(os.getloadavg()),
                  "written": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
        atomic_write(args.results, json.dumps(report, indent=1, default=_plain) + "\n")
        print(f"wrote {args.results}")
    return 0


def _plain(value):
    return value.item() if isinstance(value, np.generic) else str(value)


def next_word_probabilities(model, features, captions, after, words):
    """Teacher-forced p(word | caption so far, image) at each position where the previous
    word is in ``after`` and the word itself in ``words`` (a CaptioningRNN): how much the
    model believes the caption's own next word there. Returns a 1-d array."""
    import minigraph as mg

    start, step = model._sampler(len(features))
    with mg.no_grad():
        h = start.forward({"features": features.astype(model.dtype)})
    c = np.zeros_like(h)
    after_ids = {model.word_to_idx[w] for w in after}
    word_ids = {model.word_to_idx[w] for w in words}
    found = []
    for t in range(captions.shape[1] - 1):
        scores, h, c = model._run_step(step, captions[:, t], h, c)
        scores = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
        target = captions[:, t + 1]
        for row in np.flatnonzero(np.isin(captions[:, t], list(after_ids))
                                  & np.isin(target, list(word_ids))):
            found.append(probs[row, target[row]])
    return np.asarray(found)
