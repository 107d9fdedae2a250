"""Settings that were renamed so that each has one name: the command-line flag, the key a
checkpoint records it under and the constructor argument now use the same words (the model
constructors' words, which follow cs231n: ``hidden_size``, ``num_layers``, ``hidden_dim``,
``wordvec_dim``, ``cell_type``).

The old names keep working: an old keyword argument with a DeprecationWarning
(``renamed_keywords``), an old checkpoint's keys translated when it is read
(``with_new_names``); the old flags are registered as hidden spellings by the commands
(``flags.add_old_spelling``). Each table of renames (old name -> new name) lives beside the
function or class it belongs to, so the three uses read the same table.
"""

import functools
import warnings

from minigraph.errors import UsageError


def renamed_keywords(owner, renames):
    """A decorator: ``fn(old=value)`` calls ``fn(new=value)`` and warns that ``old`` is
    deprecated; giving both names is refused. ``owner`` names the callable in messages."""
    def decorate(fn):
        @functools.wraps(fn)
        def call(*args, **kwargs):
            for old, new in renames.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    raise UsageError(f"{owner}: give {new}= only ({old}= is its old name)")
                warnings.warn(f"{owner}({old}=...) is now {owner}({new}=...); the old name "
                              "will be removed", DeprecationWarning, stacklevel=2)
                kwargs[new] = kwargs.pop(old)
            return fn(*args, **kwargs)
        call.renamed_keywords = dict(renames)
        return call
    return decorate


def with_new_names(settings, renames):
    """A copy of ``settings`` (a checkpoint's recorded settings) with every old key under
    its new name; a file written before the renames reads like one written after."""
    return {renames.get(key, key): value for key, value in settings.items()}
