"""Run every workload under every implementation, each in its own process at 1 and at 2
threads (minigraph's own, BLAS or PyTorch's), then again with a busy process keeping one
core loaded, and report.

    python -m benchmarks [--quick] [--seconds 3] [--threads 1,2] [--no-contention]
                         [--out benchmark_results.json] [--markdown docs/performance.md]

Per (workload, implementation, threads): median ms per training step after warm-up;
the best of the thread counts gives characters (or tokens) per second, achieved matmul
GFLOP/s and its share of this machine's float32 matmul peak (measured in the same run at
1 and 2 threads, the best taken), and peak memory. Ratios are of the best medians:
minigraph / each other implementation. The contention table runs each implementation at
its default settings (minigraph: 1 thread; minigraph-2threads: ``set_threads(2)``;
minigraph-auto: ``set_threads("auto")``;
numpy: OpenBLAS's default; PyTorch: its default) while
``python -c 'while True: pass'`` keeps one core busy, and divides by the same default
measured without it. Implementations that are not installed (torch,
autograd) are skipped.
"""

import argparse
import contextlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np

from .report import HAND_WRITTEN, format_table, write_markdown  # noqa: F401 - re-exported
from .workloads import IMPLEMENTATIONS, QUICK, WORKLOADS, matmul_flops

# measured under contention
MAIN = ("minigraph", "minigraph-2threads", "minigraph-auto", "numpy", "torch")
# their own thread choice: not in the 1-and-2-thread table
CONTENTION_ONLY = ("minigraph-2threads", "minigraph-auto")


