"""Reading untrusted regular files and JSON within caps decided before reading.

A path a user names may be a FIFO (reading blocks forever), a device (/dev/zero never
ends), a folder, or a regular file far larger than what it should hold. ``read_capped``
opens without blocking, refuses anything but a regular file, and reads at most the cap;
``parse_json`` checks nesting depth and the number of values with one vectorised pass
before ``json.loads`` (which recurses once per level and makes an object per value).
Used by minigraph.bounded_read (HDF5) and the application's data loaders.
"""

import os
import re
import stat

import numpy as np

MAX_JSON_DEPTH = 32  # a vocabulary is 2 deep; Python's parser recurses on depth
# the objects file of the largest shapes set (`minigraph shapes` budgets: 240,000 images)
# is about 65 MB and 3.6 million values (272 bytes and 15 values an image)
JSON_BYTES = 128 << 20
MAX_JSON_ITEMS = 8_000_000  # 128 MB of "[]," would be 43 million lists, 2.4 GB of objects


def describe_size(nbytes):
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if nbytes < 1000 or unit == "TB":
            return f"{nbytes:.0f} {unit}" if unit == "bytes" else f"{nbytes:.1f} {unit}"
        nbytes /= 1000


def parse_json(text, what, error, max_depth=MAX_JSON_DEPTH):
    """``json.loads(text)`` after checking, without recursion, that arrays and objects
    nest at most ``max_depth`` deep (Python's parser recurses once per level)."""
    import json

    if isinstance(text, bytes):
        text = text.decode("utf-8")
    depth, items = _json_shape(text)
    if depth > max_depth:
        raise error(f"{what} nests {depth} levels deep (at most {max_depth} are read)")
    if items > MAX_JSON_ITEMS:
        raise error(f"{what} holds about {items:,} values (at most {MAX_JSON_ITEMS:,} "
                    "are read: each becomes a Python object of 50 bytes or more)")
    return json.loads(text)


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _json_shape(text):
    """(how deep brackets nest, about how many values) in ``text``, strings left out: a
    vectorised running sum over the brackets, and a count of brackets and commas."""
    bare = _JSON_STRING.sub('""', text).encode("utf-8", "surrogatepass")
    codes = np.frombuffer(bare, dtype=np.uint8)
    opening = np.isin(codes, (ord("["), ord("{")))
    steps = opening.astype(np.int64) - np.isin(codes, (ord("]"), ord("}")))
    items = int(opening.sum()) + int(np.count_nonzero(codes == ord(",")))
    return int(np.cumsum(steps).max(initial=0)), items


_FILE_TYPES = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
               (stat.S_ISSOCK, "a socket"))


def not_regular(mode):
    """What a file that is not a regular file is, for an error message."""
    return next((name for test, name in _FILE_TYPES if test(mode)), "not a regular file")


def regular_or_refuse(fd, path, error, kind_of_file):
    """fstat of an open descriptor, closed and refused unless it is a regular file."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise error(f"{kind_of_file} {path} is {not_regular(info.st_mode)}, not a regular "
                    "file")
    return info


def read_capped(path, max_bytes, error, kind_of_file, flag_hint=""):
    """The bytes of a regular file no larger than ``max_bytes``, opened without blocking
    (a FIFO or a device is refused before anything is read, /dev/zero never read)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise error(f"cannot read {kind_of_file} {path}: {exc.strerror}") from None
    info = regular_or_refuse(fd, path, error, kind_of_file)
    with os.fdopen(fd, "rb") as f:
        size = info.st_size
        raw = f.read(max_bytes + 1) if size <= max_bytes else b""
    if size > max_bytes or len(raw) > max_bytes:  # the file may grow while read
        raise error(f"{kind_of_file} {path} is {describe_size(max(size, len(raw)))}, over "
                    f"the cap of {describe_size(max_bytes)}{flag_hint}")
    return raw


def read_json(path, error, kind_of_file="JSON file", max_bytes=JSON_BYTES):
    """A JSON file read within a byte cap and a nesting cap."""
    raw = read_capped(path, max_bytes, error, kind_of_file)
    try:
        return parse_json(raw, f"{kind_of_file} {path}", error)
    except (ValueError, UnicodeDecodeError) as exc:
        if isinstance(exc, error):
            raise
        raise error(f"cannot parse {path} as JSON: {exc}") from None
