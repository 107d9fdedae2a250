"""Ctrl-C, SIGTERM or SIGHUP during training: finish the current step, save, say how to continue.

A training loop runs inside ``graceful_interrupt()`` and asks ``stop_requested()`` after
each step. The first SIGINT (Ctrl-C) or SIGTERM (a scheduler, ``timeout``, ``docker stop``)
only sets that flag, so the step in flight completes and the loop can write a checkpoint and
raise ``Interrupted``; a second signal stops at once (KeyboardInterrupt), for a user who
really wants out. ``exit_code()`` gives the shell's status for the signal received: 130 for
SIGINT, 143 for SIGTERM (128 + the signal's number).
"""

import contextlib
import signal
import threading

from minigraph.errors import Interrupted  # noqa: F401 (raised by the callers of this module)

_requested = threading.Event()
_received = []  # the signals received in the current (or last) block, first first
# SIGHUP too: closing the terminal or the SSH session that runs a training saves it
SIGNALS = (signal.SIGINT, signal.SIGTERM) + ((signal.SIGHUP,) if hasattr(signal, "SIGHUP")
                                            else ())


def stop_requested():
    return _requested.is_set()


def exit_code(default=130):
    """128 + the first signal that stopped the last training block (or ``default``)."""
    return 128 + int(_received[0]) if _received else default


def _on_signal(signum, frame):
    _received.append(signum)
    if _requested.is_set():
        raise KeyboardInterrupt
    _requested.set()


@contextlib.contextmanager
def graceful_interrupt():
    """Within the block, the first SIGINT or SIGTERM sets a flag instead of ending the
    program. Outside the main thread (where Python cannot install signal handlers) nothing
    changes."""
    _requested.clear()
    _received.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.signal(number, _on_signal) for number in SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
        _requested.clear()
