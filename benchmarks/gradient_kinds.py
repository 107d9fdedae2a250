"""How often each kind of gradient reaches the engine during real training steps.

    python -m benchmarks.gradient_kinds [--work DIR]
    MINIGRAPH_KERNELS=numpy python -m benchmarks.gradient_kinds

Counts what ops hand the engine's gradient table (a plain array, a ``SubGrad`` that fills
a slice, or any other kind an op may return) in a few training steps of the char-LSTM,
-RNN and -GRU (the trainer's default whole-sequence graph and ``fused=False``), the
CS231n captioner and the attention captioner (through CaptioningSolver on the shapes set),
and in a user's own loop calling ``CharRNN.loss`` (the per-step graph until issue 23; now
loss() runs the trainer's graph for every caller). The counts decide which gradient kinds
the engine has to support (issue 23: measure before removing).

Measured (3 steps each, numpy and numba paths alike): the trainers' whole-sequence graphs
and every fused=False graph send only arrays and SubGrads; ProductGrad comes from the
per-step fused cells, i.e. the attention captioner's default training (one per timestep:
64 in 4 solver iterations of T = 16) and CharRNN.loss called on the per-step graph (96,
measured before loss() stopped running that graph).
"""

import argparse
import collections
import os

import numpy as np


def _counting(counts):
    """Wrap the engine's accumulation so each gradient it receives is counted by type."""
    try:
        from minigraph.gradients import GradientTable as owner
        name = "add"
    except ImportError:  # before the gradient table (issue 23): Graph._accumulate
        from minigraph.graph import Graph as owner
        name = "_accumulate"
    original = owner.__dict__[name]
    function = original.__func__ if isinstance(original, staticmethod) else original

    def counted(*args, **kwargs):
        grad = args[2] if name == "add" else args[1]
        counts[type(grad).__name__ + (" (settled)" if kwargs.get("owned") else "")] += 1
        return function(*args, **kwargs)

    setattr(owner, name, counted if name == "add" else staticmethod(counted))
    return lambda: setattr(owner, name, original)


def char_runs(steps):
    from minigraph.models.charrnn.trainer import CharTrainer
    from minigraph.models.data.text import load_text

    text = load_text("shakespeare")
    for cell in ("lstm", "rnn", "gru"):
        for fused in (True, False):
            trainer = CharTrainer(text, cell=cell, num_layers=2, hidden_size=32, seq_len=16,
                                  batch_size=8, seed=0, fused=fused)

            def run(trainer=trainer):
                trainer.train(iterations=steps, eval_every=0, sample_every=0, progress=False,
                              log=lambda message: None)
            yield f"char-{cell} trainer fused={fused}", run
        trainer = CharTrainer(text, cell=cell, num_layers=2, hidden_size=32, seq_len=16,
                              batch_size=8, seed=0)
        model = trainer.model

        def own_loop(trainer=trainer, model=model):
            for _ in range(steps):
                x, y, _ = trainer.train_tracks.next()
                model.loss(x, y)
        yield f"char-{cell} own loop (CharRNN.loss)", own_loop


def captioning_runs(folder):
    from minigraph.models.captioning.attention_captioner import AttentionCaptioner
    from minigraph.models.captioning.rnn_captioner import CaptioningRNN
    from minigraph.models.captioning.solver import CaptioningSolver
    from minigraph.models.data import load_coco_data
    from minigraph.models.data.shapes_dataset import make_shapes_dataset

    data_dir = os.path.join(folder, "shapes")
    if not os.path.isdir(data_dir):
        make_shapes_dataset(data_dir, num_train=200, num_val=40, num_novel=10, seed=0,
                            progress=False)
    data = load_coco_data(data_dir, max_train=100, grid=True)
    _, P, D = data["train_grid"].shape
    for cell in ("rnn", "lstm"):
        for fused in (True, False):
            for kind in ("captioning", "attention"):
                if kind == "captioning":
                    model = CaptioningRNN(data["word_to_idx"],
                                          input_dim=data["train_features"].shape[1],
                                          wordvec_dim=16, hidden_dim=32, cell_type=cell,
                                          fused=fused, seed=0)
                else:
                    model = AttentionCaptioner(data["word_to_idx"], input_dim=D, num_cells=P,
                                               wordvec_dim=16, hidden_dim=32, cell_type=cell,
                                               fused=fused, seed=0)
                solver = CaptioningSolver(model, data, update_rule="adam",
                                          optim_config={"learning_rate": 5e-3}, num_epochs=1,
                                          batch_size=25, verbose=False, seed=0, progress=False)
                yield f"{kind}-{cell} solver fused={fused}", solver.train


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--work", default="same_numbers_work",
                        help="folder for the shapes data set (made once)")
    args = parser.parse_args(argv)
    os.makedirs(args.work, exist_ok=True)
    kernels = os.environ.get("MINIGRAPH_KERNELS", "default")
    print(f"kernels: {kernels}")
    np.seterr(all="ignore")
    for name, run in [*char_runs(args.steps), *captioning_runs(args.work)]:
        counts = collections.Counter()
        restore = _counting(counts)
        try:
            run()
        finally:
            restore()
        print(f"{name:44s} " + "  ".join(f"{k} {v}" for k, v in sorted(counts.items())),
              flush=True)


if __name__ == "__main__":
    main()
