"""Checkpoints in HDF5: parameters, optimizer state, config, vocabulary, history.

Writes are atomic (``files.atomic_write``): a crash or a full disk never leaves a
half-written checkpoint in place of a good one. Nothing is pickled: arrays are datasets,
everything else is JSON. Reads treat the file as untrusted: sizes are checked before any
array is read, and links, misplaced groups, non-finite parameters and unknown config keys
are refused with the key named.

Integrity and budgets (``bounded_read``): a checkpoint carries a SHA-256 of its bytes in
the HDF5 user block, checked before libhdf5 parses the file, and every array is written
with HDF5's fletcher32 filter; before any array is read the file's links, object count
and declared bytes are surveyed against a budget (``bounded_read.CHECKPOINT_BYTES``).
Checkpoints written before the seal existed still load, with an ``UnsealedWarning``.
"""

import contextlib
import json
import os

import h5py
import numpy as np

from . import bounded_read
from .errors import CheckpointError
from .file_marks import register_recogniser
from .files import atomic_write

FORMAT = "minigraph-checkpoint"
VERSION = 1


def _write_dict(group, values):
    """Arrays become datasets, JSON-able values go in one 'json' attribute per key."""
    for key, value in values.items():
        if isinstance(value, np.ndarray):
            # fletcher32 (a checksum per chunk, checked by libhdf5 on every read) needs a
            # chunked layout, which scalars and empty arrays cannot have
            group.create_dataset(key, data=value, fletcher32=value.size > 0 and value.ndim > 0)
        elif isinstance(value, dict):
            _write_dict(group.create_group(key), value)
        else:
            group.attrs[key] = json.dumps(value)


_describe_size = bounded_read.describe_size


def _read_dict(group, where, path, limit, datasets_only=False):
    """A group as a dict, treating the file as untrusted: no links (to other files or
    elsewhere in this one), no group where an array belongs, every dataset numeric and no
    larger than the whole file (checked before any array is read), every attribute JSON."""
    values = {}
    for key, text in group.attrs.items():
        try:
            values[key] = bounded_read.parse_json(text, f"{path}: '{where}{key}'",
                                                  CheckpointError)
        except CheckpointError:
            raise
        except (TypeError, ValueError, AttributeError):
            raise CheckpointError(f"{path}: '{where}{key}' is not JSON") from None
    for key in group:
        link = group.get(key, getlink=True)
        if not isinstance(link, h5py.HardLink):
            raise CheckpointError(f"{path}: '{where}{key}' is a link ({type(link).__name__}); "
                                  "minigraph checkpoints hold no links")
        item = group[key]
        if isinstance(item, h5py.Group):
            if datasets_only:
                raise CheckpointError(f"{path}: '{where}{key}' is a group where an array "
                                      "belongs")
            values[key] = _read_dict(item, f"{where}{key}/", path, limit)
            continue
        if not isinstance(item, h5py.Dataset) or item.dtype.kind not in "biuf":
            raise CheckpointError(f"{path}: '{where}{key}' is not a numeric array")
        if item.is_virtual or item.external:
            raise CheckpointError(f"{path}: '{where}{key}' keeps its data outside the file")
        nbytes = int(np.prod(item.shape, dtype=np.float64)) * item.dtype.itemsize
        if nbytes > limit:
            raise CheckpointError(f"{path}: '{where}{key}' declares shape {item.shape} "
                                  f"{item.dtype} ({_describe_size(nbytes)}), more than the "
                                  f"whole file ({_describe_size(limit)}): the file is damaged")
        values[key] = item[()]
    return values


def _json_attr(f, key, path):
    if key not in f.attrs:
        raise CheckpointError(f"{path} has no '{key}' attribute")
    try:
        return bounded_read.parse_json(f.attrs[key], f"{path}: the '{key}' attribute",
                                       CheckpointError)
    except CheckpointError:
        raise
    except (TypeError, ValueError, AttributeError):
        raise CheckpointError(f"{path}: the '{key}' attribute is not JSON") from None


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
    # leaves at most a temporary file that the next save removes. Its user block receives
    # the checksum of its bytes (bounded_read.sealed_image).
    def fill(f):
        f.attrs["format"], f.attrs["version"], f.attrs["kind"] = FORMAT, VERSION, kind
        f.attrs["config"] = json.dumps(config)
        f.attrs["vocab"] = json.dumps(vocab)
        _write_dict(f.create_group("params"), params)
        _write_dict(f.create_group("optim"), {k: {n: v for n, v in c.items()}
                                              for k, c in (optim_configs or {}).items()})
        _write_dict(f.create_group("history"),
                    {k: np.asarray(v, dtype=np.float64) for k, v in (history or {}).items()})
        _write_dict(f.create_group("state"), state or {})

    atomic_write(path, bounded_read.sealed_image(fill))


@contextlib.contextmanager
def writing_hdf5(path):
    """``with writing_hdf5(path) as f:`` fills an in-memory ``h5py.File`` that is written
    to ``path`` by ``files.atomic_write`` when the block ends without an error: never half
    a file, never through a symlink at ``path``. The file is sealed (a checksum of its
    bytes in the user block, see ``bounded_read``)."""
    import io

    buffer = io.BytesIO()
    with h5py.File(buffer, "w", userblock_size=bounded_read.USERBLOCK) as f:
        yield f
    atomic_write(os.fspath(path), bounded_read.seal(buffer.getvalue()))


