"""The thread setting: graphs run with it (minigraph's own threads, BLAS at one), numpy
outside keeps its own."""

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import minigraph as mg
from minigraph.fast import blas, parallel


def _blas_threads():
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


class _RecordThreads(mg.Op):
    """An identity op that records the BLAS thread counts and minigraph's while it runs."""

    seen = []

    def infer(self, x):
        return x.shape, x.dtype

    def forward(self, x):
        self.seen.append(("forward", _blas_threads(), parallel.workers()))
        return x.copy()

    def backward(self, grad):
        self.seen.append(("backward", _blas_threads(), parallel.workers()))
        return (grad,)


def _run_graph():
    _RecordThreads.seen = []
    x = mg.param(np.ones((2, 3), np.float32), "x")
    graph = mg.Graph(mg.sum(mg.apply(_RecordThreads(), x)))
    graph.forward()
    graph.backward()
    return _RecordThreads.seen


def test_graphs_run_with_one_blas_thread_by_default_and_restore_the_library_setting():
    if not _blas_threads():
        pytest.skip("numpy's BLAS is not visible to threadpoolctl")
    before = _blas_threads()
    assert mg.get_threads() == blas.DEFAULT_THREADS == 1
    seen = _run_graph()
    assert seen == [("forward", [1] * len(before), 1), ("backward", [1] * len(before), 1)]
    assert _blas_threads() == before


def test_set_threads_and_the_context_manager_choose_minigraphs_count_blas_stays_at_one():
    if not _blas_threads():
        pytest.skip("numpy's BLAS is not visible to threadpoolctl")
    n = len(_blas_threads())
    try:
        mg.set_threads(2)
        assert _run_graph() == [("forward", [1] * n, 2), ("backward", [1] * n, 2)]
        assert parallel.workers() == 2  # outside a graph (an optimizer step): the setting
        with mg.threads(1):
            assert mg.get_threads() == 1
            assert _run_graph()[0] == ("forward", [1] * n, 1)
        assert mg.get_threads() == 2
    finally:
        mg.set_threads(None)
    assert mg.get_threads() == 1


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_a_thread_count_that_is_not_a_positive_integer_is_refused_by_name(bad):
    with pytest.raises(mg.UsageError) as refused:
        mg.set_threads(bad)
    assert str(refused.value) == ("set_threads: threads must be a whole number >= 1, 'auto', "
                                  f"or None (the default, 1), got {bad!r}")
    assert isinstance(refused.value, ValueError)  # what it raised before
    assert mg.get_threads() == 1
    with pytest.raises(mg.UsageError, match=r"^threads: threads must be .* got 0$"):
        with mg.threads(0):
            pass


def test_the_threads_flag_sets_the_count_graphs_run_with():
    import argparse

    from minigraph.models.cli.flags import add_threads_flag, apply_threads_flag

    parser = argparse.ArgumentParser()
    add_threads_flag(parser)
    try:
        apply_threads_flag(parser.parse_args(["--threads", "2"]))
        assert mg.get_threads() == 2
    finally:
        mg.set_threads(None)
    apply_threads_flag(parser.parse_args([]))
    assert mg.get_threads() == 1
    try:
        apply_threads_flag(parser.parse_args(["--threads", "auto"]))
        assert mg.get_threads() == "auto"
    finally:
        mg.set_threads(None)


def _feed(tuner, seconds_at):
    """Run the tuner's choices against a machine whose run time per count is given."""
    chosen = []
    for _ in range(40):
        n = tuner.next_count()
        chosen.append(n)
        tuner.record(n, seconds_at[n])
    return chosen


def test_auto_keeps_the_faster_count_after_measuring_both():
    fast_with_two = blas.AutoThreads(2, probes=2, recheck=100)
    assert _feed(fast_with_two, {1: 0.010, 2: 0.006})[:6] == [1, 1, 2, 1, 2, 2]
    assert fast_with_two.choice == 2
    fast_with_one = blas.AutoThreads(2, probes=2, recheck=100)
    assert _feed(fast_with_one, {1: 0.010, 2: 0.500})[5:] == [1] * 35


def test_auto_drops_to_one_thread_at_once_when_a_run_slows_down_and_rechecks_later():
    tuner = blas.AutoThreads(2, probes=2, recheck=10)
    _feed(tuner, {1: 0.010, 2: 0.006})
    tuner.record(2, 0.2)  # another program took a core: 33x the recent median
    assert tuner.choice == 1 and tuner.next_count() == 1
    chosen = _feed(tuner, {1: 0.010, 2: 0.5})  # still busy: 2 threads tried after 10
    # runs, lost, so tried again after 20 more, lost again: next time after 40
    assert [i for i, n in enumerate(chosen) if n == 2] == [10, 31] and tuner.recheck == 40
    chosen = _feed(tuner, {1: 0.010, 2: 0.006})  # idle again: the next recheck wins
    assert tuner.choice == 2 and chosen[-1] == 2


def test_auto_runs_graphs_with_the_count_it_measures_best():
    if not _blas_threads():
        pytest.skip("numpy's BLAS is not visible to threadpoolctl")
    n = len(_blas_threads())
    try:
        mg.set_threads("auto")
        assert mg.get_threads() == "auto"
        _RecordThreads.seen = []
        x = mg.param(np.ones((2, 3), np.float32), "x")
        graph = mg.Graph(mg.sum(mg.apply(_RecordThreads(), x)))
        for _ in range(8):
            graph.forward()
        counts = [workers for _, _, workers in _RecordThreads.seen]
        assert counts[:2] == [1, 1] and set(counts[2:6]) <= {1, 2} and 2 in counts[2:6]
        assert [c == counts[-1] for c in counts[6:]] == [True, True]
        assert all(blas == [1] * n for _, blas, _ in _RecordThreads.seen)
    finally:
        mg.set_threads(None)
