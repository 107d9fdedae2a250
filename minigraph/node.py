"""Nodes: the values of a graph, and the leaf constructors `param`, `input` and `constant`.

A Node is a value in the graph. Leaves are parameters (trained), inputs (fed each run)
and constants; every other node is made by applying an Op to input nodes. A node knows
its shape and dtype from the moment it is built, before any value exists.
"""

import itertools
from contextlib import contextmanager

import numpy as np

from . import modes
from .errors import DTypeError, GraphError, ShapeError, UsageError

_ids = itertools.count()
_tag_stack = [{}]

LEAF_KINDS = ("param", "input", "const")


@contextmanager
def tags(**new_tags):
    """Tag every node built inside, e.g. ``with tags(t=3, layer=0): ...``.

    Graph builders use it to record the timestep, layer and role of each node, which the
    renderer and analyzers read. Scopes nest; inner values win.
    """
    _tag_stack.append({**_tag_stack[-1], **new_tags})
    try:
        yield
    finally:
        _tag_stack.pop()


def current_tags():
    return _tag_stack[-1]


class Node:
    """A value in a graph.

    Attributes: ``value`` (numpy array, or None before forward / after it is freed),
    ``grad`` (same shape and dtype, or None), ``op`` (the Op that makes it; None for
    leaves), ``inputs`` (tuple of nodes), ``name``, ``tags`` (dict: t, layer, role ...),
    ``kind`` ('param', 'input', 'const' or 'op'), ``shape``, ``dtype``, ``requires_grad``.
    """

    __slots__ = ("value", "grad", "op", "inputs", "name", "tags", "kind", "shape", "dtype",
                 "requires_grad", "id")

    def __init__(self, kind, shape, dtype, *, value=None, op=None, inputs=(), name=None,
                 requires_grad=False, node_tags=None):
        self.id = next(_ids)
        self.kind = kind
        self.shape = tuple(int(s) for s in shape)
        self.dtype = np.dtype(dtype)
        self.value = value
        self.grad = None
        self.op = op
        self.inputs = tuple(inputs)
        if name is None:
            name = f"{type(op).__name__.lower() if op is not None else kind}{self.id}"
        self.name = name
        self.tags = {**current_tags(), **(node_tags or {})}
        self.requires_grad = bool(requires_grad)

    def zero_grad(self):
        """Forget this node's gradient (the next backward starts its sum afresh)."""
        self.grad = None

    @property
    def is_leaf(self):
        return self.op is None

    @property
    def size(self):
        return int(np.prod(self.shape))

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        what = type(self.op).__name__ if self.op is not None else self.kind
        return f"Node({self.name!r}, {what}, shape={self.shape}, dtype={self.dtype})"

    # Arithmetic (x + y, a @ W, -x, h[..., :H]) is installed by minigraph/ops/operators.py
    # when the op library loads: this module imports nothing from the ops.


def _as_array(value, what):
    if isinstance(value, Node):
        raise GraphError(f"{what}: expected a numpy array, got node '{value.name}'")
    array = np.asarray(value)
    if array.dtype == object:
        raise DTypeError(f"{what}: cannot hold an object array")
    return array


# Tag names the drawings and analyzers read, accepted as keywords of param, input and
# apply for short (``role="carried"``); any other tag goes through ``tags={...}`` or
# ``with mg.tags(...)``, so a misspelled keyword (``nmae=``) is refused, not stored as a tag.
TAG_KEYWORDS = ("t", "layer", "role", "belt")


def leaf_tags(what, allowed, tags, shorthand):
    """{tag: value} from an explicit ``tags`` dict and the tag-name keywords; a UsageError
    naming the allowed keywords for any other keyword (most often a typo)."""
    unknown = sorted(set(shorthand) - set(TAG_KEYWORDS))
    if unknown:
        raise UsageError(f"{what}: unknown keyword {', '.join(map(repr, unknown))}; allowed: "
                         f"{', '.join(allowed)}, tags={{...}} for your own tags, or the tag "
                         f"names {', '.join(TAG_KEYWORDS)}")
    if tags is not None and not isinstance(tags, dict):
        raise DTypeError(f"{what}: tags must be a dict of tag names to values, got "
                         f"{type(tags).__name__}")
    return {**(tags or {}), **shorthand}