def peek_kind(path):
    """The kind of model a checkpoint holds, or None for any other file."""
    try:
        budget = bounded_read.ReadBudget(bounded_read.limit_from_environment(
            bounded_read.CHECKPOINT_BYTES), error=CheckpointError)
        bounded_read.check_seal(path, budget, CheckpointError, "checkpoint",
                                warn_unsealed=False)  # a damaged file is not a checkpoint
        if not h5py.is_hdf5(path):
            return None
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != FORMAT:
                return None
            kind = f.attrs.get("kind")
            return kind if isinstance(kind, str) else None
    except (OSError, ValueError):
        return None


# a checkpoint is minigraph's own output: a later run may replace it (files.check_output)
register_recogniser(b"\x89HDF", lambda path: peek_kind(path) is not None)


def load(path, kind=None, config_keys=None):
    """Read a checkpoint into a dict with keys kind, config, vocab, params, optim, history,
    state. The file is untrusted: its structure, sizes and values are checked before use
    (see ``_read_dict``); parameters must be finite; with ``config_keys`` (the names the
    model's constructor takes) any other config key is refused. Raises CheckpointError
    naming the file and the key that is wrong."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise CheckpointError(f"checkpoint {path} does not exist")
    if not os.path.isfile(path):
        raise CheckpointError(f"checkpoint {path} is not a file")
    budget = bounded_read.ReadBudget(
        bounded_read.limit_from_environment(bounded_read.CHECKPOINT_BYTES), error=CheckpointError)
    bounded_read.check_seal(path, budget, CheckpointError, "checkpoint")  # before libhdf5
    if not h5py.is_hdf5(path):
        raise CheckpointError(f"{path} is not a minigraph checkpoint (not an HDF5 file)")
    limit = os.path.getsize(path)
    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("format") != FORMAT:
                raise CheckpointError(f"{path} is an HDF5 file but not a minigraph checkpoint")
            version = f.attrs.get("version")
            if isinstance(version, bool) or not isinstance(version, (int, np.integer)) \
                    or not 1 <= version <= VERSION:
                raise CheckpointError(f"{path} is a checkpoint of format version {version!r}; "
                                      f"this minigraph reads versions 1 to {VERSION}")
            bounded_read.survey(f, path, budget, CheckpointError)  # before any array is read
            found = f.attrs.get("kind")
            if kind is not None and found != kind:
                raise CheckpointError(f"{path} holds a {found}, not a {kind}")
            config, vocab = _json_attr(f, "config", path), _json_attr(f, "vocab", path)
            if not isinstance(config, dict):
                raise CheckpointError(f"{path}: 'config' is not a JSON object")
            if config_keys is not None:
                check_config_keys(path, config, config_keys)
            parts = {}
            for part in ("params", "optim", "history", "state"):
                if part not in f or not isinstance(f.get(part, getlink=True), h5py.HardLink) \
                        or not isinstance(f[part], h5py.Group):
                    raise CheckpointError(f"{path} has no group '{part}'")
                parts[part] = _read_dict(f[part], f"{part}/", path, limit,
                                         datasets_only=part in ("params", "history"))
    except CheckpointError:
        raise
    except (OSError, KeyError, ValueError, TypeError, RuntimeError) as exc:
        raise CheckpointError(f"cannot read checkpoint {path}: {exc}") from None
    for name, value in parts["params"].items():
        if value.dtype.kind != "f" or not np.isfinite(value).all():
            raise CheckpointError(f"{path}: parameter '{name}' is not a finite float array")
    return {"kind": found, "config": config, "vocab": vocab, "params": parts["params"],
            "optim": parts["optim"],
            "history": {k: list(v) for k, v in parts["history"].items()},
            "state": parts["state"]}


def check_config_keys(path, config, allowed):
    """Refuse a config key the model's constructor does not take."""
    unknown = sorted(set(config) - set(allowed))
    if unknown:
        raise CheckpointError(f"{path}: unknown config key '{unknown[0]}' (the model takes "
                              f"{', '.join(sorted(allowed))})")


def check_config_sizes(path, config, params, sizes):
    """Each size in the config equals the matching dimension of a saved parameter, so that
    building the model from the config cannot allocate more than the file holds.
    ``sizes``: {config key: (parameter name, axis)}."""
    for key, (name, axis) in sizes.items():
        value = config.get(key)
        shape = params[name].shape if name in params else None
        if shape is None or len(shape) <= axis or value != shape[axis]:
            raise CheckpointError(f"{path}: config '{key}' is {value!r} but parameter "
                                  f"'{name}' is {shape}")


def check_optim_configs(path, params, optim):
    """The optimizer state fits the parameters: one entry per parameter, each array of the
    parameter's shape, every number finite."""
    unknown = sorted(set(optim) - set(params))
    if unknown:
        raise CheckpointError(f"{path}: optimizer state for '{unknown[0]}', which is not a "
                              "parameter")
    for name, config in optim.items():
        if not isinstance(config, dict):
            raise CheckpointError(f"{path}: 'optim/{name}' is not a group of settings")
        for key, value in config.items():
            where = f"{path}: 'optim/{name}/{key}'"
            if isinstance(value, np.ndarray):
                if value.shape != params[name].shape or value.dtype.kind != "f":
                    raise CheckpointError(f"{where} is {value.shape} {value.dtype}; the "
                                          f"parameter is {params[name].shape}")
                if not np.isfinite(value).all():
                    raise CheckpointError(f"{where} holds values that are not finite")
            elif isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not np.isfinite(value):
                raise CheckpointError(f"{where} is {value!r}, not a finite number")


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
