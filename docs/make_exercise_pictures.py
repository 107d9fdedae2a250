"""The exercise tutorial's pictures: `minigraph exercise check` on two typical wrong
answers. Run from the repository root: python docs/make_exercise_pictures.py docs/img"""

import os
import sys
import tempfile

from minigraph.models.cli import main
from minigraph.models.lab.exercises import BY_NAME

# The two mistakes the tutorial walks through: `=` where `+=` belongs.
WRONG = {
    "fanout": """
    x, W, t = cache
    dpre = dout * (1 - t**2)
    dx = dout.copy()
    dx = dpre.dot(W.T)  # the bug: = instead of +=, the skip path is lost
    dW = x.T.dot(dpre)
""",
    "rnn": """
    N, T, H = dh.shape
    dx = np.zeros((N, T, cache[0][0].shape[1]))
    dWx, dWh, db = np.zeros_like(cache[0][2]), np.zeros_like(cache[0][3]), np.zeros(H)
    dprev = np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t], dprev, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dprev, cache[t])
        dWx = dWx_t  # the bug: = instead of +=, only step 0's share is kept
        dWh += dWh_t
        db += db_t
    dh0 = dprev
""",
}


def make(folder):
    with tempfile.TemporaryDirectory() as scratch:
        for name, body in WRONG.items():
            path = os.path.join(scratch, f"{name}.py")
            with open(path, "w", encoding="utf-8") as f:
                f.write(BY_NAME[name].skeleton_text().replace("\n    pass\n", body))
            svg = os.path.join(folder, f"exercise_{name}_wrong.svg")
            main(["exercise", "check", path, "--svg", svg])


if __name__ == "__main__":
    make(sys.argv[1] if len(sys.argv) > 1 else "docs/img")
