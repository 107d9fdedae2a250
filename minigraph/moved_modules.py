"""Old import paths of modules that moved, kept working with a DeprecationWarning.

One finder on ``sys.meta_path`` serves every moved module of the package, framework and
application alike, from one table, ``MOVED``: old full name -> new full name. The framework
lists its own moves here (the speed layer went into minigraph/fast/); the application adds
its own with ``register`` when ``minigraph.models`` is imported (the table of its moves is in
models/_moved.py), so this module never imports the application.

``import minigraph.kernels`` (or ``from minigraph import kernels``) gives the module
minigraph.fast.kernels itself, not a copy, so that both names give the same objects and a
setting made through one (a test switching the compiled loops off) acts on the module the
ops use. A moved package's submodules follow it (``minigraph.models.exercises.checking`` is
``minigraph.models.lab.exercises.checking``) unless the table moves them elsewhere.
"""

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

from .errors import UsageError

MOVED = {  # old full name -> new full name; the application's entries come by register()
    "minigraph.kernels": "minigraph.fast.kernels",
    "minigraph.compiled_gates": "minigraph.fast.compiled_gates",
    "minigraph.compiled_loops": "minigraph.fast.compiled_loops",
    "minigraph.parallel": "minigraph.fast.parallel",
    "minigraph.thread_policy": "minigraph.fast.blas",
}


def register(moves):
    """Add ``{old full name: new full name}`` entries to the table the finder serves.
    Registering an entry again is harmless (a reloaded package does); moving one old name
    to two places is a mistake, and raises UsageError."""
    clashes = {old: (MOVED[old], new) for old, new in moves.items()
               if old in MOVED and MOVED[old] != new}
    if clashes:
        raise UsageError(f"old module names already moved elsewhere (old: (registered, "
                         f"given)): {clashes}")
    MOVED.update(moves)
    install()


def new_name(fullname):
    """The module that now holds ``fullname`` (a full dotted name), or None if it did not
    move: the table's entry, else the entry of the nearest moved package above it."""
    if fullname in MOVED:
        return MOVED[fullname]
    package, _, rest = fullname.rpartition(".")
    while package:
        if package in MOVED:
            return f"{MOVED[package]}.{rest}"
        package, _, parent = package.rpartition(".")
        rest = f"{parent}.{rest}"
    return None


def warning_text(old, new):
    """The one wording every moved module's DeprecationWarning uses."""
    return f"{old} moved to {new}; import it from there (the old path will go)"


def _caller_stacklevel():
    """The stack level of the first frame outside the import machinery and this file, so
    that the warning points at the line that imported the old name (Python shows a
    DeprecationWarning by default only when that line is in __main__). warnings.warn does
    not count the import system's own frames (importlib._bootstrap), so neither does this;
    importlib.import_module's frame it counts but passes over, to reach its caller."""
    frame, level = sys._getframe(1), 1
    while frame is not None:
        name = frame.f_code.co_filename
        internal = "importlib" in name and "_bootstrap" in name
        if not internal and name != __file__ and "importlib" not in name:
            return level
        frame, level = frame.f_back, level + (not internal)
    return 1


class MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old module name and loads it as the module at its new name."""

    def find_spec(self, fullname, path=None, target=None):
        if new_name(fullname) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return None  # a placeholder: exec_module puts the real module in its place

    def exec_module(self, module):
        old, new = module.__name__, new_name(module.__name__)
        real = importlib.import_module(new)
        # the import system returns whatever sys.modules holds under the name once this
        # returns, and the parent package's attribute is set from it
        sys.modules[old] = real
        warnings.warn(warning_text(old, new), DeprecationWarning,
                      stacklevel=_caller_stacklevel())


def install():
    """Put the finder first on sys.meta_path, once: first, because the ordinary path finder
    would otherwise load a moved package's submodule a second time under the old name."""
    if not any(isinstance(finder, MovedModuleFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, MovedModuleFinder())


__all__ = ["MOVED", "MovedModuleFinder", "install", "new_name", "register", "warning_text"]
