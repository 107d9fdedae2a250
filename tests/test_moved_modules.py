"""The application's old flat module paths (before the rooms of issue 23) still import:
the same module object as the new path, with a DeprecationWarning naming the new path."""

import importlib
import subprocess
import sys
import warnings

import pytest

from minigraph.models._moved import MOVED, PACKAGE, new_name

OLD_NAMES = sorted(MOVED)


def _fresh_import(name):
    """Import ``name`` as a first import would, recording the warnings it emits."""
    sys.modules.pop(f"{PACKAGE}.{name}", None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(f"{PACKAGE}.{name}")
    return module, [w for w in caught if issubclass(w.category, DeprecationWarning)]


@pytest.mark.parametrize("old", OLD_NAMES)
def test_an_old_module_path_is_the_new_module_and_warns(old):
    new = importlib.import_module(f"{PACKAGE}.{MOVED[old]}")
    module, caught = _fresh_import(old)
    assert module is new
    assert sys.modules[f"{PACKAGE}.{old}"] is new
    assert [str(w.message) for w in caught] == [
        f"{PACKAGE}.{old} moved to {PACKAGE}.{MOVED[old]}; import it from there (the old "
        "path will go)"]
    assert caught[0].filename == __file__  # points at the importing line, not importlib


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


def test_an_unknown_old_name_is_still_an_import_error():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("minigraph.models.no_such_module")


def test_the_old_console_script_entry_point_still_runs():
    # scripts installed before name minigraph.models.cli:main
    code = "from minigraph.models.cli import main; raise SystemExit(main(['--version']))"
    result = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", code],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "minigraph" in result.stdout + result.stderr


def test_a_script_importing_an_old_path_sees_the_warning_by_default(tmp_path):
    # Python shows a DeprecationWarning by default only when the importing line is in
    # __main__: the warning must point there, not at importlib
    script = tmp_path / "notebook_cell.py"
    script.write_text("from minigraph.models.char_rnn import CharRNN\nprint(CharRNN.__name__)\n")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "CharRNN"
    assert f"{script}:1: DeprecationWarning: minigraph.models.char_rnn moved to " \
        "minigraph.models.charrnn.model" in result.stderr
