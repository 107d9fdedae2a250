"""CaptioningSolver: trains a captioning model the way the cs231n notebook drives it.

``CaptioningSolver(model, data, update_rule='adam', optim_config={...}, lr_decay=0.95,
batch_size=25, num_epochs=50, print_every=10, verbose=True).train()`` then read
``loss_history``. Beyond the notebook: a tqdm progress bar with smoothed loss, validation
loss and BLEU after each epoch, anomaly detection, gradient clipping, a loss-curve PNG,
atomic checkpoints, and per-parameter optimizer settings (``param_configs``).
"""

import copy
import time

import numpy as np
from tqdm.auto import tqdm

from minigraph import checkpoint, optim
from minigraph.errors import TrainingError, UsageError, check_int, check_number  # noqa: F401 (importable here, as before)

from ..data import sample_coco_minibatch
from ..data.coco import check_feature_scale
from ..shared import training
from ..shared.checkpoint_checks import check_optim_values
from ..shared.interrupt import Interrupted
from ..shared.progress import TrainingBar
from ..shared.resume_checks import FINGERPRINT_KEY, caption_fingerprint, check_same_data


class CaptioningSolver:
    def __init__(self, model, data, *, update_rule="adam", optim_config=None, lr_decay=1.0,
                 batch_size=100, num_epochs=10, print_every=10, verbose=True, seed=0,
                 progress=True, clip_norm=None, anomaly=True, num_val_images=200,
                 evaluate=None, checkpoint_path=None, plot_path=None, log=None,
                 max_seconds=None, extra_state=None, param_configs=None):
        batch_size = check_int("CaptioningSolver", "batch_size", batch_size)
        num_epochs = check_int("CaptioningSolver", "num_epochs", num_epochs, minimum=0)
        lr_decay = check_number("CaptioningSolver", "lr_decay", lr_decay, strict=True)
        if clip_norm is not None:
            clip_norm = check_number("CaptioningSolver", "clip_norm", clip_norm, strict=True)
        self.model, self.data = model, data
        # which image features the model reads: "features" (pooled) or "grid" (attention)
        self.feature_key = getattr(model, "feature_key", "features")
        check_feature_scale(data[f"train_{self.feature_key}"], "the training image features")
        self.update_rule = optim.get_rule(update_rule)
        self.optim_config = dict(optim_config or {})
        self.lr_decay, self.batch_size, self.num_epochs = lr_decay, batch_size, num_epochs
        self.print_every, self.verbose, self.progress = print_every, verbose, progress
        self.clip_norm, self.anomaly, self.num_val_images = clip_norm, anomaly, num_val_images
        self.evaluate = evaluate  # callable(model) -> dict of metrics, run after each epoch
        self.checkpoint_path, self.plot_path = checkpoint_path, plot_path
        self.seed, self.max_seconds = seed, max_seconds
        self.extra_state = dict(extra_state or {})  # saved with each checkpoint
        self.rng = np.random.default_rng(seed)
        self.data_fingerprint = caption_fingerprint(data)  # saved: a resume checks its data
        self.log = log or tqdm.write
        self.epoch = 0
        self.loss_history, self.val_loss_history, self.val_metrics_history = [], [], []
        self.optim_configs = {p: copy.deepcopy(self.optim_config) for p in model.params}
        # Per-parameter overrides, e.g. {"W_proj": {"learning_rate": 2.5e-4}}: Adam moves each
        # weight by about the learning rate whatever its gradient, so a weight that sums many
        # inputs (W_proj: 512 features into every hidden unit) moves its output far more.
        unknown = sorted(set(param_configs or {}) - set(model.params))
        if unknown:
            raise UsageError(f"param_configs names {unknown}, which are not parameters of the "
                             f"model (it has {sorted(model.params)})")
        for name, overrides in (param_configs or {}).items():
            self.optim_configs[name].update(overrides)

    def _step(self):
        captions, features, _ = sample_coco_minibatch(self.data, self.batch_size, "train",
                                                      self.rng, self.feature_key)
        iteration = len(self.loss_history) + 1
        hint = "Try a lower learning rate or clip_norm=5."
        loss, grads = training.guarded_loss(lambda: self.model.loss(features, captions),
                                            iteration, hint, anomaly=self.anomaly)
        training.check_loss(loss, iteration, bool(self.loss_history) and loss > 1e3 * (
            abs(self.loss_history[0]) + 1), hint)
        self.loss_history.append(loss)
        training.apply_updates(self.model.params, grads, self.update_rule, self.optim_configs,
                               self.clip_norm)

    def validation_loss(self, max_captions=2000):
        if "val_captions" not in self.data:
            return None
        captions = self.data["val_captions"][:max_captions]
        features = self.data[f"val_{self.feature_key}"][
            self.data["val_image_idxs"][:max_captions]]
        return self.model.evaluate(features, captions)

    def train(self):
        num_train = self.data["train_captions"].shape[0]
        per_epoch = max(num_train // self.batch_size, 1)
        total = self.num_epochs * per_epoch
        # limited by time: the bar shows the time limit, not a step total it may not reach
        bar = TrainingBar("training", total_steps=total, max_seconds=self.max_seconds,
                          disable=not self.progress)
        started = time.monotonic()
        first = len(self.loss_history)  # > 0 after load_checkpoint: continue from there
        t = first  # the iteration about to run, counted from 0

        def keep_going():
            if t >= total:
                return False
            if self.max_seconds is not None and time.monotonic() - started > self.max_seconds:
                self.log(f"time limit of {self.max_seconds:.0f} s reached after {t - first} "
                         "iterations")
                if t % per_epoch:  # validate and save, but the epoch is not over: a
                    self._end_epoch(finished=False)  # resume finishes it, decay and all
                return False
            return True

        def step():
            self._step()
            return self.loss_history[-1]

        def show(smoothed):
            bar.step(loss=f"{smoothed:.3f}", epoch=self.epoch + 1)

        def after_step(loss):
            nonlocal t
            if self.verbose and self.print_every and t % self.print_every == 0:
                self.log(f"(Iteration {t + 1} / {total}) loss: {loss:f}")
            if (t + 1) % per_epoch == 0:
                self._end_epoch()
            t += 1

        training.run_loop(step, keep_going, after_step, self._stop, show=show, bar=bar,
                          smoothing=0.95, log=self.log, save_path=self.checkpoint_path)
        bar.close()
        return self

    def _stop(self):
        """Ctrl-C: the step in flight has finished; save (if there is a checkpoint path)."""
        done = len(self.loss_history)
        if not self.checkpoint_path:
            raise Interrupted(f"interrupted after iteration {done} (nothing saved: no "
                              "checkpoint path)")
        self.save_checkpoint(self.checkpoint_path)
        raise Interrupted(f"interrupted after iteration {done}; saved {self.checkpoint_path}")

    def _end_epoch(self, finished=True):
        """Decay the rates (``finished``: a time limit mid-epoch does not), save, validate,
        save again with the validation, plot."""
        if finished:
            self.epoch += 1
            for config in self.optim_configs.values():
                config["learning_rate"] = config.get("learning_rate", 1e-3) * self.lr_decay
        if self.checkpoint_path:  # the epoch's training is safe before evaluation can fail
            self.save_checkpoint(self.checkpoint_path)
        val_loss = self.validation_loss()
        metrics = self.evaluate(self.model) if self.evaluate else {}
        self.val_loss_history.append(val_loss)
        self.val_metrics_history.append(metrics)
        if self.verbose and (val_loss is not None or metrics):
            shown = ", ".join(f"{k} {v:.3f}" for k, v in metrics.items()
                              if isinstance(v, float))
            where = self.epoch if finished else f"{self.epoch + 1} in part"
            self.log(f"(Epoch {where} / {self.num_epochs}) val loss "
                     f"{val_loss if val_loss is None else round(val_loss, 4)}"
                     f"{', ' + shown if shown else ''}")
        if self.checkpoint_path:
            self.save_checkpoint(self.checkpoint_path)
        if self.plot_path:
            self.plot(self.plot_path)

    def plot(self, path):
        from ..shared.plots import plot_losses
        per_epoch = max(len(self.loss_history) // max(self.epoch, 1), 1)
        val = [v for v in self.val_loss_history if v is not None]
        plot_losses(path, self.loss_history, val or None,
                    [per_epoch * (i + 1) for i in range(len(val))],
                    title=f"{type(self.model).__name__} ({self.model.cell_type})")

    def save_checkpoint(self, path):
        history = {"loss_history": self.loss_history,
                   "val_loss_history": [np.nan if v is None else v
                                        for v in self.val_loss_history]}
        # the minibatch stream's state too, so that a resumed run draws the batches the
        # uninterrupted run would have drawn
        self.model.save(path, optim_configs=self.optim_configs, history=history,
                        state={"epoch": self.epoch, "seed": self.seed,
                               "iteration": len(self.loss_history),
                               "rng": self.rng.bit_generator.state,
                               FINGERPRINT_KEY: self.data_fingerprint, **self.extra_state})

    def load_checkpoint(self, path, other_data=False):
        """Restore parameters (checked against the model), optimizer state, epoch, history
        and the minibatch stream: ``train()`` then continues exactly where the saved run
        stopped. Data with another vocabulary is refused; other captions (by the SHA-256
        each save records) unless ``other_data``."""
        saved = self.model.load_params(path)
        check_same_vocabulary(path, saved["vocab"], self.data["word_to_idx"])
        check_same_data(path, saved["state"], self.data_fingerprint, other_data, "captions")
        check_optim_values(path, saved["optim"])  # first: the numbers' types and ranges
        checkpoint.check_optim_configs(path, self.model.params, saved["optim"])
        epoch = saved["state"].get("epoch", 0)
        if isinstance(epoch, bool) or not isinstance(epoch, int) or not 0 <= epoch < 2 ** 31:
            raise checkpoint.CheckpointError(f"{path}: 'state/epoch' is {epoch!r}; it must be "
                                             "an integer >= 0")
        for key, values in saved["history"].items():
            if np.ndim(values) != 1:
                raise checkpoint.CheckpointError(f"{path}: 'history/{key}' is not a list of "
                                                 "numbers")
        for name, config in saved["optim"].items():
            self.optim_configs[name] = {k: (np.array(v) if isinstance(v, np.ndarray) else v)
                                        for k, v in config.items()}
        self.epoch = int(saved["state"].get("epoch", 0))
        self.loss_history = [float(v) for v in saved["history"].get("loss_history", [])]
        self.val_loss_history = [None if np.isnan(v) else float(v)
                                 for v in saved["history"].get("val_loss_history", [])]
        if "rng" in saved["state"]:
            try:
                self.rng.bit_generator.state = saved["state"]["rng"]
            except (TypeError, ValueError, KeyError) as exc:
                raise checkpoint.CheckpointError(f"{path}: 'state/rng' is not a generator "
                                                 f"state ({exc})") from None
        return saved


def check_same_vocabulary(path, saved_vocab, data_vocab):
    """The data's word ids mean what the model's do: a caption set with another word list
    would train every word's row on other words."""
    ours = {str(word): int(i) for word, i in data_vocab.items()}
    if saved_vocab != ours:
        differ = sorted(set(ours.items()) ^ set(dict(saved_vocab).items()))[:4]
        raise checkpoint.CheckpointError(
            f"{path} was trained with another word list ({len(saved_vocab)} words; this data "
            f"has {len(ours)}; first differences {differ}): resume on the data it was trained on")