def matmul_peak(n=2048, repeats=5):
    """GFLOP/s of a float32 n x n matmul in this process, best of ``repeats``."""
    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    a @ a
    best = min(_timed(lambda: a @ a) for _ in range(repeats))
    return 2 * n ** 3 / best / 1e9


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _limit_threads(impl, threads):
    """Set this process's thread count for ``impl``; None leaves the library default.
    Returns the count in force, as the library reports it."""
    from threadpoolctl import threadpool_info, threadpool_limits

    if impl == "torch":
        import torch
        if threads is not None:
            torch.set_num_threads(threads)
        return torch.get_num_threads()
    if impl == "minigraph-auto":
        import minigraph
        minigraph.set_threads("auto")
        return "auto"
    if impl == "minigraph-2threads":
        import minigraph
        minigraph.set_threads(2)
        return 2
    if impl.startswith("minigraph"):
        import minigraph
        minigraph.set_threads(threads)
        return minigraph.get_threads()
    if threads is not None:
        threadpool_limits(threads, user_api="blas")
    return max((i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"),
               default=1)


def measure_one(impl, workload_name, threads, seconds, quick):
    """In this process: build the step, warm up (up to 10 steps, PyTorch's first ones are
    slow, or ``seconds``; at least 2), then time steps for about ``seconds`` (3 to 30).
    The minimums are low so that a pathological setting (2 threads on a busy machine:
    seconds per step) still finishes."""
    workload = (QUICK if quick else WORKLOADS)[workload_name]
    in_force = _limit_threads(impl, threads)
    step = IMPLEMENTATIONS[impl](workload)
    started, warm = time.perf_counter(), 0
    fewest = 6 if impl == "minigraph-auto" else 2  # "auto" measures 1 and 2 threads first
    while warm < fewest or (warm < 10 and time.perf_counter() - started < seconds):
        step()
        warm += 1
    times = []
    started = time.perf_counter()
    while len(times) < 3 or (len(times) < 30 and time.perf_counter() - started < seconds):
        times.append(_timed(step))  # timed without tracing: tracing is slow
    result = {"median_ms": 1000 * float(np.median(times)), "min_ms": 1000 * float(np.min(times)),
              "steps": len(times), "threads": in_force}
    if impl.startswith("minigraph"):
        from minigraph.fast import blas, kernels
        result["compiled_kernel"] = kernels.using_numba()
        if impl == "minigraph-auto":  # what it chose, forward/backward
            chosen = {t.choice for tuners in blas._auto.values()
                      for t in tuners.values()}
            result["threads"] = "auto: " + "/".join(str(n) for n in sorted(chosen, key=str))
    if impl != "torch":  # tracemalloc sees numpy's allocations, not torch's
        tracemalloc.start()
        step()
        result["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2 ** 20
        tracemalloc.stop()
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if impl.startswith("minigraph"):
        from minigraph.analysis import saved_memory
        graph = step.graph()
        graph.forward()  # values and saved arrays as backward would find them
        result["saved_for_backward_mb"] = saved_memory(graph)[0] / 2 ** 20
    return result


def run_isolated(impl, workload, threads, seconds, quick, timeout=1800):
    command = [sys.executable, "-m", "benchmarks.suite", "--one", impl, workload,
               "--one-threads", str(threads or 0), "--seconds", str(seconds)]
    env = dict(os.environ)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.pop(name, None)  # each process sets its own count (or keeps the default)
    if impl == "minigraph-numpy":
        env["MINIGRAPH_KERNELS"] = "numpy"
    done = subprocess.run(command + (["--quick"] if quick else []), capture_output=True,
                          text=True, timeout=timeout, env=env)
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


@contextlib.contextmanager
def busy_core():
    """A second process spinning on one core for the duration of the block."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        yield
    finally:
        spinner.kill()
        spinner.wait()


def _peak(quick):
    """The matmul peak at 1 and at 2 BLAS threads, each in its own process."""
    out = {}
    for n in (1, 2):
        code = ("import json; from benchmarks.suite import matmul_peak; "
                f"print(json.dumps(matmul_peak({512 if quick else 2048})))")
        env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
        env["OPENBLAS_NUM_THREADS"] = str(n)
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env=env, check=True)
        out[n] = float(done.stdout.strip().splitlines()[-1])
    return out


def run_suite(quick=False, seconds=3.0, thread_counts=(1, 2), impls=None, workloads=None,
              contention=True, log=print):
    table = QUICK if quick else WORKLOADS
    impls = [i for i in (impls or list(IMPLEMENTATIONS))]
    timed_by_threads = [i for i in impls if i not in CONTENTION_ONLY]
    peaks = _peak(quick)
    load = os.getloadavg()
    results = {"machine": {"python": platform.python_version(), "numpy": np.__version__,
                           "processor": platform.processor() or platform.machine(),
                           "cores": os.cpu_count(), "load_before": load[0]},
               "matmul_peak_by_threads": peaks, "matmul_peak_gflops": max(peaks.values()),
               "thread_counts": list(thread_counts), "workloads": {}}
    log(f"float32 matmul peak: {peaks[1]:.1f} GFLOP/s at 1 thread, {peaks[2]:.1f} at 2; "
        f"load average {load[0]:.2f}")
    for name in workloads or table:
        w = table[name]
        row = {"config": w, "matmul_gflop_per_step": matmul_flops(w) / 1e9, "impls": {}}
        for impl in timed_by_threads:
            row["impls"][impl] = {"by_threads": {}} if available(impl) else {
                "skipped": "not installed"}
        for n in thread_counts:  # interleaved: every implementation at 1, then at 2
            for impl in timed_by_threads:
                r = row["impls"][impl]
                if "skipped" in r:
                    continue
                got = run_isolated(impl, name, n, seconds, quick)
                r["by_threads"][str(n)] = got
                log(f"{name:<16} {impl:<19} {n} thread(s) " + (
                    f"{got['median_ms']:9.1f} ms/step" if "median_ms" in got else got["skipped"]))
        for r in row["impls"].values():
            timed = {n: got for n, got in r.get("by_threads", {}).items() if "median_ms" in got}
            if not timed:
                r.setdefault("skipped", next(iter(r.get("by_threads", {}).values()),
                                             {}).get("skipped", "failed"))
                continue
            best_n = min(timed, key=lambda n: timed[n]["median_ms"])
            r.update({k: v for k, v in timed[best_n].items()}, best_threads=int(best_n))
            seconds_per_step = r["median_ms"] / 1000
            r["tokens_per_s"] = w["N"] * w["T"] / seconds_per_step
            r["gflops"] = row["matmul_gflop_per_step"] / seconds_per_step
            r["share_of_peak"] = r["gflops"] / results["matmul_peak_gflops"]
        mine = row["impls"].get("minigraph", {}).get("median_ms")
        row["ratios"] = {f"minigraph/{other}": mine / r["median_ms"]
                         for other, r in row["impls"].items()
                         if other != "minigraph" and mine and "median_ms" in r}
        results["workloads"][name] = row
    if contention:
        results["contention"] = contention_run(table, workloads or list(table),
                                               [i for i in MAIN if i in impls and available(i)],
                                               seconds, quick, log)
    if "minigraph" in impls:
        results["engine"] = engine_measurements(table, quick, log)
    return results


def contention_run(table, names, impls, seconds, quick, log=print):
    """Each implementation at its default settings, without and then with one core kept
    busy by another process; the ratio is what the load costs it."""
    out = {}
    for label, loaded in (("quiet", False), ("busy", True)):
        with busy_core() if loaded else contextlib.nullcontext():
            for name in names:
                for impl in impls:
                    got = run_isolated(impl, name, None, seconds, quick)
                    out.setdefault(name, {}).setdefault(impl, {})[label] = got
                    log(f"{name:<16} {impl:<19} default, {label:<5} " + (
                        f"{got['median_ms']:9.1f} ms/step" if "median_ms" in got
                        else got["skipped"]))
    for row in out.values():
        for r in row.values():
            if "median_ms" in r.get("quiet", {}) and "median_ms" in r.get("busy", {}):
                r["slowdown"] = r["busy"]["median_ms"] / r["quiet"]["median_ms"]
    return out


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


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny shapes, short timings (CI)")
    parser.add_argument("--seconds", type=float, default=None,
                        help="time spent timing each measurement (default 3; --quick 0.2)")
    parser.add_argument("--threads", default="1,2",
                        help="thread counts to measure each implementation at")
    parser.add_argument("--no-contention", action="store_true",
                        help="skip the run with one core kept busy")
    parser.add_argument("--impl", action="append", choices=list(IMPLEMENTATIONS),
                        help="only these implementations")
    parser.add_argument("--workload", action="append", help="only these workloads")
    parser.add_argument("--out", default="benchmark_results.json")
    parser.add_argument("--markdown", default=None, help="also write the table to this file")
    parser.add_argument("--one", nargs=2, metavar=("IMPL", "WORKLOAD"), help=argparse.SUPPRESS)
    parser.add_argument("--one-threads", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    seconds = args.seconds if args.seconds is not None else (0.2 if args.quick else 3.0)
    if args.one:
        print(json.dumps(measure_one(*args.one, args.one_threads or None, seconds,
                                     args.quick)))
        return 0
    try:
        counts = tuple(int(n) for n in args.threads.split(","))
        assert counts and min(counts) >= 1
    except (ValueError, AssertionError):
        parser.error(f"--threads: expected counts like 1,2, got {args.threads!r}")
    table = QUICK if args.quick else WORKLOADS
    for name in args.workload or ():
        if name not in table:
            parser.error(f"--workload {name}: choose from {', '.join(table)}")
    started = time.monotonic()
    results = run_suite(args.quick, seconds, counts, args.impl, args.workload,
                        contention=not args.no_contention)
    results["seconds"] = time.monotonic() - started
    table = format_table(results)
    print(table)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1)
    if args.markdown:
        write_markdown(args.markdown, results, table)
    print(f"wrote {args.out} in {results['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
