"""minigraph's own threads: how a graph run uses more than one core.

numpy's BLAS can split a matmul over threads itself, but OpenBLAS's threads do not sleep
when a call ends: they spin, waiting for the next one, for about a tenth of a second. A
recurrent step is a string of small calls, so those threads spin nearly all the time,
taking the core that any other thread wants: ours (a gate kernel, a softmax) or another
program's (docs/performance.md: a step 20x slower with a busy core). So, while a graph
runs, minigraph keeps BLAS at one thread (minigraph/fast/blas.py) and splits the work
itself over ``minigraph.set_threads(n)`` threads, where rows are independent:

- ``matmul``: a large a @ b, over the rows of a; each part is a one-thread BLAS call;
- the recurrent layers (ops/sequence.py): the batch, each part running all T steps, its
  matmuls and gate kernels, with one hand-off per layer instead of one per step;
- ``by_rows`` for row-wise work: the softmax of the loss, Adam's update.

The calling thread runs the first part and a pool runs the others, then it waits for
them: waiting blocks, it does not spin, so a busy machine slows a run down without
stalling it. A given thread count gives the same bits run after run; 1 and 2 threads
differ in the last bits (BLAS sums in a different order for a different row count).
"""

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import blas

# Below these sizes, handing half the work to another thread (about 20 us to wake it and
# wait) costs more than the half saves.
MIN_SPLIT_MULTIPLY_ADDS = 2 ** 22  # a matmul's
MIN_SPLIT_ELEMENTS = 2 ** 17  # elementwise work's (a softmax, Adam)

_pool = None
_pool_size = 0


def _forget_pool():
    # a forked child has none of the parent's threads: start a new pool when needed
    global _pool, _pool_size
    _pool, _pool_size = None, 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _executor(threads):
    global _pool, _pool_size
    if _pool is None or _pool_size < threads:
        if _pool is not None:
            _pool.shutdown(wait=True)
        _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="minigraph")
        _pool_size = threads
    return _pool


def workers():
    """How many threads the running graph may use (1 outside a graph run unless
    ``set_threads`` gave a count)."""
    return blas.running_threads()


def spans(n, parts):
    """``parts`` consecutive (start, stop) ranges covering range(n), sizes within one."""
    parts = max(1, min(parts, n))
    return [(n * p // parts, n * (p + 1) // parts) for p in range(parts)]


def run_parts(work, parts):
    """``work(p)`` for p in range(parts): p = 0 in the calling thread, the others in the
    pool, all finished (or the first error raised) before it returns."""
    if parts <= 1:
        work(0)
        return
    futures = [_executor(parts - 1).submit(work, p) for p in range(1, parts)]
    error = None
    try:
        work(0)
    except BaseException as caught:  # noqa: BLE001 - re-raised once the others finished
        error = caught
    for future in futures:  # wait for every part: they write into the caller's arrays
        try:
            future.result()
        except BaseException as caught:  # noqa: BLE001
            error = error or caught
    if error is not None:
        raise error


def by_rows(work, rows, elements):
    """``work(start, stop)`` over consecutive ranges of ``rows`` rows, one per thread when
    the work touches at least MIN_SPLIT_ELEMENTS ``elements``. Row-wise numpy work (each
    row's result computed from that row alone) gives the same bits however it is split."""
    parts = workers() if elements >= MIN_SPLIT_ELEMENTS else 1
    ranges = spans(rows, parts)
    run_parts(lambda p: work(*ranges[p]), len(ranges))


def matmul(a, b):
    """a @ b for 2-d arrays; with more than one thread and enough work, the rows of a are
    split over the threads. Shapes: a (M, K), b (K, P) -> (M, P)."""
    parts = workers()
    rows = a.shape[0]
    if (parts < 2 or a.ndim != 2 or b.ndim != 2 or rows < 2 * parts
            or rows * a.shape[1] * b.shape[1] < MIN_SPLIT_MULTIPLY_ADDS):
        return a @ b
    out = np.empty((rows, b.shape[1]), np.result_type(a, b))
    ranges = spans(rows, parts)

    def part(p):
        lo, hi = ranges[p]
        np.matmul(a[lo:hi], b, out=out[lo:hi])

    run_parts(part, len(ranges))
    return out


def batch_parts(rows):
    """Row ranges of a batch, one per thread the running graph may use: a recurrent
    layer's rows are independent through time, so each part can run all T steps. The
    threads take turns at Python's lock between their matmuls and kernels, yet even the
    suite's smallest layer (N = 32, H = 128) is faster split: 26 against 28-36 ms a step."""
    return spans(rows, workers())


def rowwise(function, *arrays):
    """``function(*parts)`` where each part is the same consecutive range of rows of every
    array (all with the same first axis), the ranges split over threads when the first
    array holds at least MIN_SPLIT_ELEMENTS entries. For row-wise work (each row's result
    computed from that row alone, as a softmax's) the bits do not depend on the split."""
    by_rows(lambda lo, hi: function(*(a[lo:hi] for a in arrays)), len(arrays[0]),
            arrays[0].size)
