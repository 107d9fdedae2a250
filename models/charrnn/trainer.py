"""Training a CharRNN: truncated BPTT over contiguous tracks, validation, samples, plots,
checkpoints and exact resume."""

import copy
import os
import time

import numpy as np
from tqdm.auto import tqdm

from minigraph import optim
from minigraph.checkpoint import CheckpointError
from minigraph.errors import MinigraphError, UsageError, check_int, check_number
from minigraph.file_marks import SAMPLES_HEADER
from minigraph.files import atomic_append, atomic_write, refuse_foreign, written_by_minigraph

from ..data.text import Tracks, Vocabulary, split_text
from ..shared import training
from ..shared.checkpoint_checks import recorded
from ..shared.interrupt import Interrupted
from ..shared.progress import TrainingBar
from ..shared.renamed import renamed_keywords
from ..shared.resume_checks import FINGERPRINT_KEY, check_same_data, text_fingerprint
from . import saved_state
from .model import CharRNN

SCHEDULES = ("step", "cosine")  # step: x lr_decay per pass over the text
COSINE_FLOOR = 0.01  # the cosine schedule ends at this fraction of lr
PLAN_AFTER = 25  # steps timed before a time-limited cosine run plans its horizon
RENAMED = {"layers": "num_layers", "hidden": "hidden_size"}  # old keyword: CharRNN's name


def cosine_rate(iteration, lr, warmup, horizon):
    """The learning rate at ``iteration`` (counted from 0): a linear warm-up over ``warmup``
    steps, then half a cosine from ``lr`` down to ``lr * COSINE_FLOOR`` at ``horizon``, flat
    after it. Before a horizon is planned (0) it stays at ``lr``."""
    if iteration < warmup:
        return lr * (iteration + 1) / warmup
    if not horizon:
        return lr
    progress = min(1.0, (iteration - warmup) / max(1, horizon - warmup))
    floor = lr * COSINE_FLOOR
    return floor + (lr - floor) * 0.5 * (1 + np.cos(np.pi * progress))


