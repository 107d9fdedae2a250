"""A CharTrainer checkpoint's training state, checked before a resume uses any of it:
the settings (each refused by the trainer's own checks, named as the file's), the
iteration and data position, the random streams, the carried hidden state and the
optimizer state. A wrong value is one CheckpointError naming the file and the key."""

import numpy as np

from minigraph import checkpoint
from minigraph.errors import CheckpointError

from ..shared.checkpoint_checks import check_optim_values, check_rng_state

# the settings a CharTrainer records, and the value a checkpoint from before one existed
# trained with (None: every checkpoint has it)
SETTINGS = {"seq_len": None, "batch_size": None, "lr": None, "lr_decay": None,
            "update_rule": None, "clip": None, "lr_schedule": "step", "warmup": 0,
            "horizon": 0, "reset_every": 0}  # no resets before they existed


def trainer_settings(path, state):
    """The recorded settings as CharTrainer's keywords (the trainer checks their values)."""
    settings = state.get("settings")
    if not isinstance(settings, dict):
        raise CheckpointError(f"{path}: 'state/settings' is missing or not a group of settings")
    found = {}  # (a key no CharTrainer reads is left unread)
    for key, default in SETTINGS.items():
        if key not in settings and default is None:
            raise CheckpointError(f"{path}: 'state/settings' has no '{key}'")
        found[key] = settings.get(key, default)
    for key in ("seq_len", "batch_size", "warmup", "horizon", "reset_every"):
        value = found[key]  # the trainer checks >= its minimum; here: no absurd sizes
        if isinstance(value, int) and abs(value) >= 2 ** 40:
            raise CheckpointError(f"{path}: 'state/settings/{key}' is {value!r}, beyond any "
                                  "run")
    for key in ("update_rule", "lr_schedule"):
        if not isinstance(found[key], str):
            raise CheckpointError(f"{path}: 'state/settings/{key}' is {found[key]!r}, not a "
                                  "name")
    return found


def _count(path, state, key, below=None):
    value = state.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0 or (
            below is not None and value >= below):
        limit = "" if below is None else f" and < {below}"
        raise CheckpointError(f"{path}: 'state/{key}' is {value!r}; it must be an integer "
                              f">= 0{limit}")
    return int(value)


def check_position(path, state, windows):
    """(iteration, position) of a saved run, the position within this text's windows."""
    iteration = _count(path, state, "iteration", 2 ** 62)
    position = state.get("position")
    if isinstance(position, (int, np.integer)) and not isinstance(position, bool) \
            and position >= windows:
        raise CheckpointError(f"{path} stopped at window {position + 1} of a pass over its "
                              f"text, but this text has only {windows} windows: resume on "
                              "the text it was trained on")
    return iteration, _count(path, state, "position", windows)


def check_streams(path, state):
    """The dropout and sampling streams' saved states, each one numpy accepts."""
    return (check_rng_state(path, "state/dropout_rng", state.get("dropout_rng")),
            check_rng_state(path, "state/sample_rng", state.get("sample_rng")))


def check_carried(path, state, model, batch_size):
    """The per-layer (h, c) carried to the next window: every layer, each (N, H) of the
    model's dtype and finite; [] when nothing is carried (a new pass starts)."""
    carried = state.get("carried") or {}
    if not isinstance(carried, dict):
        raise CheckpointError(f"{path}: 'state/carried' is not a group of arrays")
    if not carried:
        return None
    want = (batch_size, model.hidden_size)
    names = [f"h{i}" for i in range(model.num_layers)]
    if model.cell == "lstm":
        names += [f"c{i}" for i in range(model.num_layers)]
    if set(carried) != set(names):
        raise CheckpointError(f"{path}: 'state/carried' holds {sorted(carried)}; a "
                              f"{model.num_layers}-layer {model.cell} carries {sorted(names)}")
    for name in names:
        value = carried[name]
        if not isinstance(value, np.ndarray) or value.shape != want \
                or value.dtype != model.dtype or not np.isfinite(value).all():
            shown = (f"{value.shape} {value.dtype}" if isinstance(value, np.ndarray)
                     else repr(value))
            raise CheckpointError(f"{path}: 'state/carried/{name}' is {shown}; it must be "
                                  f"finite, {want} {model.dtype}")
    return [(carried[f"h{i}"], carried.get(f"c{i}")) for i in range(model.num_layers)]


def check_optimizer(path, params, optim):
    """One group of optimizer settings per parameter, each value in its range."""
    check_optim_values(path, optim)  # first: the numbers' types and ranges
    checkpoint.check_optim_configs(path, params, optim)
    missing = sorted(set(params) - set(optim))
    if missing:
        raise CheckpointError(f"{path}: no optimizer state for parameter '{missing[0]}'")


def check_history(path, history):
    """The loss history: the lists a CharTrainer keeps, nothing else."""
    unknown = sorted(set(history) - {"loss", "val_iteration", "val_loss"})
    if unknown:
        raise CheckpointError(f"{path}: unknown history 'history/{unknown[0]}'")
    for key, values in history.items():
        if np.ndim(values) != 1:
            raise CheckpointError(f"{path}: 'history/{key}' is not a list of numbers")
    return {k: list(v) for k, v in history.items()}
