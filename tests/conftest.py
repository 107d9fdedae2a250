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
