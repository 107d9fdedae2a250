"""The Op base class and `apply`, which checks shapes and builds a node.

An Op is one small class: ``infer`` checks the input nodes when the graph is built and
returns the output's shape and dtype; ``forward`` maps arrays to an array, saving in
``self.saved`` only what ``backward`` needs; ``backward`` maps the upstream gradient to a
tuple aligned with the inputs (None where an input takes no gradient). Ops never
accumulate gradients and never write into the upstream gradient: the engine does both.

An op also says what drawings and statistics need to know about it, so a user's own op
draws and counts like a built-in one: ``category`` (one of ``CATEGORIES``) and
``flops(node)``, the floating-point operations of one forward.
"""

import numpy as np

from . import modes
from .errors import DTypeError, ShapeError, describe
from .node import Node, constant, leaf_tags


class SubGrad:
    """The gradient of a part of an input: ``grad[index] += value``.

    Ops that read a slice of their input (select one timestep, take the h half of an LSTM
    state) return this instead of a full-size array of zeros, so unrolling T steps costs
    O(T) memory, not O(T^2). The engine allocates the full gradient once.
    """

    __slots__ = ("index", "value")

    def __init__(self, index, value):
        self.index = index
        self.value = value


class ProductGrad:
    """A gradient of the form ``left.T @ right`` whose multiplication the engine defers.

    A weight shared by T steps gets T such terms (h_{t-1}.T @ da_t for Wh); the engine
    stacks them and multiplies once, one (H, N T) @ (N T, kH) matmul instead of T small
    ones and T additions. Same sum, fewer and larger matmuls.
    """

    __slots__ = ("left", "right")

    def __init__(self, left, right):
        self.left = left
        self.right = right


# What kind of work an op does; drawings style nodes by it and statistics group by it.
CATEGORIES = {
    "elementwise": "one operation per output entry: arithmetic, activations, dropout",
    "reduction": "sums and means over axes",
    "softmax": "softmax and log-softmax over an axis",
    "matmul": "matrix products: matmul, affine layers",
    "lookup": "rows picked from a table by integer ids: embedding",
    "shape": "values moved without arithmetic: reshape, slice, concat, stack, transpose",
    "recurrent": "a whole recurrent cell step in one node (a fused cell)",
    "loss": "a scalar loss",
}


class Op:
    """Base class of all ops. Subclasses set ``differentiable = False`` to stop gradients,
    ``category`` to one of ``CATEGORIES``, and override ``flops`` unless the op costs one
    operation per output entry."""

    differentiable = True
    category = "elementwise"
    saved = None
    layout = "C"  # memory order of the output; the engine allocates its gradient alike

    def infer(self, *inputs):
        """Check the input nodes; return (shape, dtype) of the output."""
        raise NotImplementedError

    def forward(self, *values):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    def flops(self, node):
        """Floating-point operations of one forward of ``node`` (this op's node; its
        ``inputs`` and ``shape`` give the sizes). A multiply-add counts as 2."""
        return node.size

    def release(self):
        """Drop what forward saved for backward."""
        self.saved = None

    @property
    def label(self):
        """Short text for drawings and messages."""
        return type(self).__name__

    # helpers for infer(): each raises one error that names the op and its inputs
    def fail(self, inputs, message, error=ShapeError):
        raise error(f"{self.label}: {message} (inputs: {describe(inputs)})")

    def same_float_dtype(self, inputs):
        dtypes = {n.dtype for n in inputs}
        for n in inputs:
            if n.dtype.kind != "f":
                self.fail(inputs, f"'{n.name}' must be floating point, got {n.dtype}", DTypeError)
        if len(dtypes) > 1:
            self.fail(inputs, "inputs mix float dtypes; cast explicitly (minigraph never "
                      "upcasts float32 to float64 behind your back)", DTypeError)
        return inputs[0].dtype

    def integer_input(self, inputs, node, what):
        if node.dtype.kind not in "iu":
            self.fail(inputs, f"{what} '{node.name}' must be integers, got {node.dtype}",
                      DTypeError)


def as_node(x, like=None):
    """Nodes pass through; arrays and Python numbers become constants (a number takes the
    dtype of the node it is combined with, so 1 - z stays float32)."""
    if isinstance(x, Node):
        return x
    if x is None or isinstance(x, (str, bytes)) or np.asarray(x).dtype.kind not in "biuf":
        raise DTypeError(f"cannot use {x!r} in a graph: give a node, a number or a numeric "
                         f"array{f' (combining with node {like.name!r})' if like else ''}")
    if like is not None and np.ndim(x) == 0 and not isinstance(x, np.ndarray):
        return constant(np.asarray(x, dtype=like.dtype), name=repr(x))
    return constant(x)


def apply(op, *inputs, name=None, tags=None, **tag_keywords):
    """Check ``inputs`` with ``op.infer`` and return the new node (no value is computed).
    ``tags``: the node's own tags, {name: value}, besides those of ``with mg.tags(...)``."""
    node_tags = leaf_tags(f"apply({op.label})", ("name",), tags, tag_keywords)
    like = next((x for x in inputs if isinstance(x, Node)), None)
    nodes = tuple(as_node(x, like) for x in inputs)
    shape, dtype = op.infer(*nodes)
    requires_grad = (op.differentiable and modes.grad_enabled()
                     and any(n.requires_grad for n in nodes))
    return Node("op", shape, dtype, op=op, inputs=nodes, name=name,
                requires_grad=requires_grad, node_tags=node_tags)
