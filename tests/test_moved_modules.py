"""Modules that moved in issue 23 still import from their old paths: the framework's speed
layer (``minigraph.kernels`` -> ``minigraph.fast.kernels``) and the application's flat
modules (``minigraph.models.char_rnn`` -> ``minigraph.models.charrnn.model``). Each old path
gives the same module object as the new one, with one DeprecationWarning naming the new
path and pointing at the line that imported the old one; one finder serves them all."""

import importlib
import subprocess
import sys
import warnings

import numpy as np
import pytest

import minigraph
import minigraph.models  # registers the application's moves with the framework's finder
from minigraph import fast
from minigraph.fast import blas, kernels, parallel
from minigraph.models import _moved
from minigraph.moved_modules import MOVED, MovedModuleFinder, new_name, register

FRAMEWORK_MOVES = {
    "minigraph.kernels": "minigraph.fast.kernels",
    "minigraph.compiled_gates": "minigraph.fast.compiled_gates",
    "minigraph.compiled_loops": "minigraph.fast.compiled_loops",
    "minigraph.parallel": "minigraph.fast.parallel",
    "minigraph.thread_policy": "minigraph.fast.blas",
}
needs_numba = pytest.mark.skipif(not kernels.available(), reason="numba not installed")


def _fresh_import(name):
    """Import ``name`` as a first import would, recording the DeprecationWarnings it emits."""
    sys.modules.pop(name, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(name)
    return module, [w for w in caught if issubclass(w.category, DeprecationWarning)]


def _run(args):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          timeout=120)


def test_one_table_holds_the_framework_and_the_application_moves():
    assert MOVED == {**FRAMEWORK_MOVES, **_moved.MOVED}
    assert len(MOVED) == len(FRAMEWORK_MOVES) + len(_moved.MOVED) == 40  # none shared
    for new in MOVED.values():
        assert importlib.util.find_spec(new) is not None, new


def test_one_finder_on_the_meta_path_serves_every_old_name():
    minigraph.moved_modules.install()  # again: still one
    register(_moved.MOVED)  # the same entries again, as a reloaded package would
    finders = [f for f in sys.meta_path if isinstance(f, MovedModuleFinder)]
    assert len(finders) == 1 and sys.meta_path[0] is finders[0]
    assert finders[0].find_spec("minigraph.kernels") is not None
    assert finders[0].find_spec("minigraph.models.char_rnn") is not None
    assert finders[0].find_spec("minigraph.fast.kernels") is None  # a new path: not ours


def test_moving_one_old_name_to_two_places_is_refused():
    with pytest.raises(minigraph.UsageError, match="minigraph.kernels"):
        register({"minigraph.kernels": "minigraph.fast.parallel"})
    assert MOVED["minigraph.kernels"] == "minigraph.fast.kernels"


# Modules that import numba on load; a machine without the [fast] extra skips them.
COMPILED = {"minigraph.fast.compiled_gates", "minigraph.fast.compiled_loops"}


@pytest.mark.parametrize("old", [pytest.param(old, marks=needs_numba) if MOVED[old] in COMPILED
                                 else old for old in sorted(MOVED)])
def test_an_old_module_path_is_the_new_module_and_warns(old):
    new = importlib.import_module(MOVED[old])
    module, caught = _fresh_import(old)
    assert module is new
    assert sys.modules[old] is new
    assert [str(w.message) for w in caught] == [
        f"{old} moved to {MOVED[old]}; import it from there (the old path will go)"]
    assert caught[0].filename == __file__  # points at the importing line, not importlib


