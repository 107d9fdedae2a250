"""Forward and backward over one very long sequence: time, nodes and peak memory.

    python -m benchmarks.long_sequence --steps 100000 --cell rnn
"""

import argparse
import resource
import time
import tracemalloc

import numpy as np

import minigraph as mg


def run(steps, cell="rnn", N=2, D=3, H=4, seed=0):
    rng = np.random.default_rng(seed)
    k = mg.GATES[cell]
    tracemalloc.start()
    started = time.perf_counter()
    x = mg.input("x", value=rng.standard_normal((N, steps, D)))
    Wx = mg.param(rng.standard_normal((D, k * H)) * 0.5, "Wx")
    Wh = mg.param(rng.standard_normal((H, k * H)) * 0.5, "Wh")
    b = mg.param(np.zeros(k * H), "b")
    h0 = mg.input("h0", value=np.zeros((N, H)))
    hs, _, _ = mg.unroll(cell, x, h0, Wx, Wh, b)
    graph = mg.Graph(mg.sum(mg.stack(hs)))
    built = time.perf_counter()
    graph.forward()
    graph.backward()
    done = time.perf_counter()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"steps": steps, "cell": cell, "nodes": len(graph.nodes),
            "build_s": built - started, "forward_backward_s": done - built,
            "traced_peak_mb": peak / 1e6,
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3,
            "finite": bool(np.isfinite(Wh.grad).all())}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--cell", choices=sorted(mg.GATES), default="rnn")
    args = parser.parse_args(argv)
    r = run(args.steps, args.cell)
    print(f"{r['cell']} T={r['steps']}: {r['nodes']} nodes, build {r['build_s']:.2f} s, "
          f"forward+backward {r['forward_backward_s']:.2f} s, traced peak "
          f"{r['traced_peak_mb']:.1f} MB, max RSS {r['max_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
