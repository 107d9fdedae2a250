import numpy as np
import pytest

import minigraph as mg


@pytest.fixture
def rng():
    return np.random.default_rng(231)


@pytest.fixture(autouse=True)
def _modes_restored():
    """Every test starts with grad on and anomaly mode off, and leaves them so."""
    yield
    mg.set_anomaly(False)
    assert mg.grad_enabled()


@pytest.fixture(scope="session")
def shapes_dir(tmp_path_factory):
    """A small shapes captioning set in the cs231n layout, made once per test session."""
    from minigraph.models.data.shapes_dataset import make_shapes_dataset

    path = tmp_path_factory.mktemp("shapes")
    make_shapes_dataset(path, num_train=120, num_val=30, num_novel=20, seed=5,
                        progress=False)
    return str(path)


@pytest.fixture(scope="session")
def captioner_file(shapes_dir, tmp_path_factory):
    """A tiny CaptioningRNN checkpoint on the shapes set, written once per session (tests
    only read it, or copy it before tampering)."""
    from minigraph.models.captioning.rnn_captioner import CaptioningRNN
    from minigraph.models.data import load_coco_data

    data = load_coco_data(shapes_dir, max_train=10)
    model = CaptioningRNN(data["word_to_idx"], input_dim=data["train_features"].shape[1],
                          wordvec_dim=6, hidden_dim=8, seed=1)
    path = tmp_path_factory.mktemp("captioner") / "c.h5"
    model.save(path, state={"data_dir": shapes_dir})
    return path