@pytest.mark.parametrize("package, old, new", [
    ("minigraph", "kernels", kernels),
    ("minigraph", "parallel", parallel),
    ("minigraph", "thread_policy", blas),
    ("minigraph.models", "char_rnn", "minigraph.models.charrnn.model"),
])
def test_an_old_import_in_a_fresh_process_warns_and_gives_the_moved_module(package, old, new):
    new = new if isinstance(new, str) else new.__name__
    code = ("import warnings; warnings.simplefilter('error', DeprecationWarning)\n"
            f"try:\n    from {package} import {old}\nexcept DeprecationWarning as w:\n"
            "    print(w)\n")
    done = _run(["-c", code])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (f"{package}.{old} moved to {new}; import it from there "
                                   "(the old path will go)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        module = importlib.import_module(f"{package}.{old}")
        exec(f"from {package} import {old} as imported", namespace := {})
    assert module is importlib.import_module(new) and namespace["imported"] is module


@pytest.mark.parametrize("line, old, output", [
    ("from minigraph.models.char_rnn import CharRNN; print(CharRNN.__name__)",
     "minigraph.models.char_rnn", "CharRNN"),
    pytest.param("from minigraph import compiled_loops; print(compiled_loops.__name__)",
                 "minigraph.compiled_loops", "minigraph.fast.compiled_loops", marks=needs_numba),
])
def test_a_script_importing_an_old_path_sees_the_warning_by_default(tmp_path, line, old,
                                                                    output):
    # Python shows a DeprecationWarning by default only when the importing line is in
    # __main__: the warning must point there, not at importlib (line 2, after a comment)
    script = tmp_path / "notebook_cell.py"
    script.write_text(f"# a user's script\n{line}\n")
    done = _run([str(script)])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == output
    assert f"{script}:2: DeprecationWarning: {old} moved to {new_name(old)}; import it " \
        "from there (the old path will go)" in done.stderr


def test_old_names_give_the_same_objects_as_the_new_paths():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from minigraph.models import captioning_solver
        from minigraph.models.caption_commands import train_captioner
        from minigraph.models.char_rnn import CharRNN
        from minigraph.models.exercises import BY_NAME
        from minigraph.models.exercises.checking import check_file
        from minigraph.models.render_commands import example_graph
    from minigraph.models.captioning import solver
    from minigraph.models.captioning.training import train_captioner as trainer
    from minigraph.models.charrnn.model import CharRNN as NewCharRNN
    from minigraph.models.lab.example_graphs import example_graph as new_example_graph
    from minigraph.models.lab.exercises import BY_NAME as new_by_name
    from minigraph.models.lab.exercises.checking import check_file as new_check_file

    assert captioning_solver is solver
    assert CharRNN is NewCharRNN and train_captioner is trainer
    assert BY_NAME is new_by_name and check_file is new_check_file
    assert example_graph is new_example_graph


def test_a_moved_packages_submodule_follows_it_unless_moved_elsewhere():
    assert new_name("minigraph.models.exercises.catalog") == \
        "minigraph.models.lab.exercises.catalog"
    assert new_name("minigraph.models.exercises.commands") == "minigraph.models.cli.exercise"
    assert new_name("minigraph.models.data.coco") is None  # data did not move
    assert new_name("minigraph.models.cli") is None  # the package took the module's name
    assert new_name("minigraph.modelsx.char_rnn") is None
    assert new_name("minigraph.fast.kernels") is None


def test_an_unknown_old_name_is_still_an_import_error():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("minigraph.models.no_such_module")
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("minigraph.no_such_module")


def test_the_old_console_script_entry_point_still_runs():
    # scripts installed before name minigraph.models.cli:main
    code = "from minigraph.models.cli import main; raise SystemExit(main(['--version']))"
    result = _run(["-W", "error::DeprecationWarning", "-c", code])
    assert result.returncode == 0, result.stderr
    assert "minigraph" in result.stdout + result.stderr


@needs_numba
def test_a_setting_made_through_an_old_path_reaches_the_ops():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old_kernels = importlib.import_module("minigraph.kernels")
    previous = old_kernels.use_numba(False)
    try:
        assert not fast.using_numba() and not kernels.using_numba()
    finally:
        old_kernels.use_numba(previous)
    assert fast.using_numba()


def test_the_thread_setting_is_one_setting_under_every_name():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old_policy = importlib.import_module("minigraph.thread_policy")
    try:
        old_policy.set_threads(2)
        assert minigraph.get_threads() == fast.get_threads() == 2
        assert parallel.workers() == 2
    finally:
        minigraph.set_threads(None)
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(fast.matmul(a, a.T), [[5.0, 14.0], [14.0, 50.0]])
