"""Per-step quality of the Shakespeare recipe: 1,000 steps of the cosine recipe with some
changes switched on, validation on 50 windows.

    python -m benchmarks.char_step_gap default | CHANGE [CHANGE ...] [--seed N]

default: minigraph's model as trained (embedding N(0, 1), forget-gate bias 0). Changes,
combinable: forget1: the forget-gate bias starts at 1; embed01: the embedding is N(0, 0.1^2)
(these two are the initialisation before 2026-11-24); noreset: without the zero-state
restarts of every 16th track; torchinit: LSTM and output weights drawn from
U(-1/sqrt(H), 1/sqrt(H)) as PyTorch draws them. ``python -m benchmarks.char_twin`` shows
that the two frameworks take the same steps from the same weights, so what is left is the
initialisation.
"""

import sys
import time

import numpy as np

from minigraph.models.charrnn.model import CharRNN
from minigraph.models.charrnn.trainer import CharTrainer
from minigraph.models.data.text import Vocabulary, tiny_shakespeare

CHANGES = ("forget1", "embed01", "noreset", "torchinit")


def small_embedding(model):
    """W_embed ~ N(0, 0.1^2) as CharRNN drew it before 2026-11-24: the same first draw of
    the model's initialisation stream, times 0.1 (bit for bit the old table)."""
    init = np.random.default_rng(np.random.SeedSequence(model.config["seed"]).spawn(4)[0])
    model.params["W_embed"][...] = init.standard_normal(model.params["W_embed"].shape) * 0.1


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    seed = 0
    if len(argv) > 2 and argv[-2] == "--seed" and argv[-1].isdigit():
        seed, argv = int(argv[-1]), argv[:-2]
    changes = set(argv) - {"default"}
    if not argv or not changes <= set(CHANGES) or ("default" in argv and changes):
        raise SystemExit(f"usage: python -m benchmarks.char_step_gap default | "
                         f"{'|'.join(CHANGES)} [...] [--seed N]")
    text, H = tiny_shakespeare(), 256
    vocab = Vocabulary.from_text(text)
    model = CharRNN(len(vocab), hidden_size=H, num_layers=2, chars=vocab.chars, seed=seed,
                    forget_bias=1.0 if "forget1" in changes else 0.0)
    trainer = CharTrainer(text, lr=3e-3, lr_schedule="cosine", warmup=100, horizon=1000,
                          reset_every=0 if "noreset" in changes else 16, model=model)
    if "embed01" in changes:
        small_embedding(model)
    rng = np.random.default_rng(seed)  # the extra draws: the model's own init stays as it is
    for key, w in model.params.items():
        if "torchinit" in changes and key.startswith(("Wx", "Wh", "W_out")):
            w[...] = rng.uniform(-1 / np.sqrt(H), 1 / np.sqrt(H), w.shape)
    started = time.monotonic()
    trainer.train(iterations=1000, eval_every=0, sample_every=0, progress=False)
    print(f"{' '.join(argv)} (seed {seed}): validation (50 windows) "
          f"{trainer.validate():.4f}, last 100 training losses "
          f"{np.mean(trainer.history['loss'][-100:]):.4f}, "
          f"{time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
