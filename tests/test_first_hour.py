"""Issue 25, the first hour: what a new user reads (help, hints, tutorials) points at
things that exist."""

import pathlib
import re
import subprocess
import sys

import minigraph
from minigraph.models.cli.main import main

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_a_misspelled_flags_hint_names_a_help_that_lists_the_suggested_flag(capsys):
    assert main(["char", "train", "--hiden", "8"]) == 2
    err = capsys.readouterr().err
    hint = re.search(r"did you mean (--[\w-]+)\? \(`minigraph ([\w ]+) --help`", err)
    assert hint, err
    flag, command = hint.groups()
    assert (flag, command) == ("--hidden-size", "char train")
    shown = subprocess.run([sys.executable, "-m", "minigraph", *command.split(), "--help"],
                           capture_output=True, text=True, check=True).stdout
    assert flag in shown


def test_help_of_minigraph_indexes_the_main_functions():
    doc = minigraph.__doc__
    for name in ("param", "input", "Graph", "no_grad", "softmax_ce", "unroll", "optim",
                 "check_graph", "grad_error", "minigraph.models"):
        assert f"``{name}``" in doc or f" {name} " in doc, name
    for name in ("param", "input", "constant", "Graph", "no_grad", "unroll", "bidirectional",
                 "lstm_step", "softmax_ce", "apply", "Op"):
        assert hasattr(minigraph, name), name


def test_docs_name_the_application_as_minigraph_models_never_a_bare_models_package():
    bare = re.compile(r"(?<![\w.])models\.(captioning|charrnn|lab|shared|cli|data)\b")
    found = [f"{page.relative_to(ROOT)}:{number}"
             for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
             for number, line in enumerate(page.read_text().splitlines(), 1)
             if bare.search(line) or re.search(r"\b(from|import) models\b", line)]
    assert found == []


def test_readme_and_the_docs_index_list_every_tutorial():
    tutorials = sorted(p.name for p in (ROOT / "docs" / "tutorials").glob("[0-9]*.md"))
    assert len(tutorials) >= 7
    readme = (ROOT / "README.md").read_text()
    index = (ROOT / "docs" / "index.md").read_text()
    for name in tutorials:
        assert f"docs/tutorials/{name}" in readme, name
        assert f"tutorials/{name}" in index, name
