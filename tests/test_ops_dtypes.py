"""Every op in the library keeps float32 float32, forward and backward: minigraph never
upcasts behind the user's back. The op classes are enumerated from the library, so a new
op without an example graph (tests/op_examples.py) fails."""

import numpy as np
import pytest

import minigraph as mg

from .op_examples import example, library_ops


@pytest.mark.parametrize("name", sorted(library_ops()))
def test_every_op_keeps_float32_forward_and_backward(name):
    op_class = library_ops()[name]
    rng = np.random.default_rng(5)
    found = example(op_class, rng, np.float32)
    assert found is not None, f"no example graph for {name} in tests/op_examples.py"
    build, arrays, _ = found
    leaves = [mg.input(f"in{i}", value=a) for i, a in enumerate(arrays)]
    out = build(*leaves)
    graph = mg.Graph(out)
    assert any(isinstance(n.op, op_class) for n in graph.op_nodes)
    graph.forward()
    floats = [n for n in graph.nodes if n.value is not None and n.value.dtype.kind == "f"]
    assert floats and all(n.value.dtype == np.float32 for n in floats)
    graph.backward(rng.standard_normal(out.shape).astype(np.float32))
    grads = [leaf.grad for leaf in leaves if leaf.grad is not None]
    assert all(g.dtype == np.float32 for g in grads)
    assert grads  # every example has at least one float input that takes a gradient
