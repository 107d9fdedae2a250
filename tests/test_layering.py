"""The framework and the application stay apart.

`minigraph` (engine, ops, cells, drawing) never imports the application installed as
`minigraph.models`, and nothing depends on a top-level package called `models`: a user's
own `models.py` or `models/` folder must not shadow ours.
"""

import ast
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORK = ROOT / "minigraph"
APPLICATION = ROOT / "models"


def _imported_modules(path):
    """Absolute names of every module a file imports (relative imports resolved)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    if path.is_relative_to(APPLICATION):
        package = "minigraph." + package
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            names += [base] + [f"{base}.{alias.name}" for alias in node.names]
    return names


def _framework_files():
    # __main__.py is the one allowed upward call: `python -m minigraph` runs the command line
    return [p for p in FRAMEWORK.rglob("*.py") if p.name != "__main__.py"]


def test_the_framework_never_imports_the_application():
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _framework_files()
        for name in _imported_modules(path)
        if name == "minigraph.models" or name.startswith("minigraph.models.")
    ]
    assert _framework_files(), "found no framework module to check"
    assert offenders == []


@pytest.mark.slow
def test_nothing_imports_a_top_level_models_package():
    folders = ("minigraph", "models", "tests", "benchmarks")
    files = [p for d in folders for p in (ROOT / d).rglob("*.py")]
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in _imported_modules(path)
        if name == "models" or name.startswith("models.")
    ]
    assert offenders == []


def test_the_layering_check_sees_a_relative_upward_import(tmp_path):
    # the check itself must be able to fail: a framework file reaching up with `from .models`
    fake = FRAMEWORK / "draw" / "_layering_probe.py"
    names = []
    try:
        fake.write_text("from ..models import cli\n")
        names = _imported_modules(fake)
    finally:
        fake.unlink()
    assert "minigraph.models.cli" in names


@pytest.fixture
def shadowing_dir(tmp_path):
    """A working directory with its own `models.py` and `models/` folder, as ML projects have."""
    (tmp_path / "models.py").write_text("raise ImportError('the user models.py was imported')\n")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "__init__.py").write_text("raise ImportError('user models/')\n")
    return tmp_path


def _run(args, cwd):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.slow
def test_command_line_runs_beside_a_users_own_models(shadowing_dir):
    result = _run(["-m", "minigraph", "--help"], shadowing_dir)
    assert result.returncode == 0, result.stderr
    assert "caption" in result.stdout and "char" in result.stdout
    tour = _run(["-m", "minigraph", "demo", "--engine"], shadowing_dir)
    assert tour.returncode == 0, tour.stderr
    assert "Wh" in tour.stdout


@pytest.mark.slow
def test_tutorial_imports_work_beside_a_users_own_models(shadowing_dir):
    tutorials = (ROOT / "docs" / "tutorials").glob("*.md")
    lines = sorted({
        line.strip()
        for path in [ROOT / "README.md", *tutorials]
        for line in path.read_text().splitlines()
        if line.strip().startswith(("from minigraph", "import minigraph"))
    })
    assert any("minigraph.models" in line for line in lines), lines
    script = textwrap.dedent("\n".join(lines)) + "\nprint('imported', len(dir()))\n"
    result = _run(["-c", script], shadowing_dir)
    assert result.returncode == 0, result.stderr
    assert "imported" in result.stdout


@pytest.mark.slow
def test_built_wheel_installs_the_application_as_minigraph_models(tmp_path):
    # build the wheel pip would install and read its file list: no top-level `models`
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    if result.returncode != 0 and "No module named" in result.stderr:
        pytest.skip(f"cannot build a wheel here: {result.stderr.strip().splitlines()[-1]}")
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("minigraph-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        tops = {name.split("/")[0] for name in archive.namelist() if name.endswith(".py")}
        names = set(archive.namelist())
    assert tops == {"minigraph"}
    assert {"minigraph/models/cli/main.py", "minigraph/models/data/coco.py",
            "minigraph/models/data/tinyshakespeare.txt.gz"} <= names  # package data too
    # every module of every room: pyproject lists the packages one by one
    modules = {"minigraph/" + str(path.relative_to(ROOT)) for path in APPLICATION.rglob("*.py")}
    assert modules <= names, sorted(modules - names)
    skeletons = {f"minigraph/models/lab/exercises/skeletons/{name}.py" for name in
                 ("tanh", "matmul", "fanout", "rnn_step", "rnn", "lstm_step", "truncated_bptt")}
    assert skeletons <= names  # package data: `minigraph exercise start` copies them out


# ---- the import graph of the whole package: no cycles, and the application's floors ------

def _module_name(path):
    """The dotted name a file is imported under (models/ is installed as minigraph.models)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[0] == "models":
        parts = ["minigraph", *parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_files():
    """Every module of the package, framework and application; the exercise skeletons are
    package data copied out for the user, not modules of the package."""
    files = [*FRAMEWORK.rglob("*.py"), *APPLICATION.rglob("*.py")]
    return [p for p in files if "skeletons" not in p.parts]


def _import_graph():
    """{module: {modules it imports}} within the package: module-level and function-level
    imports alike. ``from package import name`` is an edge to the submodule when ``name`` is
    one, else to the package itself."""
    paths = {_module_name(p): p for p in _package_files()}
    graph = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parent + ([base] if base else []))
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in paths else base
                           for alias in node.names]
            else:
                continue
            for target in targets:
                while target and target not in paths:  # `import a.b.c` names a.b.c's module
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges.add(target)
        graph[name] = edges
    return graph


