"""The application's old flat module paths, still importable, each with a warning.

Until issue 23 the application was one folder: ``minigraph.models.char_rnn``,
``minigraph.models.captioning_solver``, ``minigraph.models.caption_commands``... Users'
notebooks and scripts import those names. Rather than one shim file per old module, one
finder on ``sys.meta_path`` answers for every name in ``MOVED``: it imports the module at its
new path, enters that same module object under the old name as well (so both names give the
same objects, and patching one patches the other) and emits a DeprecationWarning naming the
new path. A moved package's submodules follow it (``exercises.checking`` is
``lab.exercises.checking``) unless the table moves them elsewhere.
"""

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

PACKAGE = "minigraph.models"
# old name -> new name, both under minigraph.models
MOVED = {
    # the shared floor
    "model": "shared.model",
    "per_step": "shared.per_step",
    "decoding": "shared.decoding",
    "plots": "shared.plots",
    "interrupt": "shared.interrupt",
    # captioning
    "captioning_rnn": "captioning.rnn_captioner",
    "attention_captioner": "captioning.attention_captioner",
    "attention_sampling": "captioning.attention_sampling",
    "attention_gallery": "captioning.attention_gallery",
    "captioning_solver": "captioning.solver",
    "caption_eval": "captioning.evaluation",
    "bleu": "captioning.bleu",
    "attribute_scorer": "captioning.attribute_scorer",
    "attribute_rerank": "captioning.attribute_rerank",
    "caption_report": "captioning.report",
    # char-rnn
    "char_rnn": "charrnn.model",
    "char_train": "charrnn.trainer",
    # the lab
    "neurons": "lab.neurons",
    "neuron_record": "lab.neuron_record",
    "neuron_signals": "lab.neuron_signals",
    "neurons_page": "lab.neurons_page",
    "neurons_script": "lab.neurons_script",
    "gradient_flow": "lab.gradient_flow",
    "vanishing_gradient": "lab.vanishing_gradient",
    "bptt_figures": "lab.bptt_figures",
    "stats_table": "lab.stats_table",
    "engine_tour": "lab.engine_tour",
    "exercises": "lab.exercises",
    # the command line (``cli`` itself kept its name: it is the package now)
    "exercises.commands": "cli.exercise",
    "flags": "cli.flags",
    "caption_commands": "cli.caption",
    "caption_use": "cli.caption_use",
    "char_commands": "cli.char",
    "render_commands": "cli.render",
    "demo": "cli.demo",
}


def new_name(fullname):
    """The module that now holds ``fullname`` (a full dotted name), or None if it did not move."""
    if not fullname.startswith(PACKAGE + "."):
        return None
    old = fullname[len(PACKAGE) + 1:]
    if old in MOVED:
        return f"{PACKAGE}.{MOVED[old]}"
    package, _, rest = old.partition(".")  # a submodule of a moved package
    if rest and package in MOVED:
        return f"{PACKAGE}.{MOVED[package]}.{rest}"
    return None


def _caller_stacklevel():
    """The stack level of the first frame outside the import machinery and this file, so
    that the warning points at the line that imported the old name (Python shows a
    DeprecationWarning by default only when that line is in __main__). warnings.warn does
    not count the import system's own frames (importlib._bootstrap), so neither does this."""
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
        warnings.warn(f"{old} moved to {new}; import it from there (the old path will go)",
                      DeprecationWarning, stacklevel=_caller_stacklevel())


def install():
    """Put the finder first on sys.meta_path, once: first, because the ordinary path finder
    would otherwise load a moved package's submodule a second time under the old name."""
    if not any(isinstance(finder, MovedModuleFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, MovedModuleFinder())


__all__ = ["MOVED", "MovedModuleFinder", "install", "new_name"]
