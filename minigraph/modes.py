"""Switches that change how graphs are built and run: no_grad and anomaly detection.

They are process-wide settings (like numpy's errstate), not random state, and each is a
context manager that restores the previous setting on exit.
"""

from contextlib import contextmanager

_grad_enabled = True
_anomaly = False


def grad_enabled():
    return _grad_enabled


def anomaly_enabled():
    return _anomaly


@contextmanager
def no_grad():
    """Build and run without anything for backward.

    Nodes built inside do not require grad, and ``Graph.forward`` run inside drops what
    each op saved for backward as soon as the op has run. Sampling uses it.
    """
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


def set_anomaly(enabled):
    """Turn anomaly detection on or off; returns the previous setting."""
    global _anomaly
    previous, _anomaly = _anomaly, bool(enabled)
    return previous


@contextmanager
def detect_anomaly(enabled=True):
    """Stop at the first node whose value or gradient is not finite.

    Each check is two reductions (min and max) over an array the op already produced,
    so the cost is small next to the op itself.
    """
    previous = set_anomaly(enabled)
    try:
        yield
    finally:
        set_anomaly(previous)
