"""Old import paths of modules that moved, kept working with a DeprecationWarning.

``import minigraph.kernels`` (or ``from minigraph import kernels``) gives the module
minigraph.fast.kernels itself, not a copy, so that setting one of its names (a test
switching the compiled loops off) acts on the module the ops use. One finder on
``sys.meta_path`` serves every moved name, instead of a shim file per old module.
"""

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

MOVED = {  # old name -> new name
    "minigraph.kernels": "minigraph.fast.kernels",
    "minigraph.compiled_gates": "minigraph.fast.compiled_gates",
    "minigraph.compiled_loops": "minigraph.fast.compiled_loops",
    "minigraph.parallel": "minigraph.fast.parallel",
    "minigraph.thread_policy": "minigraph.fast.blas",
}


class _MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return None  # a placeholder; exec_module puts the real module in its place

    def exec_module(self, module):
        old = module.__name__
        new = MOVED[old]
        # stacklevel: past this frame; the import machinery's own frames are skipped, so
        # the warning names the line that imported the old path
        warnings.warn(f"{old} moved to {new}; import that instead", DeprecationWarning,
                      stacklevel=2)
        # the import statement returns whatever sys.modules holds once this returns
        sys.modules[old] = importlib.import_module(new)


def install():
    """Put the finder on sys.meta_path (once)."""
    if not any(isinstance(finder, _MovedFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _MovedFinder())
