"""Checkpoints in HDF5: parameters, optimizer state, config, vocabulary, history.

Writes are atomic: the file is written beside the target under a temporary name, flushed
to disk and renamed over the target, so a crash never leaves a half-written checkpoint in
place of a good one. Nothing is pickled: arrays are datasets, everything else is JSON.
"""

import io
import json
import os

import h5py
import numpy as np

from .errors import MinigraphError
from .files import atomic_write

FORMAT = "minigraph-checkpoint"
VERSION = 1


class CheckpointError(MinigraphError, ValueError):
    """A checkpoint that cannot be read, or that does not fit the model it is loaded into."""


def _write_dict(group, values):
    """Arrays become datasets, JSON-able values go in one 'json' attribute per key."""
    for key, value in values.items():
        if isinstance(value, np.ndarray):
            group.create_dataset(key, data=value)
        elif isinstance(value, dict):
            _write_dict(group.create_group(key), value)
        else:
            group.attrs[key] = json.dumps(value)


def _read_dict(group):
    values = {key: json.loads(value) for key, value in group.attrs.items()}
    for key, item in group.items():
        values[key] = _read_dict(item) if isinstance(item, h5py.Group) else item[()]
    return values


def save(path, *, kind, params, config, optim_configs=None, vocab=None, history=None,
         state=None):
    """Write a checkpoint atomically.

    kind: the model class name; params: {name: array}; config: the model's constructor
    arguments; optim_configs: {param name: update-rule config}; vocab: list of tokens
    (index order); history: {name: list of numbers}; state: anything else training needs
    to resume (iteration, epoch, data position, RNG state, carried hidden state).
    """
    path = os.fspath(path)
    # The file is built in memory and written by files.atomic_write: h5py never touches the
    # disk, so a full disk is one clean OSError (not a cascade of HDF5 errors), and a kill
    # leaves at most a temporary file that the next save removes.
    with h5py.File(io.BytesIO(), "w") as f:
        f.attrs["format"], f.attrs["version"], f.attrs["kind"] = FORMAT, VERSION, kind
        f.attrs["config"] = json.dumps(config)
        f.attrs["vocab"] = json.dumps(vocab)
        _write_dict(f.create_group("params"), params)
        _write_dict(f.create_group("optim"), {k: {n: v for n, v in c.items()}
                                              for k, c in (optim_configs or {}).items()})
        _write_dict(f.create_group("history"),
                    {k: np.asarray(v, dtype=np.float64) for k, v in (history or {}).items()})
        _write_dict(f.create_group("state"), state or {})
        f.flush()
        image = f.id.get_file_image()
    atomic_write(path, image)


def peek_kind(path):
    """The kind of model a checkpoint holds, or None for any other file."""
    try:
        if not h5py.is_hdf5(path):
            return None
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != FORMAT:
                return None
            kind = f.attrs.get("kind")
            return kind if isinstance(kind, str) else None
    except (OSError, ValueError):
        return None


def load(path, kind=None):
    """Read a checkpoint into a dict with keys kind, config, vocab, params, optim, history,
    state. Raises CheckpointError naming the file and what is wrong."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise CheckpointError(f"checkpoint {path!r} does not exist")
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != FORMAT:
                raise CheckpointError(f"{path!r} is an HDF5 file but not a minigraph checkpoint")
            found = f.attrs["kind"]
            if kind is not None and found != kind:
                raise CheckpointError(f"{path!r} holds a {found}, not a {kind}")
            vocab = json.loads(f.attrs["vocab"])
            return {"kind": found, "config": json.loads(f.attrs["config"]), "vocab": vocab,
                    "params": _read_dict(f["params"]), "optim": _read_dict(f["optim"]),
                    "history": {k: list(v) for k, v in _read_dict(f["history"]).items()},
                    "state": _read_dict(f["state"])}
    except CheckpointError:
        raise
    except (OSError, KeyError, ValueError) as exc:
        raise CheckpointError(f"cannot read checkpoint {path!r}: {exc}") from None


def check_params(path, expected, found):
    """Every expected parameter present with the same shape and dtype, nothing extra."""
    problems = []
    for name, array in expected.items():
        if name not in found:
            problems.append(f"missing parameter '{name}'")
        elif found[name].shape != array.shape or found[name].dtype != array.dtype:
            problems.append(f"'{name}' is {found[name].shape} {found[name].dtype} in the file, "
                            f"the model wants {array.shape} {array.dtype}")
    problems += [f"unexpected parameter '{name}'" for name in found if name not in expected]
    if problems:
        raise CheckpointError(f"{path!r} does not fit the model: " + "; ".join(problems))


def restore_params(path, params, saved_params):
    """Check the saved parameters against ``params`` (names, shapes, dtypes) and copy them in
    place, so graphs holding the arrays see the restored values."""
    check_params(path, params, saved_params)
    for name, value in saved_params.items():
        params[name][...] = value
