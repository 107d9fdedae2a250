"""`minigraph demo`: the product's main job on a fresh install, in a few minutes.

Makes a small shapes captioning set, trains an LSTM captioner with a progress bar,
prints BLEU, attribute accuracy and a few captions, and writes the gallery, the loss
curve and a drawing of the unrolled graph of one minibatch into the output directory.
Then a short char-rnn run on Python's own source code ends with a sample.
"""

import os
import time

from ..data import load_coco_data
from ..data.shapes_dataset import load_objects, make_shapes_dataset

# what the demo writes into its folder (main checks them before it starts)
OUTPUTS = ["shapes", "gallery.png", "captioner.h5", "captioner_loss.png", "unrolled_graph.svg",
           "unrolled_graph.dot", "char_rnn.h5", "char_rnn_loss.png", "char_rnn_samples.txt"]


def run(out_dir="minigraph-demo", seed=0, train_images=3000, minutes=1.5, progress=True,
        out=None, char_minutes=0.5, force=False):
    from tqdm.auto import tqdm

    out = out or tqdm.write  # print, but a line written while a bar shows goes above it
    from ..captioning.evaluation import evaluate_split
    from ..captioning.gallery import write_gallery
    from ..captioning.training import train_captioner

    started = time.monotonic()
    data_dir = os.path.join(out_dir, "shapes")
    out(f"1/5 rendering a shapes captioning set ({train_images} training images) in {data_dir}")
    make_shapes_dataset(data_dir, num_train=train_images, num_val=max(20, train_images // 8),
                        num_novel=max(20, train_images // 16), seed=seed, progress=progress)
    out(f"2/5 training an LSTM captioner for up to {minutes:g} min")
    model, solver, _ = train_captioner(
        data_dir, cell_type="lstm", hidden_dim=256, wordvec_dim=128, epochs=100,
        batch_size=100, lr=5e-3, lr_decay=0.9, max_minutes=minutes, val_images=100, seed=seed,
        out=os.path.join(out_dir, "captioner.h5"), progress=progress, log=out, force=force)
    data = load_coco_data(data_dir)
    objects = load_objects(data_dir)
    out("3/5 evaluating (greedy decoding)")
    for split in ("val", "novel"):
        # one line per split, before its decoding starts: the whole split takes a while
        out(f"  decoding the {split} split ({len(data[f'{split}_urls'])} images) ...")
        result = evaluate_split(model, data, split, objects=objects[split])
        out(f"  {split:<5} BLEU-1 {result['bleu1']:.3f}  BLEU-4 {result['bleu4']:.3f}  "
            f"attribute accuracy {result['attribute_accuracy']:.3f}  exact images "
            f"{result['exact_images']:.3f}  relations {result['relation_accuracy']:.3f}")
    val = evaluate_split(model, data, "val", max_images=4)
    for image, text in zip(val["images"], val["captions"]):
        out(f"  {data['val_urls'][image]}: {text}")
    out("4/5 writing pictures: a gallery of 12 captioned images ...")
    gallery = os.path.join(out_dir, "gallery.png")
    write_gallery(model, data, data_dir, "val", 12, gallery, overwrite=True)  # its own folder
    out("  drawing one unrolled minibatch ...")
    graph_path = _draw_one_minibatch(model, out_dir, out)
    _char_rnn(out_dir, seed, char_minutes, progress, out, force)
    out(f"done in {time.monotonic() - started:.0f} s: {gallery}, "
        f"{os.path.join(out_dir, 'captioner_loss.png')}, {graph_path}")
    return model, solver


def _draw_one_minibatch(model, out_dir, out):
    from minigraph.draw import draw
    from minigraph.draw.render import RenderError

    graph = model.build_graph(2, 5)
    drawing = draw(graph, title="captioning LSTM, one minibatch (N=2, T=5) unrolled")
    path = os.path.join(out_dir, "unrolled_graph.svg")
    try:
        return drawing.save(path)
    except RenderError as exc:
        out(f"  could not render the graph: {exc}")
        return os.path.splitext(path)[0] + ".dot"


def _char_rnn(out_dir, seed, minutes, progress, out, force=False):
    from ..charrnn.trainer import CharTrainer
    from ..data.text import default_corpus

    out(f"5/5 a char-rnn (1-layer LSTM, 128 units) on Python's own source, {minutes:g} min")
    trainer = CharTrainer(default_corpus(300_000), num_layers=1, hidden_size=128, seq_len=48,
                          batch_size=32, lr=3e-3, seed=seed)
    trainer.train(max_minutes=minutes, eval_every=0, sample_every=0,
                  out=os.path.join(out_dir, "char_rnn.h5"), progress=progress, log=out,
                  force=force)
    out(f"  {trainer.iteration} iterations at {trainer.chars_per_second:.0f} chars/s; "
        "a sample at temperature 0.8:")
    out(trainer.model.sample(prime="def ", length=240, temperature=0.8, seed=seed))
