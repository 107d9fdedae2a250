"""The suite's results as Markdown tables, and docs/performance.md's generated top."""

import os

HAND_WRITTEN = "<!-- written by hand below: kept when the table above is rewritten -->"

PERFORMANCE_INTRO = """\
Written by `python -m benchmarks{flags} --markdown docs/performance.md` ({minutes:.0f} minutes)
on a machine with {cores} cores ({processor}), Python {python}, numpy {numpy}; no GPU;
load average {load_before:.2f} when it started. Each figure is the median of repeated
training steps (forward, backward and an Adam update, float32) after warm-up, each
implementation in its own process at {thread_text} thread(s) ("best" is the fastest
of them; ratios are of the best medians, from the same run). For minigraph the count is
`minigraph.set_threads(n)`: its own threads, with BLAS at one (minigraph/fast/parallel.py);
for numpy and autograd, BLAS threads; for PyTorch, `torch.set_num_threads`. "minigraph" is
the default training path (whole-sequence nodes, the compiled LSTM kernels and time
loops when `minigraph[fast]` is installed); "minigraph-numpy" the same without numba (the
install without the extra); "minigraph-per-step" one fused node per timestep (the
training graph before the sequence nodes); "minigraph-composed" the cells built from
primitive ops (the teaching form); "numpy" the hand-written baseline in
`benchmarks/numpy_baseline.py`; "torch" PyTorch's nn.LSTM/nn.RNN; "autograd" HIPS
autograd on the same numpy maths.
"""


def _ms(r, n):
    got = r.get("by_threads", {}).get(str(n), {})
    return f"{got['median_ms']:.1f}" if "median_ms" in got else "-"


def format_table(results):
    peaks = results.get("matmul_peak_by_threads", {})
    counts = results.get("thread_counts", [1, 2])
    head = " | ".join(f"{n} thr ms" for n in counts)
    lines = ["float32 matmul peak: " + ", ".join(
        f"{float(v):.1f} GFLOP/s at {k} thread{'s' if str(k) != '1' else ''}"
        for k, v in peaks.items()) + f" (best {results['matmul_peak_gflops']:.1f})", "",
        f"| workload | implementation | {head} | best ms/step | tokens/s | matmul GFLOP/s "
        "| % of peak | peak RSS MB |",
        "|---|---|" + "---:|" * (len(counts) + 5)]
    for name, row in results["workloads"].items():
        for impl, r in row["impls"].items():
            if "median_ms" not in r:
                lines.append(f"| {name} | {impl} | skipped: {r['skipped'][:40]} |"
                             + " |" * (len(counts) + 5))
                continue
            per = " | ".join(_ms(r, n) for n in counts)
            lines.append(f"| {name} | {impl} | {per} | {r['median_ms']:.1f} "
                         f"| {r['tokens_per_s']:.0f} | {r['gflops']:.1f} "
                         f"| {100 * r['share_of_peak']:.0f}% | {r['peak_rss_mb']:.0f} |")
    lines += ["", "| workload | ratios of best median ms/step |", "|---|---|"]
    for name, row in results["workloads"].items():
        shown = ", ".join(f"{k} = {v:.2f}" for k, v in row["ratios"].items())
        lines.append(f"| {name} | {shown} |")
    lines += _contention_lines(results.get("contention"))
    lines += _engine_lines(results.get("engine"))
    return "\n".join(lines)


def _contention_lines(contention):
    if not contention:
        return []
    lines = ["", "Under contention: each implementation at its default settings (and minigraph "
             "also at 2 threads and at \"auto\"), alone and while another process keeps "
             "one core busy (`while True: pass`).", "",
             "| workload | implementation | threads | alone ms | one core busy ms | slowdown |",
             "|---|---|---:|---:|---:|---:|"]
    for name, row in contention.items():
        for impl, r in row.items():
            quiet, busy = r.get("quiet", {}), r.get("busy", {})
            if "slowdown" not in r:
                lines.append(f"| {name} | {impl} | | skipped | | |")
                continue
            lines.append(f"| {name} | {impl} | {quiet['threads']} | {quiet['median_ms']:.1f} "
                         f"| {busy['median_ms']:.1f} | {r['slowdown']:.2f}x |")
    return lines


def _engine_lines(engine):
    if not engine:
        return []
    p, b, m = engine["per_node"], engine["build_versus_reuse"], engine["step_memory"]
    g, held = engine["growth_in_T"], engine["memory_over_steps"]
    return ["", f"- engine overhead: {p['forward_us_per_node']:.1f} us per node forward, "
            f"{p['backward_us_per_node']:.1f} us backward ({p['nodes']} nodes of tiny Adds)",
            f"- char-LSTM: first step {b['first_step_s']:.3f} s (builds the graph), later "
            f"steps {b['later_step_s']:.3f} s; {b['graphs_built']} graph built",
            f"- char-LSTM step: peak {m['step_peak_bytes'] / 2**20:.1f} MB allocated during a "
            f"step vs {m['saved_for_backward_bytes'] / 2**20:.1f} MB kept for backward "
            f"(ratio {m['ratio']:.2f})",
            "- memory held between steps: " + ", ".join(
                f"after {k}: {v / 2**20:.1f} MB" for k, v in held.items()),
            f"- long sequences (LSTM H=32, N=4): {g['ms_per_step']:.3f} ms and "
            f"{g['bytes_per_step'] / 1024:.1f} kB per timestep, T = "
            + ", ".join(str(r["T"]) for r in g["rows"])]


def write_markdown(path, results, table):
    """The table replaces the generated top of ``path``; the analysis written by hand below
    the HAND_WRITTEN marker is kept. Written to a temporary file, then moved into place."""
    kept = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            old = f.read()
        if HAND_WRITTEN in old:
            kept = old[old.index(HAND_WRITTEN):]
    counts = results.get("thread_counts", [1, 2])
    machine = {**results["machine"], "minutes": results.get("seconds", 0) / 60,
               "thread_text": " and at ".join(str(n) for n in counts),
               "flags": "" if counts == [1, 2] else " --threads " + ",".join(map(str, counts))}
    text = f"# Performance\n\n{PERFORMANCE_INTRO.format(**machine)}\n{table}\n"
    partial = path + ".partial"
    with open(partial, "w", encoding="utf-8") as f:
        f.write(text + ("\n" + kept if kept else ""))
    os.replace(partial, path)
