"""Engine measurements: per-node overhead, graph building versus reuse, memory kept for
backward, memory over many steps, and how time and memory grow with T."""

import time
import tracemalloc

import numpy as np

import minigraph as mg


def per_node_overhead(nodes=20_000):
    """Microseconds per node for forward + backward of a chain of tiny Adds (the numpy work
    per node is negligible, so this is the engine's own cost)."""
    x = mg.input("x", value=np.ones(1))
    y = x
    for _ in range(nodes):
        y = y + x
    graph = mg.Graph(mg.sum(y))
    graph.forward()
    graph.backward()
    start = time.perf_counter()
    graph.forward()
    middle = time.perf_counter()
    graph.backward()
    end = time.perf_counter()
    return {"nodes": len(graph.nodes), "forward_us_per_node": 1e6 * (middle - start) / nodes,
            "backward_us_per_node": 1e6 * (end - middle) / nodes}


def build_versus_reuse(step_factory, workload):
    """Seconds of the first step (builds the graph) and the median of later ones."""
    step = step_factory(workload)
    first = time.perf_counter()
    step()
    first = time.perf_counter() - first
    later = []
    for _ in range(5):
        start = time.perf_counter()
        step()
        later.append(time.perf_counter() - start)
    return {"first_step_s": first, "later_step_s": float(np.median(later)),
            "building_s": first - float(np.median(later)),
            "graphs_built": len(step.model._graphs) + len(step.model._other_graphs)}


def memory_over_steps(step_factory, workload, steps=500, checkpoints=(10, 100, 500)):
    """Traced bytes held between steps after each checkpoint step: flat means no growth."""
    tracemalloc.start()
    step = step_factory(workload)
    held = {}
    for i in range(1, steps + 1):
        step()
        if i in checkpoints:
            held[i] = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return held


def step_memory(step_factory, workload):
    """Peak traced bytes allocated during one step, and the bytes the graph keeps for
    backward (what no implementation of backprop can avoid keeping)."""
    from minigraph.analysis import saved_memory

    tracemalloc.start()
    step = step_factory(workload)
    step()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    step()
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    graph = step.graph()
    graph.forward()
    kept = saved_memory(graph)[0]
    return {"step_peak_bytes": peak, "saved_for_backward_bytes": kept, "ratio": peak / kept}


def growth_in_T(lengths=(2500, 5000, 10_000), N=4, H=32):
    """Forward + backward time and peak memory of a 1-layer LSTM over long sequences, and
    the slopes per timestep."""
    from minigraph.models.charrnn.model import CharRNN

    rows = []
    for T in lengths:
        model = CharRNN(20, hidden_size=H, num_layers=1, cell="lstm", embed_size=16)
        ids = np.random.default_rng(0).integers(0, 20, (N, T + 1))
        model.build_graph(N, T)
        tracemalloc.start()
        start = time.perf_counter()
        model.loss(ids[:, :-1], ids[:, 1:], model.zero_state(N))
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rows.append({"T": T, "seconds": seconds, "peak_bytes": peak})
    Ts = np.array([r["T"] for r in rows], dtype=float)
    time_slope = np.polyfit(Ts, [r["seconds"] for r in rows], 1)[0]
    memory_slope = np.polyfit(Ts, [r["peak_bytes"] for r in rows], 1)[0]
    return {"rows": rows, "ms_per_step": 1000 * time_slope, "bytes_per_step": memory_slope}
