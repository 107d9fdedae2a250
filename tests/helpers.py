"""Helpers the tests share, written once: extended precision for numerical gradient checks
and a two-step RNN graph small enough to count by hand. (Headless Chromium is in
browser.py; session fixtures such as ``shapes_dir`` in conftest.py.)"""

import contextlib

import h5py
import numpy as np
import pytest

import minigraph as mg
from minigraph.gradient_check import eval_numerical_gradient, rel_error

# Centered differences taken in float64 carry ~1e-10 absolute rounding error at h = 1e-6,
# above 1e-6 of the smallest gradient entries of the cs231n checks; the differences are
# taken in extended precision instead, where numpy has it (x86: 80-bit long double).
EXTENDED = np.longdouble if np.finfo(np.longdouble).eps < 1e-18 else None
needs_extended_precision = pytest.mark.skipif(
    EXTENDED is None, reason="np.longdouble is plain float64 on this platform")


def extended_twin(make, model):
    """``make(dtype)`` in extended precision, holding ``model``'s parameters."""
    twin = make(EXTENDED)
    for name, value in model.params.items():
        twin.params[name][...] = value
    return twin


def gradient_errors(loss, twin, grads, h=1e-5):
    """{parameter: relative error} of ``grads`` against centered differences of ``loss()``
    (a scalar computed by ``twin``) over each of ``twin``'s parameters."""
    return {name: rel_error(eval_numerical_gradient(lambda _: loss(), twin.params[name],
                                                    verbose=False, h=h), grads[name])
            for name in sorted(grads)}


def two_step_rnn():
    """(graph, (N, D, H)): a fused RNN over two steps with all-ones weights, run forward;
    its loss is the sum of both hidden states."""
    N, D, H = 2, 3, 4
    x = mg.input("x", (N, 2, D), np.float64)
    Wx = mg.param(np.ones((D, H)), "Wx")
    Wh = mg.param(np.ones((H, H)), "Wh")
    b = mg.param(np.zeros(H), "b")
    h0 = mg.input("h0", value=np.zeros((N, H)))
    hs, _, _ = mg.unroll("rnn", x, h0, Wx, Wh, b)
    graph = mg.Graph(mg.sum(mg.stack(hs), name="loss"))
    graph.forward({"x": np.ones((N, 2, D))})
    return graph, (N, D, H)


@contextlib.contextmanager
def edited_hdf5(path):
    """``h5py.File(path, "r+")`` for a test that tampers with a file minigraph wrote, its
    checksum (the seal in the user block, see minigraph.bounded_read) recomputed after the
    edit: a deliberate editor, so the test reaches the checks behind the checksum."""
    from minigraph.bounded_read import USERBLOCK, seal

    with h5py.File(path, "r+") as f:
        yield f
    with open(path, "rb") as f:
        image = f.read()
    if image.startswith(b"minigraph-sha256 "):
        with open(path, "wb") as f:
            f.write(seal(bytes(USERBLOCK) + image[USERBLOCK:]))
