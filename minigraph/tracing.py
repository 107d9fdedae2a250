"""Recording a run for teaching: every value computed in forward, and every gradient each
node sends to each of its inputs in backward, with its norm.

    with mg.trace() as record:
        graph.forward(feed)
        graph.backward()
    for step in record.run().steps: ...

While no trace is active the engine pays one ``is not None`` check per node and nothing
else. While one is active it computes norms as contributions happen (backward frees
intermediate gradients as it goes, so they cannot be read afterwards) and keeps its own
float64 running sum of every gradient, which is also an independent check of the engine's
accumulation.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from .errors import NotFoundError
from .op import ProductGrad, SubGrad

_active = None


def active():
    """The trace recording now, or None."""
    return _active


@contextmanager
def trace():
    """Record every graph run inside (``Graph.forward`` and ``Graph.backward``)."""
    global _active
    previous, _active = _active, Trace()
    try:
        yield _active
    finally:
        _active = previous


@dataclass
class Contribution:
    """One gradient sent by ``source`` (None for the upstream seed) to ``target``.

    ``norm`` is the norm of what was sent; ``total`` the norm of the target's gradient
    summed so far, this contribution included. ``part`` is the numpy index (as text) of the
    slice it fills when the source sent only a part (a SubGrad), else None; ``disjoint``
    says that part touched no entry an earlier contribution had touched, so the target's
    gradient is being assembled rather than summed.
    """

    source: object
    target: object
    position: int
    norm: float
    total: float
    part: str | None = None
    disjoint: bool = False
    deferred: bool = False  # a ProductGrad: the engine multiplies it out later


@dataclass
class Step:
    """One op node's turn in backward: what it sent to its inputs (empty if it had no
    gradient or takes none)."""

    node: object
    grad_norm: float | None
    sent: list = field(default_factory=list)


@dataclass
class Run:
    """One graph's last forward and backward."""

    graph: object
    values: dict = field(default_factory=dict)  # node -> value statistics
    seeds: list = field(default_factory=list)  # Contributions with source None
    steps: list = field(default_factory=list)  # Steps in the engine's backward order
    backward_done: bool = False


def _index_text(index):
    def one(i):
        if i is Ellipsis:
            return "..."
        if isinstance(i, slice):
            return f"{'' if i.start is None else i.start}:{'' if i.stop is None else i.stop}"
        return str(i)
    return "[" + ", ".join(one(i) for i in (index if isinstance(index, tuple) else (index,))) + "]"


def value_stats(array):
    """Norm, mean, min and max of a float array (None for integers, booleans or nothing)."""
    if array is None or np.asarray(array).dtype.kind != "f" or np.size(array) == 0:
        return None
    a = np.asarray(array, dtype=np.float64)
    return {"norm": float(np.linalg.norm(a)), "mean": float(a.mean()),
            "min": float(a.min()), "max": float(a.max())}


class Trace:
    """What the engine reported while the trace was active, one Run per graph."""

    def __init__(self):
        self.runs = {}  # graph -> Run (the latest forward of that graph)
        self.last = None  # the graph whose backward finished last
        self._sums = {}  # node -> float64 running gradient
        self._covered = {}  # node -> bool mask of entries some contribution touched
        self._sent = {}  # op node -> its Contributions, during a backward
        self._forward = None  # the Run whose forward is going on

    def run(self, graph=None):
        """The Run of ``graph``, by default the graph whose backward finished last."""
        graph = graph if graph is not None else self.last
        if graph is None or graph not in self.runs:
            raise NotFoundError("this trace recorded no backward: run graph.forward() and "
                              "graph.backward() inside `with minigraph.trace():`")
        return self.runs[graph]

    # ---------------------------------------------------------------- engine hooks
    def forward_started(self, graph):
        run = self.runs[graph] = self._forward = Run(graph)
        for node in graph.leaves:
            run.values[node] = value_stats(node.value)

    def computed(self, node):
        """``node``'s value was just computed (it may be freed before backward)."""
        self._forward.values[node] = value_stats(node.value)

    def backward_started(self, graph, seeds):
        run = self.runs.get(graph) or self.runs.setdefault(graph, Run(graph))
        run.seeds, run.steps, run.backward_done = [], [], False
        self._sums, self._covered, self._sent = {}, {}, {}
        for node, grad in seeds:
            run.seeds.append(self._add(None, node, 0, grad))

    def sent(self, node, input_grads):
        """``node``'s backward returned ``input_grads`` (aligned with its inputs)."""
        contributions = []
        for position, (child, grad) in enumerate(zip(node.inputs, input_grads)):
            if grad is not None and child.requires_grad:
                contributions.append(self._add(node, child, position, grad))
        self._sent[node] = contributions

    def backward_finished(self, graph):
        run = self.runs[graph]
        for node in reversed(graph.op_nodes):
            sent = self._sent.get(node)
            total = self._sums.get(node)
            norm = None if sent is None or total is None else float(np.linalg.norm(total))
            run.steps.append(Step(node, norm, sent or []))
        run.backward_done = True
        self.last = graph
        self._sent = {}

    def gradient(self, node):
        """The trace's own float64 sum of every gradient ``node`` received (None if none)."""
        return self._sums.get(node)

    # ---------------------------------------------------------------- bookkeeping
    def _add(self, source, target, position, grad):
        total = self._sums.get(target)
        if total is None:
            total = self._sums[target] = np.zeros(target.shape, np.float64)
            self._covered[target] = np.zeros(target.shape, bool)
        covered = self._covered[target]
        part, deferred = None, False
        if isinstance(grad, SubGrad):
            index, piece = grad.index, np.asarray(grad.value, np.float64)
            part = _index_text(index)
        else:
            index = Ellipsis
            if isinstance(grad, ProductGrad):
                piece, deferred = grad.left.T.astype(np.float64) @ grad.right, True
            else:
                piece = np.asarray(grad, np.float64)
        disjoint = part is not None and not covered[index].any()
        total[index] += piece
        covered[index] = True
        return Contribution(source, target, position, float(np.linalg.norm(piece)),
                            float(np.linalg.norm(total)), part, disjoint, deferred)
