"""`minigraph caption scorer` (train the per-cell attribute scorer) and `minigraph caption
table` (every captioner on val and novel, greedy and beam, with and without attribute
re-ranking: one markdown table and one JSON file)."""

import json
import os
import time

import numpy as np

from minigraph.errors import UsageError
from minigraph.files import atomic_write

from ..captioning.attribute_scorer import train_scorer
from ..captioning.report import data_dir_of, format_table, load_average, shapes_truth, table_rows
from ..captioning.training import load_captioner
from ..data import load_coco_data
from ..data.shapes_dataset import EXTRACTOR_FILE
from .flags import bounded, check_picture_output, check_training_output, count, non_negative


def add_commands(sub):
    scorer = sub.add_parser("scorer", help="train the per-cell colour/shape scorer used to "
                            "re-rank captions (shapes data only)")
    scorer.add_argument("--data", required=True, help="shapes data directory")
    scorer.add_argument("--images", type=bounded(1, 200000), default=6000,
                        help="training pictures to read (default: 6000; at most 200000)")
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
    table.add_argument("--beam", type=bounded(5, 100), default=5,
                       help="beam width, at least 5 for recall@5 (default: 5; at most 100)")
    table.add_argument("--max-images", type=bounded(1, 10**6), default=None,
                       help="evaluate the first N images of each split (default: all; at "
                       "most 1000000)")
    table.add_argument("--results", default=None,
                       help="also write the rows to this .json file")
    table.add_argument("--force", action="store_true", help="replace an existing --results")
    table.set_defaults(handler=run_table)


def run_scorer(args):
    from ..data.features import RandomConvFeatures

    check_training_output(args.out, "AttributeScorer", False, args.force, inputs=[args.data])
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
          f"{time.monotonic() - started:.0f} s (load average {load_average()}); "
          f"wrote {args.out}")
    return 0


def run_table(args):
    if args.results:
        check_picture_output(args.results, [".json"], "--results", force=True)
        if os.path.exists(args.results) and not args.force:
            raise UsageError(f"--results {args.results} exists: add --force to replace it")
    for path in args.model:
        load_captioner(path)  # every checkpoint checked before the long part starts
    data_dir = args.data or data_dir_of(load_captioner(args.model[0])[1], None)
    if args.results:  # no output is an input: the models, the scorer, the data
        check_picture_output(args.results, [".json"], "--results", force=True,
                             inputs=[*args.model, args.scorer, data_dir])
    rows = table_rows(args.model, data_dir, args.scorer, args.beam, args.max_images)
    print("\n" + format_table(rows))
    print(f"load average {load_average()}")
    if args.results:
        report = {"rows": rows, "data": os.path.abspath(data_dir), "beam": args.beam,
                  "load_average": list(os.getloadavg()),
                  "written": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
        atomic_write(args.results, json.dumps(report, indent=1, default=_plain) + "\n",
                     mark_json=True)
        print(f"wrote {args.results}")
    return 0


def _plain(value):
    return value.item() if isinstance(value, np.generic) else str(value)
