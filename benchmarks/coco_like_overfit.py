"""The notebook's overfit cell on the COCO-like captions the tests make, over several seeds.

    python -m benchmarks.coco_like_overfit            # RNN cell: Adam 5e-3, decay 0.95
    python -m benchmarks.coco_like_overfit --cell lstm  # LSTM cell: decay 0.995, as its notebook

Prints the first loss, the loss at iteration 91 (the last one the notebook prints) and the
last. The captioning tutorial compares these with published runs on real COCO.
"""

import argparse
import pathlib
import sys

# the fixture lives with the test that uses it; this script only reads it
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))

from test_captioning import coco_like_data  # noqa: E402

from minigraph.models.captioning.rnn_captioner import CaptioningRNN  # noqa: E402
from minigraph.models.captioning.solver import CaptioningSolver  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell", choices=("rnn", "lstm"), default="rnn")
    parser.add_argument("--seeds", default="0,1,2,3,4,231", help="comma-separated seeds")
    args = parser.parse_args(argv)
    decay = 0.995 if args.cell == "lstm" else 0.95
    for seed in (int(s) for s in args.seeds.split(",")):
        data = coco_like_data(seed)
        model = CaptioningRNN(data["word_to_idx"], input_dim=512, wordvec_dim=256,
                              hidden_dim=512, cell_type=args.cell, seed=seed)
        solver = CaptioningSolver(model, data, update_rule="adam",
                                  optim_config={"learning_rate": 5e-3}, lr_decay=decay,
                                  batch_size=25, num_epochs=50, print_every=0, verbose=False,
                                  progress=False, seed=seed)
        solver.train()
        h = solver.loss_history
        print(f"{args.cell} seed {seed:3d}: first {h[0]:.2f}  iteration 91 {h[90]:.3f}  "
              f"last {h[-1]:.3f}", flush=True)


if __name__ == "__main__":
    main()
