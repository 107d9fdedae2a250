"""Graph statistics computed on the networkx export: counts, parameters, FLOPs, the memory
BPTT keeps for backward, and how far each use of a parameter is from the loss."""

from collections import Counter, defaultdict

import networkx as nx
import numpy as np


def _size(shape):
    return int(np.prod(shape)) if shape else 1


def _arrays(saved):
    stack = [saved]
    while stack:
        item = stack.pop()
        if isinstance(item, np.ndarray):
            yield item
        elif isinstance(item, (tuple, list)):
            stack.extend(item)


def _base(array):
    while array.base is not None and isinstance(array.base, np.ndarray):
        array = array.base
    return array


def saved_memory(graph):
    """(total bytes, {timestep: bytes}) that ops keep in ``saved`` for backward after a
    forward, beyond the leaves (parameters and inputs stay in memory anyway). Each memory
    region counts once, for the first op (in topological order) that keeps it."""
    leaves = {id(_base(n.value)) for n in graph.nodes if n.op is None and n.value is not None}
    seen, total, by_step = set(), 0, defaultdict(int)
    for node in graph.op_nodes:
        for array in _arrays(node.op.saved):
            key = (array.__array_interface__["data"][0], array.nbytes)
            if id(_base(array)) in leaves or key in seen:
                continue
            seen.add(key)
            total += array.nbytes
            if "t" in node.tags:
                by_step[node.tags["t"]] += array.nbytes
    return total, dict(sorted(by_step.items()))


def stats(graph):
    """A dict of: nodes and edges by op type, parameter count, FLOPs (as each op's
    ``flops`` counts them; a multiply-add is 2) per op type, per op category and total,
    bytes kept for backward (``saved_memory``: total and per timestep), and for each
    parameter and timestep the shortest and the longest path from its use to the loss (the
    longest is how many ops backpropagation through time passes on the way)."""
    g = graph.to_networkx()
    by_id = {n.id: n for n in graph.nodes}
    nodes_by_op = Counter(attrs["op"] or attrs["kind"] for _, attrs in g.nodes(data=True))
    edges_by_op = Counter(g.nodes[v]["op"] for _, v in g.edges())
    flops, flops_by_category = Counter(), Counter()
    for node in graph.op_nodes:  # each op counts its own (Op.flops), a user's op included
        count = int(node.op.flops(node))
        flops[type(node.op).__name__] += count
        flops_by_category[node.op.category] += count
    kept_total, kept_by_step = saved_memory(graph)
    loss = graph.outputs[0].id
    shortest = dict(nx.single_target_shortest_path_length(g, loss))
    longest = {loss: 0}  # longest path to the loss: how deep backprop runs through time
    for vertex in reversed(list(nx.topological_sort(g))):
        lengths = [longest[s] + 1 for s in g.successors(vertex) if s in longest]
        if lengths and vertex != loss:
            longest[vertex] = max(lengths)
    distances = {"shortest": {}, "longest": {}}
    for param in graph.params:
        for kind, table in (("shortest", shortest), ("longest", longest)):
            per_step = defaultdict(list)
            for user in g.successors(param.id):
                if user in table:
                    per_step[by_id[user].tags.get("t")].append(table[user] + 1)
            pick = min if kind == "shortest" else max
            distances[kind][param.name] = {t: pick(v) for t, v in per_step.items()}
    return {
        "nodes": g.number_of_nodes(), "edges": g.number_of_edges(),
        "nodes_by_op": dict(nodes_by_op), "edges_by_op": dict(edges_by_op),
        "parameters": sum(_size(p.shape) for p in graph.params),
        "flops_by_op": dict(flops), "flops_by_category": dict(flops_by_category),
        "flops": sum(flops.values()),
        "saved_bytes": kept_total, "saved_bytes_by_step": kept_by_step,
        "path_to_loss": distances["shortest"], "longest_path_to_loss": distances["longest"],
    }
