"""Ctrl-C during training: finish the current step, save, and say how to continue.

A training loop runs inside ``graceful_interrupt()`` and asks ``stop_requested()`` after
each step. The first Ctrl-C (SIGINT) only sets that flag, so the step in flight completes
and the loop can write a checkpoint and raise ``Interrupted``; a second Ctrl-C stops at
once (KeyboardInterrupt), for a user who really wants out.
"""

import contextlib
import signal
import threading

from minigraph.errors import Interrupted  # noqa: F401 (raised by the callers of this module)

_requested = threading.Event()


def stop_requested():
    return _requested.is_set()


def _on_sigint(signum, frame):
    if _requested.is_set():
        raise KeyboardInterrupt
    _requested.set()


@contextlib.contextmanager
def graceful_interrupt():
    """Within the block, the first SIGINT sets a flag instead of raising. Outside the main
    thread (where Python cannot install signal handlers) nothing changes."""
    _requested.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _requested.clear()
