"""Writing a file whole or not at all, with the permissions a new file normally gets."""

import os
import tempfile


def write_file(path, data, overwrite):
    """Write ``data`` (bytes) to ``path`` through a temporary file in the same folder.
    With ``overwrite`` False an existing ``path`` is never replaced: FileExistsError."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".minigraph-")
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temporary, 0o666 & ~mask)  # mkstemp makes it private; this is the user's
        if overwrite:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # fails if the name exists, even if it just appeared
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path
