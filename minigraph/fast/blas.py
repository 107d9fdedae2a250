"""How many threads minigraph may use while it runs a graph, and numpy's BLAS setting then.

The engine runs every ``Graph.forward`` and ``Graph.backward`` with BLAS (OpenBLAS, MKL)
at one thread and splits the work itself over ``set_threads(n)`` threads
(minigraph/fast/parallel.py says why: OpenBLAS's own threads spin between calls and take the
core the rest of the step needs). The library's own setting is put back afterwards, so
numpy code outside minigraph is left as it was. The default is 1 thread: runs are then
bit-identical whatever the machine's load, and under background load a second thread
only helps when a core is free.

    minigraph.set_threads(2)          # every graph run from now on
    with minigraph.threads(2):        # only inside the block
        ...
    minigraph.set_threads(None)       # back to the default

    minigraph.set_threads("auto")     # measure, per graph: see AutoThreads

The BLAS switch goes through threadpoolctl, directly to the library's
``set_num_threads``: about 2 us per run of a graph.
"""

import os
import statistics
import time
import weakref
from contextlib import contextmanager

from ..errors import UsageError

DEFAULT_THREADS = 1
AUTO = "auto"

_setting = None  # None: DEFAULT_THREADS
_running = None  # the count the graph being run got (None: no graph running)
_blas = None  # threadpoolctl's controllers of the BLAS libraries numpy loaded, found once


def _check(n, caller):
    if n is None or (isinstance(n, str) and n == AUTO):
        return n
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise UsageError(f"{caller}: threads must be a whole number >= 1, 'auto', or None "
                         f"(the default, {DEFAULT_THREADS}), got {n!r}")
    return n


def set_threads(n):
    """Run every graph from now on with ``n`` threads (None: the default, 1;
    "auto": measured per graph, see AutoThreads). Anything else (0, -1, 1.5, "two")
    raises a UsageError naming the value and what is allowed."""
    global _setting
    _setting = _check(n, "set_threads")


def get_threads():
    """The thread setting graphs run with: a count, or "auto"."""
    return DEFAULT_THREADS if _setting is None else _setting


def running_threads():
    """The threads minigraph/fast/parallel.py may use now: the count of the graph being run;
    outside a run (an optimizer step), the setting, or 1 under "auto"."""
    if _running is not None:
        return _running
    setting = get_threads()
    return 1 if setting == AUTO else setting


@contextmanager
def threads(n):
    """``with threads(n):`` runs the graphs inside the block with ``n`` threads."""
    global _setting
    previous, _setting = _setting, _check(n, "threads")
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


class AutoThreads:
    """The "auto" setting for one graph and direction (forward or backward): time runs at
    1 thread and at ``most`` (the machine's cores, at most 4), alternating, ``probes`` of
    each (after ``warmup`` untimed runs at 1), then keep the faster. Load comes and goes,
    so the other count is tried once again after ``recheck`` runs (twice as long each
    time it loses, up to ``longest``), and a run at more
    than 1 thread that takes over ``slow`` times the median of the recent ones (another
    program took a core) drops to 1 thread at once.

    Why measure: on an idle machine a second thread speeds a large step up (1.5x for a
    512x2 char-LSTM here), while on a busy one the second thread waits for a time slice
    and can lose. Why it is not the default: results differ in the last bits between 1
    and 2 threads (BLAS sums in another order for half the rows), so under "auto" two
    runs of the same seed can drift apart; with a fixed count they are bit-identical.
    """

    def __init__(self, most, probes=2, recheck=100, slow=3.0, warmup=1, longest=3200):
        self.counts = (1, most)
        self.probes, self.slow, self.longest = probes, slow, longest
        self.recheck = self.first_recheck = recheck
        self.timings = {n: [] for n in self.counts}
        self.choice, self.since, self.recent = None, 0, []
        self.warmup = warmup  # the first runs allocate and compile: not timed

    def next_count(self):
        if self.warmup > 0:
            return 1
        if self.choice is None:  # measuring: the count with fewer timings, 1 first
            return min(self.counts, key=lambda n: len(self.timings[n]))
        if self.since >= self.recheck:  # one run of the other count
            return self.counts[1] if self.choice == 1 else 1
        return self.choice

    def record(self, count, seconds):
        if self.warmup > 0:
            self.warmup -= 1
            return
        if self.choice is None:
            self.timings[count].append(seconds)
            if all(len(t) >= self.probes for t in self.timings.values()):
                self._choose({n: statistics.median(t) for n, t in self.timings.items()})
            return
        if count != self.choice:  # the recheck
            if seconds < statistics.median(self.recent):
                self._choose({count: seconds})
            else:
                self.since, self.recheck = 0, min(self.recheck * 2, self.longest)
            return
        if (count > 1 and len(self.recent) >= 3
                and seconds > self.slow * statistics.median(self.recent)):
            self.choice, self.recent, self.since = 1, [], 0  # load arrived: 1 thread now
            self.recheck = self.first_recheck
            return
        self.recent = (self.recent + [seconds])[-9:]
        self.since += 1

    def _choose(self, medians):
        self.choice = min(medians, key=medians.get)
        self.recent, self.since = [medians[self.choice]], 0


_auto = weakref.WeakKeyDictionary()  # graph -> {"forward": AutoThreads, "backward": ...}


def _most_threads():
    return max(2, min(4, os.cpu_count() or 1))


@contextmanager
def blas_threads(graph=None, direction="forward"):
    """The engine's wrapper around one forward or backward: BLAS at one thread and
    ``running_threads()`` at ``get_threads()`` inside (under "auto", the count
    ``graph``'s tuner picks, and the run timed for it), the libraries' own settings
    restored after."""
    global _running
    wanted, tuner = get_threads(), None
    if wanted == AUTO:
        if graph is None or (os.cpu_count() or 1) < 2:
            wanted = DEFAULT_THREADS
        else:
            tuners = _auto.setdefault(graph, {})
            tuner = tuners.setdefault(direction, AutoThreads(_most_threads()))
            wanted = tuner.next_count()
    libraries = _controllers()
    before = [lib.num_threads for lib in libraries]
    changed = [lib for lib, n in zip(libraries, before) if n != 1]
    for lib in changed:
        lib.set_num_threads(1)
    outer, _running = _running, wanted
    started = time.perf_counter()
    try:
        yield
    finally:
        if tuner is not None:
            tuner.record(wanted, time.perf_counter() - started)
        _running = outer
        for lib, n in zip(libraries, before):
            if lib in changed:
                lib.set_num_threads(n)