def _cycles(graph):
    """The import circles: strongly connected sets of two or more modules (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(module):
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(graph[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle_anywhere_in_the_package():
    # module-level and function-level imports alike, framework and application
    assert _cycles(_import_graph()) == []


def test_the_cycle_check_sees_a_function_level_import_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


# The application's floors: a room may import only itself, the rooms it stands on and the
# framework. captioning, charrnn and lab stand side by side and do not import each other.
FLOORS = {
    "cli": {"captioning", "charrnn", "lab", "shared", "data", "framework"},
    "captioning": {"shared", "data", "framework"},
    "charrnn": {"shared", "data", "framework"},
    "lab": {"shared", "data", "framework"},
    "shared": {"framework"},
    "data": {"framework"},
    "face": {"framework"},  # minigraph.models itself and its table of old paths
    "framework": set(),
}
# (module, room it may import besides its floors): why
ALLOWED_EXCEPTIONS = {
    ("minigraph.models.lab.example_graphs", "captioning"):
        "the lab draws the application's models: it builds a CaptioningRNN and an "
        "AttentionCaptioner at drawing size (`minigraph render`, `stats`, tutorial 2)",
    ("minigraph.models.lab.example_graphs", "charrnn"):
        "the lab draws the application's models: it builds a CharRNN at drawing size",
}


def _room(module):
    if module == "minigraph.__main__":
        return "main"  # `python -m minigraph`: the one place the framework calls the cli
    if not module.startswith("minigraph.models"):
        return "framework"
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[2] in FLOORS else "face"


def test_every_application_module_stands_in_a_room():
    rooms = {_room(m) for m in _import_graph()}
    assert rooms == set(FLOORS) | {"main"}
    assert _room("minigraph.models._moved") == "face"
    assert _room("minigraph.models.cli.main") == "cli"


def test_each_room_imports_only_the_floors_below_it():
    offenders = [
        f"{module} ({_room(module)}) imports {target} ({_room(target)})"
        for module, targets in sorted(_import_graph().items()) if _room(module) != "main"
        for target in sorted(targets)
        if _room(target) != _room(module) and _room(target) not in FLOORS[_room(module)]
        and (module, _room(target)) not in ALLOWED_EXCEPTIONS
    ]
    assert offenders == []


def test_the_allowed_exceptions_are_still_needed():
    # an exception that no import uses any more is deleted, not kept as a loophole
    graph = _import_graph()
    used = {(m, _room(t)) for m, targets in graph.items() for t in targets}
    assert set(ALLOWED_EXCEPTIONS) <= used


def test_the_floor_check_sees_a_library_module_importing_the_command_line():
    graph = _import_graph()
    assert "minigraph.models.cli.flags" in graph["minigraph.models.cli.caption"]
    assert _room("minigraph.models.cli.flags") not in FLOORS["captioning"]
    assert "minigraph.models.captioning.training" in graph["minigraph.models.cli.caption"]


def test_caption_train_flags_name_the_settings_the_library_records():
    # train_captioner checks a resumed checkpoint against its own setting names; the command
    # line's flag table must use the same names, or --resume would compare different things
    from minigraph.models.captioning.training import SETTINGS
    from minigraph.models.cli.caption import SETTING_NAMES

    assert sorted(SETTING_NAMES) == sorted(SETTINGS)