def param(value, name=None, requires_grad=True, copy=True, tags=None, **tag_keywords):
    """A trained parameter, holding a copy of ``value``.

    The copy keeps the caller's array unchanged however the parameter is trained; read the
    trained values from ``node.value`` (models do: ``model.params[name]`` is the node's
    array, updated in place by the optimizers, so every graph built on the node stays
    current). ``copy=False`` shares the caller's array instead, for code that updates its
    own arrays in place and wants the graph to see it.

    ``requires_grad=False`` freezes the parameter: backward computes no gradient for it
    (``.grad`` stays None) and optimizers, which skip a parameter without a gradient, never
    move it. ``tags``: your own tags, {name: value}.
    """
    node_tags = leaf_tags(f"param '{name}'" if name else "param",
                          ("value", "name", "requires_grad", "copy"), tags, tag_keywords)
    if not isinstance(requires_grad, (bool, np.bool_)):  # "False" is a true string
        raise UsageError(f"param '{name}': requires_grad must be True or False, got "
                         f"{requires_grad!r}")
    array = _as_array(value, f"param '{name}'")
    if array.dtype.kind != "f":
        raise DTypeError(f"param '{name}': parameters must be floating point, got {array.dtype}")
    if copy:
        array = array.copy()
    return Node("param", array.shape, array.dtype, value=array, name=name,
                requires_grad=requires_grad, node_tags={"role": "param", **node_tags})


def check_shape(what, shape):
    """``shape`` as a tuple of ints >= 0, or a ShapeError naming it (2.5, -3 and True are
    refused, not rounded or wrapped)."""
    try:
        dims = tuple(shape)
    except TypeError:
        raise ShapeError(f"{what}: shape must be a tuple of integers >= 0, got {shape!r}") from None
    for dim in dims:
        if (isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer))
                or dim < 0):
            raise ShapeError(f"{what}: shape must be a tuple of integers >= 0, got {shape!r} "
                             f"(bad entry {dim!r})")
    return tuple(int(d) for d in dims)


def input(name, shape=None, dtype=None, value=None, requires_grad=None, tags=None,
          **tag_keywords):
    """A value fed at each run: ``input('x', (N, T, D), np.float32)`` or ``input('x', value=a)``.

    Floating-point inputs require grad unless told otherwise (the cs231n layers return dx);
    integer and boolean inputs (ids, masks) never do. ``tags``: your own tags.
    """
    node_tags = leaf_tags(f"input '{name}'",
                          ("name", "shape", "dtype", "value", "requires_grad"), tags,
                          tag_keywords)
    if shape is not None:
        shape = check_shape(f"input '{name}'", shape)
    if value is not None:
        array = _as_array(value, f"input '{name}'")
        if shape is not None and tuple(shape) != array.shape:
            raise ShapeError(f"input '{name}': declared shape {tuple(shape)} but the value "
                             f"has shape {array.shape}")
        if dtype is not None and np.dtype(dtype) != array.dtype:
            raise DTypeError(f"input '{name}': declared dtype {np.dtype(dtype)} but the value "
                             f"is {array.dtype}")
        shape, dtype = array.shape, array.dtype
    elif shape is None or dtype is None:
        raise GraphError(f"input '{name}': give a value, or both shape and dtype")
    else:
        array = None
    dtype = np.dtype(dtype)
    if requires_grad is None:
        requires_grad = dtype.kind == "f"
    requires_grad = bool(requires_grad) and modes.grad_enabled()
    return Node("input", shape, dtype, value=array, name=name, requires_grad=requires_grad,
                node_tags=node_tags)


def constant(value, name=None, dtype=None):
    """A fixed value that never receives a gradient."""
    array = _as_array(value, f"constant '{name}'")
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    return Node("const", array.shape, array.dtype, value=array, name=name)
