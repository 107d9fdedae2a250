"""Why PyTorch's char-LSTM learns more per step: 1,000 steps of the Shakespeare recipe
with one difference switched at a time, validation on 50 windows.

    python -m benchmarks.char_step_gap default|noreset|torchinit

default: minigraph's model as trained; noreset: without the zero-state restarts of every
16th track; torchinit: LSTM and output weights drawn from U(-1/sqrt(H), 1/sqrt(H)) as
PyTorch draws them.
"""

import sys
import time

import numpy as np

from minigraph.models.char_train import CharTrainer
from minigraph.models.data.text import tiny_shakespeare

VARIANTS = ("default", "noreset", "torchinit")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] not in VARIANTS:
        raise SystemExit(f"usage: python -m benchmarks.char_step_gap {'|'.join(VARIANTS)}")
    name, H = argv[0], 256
    trainer = CharTrainer(tiny_shakespeare(), hidden=H, lr=3e-3, lr_schedule="cosine",
                          warmup=100, horizon=1000, reset_every=0 if name == "noreset" else 16)
    if name == "torchinit":
        rng = np.random.default_rng(0)
        for key, w in trainer.model.params.items():
            if key.startswith(("Wx", "Wh", "W_out")):
                w[...] = rng.uniform(-1 / np.sqrt(H), 1 / np.sqrt(H), w.shape).astype(w.dtype)
    started = time.monotonic()
    trainer.train(iterations=1000, eval_every=0, sample_every=0, progress=False)
    print(f"{name}: validation (50 windows) {trainer.validate():.4f}, last 100 training "
          f"losses {np.mean(trainer.history['loss'][-100:]):.4f}, "
          f"{time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
