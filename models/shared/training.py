"""The training step and loop that both trainers run (CharTrainer, CaptioningSolver).

One step: the minibatch's loss and gradients under anomaly detection, a guard against a
non-finite or exploding loss, gradient clipping by global norm, and the optimizer's
update of every parameter. One loop: steps until the trainer says stop, a progress bar
with the smoothed loss, Ctrl-C handled by models/shared/interrupt.py (the step in
flight finishes, the trainer saves and raises ``Interrupted``), and the trainer's own work after
each step (validation, checkpoints, samples). What differs between the trainers (where
batches come from, schedules, epochs, what a checkpoint holds) stays with them.
"""

import numpy as np

from minigraph import modes, optim
from minigraph.errors import MinigraphError, TrainingError

from .interrupt import graceful_interrupt, stop_requested
from .plots import RunningAverage


def guarded_loss(loss_fn, iteration, hint, anomaly=True):
    """``loss_fn()`` (the model's loss and gradients) under anomaly detection: a
    non-finite value met in the graph becomes a TrainingError naming ``iteration`` and
    ``hint`` (what to try)."""
    with modes.detect_anomaly(anomaly):
        try:
            return loss_fn()
        except MinigraphError as exc:
            if "non-finite" not in str(exc):
                raise
            raise TrainingError(f"iteration {iteration}: {exc}. {hint}") from None


def check_loss(loss, iteration, exploded, hint):
    """Stop a run whose loss is not finite or ``exploded`` (the trainer's own test)."""
    if not np.isfinite(loss) or exploded:
        raise TrainingError(f"iteration {iteration}: the loss exploded to {loss}. {hint}")


def apply_updates(params, grads, rule, configs, clip=None):
    """Clip ``grads`` in place to global norm ``clip`` (None: no clipping), then update
    every parameter with ``rule`` the cs231n way: ``next_w, config = rule(w, dw, config)``
    and ``params[name] = next_w`` (the rules update w in place and return it, so this
    re-points nothing; a rule that returns a new array is honoured too)."""
    if clip is not None:
        optim.clip_by_global_norm(grads, clip)
    for name, w in params.items():
        next_w, configs[name] = rule(w, grads[name], configs[name])
        params[name] = next_w


def run_loop(step, keep_going, after_step, on_interrupt, *, show, bar, smoothing, log,
             save_path=None):
    """Run ``step()`` (returns the float loss) while ``keep_going()``. After each step:
    ``show(smoothed loss)`` updates the progress ``bar``; a Ctrl-C closes the bar and calls
    ``on_interrupt()`` (which saves and raises Interrupted); then ``after_step(loss)``
    (validation, checkpoints, samples). Returns the number of steps run."""
    smoothed, done = RunningAverage(smoothing), 0
    with graceful_interrupt():
        if save_path:
            log(f"training; Ctrl-C stops after the current step and saves {save_path}")
        while keep_going():
            loss = step()
            done += 1
            smoothed.update(loss)
            show(smoothed.value)
            if stop_requested():
                bar.close()
                on_interrupt()
            after_step(loss)
    return done
