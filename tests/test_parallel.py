"""minigraph's own threads (minigraph/fast/parallel.py): split work gives the unsplit numbers,
a fixed count gives the same bits every run, errors in any part reach the caller."""

import os

import numpy as np
import pytest

import minigraph as mg
from minigraph.fast import parallel


def test_spans_cover_the_rows_in_near_equal_consecutive_parts():
    assert parallel.spans(7, 2) == [(0, 3), (3, 7)]
    assert parallel.spans(3, 4) == [(0, 1), (1, 2), (2, 3)]  # never an empty part
    assert parallel.spans(5, 1) == [(0, 5)]


def test_a_large_matmul_split_over_two_threads_matches_numpy():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((301, 128))
    b = rng.standard_normal((128, 200))
    with mg.threads(2):
        assert parallel.workers() == 2
        split = parallel.matmul(a, b)
        transposed = parallel.matmul(a.T.copy().T, b)  # a Fortran-ordered a
    np.testing.assert_allclose(split, a @ b, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(transposed, a @ b, rtol=1e-12, atol=1e-12)
    # each part is its own BLAS call on a slice of rows: the same bits as that call
    np.testing.assert_array_equal(split[:150], a[:150] @ b)


def test_small_matmuls_and_one_thread_are_not_split():
    a, b = np.ones((4, 3)), np.ones((3, 2))
    with mg.threads(2):
        np.testing.assert_array_equal(parallel.matmul(a, b), a @ b)
    big = np.ones((512, 512), np.float32)
    np.testing.assert_array_equal(parallel.matmul(big, big), big @ big)  # 1 thread


def test_run_parts_runs_every_part_and_raises_a_parts_error_after_all_finished():
    done = []

    def work(p):
        done.append(p)
        if p == 1:
            raise ValueError("part 1 failed")

    with pytest.raises(ValueError, match="part 1 failed"):
        parallel.run_parts(work, 3)
    assert sorted(done) == [0, 1, 2]


def test_rowwise_work_split_over_two_threads_gives_the_unsplit_bits():
    rng = np.random.default_rng(3)
    scores = rng.standard_normal((1025, 200)).astype(np.float32)  # over MIN_SPLIT_ELEMENTS
    shift = rng.standard_normal(1025).astype(np.float32)
    seen = []

    def exp_shifted(rows, shifts, out):
        seen.append(len(rows))
        np.exp(rows - shifts[:, None], out=out)

    out = np.empty_like(scores)
    with mg.threads(2):
        parallel.rowwise(exp_shifted, scores, shift, out)
    assert sorted(seen) == [512, 513]
    np.testing.assert_array_equal(out, np.exp(scores - shift[:, None]))


def test_batch_parts_gives_one_range_of_rows_per_thread():
    with mg.threads(3):
        assert parallel.batch_parts(32) == [(0, 10), (10, 21), (21, 32)]
    assert parallel.batch_parts(32) == [(0, 32)]


def _lstm_step_numbers(threads, seed=0):
    """Loss and gradients of a fused LSTM layer (sequence node) at a thread count."""
    rng = np.random.default_rng(seed)
    N, T, H = 9, 5, 8
    xw = mg.param(rng.standard_normal((N, T, 4 * H)).astype(np.float32), "xw")
    h0 = mg.param(rng.standard_normal((N, H)).astype(np.float32), "h0")
    c0 = mg.param(rng.standard_normal((N, H)).astype(np.float32), "c0")
    Wh = mg.param((rng.standard_normal((H, 4 * H)) / 3).astype(np.float32), "Wh")
    hs, h_T, c_T = mg.lstm_sequence(xw, h0, c0, Wh)
    weights = mg.constant(rng.standard_normal(hs.shape).astype(np.float32), "weights")
    loss = mg.sum(hs * weights) + mg.sum(h_T * c_T)
    graph = mg.Graph(loss)
    with mg.threads(threads):
        value = graph.forward()
        graph.backward()
    return [value] + [p.grad for p in (xw, h0, c0, Wh)]


def test_a_sequence_layer_split_over_the_batch_gives_the_one_thread_numbers():
    one, two = _lstm_step_numbers(1), _lstm_step_numbers(2)
    for a, b in zip(one, two):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-5)
    # a fixed count is reproducible to the bit
    for a, b in zip(two, _lstm_step_numbers(2)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_starts_its_own_threads():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((400, 200)), rng.standard_normal((200, 300))
    with mg.threads(2):
        parallel.matmul(a, b)  # the parent's pool exists now
        pid = os.fork()
        if pid == 0:  # the child: its copy of the pool has no threads behind it
            ok = np.allclose(parallel.matmul(a, b), a @ b)
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
