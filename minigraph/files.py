"""Writing files a user owns without ever leaving them half-written.

Everything minigraph writes (checkpoints, pictures, pages, sample logs) goes through
``atomic_write``: the bytes are written to a temporary file beside the target, flushed to
disk and renamed over it. A crash, a kill or a full disk leaves the previous file as it
was, and a symlink at the target is replaced rather than followed. New files get the
user's normal mode (0666 less the umask); a file that is replaced keeps its mode.

Pictures and pages carry minigraph's mark (``file_marks``), so that ``check_output`` can let
a later run replace them and refuse any file of the user's. Temporaries are named
``.tmp-<name>-<pid>-<random>``: only those of a process that is no longer running are
cleaned away, never a user's file nor another run's write in flight.
"""

import contextlib
import glob
import hashlib
import io
import os
import re
import secrets
import stat

from .errors import OutputError, WriteError  # noqa: F401 (raised here, importable here)
from .file_marks import mark, written_by_minigraph

TMP_PREFIX = ".tmp-"
_SHORT_NAME = 100  # longer names are shortened in temporaries and locks (NAME_MAX is 255)
_OURS = re.compile(r"-(\d+)-[0-9a-f]{8}$")


def short_name(name):
    """``name``, or for a long one its start and a hash: the temporary and lock names
    stay within the system's name limit for any name that itself fits."""
    if len(name.encode("utf-8", "surrogateescape")) <= _SHORT_NAME:
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return name.encode("utf-8", "surrogateescape")[:60].decode("utf-8", "ignore") + "~" + digest


def temporary_name(path):
    """The name of a fresh temporary beside ``path`` (this process's id and a random part)."""
    directory, name = os.path.split(os.path.abspath(path))
    return os.path.join(directory, f"{TMP_PREFIX}{short_name(name)}-{os.getpid()}-"
                                   f"{secrets.token_hex(4)}")


def process_alive(pid):
    """True when a process ``pid`` runs (or exists under another user)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, it is someone else's
        return True
    return True


def _mode_for(path):
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)  # the only portable way to read the umask is to set it
        os.umask(umask)
        return 0o666 & ~umask


def stale_temporaries(path):
    """Temporary files left beside ``path`` by an earlier write that was killed: named as
    ours (``.tmp-<name>-<pid>-<8 hex digits>``), of a process that no longer runs."""
    directory, name = os.path.split(os.path.abspath(path))
    pattern = os.path.join(glob.escape(directory), f"{TMP_PREFIX}{glob.escape(short_name(name))}-*")
    prefix = f"{TMP_PREFIX}{short_name(name)}"
    stale = []
    for candidate in glob.glob(pattern):
        found = _OURS.fullmatch(os.path.basename(candidate)[len(prefix):])
        if found and int(found.group(1)) != os.getpid() and not process_alive(int(found.group(1))) \
                and os.path.isfile(candidate) and not os.path.islink(candidate):
            stale.append(candidate)
    return stale


def atomic_write(path, data, overwrite=True, mark_json=False):
    """Write ``data`` (bytes or str, str as UTF-8) to ``path`` atomically; returns ``path``.
    With ``overwrite`` False an existing ``path`` is never replaced, even one that appears
    while the data is written: ``FileExistsError``.

    Pictures and pages get minigraph's mark (``file_marks.mark``; a JSON object too with
    ``mark_json``), which lets ``check_output`` recognise them later.

    Stale temporaries of the same target (from a killed write) are removed first. A write
    that fails (a full disk, a read-only folder) raises ``OutputError`` naming the file,
    with the previous file untouched and no temporary left behind."""
    path = os.fspath(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not path:
        raise OutputError("cannot write to an empty file name")
    data = mark(bytes(data), path, json_too=mark_json)
    for stale in stale_temporaries(path):
        try:
            os.remove(stale)
        except OSError:
            pass
    tmp = temporary_name(path)
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
    if path.endswith(("/", os.sep)) or os.path.basename(path) in (".", ".."):
        raise OutputError(f"{what} {path} ends in a folder, not a file name; give a file name")
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
    problem = _cannot_create(temporary_name(path))  # what the save will do, with its names
    if problem is None and not os.path.lexists(path):
        problem = _cannot_create(path)
    if problem:
        raise OutputError(f"cannot write {what} {path}: {problem}")
    return path


def _cannot_create(name):
    try:
        os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return None  # a race with another writer: the name itself is usable
    except OSError as exc:
        return exc.strerror or str(exc)
    os.remove(name)
    return None


def same_file(a, b):
    """True when paths ``a`` and ``b`` name one file (a link, another spelling)."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return os.path.realpath(a) == os.path.realpath(b)


def refuse_foreign(paths, force=False, what="output", resumed=False):
    """For a library caller's outputs (a trainer's loss plot and samples log): raise
    OutputError if one exists and minigraph did not write it, unless ``force``. A
    ``resumed`` run keeps its own loss plot from before plots were marked."""
    from .file_marks import legacy_loss_plot

    for path in paths:
        if resumed and path.endswith("_loss.png") and legacy_loss_plot(path):
            continue
        if not force and os.path.lexists(path) and not written_by_minigraph(path):
            raise OutputError(f"{what} {path} exists and was not written by minigraph; "
                              "choose another name, or pass force=True (--force) to replace it")


def _inside(path, folder):
    folder = os.path.realpath(folder)
    return os.path.commonpath([os.path.realpath(path), folder]) == folder


def check_output(path, what="--out", force=False, inputs=()):
    """The one check of every output a command writes, before its work starts:
    writable (``check_writable``), not one of the command's ``inputs`` (paths of files, or
    of folders whose every file is an input: a data set), and, when it
    exists, a file minigraph wrote itself (recognised by its content, ``file_marks``) unless
    ``force``. Returns ``path``."""
    path = check_writable(path, what)
    for given in inputs:
        if given and os.path.isdir(given) and os.path.lexists(path) and _inside(path, given):
            raise OutputError(f"{what} {path} is a file of the folder {given}, an input of "
                              "this command; an output never replaces an input: choose "
                              "another name")
        if given and same_file(path, given):
            raise OutputError(f"{what} {path} is also an input of this command ({given}); an "
                              "output never replaces an input: choose another name")
    if os.path.lexists(path) and not force and not written_by_minigraph(path):
        raise OutputError(f"{what} {path} exists and was not written by minigraph; choose "
                          "another name, or add --force to replace it")
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
