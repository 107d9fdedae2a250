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
