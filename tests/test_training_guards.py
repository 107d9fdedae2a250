"""Training says so when it cannot work: features far from unit scale are warned about (on
the command line as one `warning:` line), a loss that stops being finite stops training
with one clear error, and non-finite features are refused when the data is loaded."""

import os
import shutil
import warnings

import numpy as np
import pytest

from minigraph.models.captioning.rnn_captioner import CaptioningRNN
from minigraph.models.captioning.solver import CaptioningSolver, TrainingError
from minigraph.models.cli import main
from minigraph.models.data import load_coco_data
from minigraph.models.data.coco import DataError, FeatureScaleWarning, check_feature_scale

from .helpers import edited_hdf5


@pytest.fixture(scope="module")
def data(shapes_dir):
    return load_coco_data(shapes_dir, max_train=40, seed=1)


def _solver(data):
    model = CaptioningRNN(data["word_to_idx"], input_dim=data["train_features"].shape[1],
                          wordvec_dim=6, hidden_dim=8, cell_type="gru", seed=3)
    return CaptioningSolver(model, data, batch_size=10, num_epochs=1, verbose=False,
                            progress=False)


@pytest.mark.parametrize("scale, warned", [(1.0, False), (1e6, True), (1e-6, True),
                                           (30.0, False)])
def test_features_far_from_unit_scale_are_warned_about(data, scale, warned):
    scaled = dict(data, train_features=data["train_features"] * np.float32(scale))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _solver(scaled)
    found = [w for w in caught if issubclass(w.category, FeatureScaleWarning)]
    assert bool(found) == warned
    if warned:
        assert "root-mean-square" in str(found[0].message)
        assert "Standardise" in str(found[0].message)


def test_feature_scale_is_the_root_mean_square():
    features = np.full((10, 4), 3.0, np.float32)
    assert check_feature_scale(features) == pytest.approx(3.0)


def test_a_loss_that_stops_being_finite_stops_training_with_the_iteration(data):
    solver = _solver(data)
    solver.model.params["W_proj"][...] = np.nan
    with pytest.raises(TrainingError, match=r"iteration 1: .*lower learning rate"):
        solver.train()


def test_the_command_line_prints_the_scale_warning_as_one_line(shapes_dir, tmp_path, capsys):
    scaled = tmp_path / "scaled"
    shutil.copytree(shapes_dir, scaled)
    name = os.path.join(scaled, "train2014_vgg16_fc7_pca.h5")
    with edited_hdf5(name) as f:
        f["features"][...] = f["features"][...] * 1e6
    assert main(["caption", "train", "--data", str(scaled), "--epochs", "1", "--hidden", "8",
                 "--wordvec", "8", "--max-train", "20", "--val-images", "0", "--quiet",
                 "--out", str(tmp_path / "c.h5")]) == 0  # a warning, not an error
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(lines) == 1 and "far from the scale" in lines[0], err
    assert "Traceback" not in err and "warnings.warn" not in err


def test_non_finite_features_are_refused_when_loaded(shapes_dir, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(shapes_dir, broken)
    with edited_hdf5(os.path.join(broken, "val2014_vgg16_fc7_pca.h5")) as f:
        f["features"][3, 2] = np.inf
    with pytest.raises(DataError, match=r"val2014_vgg16_fc7_pca.h5: 'features' holds a "
                                        r"non-finite value \(image 3\)"):
        load_coco_data(str(broken))


def test_a_captioning_epoch_is_saved_before_its_evaluation_can_fail(data, tmp_path):
    path = tmp_path / "c.h5"

    def failing_evaluation(model):
        raise DataError("the <END> id is wrong")
    solver = _solver(data)
    solver.checkpoint_path, solver.evaluate = str(path), failing_evaluation
    with pytest.raises(DataError):
        solver.train()
    resumed = _solver(data)
    resumed.load_checkpoint(str(path))
    assert resumed.epoch == 1 and len(resumed.loss_history) == len(solver.loss_history) == 4
