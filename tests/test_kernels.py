"""The compiled LSTM gate kernels (numba, the [fast] extra) and their numpy fallback: the
backward gives numpy's bits, the forward agrees to 1e-6 in float32, float64 and strided
arrays run numpy, and the fallback can be forced."""

import os
import subprocess
import sys

import numpy as np
import pytest

from minigraph.fast import kernels

needs_numba = pytest.mark.skipif(not kernels.available(), reason="numba not installed")


def _step_arrays(rng, N=3, H=5, T=3):
    """float32 arrays of a T-step LSTM sequence node, as it passes them to the kernels;
    pre-activations wide enough to reach both tails of sigmoid and tanh."""
    f32 = np.float32
    gates = rng.uniform(0.05, 0.95, (T, N, 4 * H)).astype(f32)
    gates[:, :, 3 * H:] = rng.uniform(-0.95, 0.95, (T, N, H))
    shared = dict(c0=(rng.standard_normal((N, H)) * 3).astype(f32),
                  out=(rng.standard_normal((N, T, 2 * H)) * 2).astype(f32),
                  tanh_c=np.tanh(rng.standard_normal((T, N, H))).astype(f32))
    return dict(forward=dict(shared, gates=(rng.standard_normal((T, N, 4 * H)) * 6).astype(f32),
                             xw=rng.standard_normal((N, T, 4 * H)).astype(f32)),
                backward=dict(shared, gates=gates,
                              grad=rng.standard_normal((N, T, 2 * H)).astype(f32),
                              dh_next=rng.standard_normal((N, H)).astype(f32),
                              dc_next=rng.standard_normal((N, H)).astype(f32)))


def _with(compiled, fn, *args, **kwargs):
    previous = kernels.use_numba(compiled)
    try:
        return fn(*args, **kwargs)
    finally:
        kernels.use_numba(previous)


def _run_forward(arrays, compiled, t):
    """Step t's gates, h_t, c_t and tanh(c_t)."""
    arrays = dict(arrays, **{k: arrays[k].copy() for k in ("gates", "out", "tanh_c")})
    _with(compiled, kernels.lstm_forward, **arrays, t=t)
    H = arrays["c0"].shape[1]
    return [arrays["gates"][t], arrays["out"][:, t, :H], arrays["out"][:, t, H:],
            arrays["tanh_c"][t]]


