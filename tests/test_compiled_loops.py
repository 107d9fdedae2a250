"""The compiled time loops of the LSTM sequence node (minigraph/fast/compiled_loops.py) and the
compiled scatter-add of the embeddings' backward: numpy's numbers, to the bit."""

import numpy as np
import pytest

import minigraph as mg
from minigraph.fast import kernels
from minigraph.ops.nn import sum_rows_by_id
from minigraph.ops.sequence import LSTMSequence

needs_loops = pytest.mark.skipif(kernels._compiled_loops() is None,
                                 reason="numba or numpy's OpenBLAS cblas_sgemm missing")


def _sequence_numbers(stepped, N, T, H, seed=0):
    rng = np.random.default_rng(seed)
    xw = rng.standard_normal((N, T, 4 * H)).astype(np.float32)
    h0, c0 = (rng.standard_normal((N, H)).astype(np.float32) for _ in range(2))
    Wh = (rng.standard_normal((H, 4 * H)) / np.sqrt(H)).astype(np.float32)
    grad = rng.standard_normal((N, T, 2 * H)).astype(np.float32)
    real = kernels._compiled_loops
    if stepped:
        kernels._compiled_loops = lambda: None
    try:
        op = LSTMSequence()
        return [op.forward(xw, h0, c0, Wh), *op.backward(grad)]
    finally:
        kernels._compiled_loops = real


@needs_loops
@pytest.mark.parametrize("N,T,H", [(2, 1, 3), (5, 7, 4), (32, 9, 16)])
def test_the_compiled_time_loops_give_the_stepped_loops_bits(N, T, H):
    compiled = _sequence_numbers(False, N, T, H)
    stepped = _sequence_numbers(True, N, T, H)
    for name, a, b in zip(("states", "dxw", "dh0", "dc0", "dWh"), compiled, stepped):
        assert np.array_equal(a, b), name


@needs_loops
def test_a_graph_split_over_two_threads_runs_the_compiled_loops_with_the_same_result():
    rng = np.random.default_rng(3)
    N, T, H = 6, 4, 5
    arrays = [rng.standard_normal(s).astype(np.float32)
              for s in ((N, T, 4 * H), (N, H), (N, H), (H, 4 * H))]
    results = []
    for threads in (1, 2):
        nodes = [mg.param(a.copy(), f"p{i}") for i, a in enumerate(arrays)]
        hs, _, _ = mg.lstm_sequence(*nodes)
        graph = mg.Graph(mg.sum(hs * hs))
        with mg.threads(threads):
            graph.forward()
            graph.backward()
        results.append([n.grad for n in nodes])
    for one, two in zip(*results):
        np.testing.assert_allclose(two, one, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("vocab", [7, 1004])
def test_sum_rows_by_id_gives_np_add_at_in_either_path(compiled, vocab):
    rng = np.random.default_rng(vocab)
    ids = rng.integers(0, vocab, 300)
    rows = rng.standard_normal((300, 6)).astype(np.float32)
    expected = np.zeros((vocab, 6), np.float32)
    np.add.at(expected, ids, rows)
    previous = kernels.use_numba(compiled)
    try:
        summed = sum_rows_by_id(ids, rows, vocab)
    finally:
        kernels.use_numba(previous)
    if compiled and kernels.available() or vocab > 256:  # the one-hot matmul: to rounding
        np.testing.assert_array_equal(summed, expected)
    else:
        np.testing.assert_allclose(summed, expected, rtol=1e-5, atol=1e-5)


def test_sum_rows_by_id_refuses_ids_outside_the_vocabulary():
    with pytest.raises(IndexError, match=r"ids must lie in \[0, 4\), got -1 to 2"):
        kernels.sum_rows_by_id(np.array([2, -1]), np.ones((2, 3), np.float32), 4)


def test_with_the_compiled_scatter_the_embedding_table_wins_whenever_v_is_below_n():
    table = mg.EmbeddingAffine.uses_table
    assert table(1004, 1600, 256, compiled_scatter=True)  # captioning at cs231n sizes
    assert not table(1004, 1600, 256)  # numpy: the one-hot backward would cost V n M
    assert not table(1600, 1600, 256, compiled_scatter=True)


def _rnn_numbers(stepped, N=6, T=9, H=16, seed=2):
    rng = np.random.default_rng(seed)
    xw = rng.standard_normal((N, T, H)).astype(np.float32)
    h0 = rng.standard_normal((N, H)).astype(np.float32)
    Wh = (rng.standard_normal((H, H)) / np.sqrt(H)).astype(np.float32)
    grad = rng.standard_normal((N, T, H)).astype(np.float32)
    real = kernels._compiled_loops
    if stepped:
        kernels._compiled_loops = lambda: None
    try:
        op = mg.RNNSequence()
        hs = op.forward(xw, h0, Wh)
        saved_hs = hs.copy()
        return [hs, *op.backward(grad)], saved_hs
    finally:
        kernels._compiled_loops = real


@needs_loops
def test_the_compiled_rnn_loop_agrees_to_1e_6_forward_and_backward():
    (compiled, _), (stepped, _) = _rnn_numbers(False), _rnn_numbers(True)
    for name, a, b in zip(("hs", "dxw", "dh0", "dWh"), compiled, stepped):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=name)


@needs_loops
def test_the_compiled_rnn_backward_gives_numpys_bits_for_the_same_states():
    rng = np.random.default_rng(5)
    N, T, H = 5, 7, 8
    hs = np.tanh(rng.standard_normal((N, T, H))).astype(np.float32)
    Wh = rng.standard_normal((H, H)).astype(np.float32)
    grad = rng.standard_normal((N, T, H)).astype(np.float32)
    da, dh = np.empty_like(hs), np.zeros((N, H), np.float32)
    kernels.compiled_loop("rnn_backward_rows", grad, Wh, hs, da, dh)()
    stepped_da = np.empty_like(hs)
    real = kernels._compiled_loops
    kernels._compiled_loops = lambda: None
    try:
        stepped_dh = mg.RNNSequence._backward_rows(grad, Wh, hs, stepped_da)
    finally:
        kernels._compiled_loops = real
    assert np.array_equal(da, stepped_da) and np.array_equal(dh, stepped_dh)
