"""Writing files a user owns without ever leaving them half-written.

Everything minigraph writes (checkpoints, pictures, pages, sample logs) goes through
``atomic_write``: the bytes are written to a temporary file beside the target, flushed to
disk and renamed over it. A crash, a kill or a full disk leaves the previous file as it
was, and a symlink at the target is replaced rather than followed. New files get the
user's normal mode (0666 less the umask); a file that is replaced keeps its mode.
"""

import contextlib
import glob
import io
import os
import stat

from .errors import OutputError, WriteError  # noqa: F401 (raised here, importable here)

TMP_PREFIX = ".tmp-"


def _mode_for(path):
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)  # the only portable way to read the umask is to set it
        os.umask(umask)
        return 0o666 & ~umask


def stale_temporaries(path):
    """Temporary files left beside ``path`` by an earlier write that was killed."""
    directory, name = os.path.split(os.path.abspath(path))
    return glob.glob(os.path.join(glob.escape(directory), f"{TMP_PREFIX}{glob.escape(name)}-*"))


def atomic_write(path, data, overwrite=True):
    """Write ``data`` (bytes or str, str as UTF-8) to ``path`` atomically; returns ``path``.
    With ``overwrite`` False an existing ``path`` is never replaced, even one that appears
    while the data is written: ``FileExistsError``.

    Stale temporaries of the same target (from a killed write) are removed first. A write
    that fails (a full disk, a read-only folder) raises ``OutputError`` naming the file,
    with the previous file untouched and no temporary left behind."""
    path = os.fspath(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not path:
        raise OutputError("cannot write to an empty file name")
    directory = os.path.dirname(os.path.abspath(path))
    for stale in stale_temporaries(path):
        try:
            os.remove(stale)
        except OSError:
            pass
    tmp = os.path.join(directory, f"{TMP_PREFIX}{os.path.basename(path)}-{os.getpid()}")
    mode = _mode_for(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_EXCL, 0o600)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if the name exists; the temporary goes below
            os.remove(tmp)
    except BaseException as exc:
        try:
            os.remove(tmp)
        except OSError:
            pass
        if isinstance(exc, FileExistsError):
            raise
        if isinstance(exc, OSError):
            raise WriteError(f"cannot write {path}: {exc.strerror or exc}; the previous "
                              "file, if any, is unchanged") from None
        raise
    return path


@contextlib.contextmanager
def writing_text(path):
    """``with writing_text(path) as f:`` collects text written to ``f`` and writes it to
    ``path`` (UTF-8) by ``atomic_write`` when the block ends without an error."""
    buffer = io.StringIO()
    yield buffer
    atomic_write(path, buffer.getvalue())


def atomic_append(path, text):
    """Append ``text`` to a UTF-8 file by rewriting it atomically (for small logs)."""
    path = os.fspath(path)
    old = b""
    if os.path.isfile(path):
        with open(path, "rb") as f:
            old = f.read()
    return atomic_write(path, old + text.encode("utf-8"))


def check_writable(path, what="output"):
    """Refuse, before any long work starts, an output path that cannot be written: empty,
    a directory, a device or other special file, or in a folder that is missing (and
    cannot be made) or read-only."""
    path = os.fspath(path)
    if not path:
        raise OutputError(f"the {what} file name is empty")
    if os.path.isdir(path):
        raise OutputError(f"{what} {path} is a directory; give a file name")
    if os.path.exists(path) and not os.path.isfile(path):
        raise OutputError(f"{what} {path} exists and is not a regular file (a device or "
                          "pipe?); give a file name")
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the folder {directory} for {what} {path}: "
                          f"{exc.strerror}") from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {what} {path}: the folder {directory} is not writable")
    problem = cannot_create_in(directory)
    if problem:
        raise OutputError(f"cannot write {what} {path}: cannot create a file in the folder "
                          f"{directory} ({problem})")
    return path


def cannot_create_in(directory):
    """Why no file can be created in ``directory`` (the system's reason), or None when one
    can. os.access says yes to root everywhere but on a read-only mount: creating a file is
    the test that holds (sysfs, procfs, a read-only bind mount, a quota)."""
    probe = os.path.join(directory, f"{TMP_PREFIX}probe-{os.getpid()}")
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        return exc.strerror or str(exc)
    os.remove(probe)
    return None
