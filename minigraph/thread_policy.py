"""How many threads numpy's BLAS (OpenBLAS, MKL) may use while minigraph runs a graph.

The engine runs every ``Graph.forward`` and ``Graph.backward`` with the BLAS thread count
set here and puts the library's own setting back afterwards, so numpy code outside
minigraph is left as it was. The default is 1 thread: on a 2-core machine the recurrent
matmuls are small ((32, 256) x (256, 1024) per step), a second thread gains little on an
idle machine and loses badly on a busy one (OpenBLAS's idle threads spin, waiting for
work: under background load a fused char-LSTM step took 116 ms with 2 threads against
5 ms with 1). docs/performance.md has the measurements.

    minigraph.set_threads(2)          # every graph run from now on
    with minigraph.threads(2):        # only inside the block
        ...
    minigraph.set_threads(None)       # back to the default

The switch itself goes through threadpoolctl, directly to the library's
``set_num_threads``: about 2 us per run of a graph.
"""

from contextlib import contextmanager

DEFAULT_THREADS = 1

_setting = None  # None: DEFAULT_THREADS
_blas = None  # threadpoolctl's controllers of the BLAS libraries numpy loaded, found once


def _check(n):
    if n is None:
        return None
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"threads must be a whole number >= 1 or None (the default, "
                         f"{DEFAULT_THREADS}), got {n!r}")
    return n


def set_threads(n):
    """Run every graph from now on with ``n`` BLAS threads (None: the default, 1)."""
    global _setting
    _setting = _check(n)


def get_threads():
    """The BLAS thread count graphs run with."""
    return DEFAULT_THREADS if _setting is None else _setting


@contextmanager
def threads(n):
    """``with threads(n):`` runs the graphs inside the block with ``n`` BLAS threads."""
    global _setting
    previous, _setting = _setting, _check(n)
    try:
        yield
    finally:
        _setting = previous


def _controllers():
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController

        _blas = ThreadpoolController().select(user_api="blas").lib_controllers
    return _blas


@contextmanager
def blas_threads():
    """The engine's wrapper around one forward or backward: BLAS at ``get_threads()``
    inside, the libraries' own settings restored after."""
    wanted = get_threads()
    libraries = _controllers()
    before = [lib.num_threads for lib in libraries]
    changed = [lib for lib, n in zip(libraries, before) if n != wanted]
    for lib in changed:
        lib.set_num_threads(wanted)
    try:
        yield
    finally:
        for lib, n in zip(libraries, before):
            if lib in changed:
                lib.set_num_threads(n)
