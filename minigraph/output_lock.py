"""One lock file per output while a run writes it, so that two runs on one ``--out`` cannot
both train and overwrite each other's checkpoints.

The lock is ``.lock-<name>`` beside the output, holding the writer's process id. It appears
whole (written to a temporary, then linked to its name, which fails if the name exists), so
a reader never sees an empty lock. A lock whose process no longer runs (a run killed with
``kill -9``) is taken over with a warning; a live one refuses the second run in one line.
"""

import contextlib
import os
import sys

from .errors import OutputError
from .files import process_alive, short_name, temporary_name

LOCK_PREFIX = ".lock-"


def lock_name(path):
    directory, name = os.path.split(os.path.abspath(os.fspath(path)))
    return os.path.join(directory, f"{LOCK_PREFIX}{short_name(name)}")


def _holder(lock):
    """The process id written in ``lock``, or None when it cannot be read as one."""
    try:
        with open(lock, "rb") as f:
            text = f.read(32).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


_HELD = set()  # the locks this process holds now


def _size(lock):
    try:
        return os.path.getsize(lock)
    except OSError:
        return 0


def _try_create(lock):
    """Create ``lock`` holding this process's id; False if the name exists already."""
    tmp = temporary_name(lock)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, f"{os.getpid()}\n".encode())
        os.close(fd)
        os.link(tmp, lock)
        return True
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links: create the name itself, then write
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        os.write(fd, f"{os.getpid()}\n".encode())
        os.close(fd)
        return True
    finally:
        os.remove(tmp)


@contextlib.contextmanager
def output_lock(path, what="--out", warn=None):
    """Hold the lock of output ``path`` for the block; OutputError if another live run holds
    it. The folder must exist (``files.check_writable`` makes it)."""
    warn = warn or (lambda message: print(f"warning: {message}", file=sys.stderr))
    lock = lock_name(path)
    try:
        taken = _try_create(lock)
        if not taken:
            pid = _holder(lock)
            # this process's own id in a lock it does not hold: a run before it that had the
            # same id (a container's process 1, killed), so the lock is stale
            mine = pid == os.getpid()
            if pid is not None and ((mine and lock in _HELD) or (not mine and process_alive(pid))):
                raise OutputError(f"{what} {path} is being written by another run (process "
                                  f"{pid}, lock {lock}); wait for it to end or choose another "
                                  f"{what}")
            if pid is None and _size(lock):  # an empty lock is ours, cut off while created
                raise OutputError(f"{lock} exists and is not a lock minigraph wrote (it holds "
                                  f"no process id): move it away or choose another {what}")
            warn(f"taking over the lock {lock} of a run that no longer runs "
                 f"({'process ' + str(pid) if pid else 'no process id in it'})")
            os.remove(lock)
            taken = _try_create(lock)
            if not taken:
                raise OutputError(f"{what} {path} was just locked by another run ({lock}); "
                                  f"wait for it to end or choose another {what}")
    except OSError as exc:
        if isinstance(exc, OutputError):
            raise
        raise OutputError(f"cannot lock {what} {path} ({lock}): {exc.strerror or exc}") from None
    _HELD.add(lock)
    try:
        yield lock
    finally:
        _HELD.discard(lock)
        if _holder(lock) == os.getpid():
            try:
                os.remove(lock)
            except OSError:
                pass
