"""Every error the framework raises on purpose is a MinigraphError (minigraph/errors.py),
so ``except minigraph.MinigraphError`` catches them all and the command line exits 2; each
also keeps the builtin class it had before (``except ValueError`` and the like still work)."""

import ast
import builtins
from pathlib import Path

import numpy as np
import pytest

import minigraph as mg
from minigraph.errors import MinigraphError, NotFoundError, UsageError, WrongTypeError

FRAMEWORK = Path(mg.__file__).resolve().parent

ALLOWED_BUILTINS = {"NotImplementedError"}  # an abstract method, not an error of use


def _builtin_raises(path):
    """(line, name) of each ``raise <builtin exception>`` in ``path`` (bare re-raises and
    raises of a variable are not listed)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Raise) or node.exc is None:
            continue
        exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        name = exc.id if isinstance(exc, ast.Name) else None
        builtin = getattr(builtins, name, None) if name else None
        if (isinstance(builtin, type) and issubclass(builtin, BaseException)
                and name not in ALLOWED_BUILTINS):
            found.append((node.lineno, name))
    return found


def _framework_files():
    for path in sorted(FRAMEWORK.rglob("*.py")):
        relative = path.relative_to(FRAMEWORK)
        if relative.parts[0] == "models":
            continue
        yield path


def test_the_framework_raises_no_bare_builtin_exception():
    raises = {str(path.relative_to(FRAMEWORK)): hits for path in _framework_files()
              if (hits := _builtin_raises(path))}
    assert raises == {}


def test_the_source_check_sees_a_builtin_raise(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("def f(x):\n    if x:\n        raise ValueError(x)\n"
                      "    raise NotImplementedError\n\ndef g():\n    try:\n        f(1)\n"
                      "    except ValueError:\n        raise\n")
    assert _builtin_raises(module) == [(3, "ValueError")]


def _graph():
    x = mg.input("x", value=np.array([1.0, 2.0]))
    graph = mg.Graph(mg.sum(x * x))
    return graph


def test_unroll_with_an_unknown_cell_is_a_usage_error():
    x = mg.input("x", value=np.zeros((2, 3, 4)))
    h0 = mg.input("h0", value=np.zeros((2, 5)))
    W = mg.param(np.zeros((4, 5)), "Wx")
    with pytest.raises(UsageError, match=r"unknown cell type 'foo'.*\['gru', 'lstm', 'rnn'\]"):
        mg.unroll("foo", x, h0, W, mg.param(np.zeros((5, 5)), "Wh"), mg.param(np.zeros(5)))
    with pytest.raises(ValueError):  # what it was before
        mg.unroll_projected("foo", x, h0, W)


def test_feeding_an_unknown_name_is_a_not_found_error():
    graph = _graph()
    with pytest.raises(NotFoundError, match="no node named 'nosuch' in this graph"):
        graph.feed({"nosuch": np.zeros(2)})
    with pytest.raises(KeyError):
        graph["nosuch"]
    graph.feed({"x": np.array([3.0, 4.0])})
    assert graph.forward() == 25.0


def test_an_optimizer_given_arrays_instead_of_parameter_nodes_is_a_wrong_type_error():
    with pytest.raises(WrongTypeError, match="Adam: expected parameter nodes holding float"):
        mg.optim.Adam([np.zeros(3)])
    with pytest.raises(TypeError):
        mg.optim.SGD([np.zeros(3)])


def test_an_unknown_update_rule_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown update rule 'adamw'"):
        mg.optim.get_rule("adamw")


def test_looking_up_an_unknown_cell_in_gates_names_the_cells():
    assert mg.GATES["lstm"] == 4
    with pytest.raises(NotFoundError, match=r"unknown cell type 'foo'.*\['gru', 'lstm', 'rnn'\]"):
        mg.GATES["foo"]
    assert mg.GATES.get("foo") is None and "foo" not in mg.GATES
    x, h = mg.input("x", value=np.zeros((1, 2))), mg.input("h", value=np.zeros((1, 3)))
    with pytest.raises(UsageError, match="unknown cell type 'lstn'"):
        mg.cell_step("lstn", x, h, None, None, None, None)


def test_a_trace_without_a_backward_is_a_not_found_error():
    with mg.trace() as record:
        pass
    with pytest.raises(NotFoundError, match="recorded no backward"):
        record.run()
    with pytest.raises(LookupError):
        record.run()


def test_dropout_and_loss_settings_are_usage_and_type_errors():
    with pytest.raises(UsageError, match=r"Dropout: p must be in \[0, 1\), got 1.5"):
        mg.Dropout(1.5, np.random.default_rng(0))
    with pytest.raises(WrongTypeError, match="numpy.random.Generator"):
        mg.Dropout(0.5, 0)
    with pytest.raises(UsageError, match="average must be 'batch' or 'token'"):
        mg.MaskedSoftmaxCE(average="sum")


def test_every_error_class_is_a_minigraph_error_and_keeps_its_builtin_base():
    assert issubclass(WrongTypeError, MinigraphError) and issubclass(WrongTypeError, TypeError)
    assert issubclass(NotFoundError, KeyError) and issubclass(UsageError, ValueError)
