"""Run every workload under every implementation, each in its own process, and report.

    python -m benchmarks [--quick] [--repeats 30] [--warmup 10] [--out benchmarks/results.json]

Per (workload, implementation): median ms per training step after warm-up, characters (or
tokens) per second, achieved matmul GFLOP/s and its share of this machine's float32
matmul peak measured in the same run, and peak memory. Ratios: minigraph / numpy,
/ torch, / autograd. Implementations that are not installed (torch, autograd) are skipped.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np

from .workloads import IMPLEMENTATIONS, QUICK, WORKLOADS, matmul_flops


def matmul_peak(n=2048, repeats=5):
    """GFLOP/s of a float32 n x n matmul on this machine, best of ``repeats``."""
    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    a @ a
    best = min(_timed(lambda: a @ a) for _ in range(repeats))
    return 2 * n ** 3 / best / 1e9


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure_one(impl, workload_name, repeats, warmup, quick):
    """In this process: build the step, warm up, time ``repeats`` steps."""
    workload = (QUICK if quick else WORKLOADS)[workload_name]
    if impl == "torch":
        import torch
        torch.set_num_threads(2)
    step = IMPLEMENTATIONS[impl](workload)
    for _ in range(warmup):
        step()
    times = [_timed(step) for _ in range(repeats)]  # timed without tracing: tracing is slow
    result = {"median_ms": 1000 * float(np.median(times)),
              "min_ms": 1000 * float(np.min(times))}
    if impl != "torch":  # tracemalloc sees numpy's allocations, not torch's
        tracemalloc.start()
        step()
        result["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2 ** 20
        tracemalloc.stop()
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if impl.startswith("minigraph"):
        from minigraph.analysis import saved_memory
        graph = next(iter(step.model._graphs.values()))
        graph.forward()  # values and saved arrays as backward would find them
        result["saved_for_backward_mb"] = saved_memory(graph)[0] / 2 ** 20
    return result


def run_isolated(impl, workload, repeats, warmup, quick, timeout=1800):
    command = [sys.executable, "-m", "benchmarks.suite", "--one", impl, workload,
               "--repeats", str(repeats), "--warmup", str(warmup)] + (["--quick"] if quick else [])
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        return {"skipped": last}
    return json.loads(done.stdout.strip().splitlines()[-1])


def available(impl):
    module = {"torch": "torch", "autograd": "autograd"}.get(impl)
    if module is None:
        return True
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def run_suite(quick=False, repeats=30, warmup=10, impls=None, workloads=None, log=print):
    table = QUICK if quick else WORKLOADS
    impls = impls or list(IMPLEMENTATIONS)
    results = {"machine": {"python": platform.python_version(), "numpy": np.__version__,
                           "processor": platform.processor() or platform.machine(),
                           "cores": os.cpu_count()},
               "matmul_peak_gflops": matmul_peak(512 if quick else 2048), "workloads": {}}
    log(f"float32 matmul peak on this machine: {results['matmul_peak_gflops']:.1f} GFLOP/s")
    for name in workloads or table:
        w = table[name]
        row = {"config": w, "matmul_gflop_per_step": matmul_flops(w) / 1e9, "impls": {}}
        for impl in impls:
            if not available(impl):
                row["impls"][impl] = {"skipped": "not installed"}
                continue
            r = run_isolated(impl, name, repeats, warmup, quick)
            if "median_ms" in r:
                seconds = r["median_ms"] / 1000
                r["tokens_per_s"] = w["N"] * w["T"] / seconds
                r["gflops"] = row["matmul_gflop_per_step"] / seconds
                r["share_of_peak"] = r["gflops"] / results["matmul_peak_gflops"]
            row["impls"][impl] = r
            log(f"{name:<16} {impl:<19} " + (f"{r['median_ms']:9.1f} ms/step"
                                            if "median_ms" in r else r["skipped"]))
        mine = row["impls"].get("minigraph", {}).get("median_ms")
        row["ratios"] = {f"minigraph/{other}": mine / r["median_ms"]
                         for other, r in row["impls"].items()
                         if other != "minigraph" and mine and "median_ms" in r}
        results["workloads"][name] = row
    if "minigraph" in impls:
        results["engine"] = engine_measurements(table, quick, log)
    return results


def engine_measurements(table, quick, log=print):
    from . import engine_bench
    from .workloads import minigraph_step

    char = table["char-lstm-256x2"]
    out = {"per_node": engine_bench.per_node_overhead(2000 if quick else 20_000),
           "build_versus_reuse": engine_bench.build_versus_reuse(minigraph_step, char),
           "step_memory": engine_bench.step_memory(minigraph_step, char),
           "memory_over_steps": engine_bench.memory_over_steps(
               minigraph_step, char, steps=20 if quick else 500,
               checkpoints=(5, 20) if quick else (10, 100, 500)),
           "growth_in_T": engine_bench.growth_in_T((50, 100, 200) if quick
                                                   else (2500, 5000, 10_000))}
    p = out["per_node"]
    log(f"engine: {p['forward_us_per_node']:.1f} us/node forward, "
        f"{p['backward_us_per_node']:.1f} us/node backward")
    return out


def format_table(results):
    lines = [f"float32 matmul peak: {results['matmul_peak_gflops']:.1f} GFLOP/s", "",
             "| workload | implementation | ms/step | tokens/s | matmul GFLOP/s | % of peak "
             "| peak RSS MB |", "|---|---|---:|---:|---:|---:|---:|"]
    for name, row in results["workloads"].items():
        for impl, r in row["impls"].items():
            if "median_ms" not in r:
                lines.append(f"| {name} | {impl} | skipped: {r['skipped'][:40]} | | | | |")
                continue
            lines.append(f"| {name} | {impl} | {r['median_ms']:.1f} | {r['tokens_per_s']:.0f} "
                         f"| {r['gflops']:.1f} | {100 * r['share_of_peak']:.0f}% "
                         f"| {r['peak_rss_mb']:.0f} |")
    lines += ["", "| workload | ratios of median ms/step |", "|---|---|"]
    for name, row in results["workloads"].items():
        shown = ", ".join(f"{k} = {v:.2f}" for k, v in row["ratios"].items())
        lines.append(f"| {name} | {shown} |")
    engine = results.get("engine")
    if engine:
        p, b, m = engine["per_node"], engine["build_versus_reuse"], engine["step_memory"]
        g, held = engine["growth_in_T"], engine["memory_over_steps"]
        lines += ["", f"- engine overhead: {p['forward_us_per_node']:.1f} us per node forward, "
                  f"{p['backward_us_per_node']:.1f} us backward "
                  f"({p['nodes']} nodes of tiny Adds)",
                  f"- char-LSTM: first step {b['first_step_s']:.3f} s (builds the graph), later "
                  f"steps {b['later_step_s']:.3f} s; {b['graphs_built']} graph built",
                  f"- char-LSTM step: peak {m['step_peak_bytes'] / 2**20:.1f} MB allocated "
                  f"during a step vs {m['saved_for_backward_bytes'] / 2**20:.1f} MB kept for "
                  "backward "
                  f"(ratio {m['ratio']:.2f})",
                  "- memory held between steps: " + ", ".join(
                      f"after {k}: {v / 2**20:.1f} MB" for k, v in held.items()),
                  f"- long sequences (LSTM H=32, N=4): {g['ms_per_step']:.3f} ms and "
                  f"{g['bytes_per_step'] / 1024:.1f} kB per timestep, T = "
                  + ", ".join(str(r["T"]) for r in g["rows"])]
    return "\n".join(lines)


PERFORMANCE_INTRO = """Written by `python -m benchmarks --markdown docs/performance.md` on a
machine with {cores} cores ({processor}), Python {python}, numpy {numpy}; no GPU. Each figure is the
median of repeated training steps (forward, backward and an Adam update, float32) after
warm-up, each implementation in its own process; ratios are minigraph's median over the
other's, from the same run. "numpy" is the hand-written baseline in
`benchmarks/numpy_baseline.py`; "torch" is PyTorch's nn.LSTM/nn.RNN on 2 threads;
"autograd" is HIPS autograd differentiating the same numpy maths; "minigraph-composed" is
the cells built from primitive ops (the teaching form).
"""


HAND_WRITTEN = "<!-- written by hand below: kept when the table above is rewritten -->"


def write_markdown(path, results, table):
    """The table replaces the generated top of ``path``; the analysis written by hand below
    the HAND_WRITTEN marker is kept."""
    kept = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            old = f.read()
        if HAND_WRITTEN in old:
            kept = old[old.index(HAND_WRITTEN):]
    text = f"# Performance\n\n{PERFORMANCE_INTRO.format(**results['machine'])}\n{table}\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text + ("\n" + kept if kept else ""))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny shapes, few repeats (CI)")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--warmup", type=int, default=10,
                        help="untimed steps first (PyTorch needs ~10 to settle)")
    parser.add_argument("--impl", action="append", help="only these implementations")
    parser.add_argument("--workload", action="append", help="only these workloads")
    parser.add_argument("--out", default="benchmark_results.json")
    parser.add_argument("--markdown", default=None, help="also write the table to this file")
    parser.add_argument("--one", nargs=2, metavar=("IMPL", "WORKLOAD"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    repeats = args.repeats or (2 if args.quick else 30)
    if args.one:
        print(json.dumps(measure_one(*args.one, repeats, args.warmup if not args.quick else 1,
                                     args.quick)))
        return 0
    results = run_suite(args.quick, repeats, args.warmup if not args.quick else 1, args.impl,
                        args.workload)
    table = format_table(results)
    print(table)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1)
    if args.markdown:
        write_markdown(args.markdown, results, table)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
