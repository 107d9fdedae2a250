"""Train a captioner on a COCO-layout directory and load either kind of captioner back:
what `minigraph caption train` and `minigraph demo` call (the command line parses, this
trains)."""

import os

from minigraph.checkpoint import CheckpointError, peek_kind
from minigraph.files import refuse_foreign

from ..data import load_coco_data
from ..data.shapes_dataset import OBJECTS_FILE, load_objects
from ..shared.checkpoint_checks import check_config_values
from ..shared.renamed import renamed_keywords, with_new_names
from .attention_captioner import AttentionCaptioner
from .evaluation import evaluate_split
from .rnn_captioner import CaptioningRNN

CAPTIONERS = {cls.__name__: cls for cls in (CaptioningRNN, AttentionCaptioner)}
# the training settings a checkpoint records, by the names train_captioner takes
SETTINGS = ("cell_type", "hidden_dim", "wordvec_dim", "batch_size", "lr", "lr_decay", "proj_lr",
            "max_train", "seed", "attention")
# what each recorded setting may be (models/shared/checkpoint_checks.py)
SETTING_KINDS = {"cell_type": "cell", "hidden_dim": "size", "wordvec_dim": "size",
                 "batch_size": "size", "lr": "rate", "lr_decay": "factor",
                 "proj_lr": "rate_or_none", "max_train": "size_or_none", "seed": "seed",
                 "attention": "flag"}
# the settings' former names, still accepted as keywords, flags and checkpoint keys
RENAMED = {"cell": "cell_type", "hidden": "hidden_dim", "wordvec": "wordvec_dim"}


def load_captioner(path):
    """(model, checkpoint dict) of either captioner, by the kind the checkpoint records."""
    cls = CAPTIONERS.get(peek_kind(path), CaptioningRNN)  # anything else: its own error
    return cls.load(path)


def shapes_objects(data_dir):
    """The ground-truth objects of a shapes set, or None for data that has none."""
    return load_objects(data_dir) if os.path.exists(os.path.join(data_dir, OBJECTS_FILE)) else None


def recorded_settings(saved):
    """A captioner checkpoint's training settings (or None), old files' under new names."""
    settings = saved["state"].get("settings")
    return with_new_names(settings, RENAMED) if isinstance(settings, dict) else None


@renamed_keywords("train_captioner", RENAMED)
def train_captioner(data_dir, cell_type="lstm", hidden_dim=256, wordvec_dim=128, epochs=20,
                    batch_size=100, lr=5e-3, lr_decay=0.85, max_train=None, max_minutes=None,
                    val_images=300, seed=0, out="captioner.h5", progress=True, log=print,
                    proj_lr=5e-4, resume=False, attention=False, force=False,
                    other_data=False):
    """Train on a COCO-layout directory; returns (model, solver, data). ``proj_lr`` gives
    W_proj its own learning rate (None: ``lr``). ``attention`` trains an
    AttentionCaptioner on the grid features (``data['train_grid']``). ``resume`` continues
    the checkpoint ``out`` exactly, with the settings it records (the arguments above are
    then ignored, except ``epochs``, the total to reach, and ``max_minutes``), on the data
    it was trained on (``other_data``: on other captions of the same vocabulary). The old
    names ``cell``, ``hidden``, ``wordvec`` still work, with a DeprecationWarning."""
    from .solver import CaptioningSolver  # imported when training starts: tqdm and optim

    settings = {"cell_type": cell_type, "hidden_dim": hidden_dim, "wordvec_dim": wordvec_dim,
                "batch_size": batch_size, "lr": lr, "lr_decay": lr_decay, "proj_lr": proj_lr,
                "max_train": max_train, "seed": seed, "attention": bool(attention)}
    if resume:
        model, saved = load_captioner(out)
        settings = recorded_settings(saved)
        if isinstance(settings, dict):  # written before --attention existed
            settings.setdefault("attention", isinstance(model, AttentionCaptioner))
        # the settings this function reads, not the command line's flags: a library caller
        # resumes with the same names
        if not isinstance(settings, dict) or set(settings) != set(SETTINGS):
            raise CheckpointError(f"{out} does not record its training settings (written by an "
                                  "older minigraph?); it cannot be resumed exactly")
        check_config_values(out, settings, SETTING_KINDS, where="setting")
    data = load_coco_data(data_dir, max_train=settings["max_train"], seed=settings["seed"],
                          grid=settings["attention"])
    objects = shapes_objects(data_dir)
    if not resume and settings["attention"]:
        _, P, D = data["train_grid"].shape
        model = AttentionCaptioner(data["word_to_idx"], input_dim=D, num_cells=P,
                                   wordvec_dim=wordvec_dim, hidden_dim=hidden_dim,
                                   cell_type=cell_type, seed=seed)
    elif not resume:
        model = CaptioningRNN(data["word_to_idx"], input_dim=data["train_features"].shape[1],
                              wordvec_dim=wordvec_dim, hidden_dim=hidden_dim,
                              cell_type=cell_type, seed=seed)
    lr, proj_lr = settings["lr"], settings["proj_lr"]

    def metrics(m):
        if "val_captions" not in data or not val_images:  # --val-images 0: no BLEU
            return {}
        result = evaluate_split(m, data, "val", val_images,
                                objects=objects["val"] if objects else None)
        return {k: v for k, v in result.items() if k in ("bleu4", "attribute_accuracy")}
    plot = os.path.splitext(out)[0] + "_loss.png"
    refuse_foreign([plot], force, "the loss plot beside the checkpoint", resumed=resume)
    solver = CaptioningSolver(model, data, optim_config={"learning_rate": lr},
                              lr_decay=settings["lr_decay"],
                              batch_size=settings["batch_size"], num_epochs=epochs,
                              print_every=0, progress=progress, seed=settings["seed"],
                              evaluate=metrics, checkpoint_path=out, plot_path=plot,
                              max_seconds=None if max_minutes is None else 60 * max_minutes,
                              extra_state={"data_dir": os.path.abspath(data_dir),
                                           "settings": settings}, log=log,
                              param_configs=None if proj_lr is None else {
                                  "W_proj": {"learning_rate": proj_lr}})
    if resume:
        solver.load_checkpoint(out, other_data=other_data)
        log(f"resuming {out} at iteration {len(solver.loss_history)} (epoch {solver.epoch})")
    solver.train()
    return model, solver, data
