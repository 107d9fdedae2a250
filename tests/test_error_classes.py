"""Every error minigraph raises on purpose, framework and application alike, is a
MinigraphError (minigraph/errors.py), so ``except minigraph.MinigraphError`` catches them
all and the command line exits 2; each also keeps the builtin class it had before
(``except ValueError`` and the like still work)."""

import ast
import builtins
from pathlib import Path

import numpy as np
import pytest

import minigraph as mg
from minigraph.errors import MinigraphError, NotFoundError, UsageError, WrongTypeError

FRAMEWORK = Path(mg.__file__).resolve().parent

# not errors of use: an abstract method, a second Ctrl-C that stops at once, and an
# internal invariant (the exercise catalog checking its own forward against the engine)
ALLOWED_BUILTINS = {"NotImplementedError", "KeyboardInterrupt", "AssertionError"}


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


def _package_files():
    """Every module of the framework (the speed layer included) and of the application
    (the repository's models/, installed as minigraph.models); not the exercise skeletons,
    which are the student's code."""
    import minigraph.models

    for root in (FRAMEWORK, Path(minigraph.models.__file__).resolve().parent):
        for path in sorted(root.rglob("*.py")):
            if "skeletons" not in path.parts and "models" not in path.relative_to(root).parts:
                yield root, path


def test_the_package_raises_no_bare_builtin_exception():
    raises = {str(path.relative_to(root.parent)): hits for root, path in _package_files()
              if (hits := _builtin_raises(path))}
    assert raises == {}


def test_the_source_check_reads_the_application_and_the_speed_layer():
    names = {str(path.relative_to(root.parent)) for root, path in _package_files()}
    assert "minigraph/fast/kernels.py" in names and "models/charrnn/model.py" in names


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


def test_the_application_models_refuse_bad_settings_with_usage_errors():
    from minigraph.models.captioning.rnn_captioner import CaptioningRNN
    from minigraph.models.charrnn.model import CharRNN

    with pytest.raises(UsageError, match=r"invalid cell 'foo'"):
        CharRNN(5, cell="foo")
    with pytest.raises(UsageError, match="<NULL>"):
        CaptioningRNN({"<START>": 0, "<END>": 1}, input_dim=4, wordvec_dim=3, hidden_dim=3)
    model = CharRNN(5, hidden_size=3, num_layers=1, cell="rnn")
    with pytest.raises(NotFoundError, match="has no parameter 'W_nope'"):
        model.params["W_nope"] = np.zeros(3)
