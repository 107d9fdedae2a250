"""Why minigraph keeps BLAS at one thread and splits the work itself (minigraph/fast/parallel.py).

    python -m benchmarks.blas_spin

One LSTM layer's forward and backward (the sequence node, float32, compiled kernels when
installed) on 2 cores, median ms of 15 runs, each setting in its own process:

- "OpenBLAS 2": minigraph's 1 thread, OpenBLAS's 2 (minigraph's policy before);
- "split": minigraph's 2 threads (each half of the batch through all T steps), BLAS 1;
- "split after BLAS 2": the same, but each run starts right after a 2-thread BLAS call,
  as when BLAS was switched to 2 threads for the big matmuls and back to 1 for the
  recurrence: OpenBLAS's idle workers are still spinning, taking a core.

and the first and last again with ``OPENBLAS_THREAD_TIMEOUT=4`` (the workers go to sleep
almost at once; it must be set before numpy loads OpenBLAS).
"""

import json
import os
import subprocess
import sys

SHAPES = [(32, 64, 128), (32, 64, 256), (100, 16, 512)]

CODE = """
import json, sys, time
import numpy as np
from threadpoolctl import ThreadpoolController
import minigraph
from minigraph.ops.sequence import LSTMSequence
mode = sys.argv[1]
blas = ThreadpoolController().select(user_api="blas").lib_controllers
def blas_threads(n):
    for lib in blas:
        lib.set_num_threads(n)
rng = np.random.default_rng(0)
big = rng.standard_normal((512, 512)).astype(np.float32)
out = {}
for N, T, H in json.loads(sys.argv[2]):
    xw = rng.standard_normal((N, T, 4 * H)).astype(np.float32)
    h0, c0 = (rng.standard_normal((N, H)).astype(np.float32) for _ in range(2))
    Wh = (rng.standard_normal((H, 4 * H)) / np.sqrt(H)).astype(np.float32)
    grad = rng.standard_normal((N, T, 2 * H)).astype(np.float32)
    def layer():
        op = LSTMSequence()
        op.forward(xw, h0, c0, Wh)
        op.backward(grad)
    def run():
        if mode == "openblas2":
            blas_threads(2)
        elif mode == "split-after-blas2":
            blas_threads(2)
            big @ big
            blas_threads(1)
        else:
            blas_threads(1)
        started = time.perf_counter()
        layer()
        return time.perf_counter() - started
    minigraph.set_threads(1 if mode == "openblas2" else 2)
    run()
    times = sorted(run() for _ in range(15))
    out[f"{N},{T},{H}"] = 1000 * times[7]
print(json.dumps(out))
"""

SETTINGS = [("OpenBLAS 2", "openblas2", None), ("split", "split", None),
            ("split after BLAS 2", "split-after-blas2", None),
            ("OpenBLAS 2, spin off", "openblas2", "4"),
            ("split after BLAS 2, spin off", "split-after-blas2", "4")]


def measure(mode, timeout):
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_THREAD_TIMEOUT")}
    if timeout is not None:
        env["OPENBLAS_THREAD_TIMEOUT"] = timeout
    done = subprocess.run([sys.executable, "-c", CODE, mode, json.dumps(SHAPES)],
                          capture_output=True, text=True, env=env, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"blas_spin: the {mode} run failed: "
                         + (done.stderr.strip().splitlines() or ["no output"])[-1])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    results = {label: measure(mode, timeout) for label, mode, timeout in SETTINGS}
    shapes = list(next(iter(results.values())))
    print(f"load average {os.getloadavg()[0]:.2f}; one LSTM layer forward + backward, "
          "median ms")
    print("| setting | " + " | ".join(f"N, T, H = {s}" for s in shapes) + " |")
    print("|---|" + "---:|" * len(shapes))
    for label, row in results.items():
        print(f"| {label} | " + " | ".join(f"{row[s]:.1f}" for s in shapes) + " |")


if __name__ == "__main__":
    main()
