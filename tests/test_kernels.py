"""The compiled LSTM gate kernel (numba, the [fast] extra) and its numpy fallback give the
same numbers, in float32, and the fallback can be forced."""

import os
import subprocess
import sys

import numpy as np
import pytest

from minigraph import kernels

needs_numba = pytest.mark.skipif(not kernels.available(), reason="numba not installed")


def _backward_inputs(rng, N=3, H=5, T=4):
    """float32 arrays shaped like one step of a sequence, views included (a timestep of a
    (N, T, 4H) array, as the sequence op passes them)."""
    gates = rng.uniform(0.05, 0.95, (N, T, 4 * H)).astype(np.float32)[:, 1]
    gates[:, 3 * H:] = rng.uniform(-0.95, 0.95, (N, H))
    f32 = np.float32
    return dict(dh=rng.standard_normal((N, H)).astype(f32),
                dc=rng.standard_normal((N, H)).astype(f32), gates=gates,
                prev_c=rng.standard_normal((N, 2 * H)).astype(f32)[:, H:],
                tanh_c=np.tanh(rng.standard_normal((N, H))).astype(f32))


def _run_backward(arrays, compiled):
    N, H = arrays["dh"].shape
    da = np.full((N, 2, 4 * H), np.nan, np.float32)[:, 0]
    dprev_c = np.full((N, H), np.nan, np.float32)
    previous = kernels.use_numba(compiled)
    try:
        kernels.lstm_backward(**arrays, da=da, dprev_c=dprev_c)
    finally:
        kernels.use_numba(previous)
    return da, dprev_c


@needs_numba
def test_the_compiled_lstm_backward_gives_numpys_bits_in_float32():
    arrays = _backward_inputs(np.random.default_rng(3))
    compiled = _run_backward(arrays, True)
    fallback = _run_backward(arrays, False)
    for a, b in zip(compiled, fallback):
        assert a.dtype == b.dtype == np.float32
        assert np.isfinite(a).all()
        np.testing.assert_array_equal(a, b)


def test_the_numpy_lstm_backward_matches_the_derivative_written_out():
    arrays = _backward_inputs(np.random.default_rng(4))
    da, dprev_c = _run_backward(arrays, False)
    H = arrays["dh"].shape[1]
    g = {k: v.astype(np.float64) for k, v in arrays.items()}
    i, f, o, gg = (g["gates"][:, k * H:(k + 1) * H] for k in range(4))
    dc = g["dh"] * o * (1 - g["tanh_c"] ** 2) + g["dc"]
    expected = np.concatenate([dc * gg * i * (1 - i), dc * g["prev_c"] * f * (1 - f),
                               g["dh"] * g["tanh_c"] * o * (1 - o), dc * i * (1 - gg ** 2)], 1)
    np.testing.assert_allclose(da, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dprev_c, dc * f, rtol=1e-5, atol=1e-6)


def _lstm_training_step():
    """Loss and gradients of a 2-layer char-LSTM on the whole-sequence path, float32."""
    from minigraph.models.char_rnn import CharRNN

    rng = np.random.default_rng(0)
    model = CharRNN(7, hidden_size=6, num_layers=2, cell="lstm", seed=1)
    model.sequence = True
    ids = rng.integers(0, 7, (3, 6))
    loss, grads, _ = model.loss(ids[:, :-1], ids[:, 1:])
    return loss, grads


def test_forcing_the_numpy_fallback_gives_the_same_training_step():
    previous = kernels.use_numba(False)
    try:
        assert not kernels.using_numba()
        loss_numpy, grads_numpy = _lstm_training_step()
    finally:
        kernels.use_numba(previous)
    loss, grads = _lstm_training_step()
    assert loss.dtype == np.float32 and abs(loss - loss_numpy) <= 1e-6
    for name, g in grads.items():
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, grads_numpy[name], rtol=0, atol=1e-6, err_msg=name)


def test_the_environment_variable_forces_numpy_for_a_whole_process():
    code = ("from minigraph import kernels; print(kernels.available(), kernels.using_numba())")
    env = {**os.environ, "MINIGRAPH_KERNELS": "numpy"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True)
    assert done.stdout.split() == ["False", "False"]
