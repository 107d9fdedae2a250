"""Every captioner on val and novel, greedy and beam, with and without attribute
re-ranking, as one table (what `minigraph caption table` prints), the pieces `caption eval`
shares with it (ground truth, the re-ranker), and the teacher-forced probabilities of chosen
words (docs/tutorials/07-attention.md)."""

import os
import time

import numpy as np

from minigraph.errors import UsageError

from ..data import load_coco_data
from ..data.shapes_dataset import EXTRACTOR_FILE, OBJECTS_FILE, load_objects
from .attribute_rerank import AttributeReranker
from .attribute_scorer import AttributeScorer, cell_features, read_pictures
from .evaluation import decode_split, score_split
from .training import load_captioner

METRICS = ("attribute_accuracy", "exact_images", "relation_accuracy", "bleu4", "recall@1",
           "recall@5")
HEADERS = ("attr", "exact", "relation", "BLEU-4", "recall@1", "recall@5")


def data_dir_of(saved, given):
    """The data directory: ``given`` (--data), else the one the checkpoint recorded."""
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
    from ..data.features import RandomConvFeatures

    scorer = AttributeScorer.load(scorer_path)
    extractor = RandomConvFeatures.load(os.path.join(data_dir, EXTRACTOR_FILE))
    features = cell_features(extractor, read_pictures(data_dir, data[f"{split}_urls"]))
    return AttributeReranker(scorer.pair_evidence(*features))


def load_average():
    """The machine's 1, 5 and 15 minute load, printed beside timings."""
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
                log(f"  ({time.monotonic() - started:.0f} s, load average {load_average()})")
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
