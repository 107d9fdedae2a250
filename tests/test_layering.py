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
    assert {"minigraph/models/cli.py", "minigraph/models/data/coco.py",
            "minigraph/models/data/tinyshakespeare.txt.gz"} <= names  # package data too
    skeletons = {f"minigraph/models/exercises/skeletons/{name}.py" for name in
                 ("tanh", "matmul", "fanout", "rnn_step", "rnn", "lstm_step", "truncated_bptt")}
    assert skeletons <= names  # package data: `minigraph exercise start` copies them out
