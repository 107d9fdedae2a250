"""mkdocs hook: let the API pages find ``minigraph.models``.

The application lives in the repository's top-level ``models/`` folder and is installed as
``minigraph.models`` through a package-dir mapping, which mkdocstrings' static reader cannot
follow. Before the API pages are read, this hook lays out a view of the source as it is
installed (``minigraph/`` with ``models`` inside it), made of symbolic links in a
git-ignored folder, and the mkdocstrings handler reads from there.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VIEW = ROOT / "build" / "api-source"


def _link(target, link):
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target)


def lay_out_installed_tree():
    package = VIEW / "minigraph"
    package.mkdir(parents=True, exist_ok=True)
    for entry in (ROOT / "minigraph").iterdir():
        if entry.name != "__pycache__":
            _link(entry, package / entry.name)
    _link(ROOT / "models", package / "models")
    # entries removed from the source since the last build must not linger in the view
    for entry in package.iterdir():
        if entry.is_symlink() and not os.path.exists(entry):
            entry.unlink()


lay_out_installed_tree()
