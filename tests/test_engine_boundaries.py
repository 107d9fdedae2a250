"""The engine's boundaries: nothing outside it touches its private state, and node.py
imports nothing from the ops (the ops package installs the operators on Node).

The engine (graph.py, gradients.py, node.py, checks.py) keeps its bookkeeping behind
underscores; optimizers, models and tools go through its public calls (``node.zero_grad()``,
``graph.zero_grad()``, ``graph.backward()``). These tests read the source of every other
module of the framework, the application and the benchmarks.
"""

import ast
from pathlib import Path

import numpy as np

import minigraph as mg
from minigraph.gradients import GradientTable

ROOT = Path(__file__).resolve().parents[1]
ENGINE_FILES = {ROOT / "minigraph" / name
                for name in ("graph.py", "gradients.py", "node.py", "checks.py")}

# The engine's private attributes and methods, and the per-node bookkeeping that the
# gradient table replaced (grad_owned, pending, spare): none may be read or set from outside.
ENGINE_PRIVATE = {
    "_ready_for_backward", "_last_users", "_find_last_users", "_by_name", "_shared_names",
    "_output_set", "_spares", "_forward", "_backward", "_seeds", "_upstream", "_free",
    "_check", "_owned", "_products", "_defer", "_settle", "_add_part", "_zeros",
    "_accumulate", "grad_owned", "pending", "spare",
}


def _outside_modules():
    for folder in ("minigraph", "models", "benchmarks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path not in ENGINE_FILES:
                yield path


def _private_touches(path):
    """(line, text) of every ``something.<engine private>`` in ``path``, ``self.`` and
    ``cls.`` excepted (a class's own attribute of the same name is not the engine's)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (isinstance(node, ast.Attribute) and node.attr in ENGINE_PRIVATE
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
            found.append((node.lineno, ast.unparse(node)))
    return found


def test_no_module_outside_the_engine_touches_its_private_state():
    touches = {str(path.relative_to(ROOT)): hits for path in _outside_modules()
               if (hits := _private_touches(path))}
    assert touches == {}


def test_the_checked_names_cover_every_private_member_of_the_engine_classes():
    x = mg.input("x", value=[1.0, 2.0])
    graph = mg.Graph(mg.sum(x * x))
    table = GradientTable({})
    members = set(vars(graph)) | set(vars(type(graph))) | set(vars(table)) | set(
        vars(GradientTable))
    private = {name for name in members if name.startswith("_") and not name.startswith("__")}
    assert private <= ENGINE_PRIVATE


def test_the_check_catches_a_reset_of_the_engine_bookkeeping(tmp_path):
    bad = tmp_path / "optimizer.py"
    bad.write_text("def zero(p, g):\n    p.grad = p.pending = None\n    g._spares.clear()\n")
    assert _private_touches(bad) == [(2, "p.pending"), (3, "g._spares")]


def test_zero_grad_is_the_public_way_to_forget_a_gradient():
    W = mg.param(np.array([[2.0, -1.0]]), "W")
    graph = mg.Graph(mg.sum(W * W))
    graph.forward()
    graph.backward()
    np.testing.assert_array_equal(W.grad, [[4.0, -2.0]])
    W.zero_grad()
    assert W.grad is None
    graph.forward()
    graph.backward()
    np.testing.assert_array_equal(W.grad, [[4.0, -2.0]])  # summed afresh, nothing stale


def test_node_module_imports_nothing_from_the_ops():
    """Operators are installed on Node by minigraph/ops/operators.py, so node.py (which
    the ops import) never imports them back: no circle, no import inside a method."""
    source = (ROOT / "minigraph" / "node.py").read_text()
    imported = [node.module or "" for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.ImportFrom)]
    imported += [alias.name for node in ast.walk(ast.parse(source))
                 if isinstance(node, ast.Import) for alias in node.names]
    assert not [name for name in imported if "ops" in name.split(".")]


def test_every_operator_builds_its_op_once_minigraph_is_imported():
    x = mg.input("x", value=np.array([[1.0, 2.0], [3.0, 4.0]]))
    built = {"x + 1": x + 1, "1 + x": 1 + x, "x - 1": x - 1, "1 - x": 1 - x, "x * 2": x * 2,
             "2 * x": 2 * x, "x / 2": x / 2, "2 / x": 2 / x, "-x": -x,
             "x @ x": x @ x, "x[..., 1:]": x[..., 1:]}
    ops = {text: type(node.op).__name__ for text, node in built.items()}
    assert ops == {"x + 1": "Add", "1 + x": "Add", "x - 1": "Sub", "1 - x": "Sub",
                   "x * 2": "Mul", "2 * x": "Mul", "x / 2": "Divide", "2 / x": "Divide",
                   "-x": "Sub", "x @ x": "MatMul", "x[..., 1:]": "SliceLast"}
    values = mg.Graph([built["1 - x"], built["2 / x"], built["x @ x"], built["x[..., 1:]"]])
    values.forward()
    np.testing.assert_array_equal(built["1 - x"].value, [[0.0, -1.0], [-2.0, -3.0]])
    np.testing.assert_array_equal(built["2 / x"].value, [[2.0, 1.0], [2 / 3, 0.5]])
    np.testing.assert_array_equal(built["x @ x"].value, [[7.0, 10.0], [15.0, 22.0]])
    np.testing.assert_array_equal(built["x[..., 1:]"].value, [[2.0], [4.0]])
