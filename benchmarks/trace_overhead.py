"""What the trace hook (minigraph.trace) costs the engine when it is off, and when it is on.

    python -m benchmarks.trace_overhead --before "$(git log --format=%h -1 --grep='^Engine trace')^"

compares this checkout's Graph.backward with the graph.py of git revision ``--before`` (the
engine before the hook) on a chain of tiny Adds, where the engine's own work is all there
is: Python bytecodes executed per node (a count that machine load cannot disturb) and
interleaved timings (min and median over repeats, in one process). Without ``--before`` it
measures tracing on against off only.
"""

import argparse
import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import minigraph as mg
import minigraph.graph as current

ROOT = Path(__file__).resolve().parents[1]


def engine_at(revision):
    """minigraph/graph.py as it was at ``revision``, loaded as a module beside this one."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{revision}:minigraph/graph.py"],
                            capture_output=True, text=True, check=True).stdout
    module = importlib.util.module_from_spec(
        importlib.util.spec_from_loader("minigraph._graph_before", loader=None))
    module.__package__ = "minigraph"
    exec(compile(source, "graph_before.py", "exec"), module.__dict__)
    return module


def chain(nodes):
    x = mg.input("x", value=np.ones(1))
    y = x
    for _ in range(nodes):
        y = y + x
    return mg.sum(y)


def bytecodes_per_node(graph, nodes):
    """Bytecodes executed by every Python frame during one backward, per node."""
    count = [0]

    def tracer(frame, event, arg):
        frame.f_trace_opcodes = True
        if event == "opcode":
            count[0] += 1
        return tracer

    graph.forward()
    sys.settrace(tracer)
    try:
        graph.backward()
    finally:
        sys.settrace(None)
    return count[0] / nodes


def backward_seconds(graph):
    graph.forward()
    start = time.perf_counter()
    graph.backward()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", help="git revision of the engine without the hook")
    parser.add_argument("--nodes", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=101)
    args = parser.parse_args(argv)
    out = chain(args.nodes)
    graphs = {"off": current.Graph(out)}
    if args.before:
        graphs["before"] = engine_at(args.before).Graph(out)
    for name, graph in graphs.items():
        print(f"{name:6s}: {bytecodes_per_node(graph, args.nodes):.2f} bytecodes per node "
              "in backward")
    times = {name: [] for name in graphs}
    for repeat in range(args.repeats):
        order = list(graphs) if repeat % 2 else list(reversed(graphs))
        for name in order:
            times[name].append(backward_seconds(graphs[name]))
    with mg.trace():
        times["on"] = [backward_seconds(graphs["off"]) for _ in range(5)]
    for name, seconds in times.items():
        print(f"{name:6s}: backward {1e6 * min(seconds) / args.nodes:.2f} us per node (min), "
              f"{1e6 * np.median(seconds) / args.nodes:.2f} (median)")
    if args.before:
        print(f"off / before: {min(times['off']) / min(times['before']):.3f} (min), "
              f"{np.median(times['off']) / np.median(times['before']):.3f} (median)")


if __name__ == "__main__":
    main()
