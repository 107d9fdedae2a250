"""The BLAS thread setting: graphs run with it, numpy outside keeps its own."""

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import minigraph as mg
from minigraph import thread_policy


def _blas_threads():
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


class _RecordThreads(mg.Op):
    """An identity op that records the BLAS thread counts while it runs."""

    seen = []

    def infer(self, x):
        return x.shape, x.dtype

    def forward(self, x):
        self.seen.append(("forward", _blas_threads()))
        return x.copy()

    def backward(self, grad):
        self.seen.append(("backward", _blas_threads()))
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
    assert mg.get_threads() == thread_policy.DEFAULT_THREADS == 1
    seen = _run_graph()
    assert seen == [("forward", [1] * len(before)), ("backward", [1] * len(before))]
    assert _blas_threads() == before


def test_set_threads_and_the_context_manager_choose_the_count_inside_graphs():
    if not _blas_threads():
        pytest.skip("numpy's BLAS is not visible to threadpoolctl")
    n = len(_blas_threads())
    try:
        mg.set_threads(2)
        assert _run_graph() == [("forward", [2] * n), ("backward", [2] * n)]
        with mg.threads(1):
            assert mg.get_threads() == 1
            assert _run_graph()[0] == ("forward", [1] * n)
        assert mg.get_threads() == 2
    finally:
        mg.set_threads(None)
    assert mg.get_threads() == 1


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_a_thread_count_that_is_not_a_positive_integer_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="threads must be a whole number >= 1"):
        mg.set_threads(bad)
    assert mg.get_threads() == 1


def test_the_threads_flag_sets_the_count_graphs_run_with():
    import argparse

    from minigraph.models.flags import add_threads_flag, apply_threads_flag

    parser = argparse.ArgumentParser()
    add_threads_flag(parser)
    try:
        apply_threads_flag(parser.parse_args(["--threads", "2"]))
        assert mg.get_threads() == 2
    finally:
        mg.set_threads(None)
    apply_threads_flag(parser.parse_args([]))
    assert mg.get_threads() == 1