class CharTrainer:
    """Owns the model, the optimizer state, the data position, the hidden state carried
    from one window of the tracks to the next (``state``) and every random stream, so that
    a checkpoint holds everything needed to continue exactly. The model settings have
    CharRNN's names; the old ``layers=``, ``hidden=`` warn (DeprecationWarning)."""

    @renamed_keywords("CharTrainer", RENAMED)
    def __init__(self, text, cell="lstm", num_layers=2, hidden_size=256, seq_len=64,
                 batch_size=32, dropout=0.0, lr=2e-3, lr_decay=0.97, update_rule="adam",
                 clip=5.0, seed=0, embed_size=None, fused=True, dtype=np.float32, model=None,
                 lr_schedule="step", warmup=0, horizon=0, reset_every=16):
        owner = "CharTrainer"
        seq_len, batch_size = check_int(owner, "seq_len", seq_len), check_int(
            owner, "batch_size", batch_size)
        lr = check_number(owner, "lr", lr)
        if clip is not None:  # None: no clipping
            clip = check_number(owner, "clip", clip, strict=True)
        lr_decay = check_number(owner, "lr_decay", lr_decay, strict=True)
        if lr_schedule not in SCHEDULES:
            raise UsageError(f"{owner}: lr_schedule {lr_schedule!r} is not one of "
                                 f"{', '.join(SCHEDULES)}")
        warmup = check_int(owner, "warmup", warmup, minimum=0)
        horizon = check_int(owner, "horizon", horizon, minimum=0)
        reset_every = check_int(owner, "reset_every", reset_every, minimum=0)
        self.vocab = Vocabulary.from_text(text)
        self.data_fingerprint = text_fingerprint(text)  # saved: a resume checks its text
        # encoded once (1 or 2 bytes per character) and split as views: no copies of the text
        train_ids, self.val_ids = split_text(self.vocab.encode(text))
        self.model = model or CharRNN(len(self.vocab), hidden_size=hidden_size,
                                      num_layers=num_layers, cell=cell, dropout=dropout,
                                      seed=seed, dtype=dtype, embed_size=embed_size, fused=fused,
                                      chars=self.vocab.chars)
        self.train_tracks = Tracks(train_ids, batch_size, seq_len,
                                   "the training text (first 90%)")
        self.settings = {"seq_len": seq_len, "batch_size": batch_size, "lr": lr,
                         "lr_decay": lr_decay, "update_rule": update_rule, "clip": clip,
                         "lr_schedule": lr_schedule, "warmup": warmup, "horizon": horizon,
                         "reset_every": reset_every}
        self.rule = optim.get_rule(update_rule)
        self.optim_configs = {p: {"learning_rate": lr} for p in self.model.params}
        self.iteration = 0
        self.state = None  # per-layer (h, c) at the end of the last window; None = zeros
        self.history = {"loss": [], "val_iteration": [], "val_loss": []}

    # ------------------------------------------------------------------ one step
    def learning_rate(self, iteration):
        """The cosine schedule's rate for ``iteration`` (see ``cosine_rate``)."""
        s = self.settings
        return cosine_rate(iteration, s["lr"], s["warmup"], s["horizon"])

    def step(self):
        window = self.train_tracks.position
        x, y, wrapped = self.train_tracks.next()
        if wrapped:
            self.state = None  # a new pass over the text: nothing to carry
            if self.iteration and self.settings["lr_schedule"] == "step":
                for config in self.optim_configs.values():
                    config["learning_rate"] *= self.settings["lr_decay"]
        if self.settings["lr_schedule"] == "cosine":
            lr = self.learning_rate(self.iteration)
            for config in self.optim_configs.values():
                config["learning_rate"] = lr
        self.state = self._reset_some_tracks(self.state, window)
        hint = "Try a lower --lr or a smaller --clip."
        loss, grads, self.state = training.guarded_loss(
            lambda: self.model.loss(x, y, self.state), self.iteration + 1, hint)
        first = self.history["loss"][0] if self.history["loss"] else None
        training.check_loss(loss, self.iteration + 1,
                            first is not None and loss > 3 * first + 5, hint)
        training.apply_updates(self.model.params, grads, self.rule, self.optim_configs,
                               self.settings["clip"])
        self.iteration += 1
        self.history["loss"].append(float(loss))
        return float(loss)

    def _reset_some_tracks(self, state, window):
        """Zero the carried state of every ``reset_every``-th track, a different set of
        tracks at each window (track n restarts at windows k with (n - k) % reset_every
        == 0): each track then starts from zeros every reset_every windows.

        Why: sampling, ``char eval`` of a short text and any text fed from the start begin
        from the zero state. A model that only ever continues a carried state never learns
        to start: on tiny Shakespeare after 200 iterations, carried-state validation was
        2.1 nats/char but the first 64 characters from zeros scored 4.4-5.4 (worse than
        uniform, 4.17), and samples were noise; with these restarts the same run scores
        2.1-2.5 from zeros at the same validation loss (docs/tutorials/04-char-rnn.md).
        Deterministic in the window index, so resume stays exact."""
        every = self.settings.get("reset_every", 0)
        if state is None or not every:
            return state
        rows = (np.arange(self.settings["batch_size"]) - window) % every == 0
        if not rows.any():
            return state
        keep = (~rows)[:, None].astype(self.model.dtype)
        return [(h * keep, None if c is None else c * keep) for h, c in state]

    def validate(self, max_batches=50, progress=False):
        """Mean validation loss in nats per character over up to ``max_batches`` windows,
        carrying the state along the validation tracks; the training state is untouched."""
        N, T = self.settings["batch_size"], self.settings["seq_len"]
        try:
            tracks = Tracks(self.val_ids, N, T, "the validation text (last 10%)")
        except MinigraphError:
            return None
        return self.model.evaluate_tracks(tracks, max_batches, progress=progress)[0]

    # ------------------------------------------------------------------ the loop
    def train(self, iterations=None, max_minutes=None, *, eval_every=200, sample_every=500,
              out=None, progress=True, log=None, sample_length=200, force=False):
        """Run until ``iterations`` more steps or ``max_minutes``; evaluate, sample and save
        along the way. Returns the trainer. The files beside ``out`` (``<out>_loss.png``,
        ``<out>_samples.txt``) are refused before the first step when they exist and
        minigraph did not write them, unless ``force``."""
        log = log or tqdm.write
        if iterations is None and max_minutes is None:
            raise UsageError("give iterations or max_minutes")
        started, chars_per_step = time.monotonic(), self.settings["batch_size"] * \
            self.settings["seq_len"]
        deadline = None if max_minutes is None else started + 60 * max_minutes
        bar = TrainingBar("char-rnn", total_steps=iterations, disable=not progress,
                          max_seconds=None if deadline is None else deadline - started)
        plan = self.settings["lr_schedule"] == "cosine" and not self.settings["horizon"]
        if plan and iterations is not None:
            self.settings["horizon"] = self.iteration + iterations
            plan = False
        plan_from = None
        samples_path = (os.path.splitext(out)[0] + "_samples.txt") if out else None
        if out:
            refuse_foreign([os.path.splitext(out)[0] + "_loss.png", samples_path], force,
                           "the file beside the checkpoint", resumed=self.iteration > 0)
        steps = 0  # run so far by this call

        def keep_going():
            return (iterations is None or steps < iterations) and (
                deadline is None or time.monotonic() < deadline)

        def step():
            nonlocal steps, plan, plan_from
            loss = self.step()
            steps += 1
            if plan and steps == 5:  # the first steps build graphs: time the later ones
                plan_from = time.monotonic()
            if plan and steps == PLAN_AFTER:
                per_step = (time.monotonic() - plan_from) / (PLAN_AFTER - 5)
                left = int((deadline - time.monotonic()) / per_step)
                self.settings["horizon"] = self.iteration + max(left, 1)
                log(f"cosine schedule: {per_step * 1e3:.0f} ms a step, so the rate reaches "
                    f"its floor at iteration {self.settings['horizon']}")
                plan = False
            return loss

        def show(smoothed):
            elapsed = time.monotonic() - started
            rate = steps * chars_per_step / elapsed
            bar.step(loss=f"{smoothed:.3f}", chars_s=f"{rate:.0f}")

        def after_step(loss):
            if eval_every and self.iteration % eval_every == 0:
                self._evaluate(log, out, progress)
            if sample_every and samples_path and self.iteration % sample_every == 0:
                self._write_sample(samples_path, sample_length)

        done = training.run_loop(step, keep_going, after_step, lambda: self._stop(out),
                                 show=show, bar=bar, smoothing=0.98, log=log, save_path=out)
        bar.close()
        self.chars_per_second = done * chars_per_step / max(time.monotonic() - started, 1e-9)
        if out:
            self._evaluate(log, out, progress)
            if samples_path:
                self._write_sample(samples_path, sample_length)
        return self

    def _stop(self, out):
        """Ctrl-C: the step in flight has finished; save and say how to go on."""
        if not out:
            raise Interrupted(f"interrupted after iteration {self.iteration} (nothing saved: "
                              "no output file was given)")
        self.save(out)
        raise Interrupted(f"interrupted after iteration {self.iteration}; saved {out}. "
                          f"Continue with: minigraph char train --out {out} --resume "
                          "(and the same --text)")

    def _evaluate(self, log, out, progress=False):
        if out:  # the steps are safe before evaluation can fail
            self.save(out)
        val = self.validate(progress=progress)
        if val is not None:
            self.history["val_iteration"].append(self.iteration)
            self.history["val_loss"].append(val)
            log(f"iteration {self.iteration}: train {np.mean(self.history['loss'][-50:]):.3f}, "
                f"validation {val:.3f} nats/char = {val / np.log(2):.3f} bits/char")
        if out:
            if val is not None:
                self.save(out)  # again, with the validation loss in its history
            self.plot(os.path.splitext(out)[0] + "_loss.png")

    def _write_sample(self, path, length):
        """Append a sample to the log at ``path``: a log minigraph began (its header line
        says so) grows; any other file there (which the command line lets through only
        with --force) is replaced by a new log, never appended to."""
        text = self.model.sample(length=length, temperature=0.8)
        entry = f"==== iteration {self.iteration} ====\n{text}\n\n"
        if os.path.isfile(path) and written_by_minigraph(path):
            atomic_append(path, entry)
        else:
            atomic_write(path, SAMPLES_HEADER + entry)

    def plot(self, path):
        from ..shared.plots import plot_losses
        plot_losses(path, self.history["loss"], self.history["val_loss"] or None,
                    self.history["val_iteration"], title=f"char-rnn ({self.model.cell})",
                    ylabel="nats per character")

    # ------------------------------------------------------------------ checkpoints
    def save(self, path):
        state = {"iteration": self.iteration, "position": self.train_tracks.position,
                 "settings": self.settings,
                 "dropout_rng": self.model.dropout_rng.bit_generator.state,
                 "sample_rng": self.model.sample_rng.bit_generator.state,
                 "carried": {}, FINGERPRINT_KEY: self.data_fingerprint}
        for layer, (h, c) in enumerate(self.state or []):
            state["carried"][f"h{layer}"] = h
            if c is not None:
                state["carried"][f"c{layer}"] = c
        history = {k: v for k, v in self.history.items()}
        self.model.save(path, optim_configs=self.optim_configs, history=history, state=state)

    @classmethod
    def resume(cls, path, text, other_data=False):
        """Continue exactly from a checkpoint, on the same text: another text (by its
        SHA-256, recorded at each save) is refused unless ``other_data``."""
        model, saved = CharRNN.load(path)
        vocab = Vocabulary.from_text(text)
        if vocab.chars != model.chars:
            extra = sorted(set(vocab.chars) - set(model.chars))[:10]
            missing = sorted(set(model.chars) - set(vocab.chars))[:10]
            raise CheckpointError(f"{path!r} was trained on a text with a different vocabulary "
                                  f"({len(model.chars)} characters; this text has "
                                  f"{len(vocab.chars)}; new {extra!r}, absent {missing!r})")
        check_same_data(path, saved["state"], text_fingerprint(text), other_data, "text")
        state = saved["state"]
        saved_state.check_optimizer(path, model.params, saved["optim"])
        dropout_stream, sample_stream = saved_state.check_streams(path, state)
        history = saved_state.check_history(path, saved["history"])
        with recorded(path, "state/settings"):  # the trainer's own checks, the file named
            trainer = cls(text, model=model, **saved_state.trainer_settings(path, state))
        trainer.optim_configs = {name: copy.deepcopy(config)
                                 for name, config in saved["optim"].items()}
        trainer.iteration, position = saved_state.check_position(
            path, state, len(trainer.train_tracks))
        trainer.train_tracks.position = position
        trainer.state = saved_state.check_carried(path, state, model,
                                                  trainer.settings["batch_size"])
        model.dropout_rng.bit_generator.state = dropout_stream
        model.sample_rng.bit_generator.state = sample_stream
        trainer.history = history
        for key in ("loss", "val_iteration", "val_loss"):
            trainer.history.setdefault(key, [])
        return trainer
