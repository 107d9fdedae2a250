"""The recurrent matmuls of one timestep, numpy's BLAS against PyTorch's, at 1 and 2
threads: what a second core can buy a step that cannot be split over time.

    python -m benchmarks.step_matmuls

For each workload of the suite, h (N, H) @ Wh (H, 4H) (the forward) and da (N, 4H) @
Wh.T (the backward), float32, median microseconds of 2,000 calls, each library in its
own process (numpy's OpenBLAS and PyTorch's BLAS threads disturb each other in one).
"""

import json
import os
import subprocess
import sys

from .workloads import WORKLOADS

CODE = """
import json, sys, time
import numpy as np
lib, threads, shapes = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
if lib == "torch":
    import torch
    torch.set_num_threads(threads)
else:
    from threadpoolctl import threadpool_limits
    threadpool_limits(threads, user_api="blas")
rng = np.random.default_rng(0)
out = {}
for name, (N, H, k) in shapes.items():
    h = rng.standard_normal((N, H)).astype(np.float32)
    W = rng.standard_normal((H, k * H)).astype(np.float32)
    d = rng.standard_normal((N, k * H)).astype(np.float32)
    if lib == "torch":
        h, W, d = (torch.from_numpy(a) for a in (h, W, d))
        forward, backward = (lambda: torch.mm(h, W)), (lambda: torch.mm(d, W.t()))
    else:
        forward, backward = (lambda: h @ W), (lambda: d @ W.T)
    times = {}
    for label, fn in (("forward", forward), ("backward", backward)):
        for _ in range(200):
            fn()
        samples = []
        for _ in range(2000):
            start = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - start)
        times[label] = 1e6 * float(np.median(samples))
    out[name] = times
print(json.dumps(out))
"""


def measure(lib, threads, shapes):
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", CODE, lib, str(threads), json.dumps(shapes)],
                          capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    shapes = {name: (w["N"], w["H"], 4 if w["cell"] == "lstm" else 1)
              for name, w in WORKLOADS.items()}
    results = {(lib, n): measure(lib, n, shapes) for lib in ("numpy", "torch") for n in (1, 2)}
    print(f"load average {os.getloadavg()[0]:.2f}; median us per call")
    print("| workload | matmul | numpy 1 thr | numpy 2 thr | torch 1 thr | torch 2 thr |")
    print("|---|---|---:|---:|---:|---:|")
    for name, (N, H, k) in shapes.items():
        for label, shape in (("forward", f"({N},{H})@({H},{k * H})"),
                             ("backward", f"({N},{k * H})@({k * H},{H})")):
            cells = " | ".join(f"{results[(lib, n)][name][label]:.1f}"
                               for lib in ("numpy", "torch") for n in (1, 2))
            print(f"| {name} | {label} {shape} | {cells} |")


if __name__ == "__main__":
    main()
