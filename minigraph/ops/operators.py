"""Python's operators on nodes (``x + y``, ``a @ W``, ``-x``, ``h[..., :H]``), installed
on ``Node`` when the op library loads (Chainer's way): node.py then needs nothing from the
ops, and no import runs inside an operator call."""

from ..errors import GraphError
from ..node import Node
from .math import add, divide, matmul, mul, sub
from .shape import slice_last


def _getitem(node, key):
    """``x[..., a:b]``: a slice of the last axis, the one form the graph supports."""
    if not (isinstance(key, tuple) and len(key) == 2 and key[0] is Ellipsis
            and isinstance(key[1], slice)):
        raise GraphError(f"node '{node.name}': only x[..., a:b] slicing of the last axis "
                         f"is supported, got {key!r}")
    start, stop, step = key[1].indices(node.shape[-1])
    if step != 1:
        raise GraphError(f"node '{node.name}': slices with a step are not supported")
    return slice_last(node, start, stop)


OPERATORS = {
    "__add__": lambda self, other: add(self, other),
    "__radd__": lambda self, other: add(other, self),
    "__sub__": lambda self, other: sub(self, other),
    "__rsub__": lambda self, other: sub(other, self),
    "__mul__": lambda self, other: mul(self, other),
    "__rmul__": lambda self, other: mul(other, self),
    "__truediv__": lambda self, other: divide(self, other),
    "__rtruediv__": lambda self, other: divide(other, self),
    "__neg__": lambda self: sub(0, self),  # drawn as 0 - x: no op of its own to learn
    "__matmul__": lambda self, other: matmul(self, other),
    "__getitem__": _getitem,
}


def install(cls=Node):
    """Give ``cls`` (Node) its arithmetic operators, each building a graph node."""
    for name, method in OPERATORS.items():
        method.__name__ = method.__qualname__ = name
        setattr(cls, name, method)


install()
