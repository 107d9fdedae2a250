"""The values a checkpoint supplies, checked before any is used.

minigraph.checkpoint reads a file as untrusted and checks its structure (groups, sizes,
links, finite parameters). What the values mean is the models' and trainers' business:
a config's cell must be a known cell, a seed an integer, Adam's beta1 below 1, a learning
rate not negative, a saved random-stream state one numpy accepts. Each check here refuses
a wrong value with one CheckpointError naming the file, the key, the value and what is
allowed, instead of a traceback (or, worse, a run that goes on with it).
"""

import contextlib
import numbers

import numpy as np

import minigraph as mg
from minigraph.errors import CheckpointError, UsageError


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value):
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and (_is_int(value) or np.isfinite(value)))


# what each kind of config value may be: (test, what it must be)
KINDS = {
    "size": (lambda v: _is_int(v) and v >= 1, "an integer >= 1"),
    "seed": (lambda v: _is_int(v) and 0 <= v < 2 ** 128, "an integer >= 0"),
    "cell": (lambda v: isinstance(v, str) and v in mg.GATES,
             f"one of {', '.join(sorted(mg.GATES))}"),
    "dtype": (lambda v: v in ("float32", "float64"), "float32 or float64"),
    "flag": (lambda v: isinstance(v, bool), "true or false"),
    "fraction": (lambda v: _is_number(v) and 0 <= v < 1, "a number in [0, 1)"),
    "number": (lambda v: _is_number(v) and abs(v) < 1e30, "a finite number"),
    "size_or_none": (lambda v: v is None or (_is_int(v) and v >= 1), "an integer >= 1"),
    "rate": (lambda v: _is_number(v) and 0 <= v < 1e30, "a finite number >= 0"),
    "rate_or_none": (lambda v: v is None or (_is_number(v) and 0 <= v < 1e30),
                     "a finite number >= 0"),
    "factor": (lambda v: _is_number(v) and 0 < v < 1e30, "a finite number > 0"),
}


def check_config_values(path, config, kinds, params=None, where="config"):
    """Each config key present has a value of its kind (``kinds``: {key: kind of KINDS});
    with ``params``, the config's dtype is the parameters' dtype."""
    for key, kind in kinds.items():
        if key not in config:
            continue
        test, allowed = KINDS[kind]
        if not test(config[key]):
            raise CheckpointError(f"{path}: {where} '{key}' is {config[key]!r}; it must be "
                                  f"{allowed}")
    if params and "dtype" in config:
        found = {value.dtype.name for value in params.values()}
        if found != {config["dtype"]}:
            raise CheckpointError(f"{path}: config 'dtype' is {config['dtype']!r} but the "
                                  f"parameters are {', '.join(sorted(found))}")


# the optimizer settings the update rules read: (test, what it must be); m, v, cache and
# velocity are arrays, checked for shape and finiteness by checkpoint.check_optim_configs
OPTIM_VALUES = {
    "learning_rate": (lambda v: v >= 0, ">= 0"),
    "beta1": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "beta2": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "decay_rate": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "momentum": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "epsilon": (lambda v: v > 0, "> 0"),
    "t": (lambda v: _is_int(v) and 0 <= v < 2 ** 62, "an integer >= 0"),
}
OPTIM_ARRAYS = {"m": False, "v": True, "cache": True, "velocity": False}  # True: >= 0


def check_optim_values(path, optim):
    """Every optimizer setting a known one, of its range; the running averages that a
    square root is taken of (v, cache) not negative."""
    for name, config in optim.items():
        if not isinstance(config, dict):
            raise CheckpointError(f"{path}: 'optim/{name}' is not a group of settings")
        for key, value in config.items():
            where = f"{path}: 'optim/{name}/{key}'"
            if key in OPTIM_ARRAYS:
                if not isinstance(value, np.ndarray):
                    raise CheckpointError(f"{where} is {value!r}, not an array")
                if OPTIM_ARRAYS[key] and (value < 0).any():
                    raise CheckpointError(f"{where} holds negative values")
                continue
            if key not in OPTIM_VALUES:
                raise CheckpointError(f"{where}: not a setting of the update rules (they read "
                                      f"{', '.join(sorted([*OPTIM_VALUES, *OPTIM_ARRAYS]))})")
            test, allowed = OPTIM_VALUES[key]
            # (an integer past int64 is no number numpy takes; a float past 1e30 no rate)
            too_big = _is_number(value) and abs(value) >= (2 ** 62 if _is_int(value) else 1e30)
            if not _is_number(value) or too_big:
                raise CheckpointError(f"{where} is {value!r}, not a finite number")
            if not test(value):
                raise CheckpointError(f"{where} is {value!r}; it must be {allowed}")


def check_rng_state(path, where, state):
    """A saved numpy bit-generator state that numpy accepts (tried on a fresh PCG64)."""
    try:
        np.random.PCG64().state = state
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        raise CheckpointError(f"{path}: '{where}' is not a random-stream state "
                              f"({exc})") from None
    return state


def check_vocab_strings(path, vocab, what):
    """Vocabulary entries are strings that can be written out (no lone surrogate that no
    page or terminal can encode is refused: they are escaped where written)."""
    bad = [token for token in vocab if not isinstance(token, str)]
    if bad:
        raise CheckpointError(f"{path}: 'vocab' holds {bad[0]!r}, not a {what}")


@contextlib.contextmanager
def recorded(path, where):
    """A setting refused by the code it is given to (a UsageError) becomes a
    CheckpointError naming the file: the value came from it."""
    try:
        yield
    except UsageError as exc:
        raise CheckpointError(f"{path}: '{where}' {exc}") from None