def _run_backward(arrays, compiled, t):
    N, T, G = arrays["grad"].shape[0], arrays["grad"].shape[1], arrays["gates"].shape[2]
    dtype = arrays["gates"].dtype
    da, dprev_c = np.full((N, T, G), np.nan, dtype), np.full((N, G // 4), np.nan, dtype)
    _with(compiled, kernels.lstm_backward, **arrays, da=da, dprev_c=dprev_c, t=t)
    return da[:, t], dprev_c


@needs_numba
def test_the_compiled_lstm_backward_gives_numpys_bits_in_float32():
    arrays = _step_arrays(np.random.default_rng(3), N=4, H=37)["backward"]
    for t in (0, 2):  # c_{t-1} from c0, and from the state of step t - 1
        compiled = _run_backward(arrays, True, t)
        fallback = _run_backward(arrays, False, t)
        for a, b in zip(compiled, fallback):
            assert a.dtype == b.dtype == np.float32
            assert np.isfinite(a).all()
            np.testing.assert_array_equal(a, b)


@needs_numba
def test_the_compiled_lstm_forward_agrees_with_numpy_to_1e_6_in_float32():
    arrays = _step_arrays(np.random.default_rng(5), N=4, H=37)["forward"]
    for t in (0, 2):
        compiled = _run_forward(arrays, True, t)
        fallback = _run_forward(arrays, False, t)
        for name, a, b in zip(("gates", "h_t", "c_t", "tanh_c"), compiled, fallback):
            assert a.dtype == np.float32 and np.isfinite(a).all(), name
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-6, err_msg=name)
        assert not np.array_equal(compiled[0], fallback[0])  # it ran the compiled path


@needs_numba
def test_the_compiled_tanh_is_within_4e_7_of_tanh_and_never_beyond_one():
    from minigraph.fast import compiled_gates

    x = np.linspace(-12, 12, 2_000_001, dtype=np.float32)
    y = np.empty_like(x)
    compiled_gates.tanh(x, y)
    assert y.dtype == np.float32
    assert np.abs(y - np.tanh(x.astype(np.float64))).max() <= 4e-7
    assert np.abs(y).max() <= 1 and y[len(x) // 2] == 0
    np.testing.assert_array_equal(y, -y[::-1])  # odd, as tanh is


@needs_numba
def test_a_nan_goes_through_the_compiled_forward():
    arrays = _step_arrays(np.random.default_rng(6))["forward"]
    arrays["xw"][1, 0, 2] = np.nan  # row 1's input gate, unit 2, at step 0
    gates, h, c, _ = _run_forward(arrays, True, 0)
    assert np.isnan(gates[1, 2]) and np.isnan(c[1, 2]) and np.isnan(h[1, 2])
    assert np.isfinite(np.delete(h, 1, axis=0)).all()


@needs_numba
def test_float64_and_strided_arrays_run_numpy_with_its_exact_numbers():
    arrays = _step_arrays(np.random.default_rng(7))["forward"]
    as64 = {k: v.astype(np.float64) for k, v in arrays.items()}
    for a, b in zip(_run_forward(as64, True, 1), _run_forward(as64, False, 1)):
        assert a.dtype == np.float64
        np.testing.assert_array_equal(a, b)
    strided = dict(arrays, xw=np.repeat(arrays["xw"], 2, axis=2)[:, :, ::2])
    for a, b in zip(_run_forward(strided, True, 1), _run_forward(arrays, False, 1)):
        np.testing.assert_array_equal(a, b)


def test_the_numpy_lstm_backward_matches_the_derivative_written_out():
    arrays = _step_arrays(np.random.default_rng(4))["backward"]
    t = 1
    da, dprev_c = _run_backward(arrays, False, t)
    H = arrays["c0"].shape[1]
    g = {k: v.astype(np.float64) for k, v in arrays.items()}
    i, f, o, gg = (g["gates"][t][:, k * H:(k + 1) * H] for k in range(4))
    prev_c, tanh_c = g["out"][:, t - 1, H:], g["tanh_c"][t]
    dh = g["grad"][:, t, :H] + g["dh_next"]
    dc = dh * o * (1 - tanh_c ** 2) + g["grad"][:, t, H:] + g["dc_next"]
    expected = np.concatenate([dc * gg * i * (1 - i), dc * prev_c * f * (1 - f),
                               dh * tanh_c * o * (1 - o), dc * i * (1 - gg ** 2)], 1)
    np.testing.assert_allclose(da, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dprev_c, dc * f, rtol=1e-5, atol=1e-6)


def test_the_numpy_lstm_forward_matches_the_equations_written_out():
    arrays = _step_arrays(np.random.default_rng(8))["forward"]
    t = 1
    gates, next_h, next_c, tanh_c = _run_forward(arrays, False, t)
    H = arrays["c0"].shape[1]
    pre = arrays["gates"][t].astype(np.float64) + arrays["xw"][:, t]
    sig = 1 / (1 + np.exp(-pre[:, :3 * H]))
    g = np.tanh(pre[:, 3 * H:])
    c = sig[:, H:2 * H] * arrays["out"][:, t - 1, H:] + sig[:, :H] * g
    np.testing.assert_allclose(gates, np.concatenate([sig, g], 1), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(next_c, c, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tanh_c, np.tanh(c), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(next_h, sig[:, 2 * H:] * np.tanh(c), rtol=1e-5, atol=1e-6)


def _lstm_training_step():
    """Loss and gradients of a 2-layer char-LSTM on the whole-sequence path, float32."""
    from minigraph.models.charrnn.model import CharRNN

    rng = np.random.default_rng(0)
    model = CharRNN(7, hidden_size=6, num_layers=2, cell="lstm", seed=1)
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
    code = ("from minigraph.fast import kernels; print(kernels.available(), kernels.using_numba())")
    env = {**os.environ, "MINIGRAPH_KERNELS": "numpy"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True)
    assert done.stdout.split() == ["False", "False"]


def _adam_steps(compiled, dtype=np.float32, steps=3):
    from minigraph import optim

    rng = np.random.default_rng(9)
    w = rng.standard_normal((7, 33)).astype(dtype)
    config = {"learning_rate": 3e-3}
    previous = kernels.use_numba(compiled)
    try:
        for _ in range(steps):
            optim.adam(w, rng.standard_normal(w.shape).astype(dtype), config)
    finally:
        kernels.use_numba(previous)
    return w, config["m"], config["v"]


@needs_numba
def test_the_compiled_adam_update_gives_numpys_bits():
    for a, b in zip(_adam_steps(True), _adam_steps(False)):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(_adam_steps(True)[0], _adam_steps(True, steps=2)[0])


def test_adam_matches_its_formula_written_out_in_float64():
    w, m, v = _adam_steps(False, np.float64, steps=1)
    rng = np.random.default_rng(9)
    w0 = rng.standard_normal((7, 33))
    g = rng.standard_normal(w0.shape)
    m1, v1 = (1 - 0.9) * g, (1 - 0.999) * g * g  # one step from zero moments
    step = 3e-3 * np.sqrt(1 - 0.999) / (1 - 0.9)  # the bias corrections at t = 1
    np.testing.assert_allclose(m, m1, rtol=1e-13)
    np.testing.assert_allclose(v, v1, rtol=1e-13)
    np.testing.assert_allclose(w, w0 - step * m1 / (np.sqrt(v1) + 1e-8), rtol=1e-13)


def test_the_numpy_gate_backward_gives_the_hand_worked_gradients():
    from minigraph.fast import lstm_gates_backward

    # i, f, o, g = 0.5, 0.25, 0.75, 0.5; tanh(c_t) = 0.5; c_{t-1} = 2; dh = 1, dc = 0:
    # total dc = 1 * 0.75 * (1 - 0.25) = 0.5625, and each gate's gradient times its
    # derivative (all exact in binary)
    gates = np.array([[0.5, 0.25, 0.75, 0.5]])
    da, dprev_c = np.empty((1, 4)), np.empty((1, 1))
    lstm_gates_backward(np.ones((1, 1)), np.zeros((1, 1)), gates, np.full((1, 1), 0.5),
                        np.full((1, 1), 2.0), da, dprev_c)
    assert da.tolist() == [[0.5625 * 0.5 * 0.25, 0.5625 * 2 * 0.1875, 0.5 * 0.1875,
                            0.5625 * 0.5 * 0.75]]
    assert dprev_c.tolist() == [[0.5625 * 0.25]]


def test_the_numpy_gate_backward_gives_the_same_bits_on_transposed_views():
    from minigraph.fast import lstm_gates_backward

    rng = np.random.default_rng(4)
    N, H = 5, 7
    dh, dc, tanh_c, prev_c = (rng.standard_normal((N, H)).astype(np.float32)
                              for _ in range(4))
    gates = rng.uniform(0.05, 0.95, (N, 4 * H)).astype(np.float32)
    results = []
    for order in "CF":  # (N, 4H) rows, or the (4H, N) layout LSTMStep keeps, transposed
        inputs = [np.asarray(a, order=order) for a in (dh, dc, gates, tanh_c, prev_c)]
        da, dprev_c = np.empty((N, 4 * H), np.float32, order), np.empty((N, H), np.float32)
        lstm_gates_backward(*inputs, da, dprev_c)
        results.append((da, dprev_c))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
