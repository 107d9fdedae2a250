"""Graph: a built graph of nodes that runs forward in topological order and backward in
reverse, and can be run again on new feed values without being rebuilt."""

import numpy as np

from . import modes, tracing
from .checks import check_finite, check_fits, check_param, where
from .errors import DTypeError, GraphError, NotFoundError, ShapeError
from .fast import blas_threads
from .gradients import SPARE_MIN_BYTES, GradientTable  # noqa: F401 - SPARE_MIN_BYTES: old home
from .node import Node


def topological_order(outputs):
    """Every node the outputs depend on, inputs before users.

    Iterative depth-first search (no recursion limit, so T = 10,000 unrolled steps are
    fine), visiting inputs left to right: the same graph gives the same order every run.
    """
    order, visited = [], set()
    for root in outputs:
        if root in visited:
            continue
        visited.add(root)
        stack = [(root, iter(root.inputs))]
        while stack:
            node, pending = stack[-1]
            for child in pending:
                if child not in visited:
                    visited.add(child)
                    stack.append((child, iter(child.inputs)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


class Graph:
    """The graph that computes ``outputs`` (a node or a sequence of nodes).

    ``forward(feed)`` sets input values and runs every op in topological order;
    ``backward(grad)`` runs the ops' backward in reverse order from the first output, summing
    gradients where a node fans out. Parameter gradients accumulate until ``zero_grad``.
    """

    def __init__(self, outputs, name=None):
        many = not isinstance(outputs, Node) and isinstance(outputs, (list, tuple))
        self.outputs = (outputs,) if not many else tuple(outputs)
        if not self.outputs or not all(isinstance(o, Node) for o in self.outputs):
            raise GraphError(f"Graph needs an output node or a list of them, got "
                             f"{type(outputs).__name__}")
        self.name = name
        self.nodes = topological_order(self.outputs)
        self.op_nodes = [n for n in self.nodes if n.op is not None]
        self.leaves = [n for n in self.nodes if n.op is None]
        self.params = [n for n in self.leaves if n.kind == "param"]
        self.inputs = [n for n in self.leaves if n.kind == "input"]
        self._by_name, self._shared_names = {}, set()
        for n in self.nodes:
            if self._by_name.setdefault(n.name, n) is not n:
                self._shared_names.add(n.name)
                if n.kind == "input" and self._by_name[n.name].kind == "input":
                    # feeding by name would set one of them and leave the other stale
                    raise GraphError(f"two different inputs are named {n.name!r}; give each "
                                     "input its own name")
        self._output_set = set(self.outputs)
        self._spares = {}  # op node -> large gradient buffer reused by the next backward
        self._ready_for_backward = False
        self._last_users = None  # built on the first forward(keep_values=False)

    def __len__(self):
        return len(self.nodes)

    def __getitem__(self, name):
        if name in self._shared_names:
            raise NotFoundError(f"more than one node is named {name!r} in this graph; use the "
                           "node itself")
        try:
            return self._by_name[name]
        except KeyError:
            raise NotFoundError(f"no node named {name!r} in this graph") from None

    def __repr__(self):
        return (f"Graph({self.name or ''}: {len(self.nodes)} nodes, {len(self.op_nodes)} ops, "
                f"{len(self.params)} params, outputs {[o.name for o in self.outputs]})")

    # ------------------------------------------------------------------ running
    def feed(self, values):
        """Set input values from {node or name: array}; shapes must match what was built."""
        for key, value in values.items():
            node = key if isinstance(key, Node) else self[key]
            if node.kind != "input":
                raise GraphError(f"cannot feed node '{node.name}': it is a {node.kind}, "
                                 "not an input")
            array = np.asarray(value)
            if array.shape != node.shape:
                raise ShapeError(f"feed for input '{node.name}' has shape {array.shape}, but "
                                 f"the graph was built for {node.shape}; build a graph for "
                                 "the new shape")
            if array.dtype != node.dtype:
                if array.dtype.kind in "iu" and node.dtype.kind in "iu":
                    check_fits(node, array)  # narrowing must not wrap 2**32 + 1 to 1
                    array = array.astype(node.dtype)
                else:
                    raise DTypeError(f"feed for input '{node.name}' is {array.dtype}, but the "
                                     f"graph was built for {node.dtype}")
            node.value = array

    def forward(self, feed=None, keep_values=True):
        """Run the graph; returns the first output's value.

        ``keep_values=False`` drops each intermediate node's value as soon as its last user
        has run: backward needs only what the ops saved, so an intermediate nobody saved
        (an input projection whose steps each made their own gate array) is freed at once.
        Training loops use it; keep the default to inspect or draw values afterwards.
        BLAS runs with ``minigraph.get_threads()`` threads (minigraph/fast/blas.py).
        """
        with blas_threads(self, "forward"):
            return self._forward(feed, keep_values)

    def _forward(self, feed, keep_values):
        if feed:
            self.feed(feed)
        check = modes.anomaly_enabled()
        keep_for_backward = modes.grad_enabled()
        if not keep_values and self._last_users is None:
            self._last_users = self._find_last_users()
        trace = tracing.active()  # None unless inside `with minigraph.trace()`
        if trace is not None:
            trace.forward_started(self)
        for node in self.nodes:
            if node.op is None:
                if node.value is None:
                    raise GraphError(f"input '{node.name}' {node.shape} was never fed")
                if node.kind == "param":
                    check_param(node)
                if node.kind == "input":
                    node.grad = None
                if check:
                    check_finite(node, node.value, "value")
                continue
            value = node.op.forward(*[i.value for i in node.inputs])
            if value.shape != node.shape or value.dtype != node.dtype:
                raise GraphError(f"{where(node)} produced {value.shape} {value.dtype}, "
                                 f"expected {node.shape} {node.dtype}")
            node.value = value
            if not keep_for_backward:
                node.op.release()
            if check:
                check_finite(node, value, "value")
            if trace is not None:
                trace.computed(node)
            if not keep_values:
                for done in self._last_users.get(node, ()):
                    done.value = None
        self._ready_for_backward = keep_for_backward
        return self.outputs[0].value

    def _find_last_users(self):
        """{op node: intermediate nodes whose last user it is} (outputs never listed)."""
        last_user = {}
        for node in self.op_nodes:
            for child in node.inputs:
                if child.op is not None:
                    last_user[child] = node
        finished = {}
        for child, user in last_user.items():
            if child not in self.outputs:
                finished.setdefault(user, []).append(child)
        return finished

    def backward(self, grad=None, retain_graph=False):
        """Backpropagate from the outputs.

        ``grad`` is the upstream gradient of the first output; it may be left out only for
        a scalar output. A graph with several outputs also takes a list with one gradient
        (or None) per output. Unless ``retain_graph`` is set, each op's saved arrays, value
        and gradient are freed as soon as backward has used them; a second backward then
        needs a new forward. BLAS runs with ``minigraph.get_threads()`` threads.
        """
        with blas_threads(self, "backward"):
            self._backward(grad, retain_graph)

    def _backward(self, grad, retain_graph):
        if not self._ready_for_backward:
            raise GraphError("backward needs a forward run first (forward under no_grad, or a "
                             "previous backward without retain_graph=True, leaves nothing to "
                             "backpropagate)")
        if not any(out.requires_grad for out in self.outputs):
            # Otherwise backward would silently leave every gradient as it was.
            raise GraphError("backward: no output of this graph requires grad; it was built "
                             "under no_grad (build it outside to train), or every leaf it "
                             "uses is frozen (requires_grad=False) or an integer")
        for node in self.op_nodes:  # stale gradients of a retained earlier backward
            node.grad = None
        seeds = self._seeds(grad)
        grads = GradientTable(self._spares, check_finite=modes.anomaly_enabled())
        for out, out_grad in seeds:
            grads.add(out, out_grad)
        trace = tracing.active()  # records each contribution as it is made (costs one check)
        if trace is not None:
            trace.backward_started(self, seeds)
        for node in reversed(self.op_nodes):
            upstream = grads.total(node)  # None: nothing reached it, or it takes no gradient
            if upstream is not None:
                input_grads = node.op.backward(upstream)
                grads.send(node, input_grads)
                if trace is not None:  # one check per node; nothing more when off
                    trace.sent(node, input_grads)
            if not retain_graph:
                self._free(node)
        grads.finish(self.leaves)
        if trace is not None:
            trace.backward_finished(self)
        self._ready_for_backward = retain_graph

    def _seeds(self, grad):
        """[(output, upstream gradient)] from backward's ``grad`` argument."""
        if isinstance(grad, (list, tuple)):
            if len(grad) != len(self.outputs):
                raise GraphError(f"got {len(grad)} upstream gradients for "
                                 f"{len(self.outputs)} outputs")
            seeds = list(zip(self.outputs, grad))
        else:
            seeds = [(self.outputs[0], grad)]
        return [(out, self._upstream(out, out_grad)) for out, out_grad in seeds
                if out_grad is not None or len(seeds) == 1]

    @staticmethod
    def _upstream(out, grad):
        if grad is None:
            if out.value.size != 1:
                raise GraphError(f"backward from non-scalar '{out.name}' of shape {out.shape} "
                                 "needs an upstream gradient of that shape")
            return np.ones(out.shape, dtype=out.dtype)
        grad = np.asarray(grad)
        if grad.shape != out.shape or grad.dtype != out.dtype:
            raise ShapeError(f"upstream gradient for '{out.name}' is {grad.shape} {grad.dtype}, "
                             f"expected {out.shape} {out.dtype}")
        return grad

    def _free(self, node):
        """Drop what backward no longer needs of ``node``: saved arrays, gradient, value
        (an output keeps its value)."""
        node.op.release()
        node.grad = None
        if node not in self._output_set:
            node.value = None

    def zero_grad(self):
        """Forget the gradients of every leaf (parameters and inputs)."""
        for node in self.leaves:
            node.zero_grad()

    def train(self, mode=True):
        """Switch ops with a training mode (Dropout) on or off; returns the graph."""
        for node in self.op_nodes:
            if hasattr(node.op, "training"):
                node.op.training = mode
        return self

    def eval(self):
        return self.train(False)

    # ------------------------------------------------------------------ analysis
    def to_networkx(self):
        """A ``networkx.DiGraph``: one vertex per node (keyed by node id) carrying name,
        kind, op, shape, dtype and tags; an edge from each input to its user, whose
        ``positions`` attribute lists the argument slots it fills (``x + x`` has two)."""
        import networkx as nx

        g = nx.DiGraph(name=self.name or "")
        for n in self.nodes:
            g.add_node(n.id, name=n.name, kind=n.kind,
                       op=type(n.op).__name__ if n.op is not None else None,
                       label=n.op.label if n.op is not None else n.name,
                       shape=n.shape, dtype=str(n.dtype), tags=dict(n.tags),
                       requires_grad=n.requires_grad)
        for n in self.op_nodes:
            for position, child in enumerate(n.inputs):
                if g.has_edge(child.id, n.id):
                    g.edges[child.id, n.id]["positions"].append(position)
                else:
                    g.add_edge(child.id, n.id, positions=[position], shape=child.shape)
        return g
