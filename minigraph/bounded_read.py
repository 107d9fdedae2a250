"""Reading untrusted HDF5 and JSON files inside a budget decided before reading.

A checkpoint or a data file may come from anywhere. libhdf5 trusts the file it parses: a
flipped bit can make it spin forever, 1,500 hard links to one dataset read it 1,500
times, a 7.8 MB compressed dataset expands to 7.45 GB, an external link reads another
file. So, in this order, before any array is read:

1. ``check_seal``: the file must be a regular file no larger than the budget; a file
   minigraph wrote carries a SHA-256 of its bytes in the HDF5 user block (the first
   ``USERBLOCK`` bytes, which libhdf5 skips), and a mismatch is refused in one line before
   libhdf5 parses anything. Files without the seal (written before it existed, or by
   another program) are still read, through the checks below.
2. ``survey``: a walk over every link that refuses soft, external and hard links (an
   object reached by two paths: its reference count is above one), non-numeric or
   external/virtual datasets, and charges each group, dataset and attribute to a
   ``ReadBudget``: at most ``max_objects`` of them, at most ``max_bytes`` of declared
   array and attribute bytes and ``MAX_CHUNKS`` chunks across every file one load
   reads, and each dataset's
   declared bytes at most ``max_ratio`` times what it stores in the file (a compression
   or fill-value bomb).
3. The caller reads the arrays; datasets written with HDF5's fletcher32 filter are
   checked chunk by chunk by libhdf5 itself.

JSON (vocabularies, attributes) and plain files are read by ``capped_read`` (re-exported
here): a byte cap, regular files only, and caps on nesting and values checked
before ``json.loads`` recurses.
"""

import hashlib
import io
import os
import re
import warnings

import numpy as np

from .capped_read import (  # noqa: F401 (read_json, parse_json... are used through here)
    JSON_BYTES,
    MAX_JSON_DEPTH,
    MAX_JSON_ITEMS,
    describe_size,
    not_regular,
    parse_json,
    read_capped,
    read_json,
    regular_or_refuse,
)
from .errors import UsageError

USERBLOCK = 512  # bytes before the HDF5 superblock; libhdf5 never reads them
SEAL = b"minigraph-sha256 "
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
LIMIT_VARIABLE = "MINIGRAPH_READ_LIMIT_MB"
# A checkpoint of the largest model this numpy framework trains in a day (a 3-layer LSTM
# of 1024 units with its Adam moments) is under 600 MB; 2 GiB leaves room and is still
# far below what a hostile file would need to exhaust a laptop.
CHECKPOINT_BYTES = 2 << 30
# The cs231n COCO data without PCA (fc7 features, float32, train and val) is 2.1 GB.
DATA_BYTES = 4 << 30
MAX_OBJECTS = 4096   # a captioner checkpoint holds about 100 groups, datasets, attributes
# minigraph's own chunks (h5py's guess for fletcher32) are 8 KB to 1 MB: a 2 GB file has
# a few thousand; libhdf5 reads 200,000 one-number chunks in about 10 s.
MAX_CHUNKS = 65536
MAX_RATIO = 100      # declared bytes per stored byte (gzip of real features: under 4)
SMALL_DATASET = 1 << 16  # below this, no ratio check (a tiny array stores a header)


class UnsealedWarning(UserWarning):
    """A file read without a checksum: written before minigraph sealed its files, or by
    another program."""


def limit_from_environment(default):
    """``default`` bytes, or the limit the user set in MINIGRAPH_READ_LIMIT_MB."""
    text = os.environ.get(LIMIT_VARIABLE)
    if not text:
        return default
    try:
        megabytes = float(text)
    except ValueError:
        megabytes = float("nan")
    if not 0 < megabytes < 1e12:  # nan, inf, negative or zero: a typo, said at once
        raise UsageError(f"{LIMIT_VARIABLE}={text!r}: give a number of megabytes greater than "
                         "0 and below 1e12, or unset it for the defaults")
    return int(megabytes * 1e6)


class ReadBudget:
    """What one load may take, across every file it reads."""

    def __init__(self, max_bytes, max_objects=MAX_OBJECTS, max_ratio=MAX_RATIO, error=ValueError):
        self.max_bytes, self.max_objects, self.max_ratio = max_bytes, max_objects, max_ratio
        self.bytes_used, self.objects_used, self.chunks_used, self.error = 0, 0, 0, error

    def _over(self, path, what):
        return self.error(f"{path}: {what}; refused before reading (the budget can be raised "
                          f"with the environment variable {LIMIT_VARIABLE})")

    def charge_objects(self, path, count):
        self.objects_used += count
        if self.objects_used > self.max_objects:
            raise self._over(path, f"more than {self.max_objects} groups, datasets and "
                             "attributes")

    def charge_chunks(self, path, where, count):
        self.chunks_used += count
        if self.chunks_used > MAX_CHUNKS:
            raise self._over(path, f"'{where}' brings the chunks to {self.chunks_used:,}, "
                             f"over the budget of {MAX_CHUNKS:,}")

    def charge_bytes(self, path, where, nbytes):
        self.bytes_used += nbytes
        if self.bytes_used > self.max_bytes:
            raise self._over(path, f"'{where}' brings the arrays to "
                             f"{describe_size(self.bytes_used)}, over the budget of "
                             f"{describe_size(self.max_bytes)}")


def seal(image):
    """A file image written with ``userblock_size=USERBLOCK``, its user block filled with
    the SHA-256 and length of everything after it."""
    body = image[USERBLOCK:]
    if image[:USERBLOCK].strip(b"\0") or body[:8] != HDF5_SIGNATURE:
        from .errors import UsageError

        raise UsageError("seal: the image has no empty user block of "
                         f"{USERBLOCK} bytes")
    header = SEAL + hashlib.sha256(body).hexdigest().encode() + b" %d\n" % len(body)
    return header.ljust(USERBLOCK, b"\0") + body


_SEAL_LINE = re.compile(rb"minigraph-sha256 ([0-9a-f]{64}) (\d{1,15})\n\0*\Z")


def check_seal(path, budget, error, kind_of_file, warn_unsealed=True):
    """Refuse, before libhdf5 sees it, a ``path`` that is not a regular file, is larger
    than the budget, or carries a seal its bytes do not match. Returns True for a sealed
    file, False for an unsealed one (with an ``UnsealedWarning`` if ``warn_unsealed``)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO cannot block
    except OSError as exc:
        raise error(f"cannot open {kind_of_file} {path}: {exc.strerror}") from None
    info = regular_or_refuse(fd, path, error, kind_of_file)
    with os.fdopen(fd, "rb") as f:
        if info.st_size > budget.max_bytes + USERBLOCK:
            raise error(f"{kind_of_file} {path} is {describe_size(info.st_size)}, over the "
                        f"reading budget of {describe_size(budget.max_bytes)} (the budget "
                        f"can be raised with the environment variable {LIMIT_VARIABLE})")
        head = f.read(USERBLOCK)
        if not head.startswith((SEAL, HDF5_SIGNATURE)) and head.strip(b"\0") and \
                f.read(len(HDF5_SIGNATURE)) == HDF5_SIGNATURE:
            # an HDF5 file behind a user block that is neither empty nor a seal: the seal
            # itself was damaged (another program's user block is refused the same way)
            raise error(f"cannot read {kind_of_file} {path}: the file is damaged (its first "
                        f"{USERBLOCK} bytes should hold minigraph's checksum)")
        if not head.startswith(SEAL):
            if warn_unsealed and head.startswith(HDF5_SIGNATURE):  # else: not HDF5 at all
                warnings.warn(f"{path} has no checksum (written before minigraph sealed its "
                              "files, or by another program): read with the structural "
                              "checks only", UnsealedWarning, stacklevel=3)
            return False
        found = _SEAL_LINE.match(head)
        digest = hashlib.sha256()
        length = 0
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
            length += len(block)
        if found is None or int(found.group(2)) != length or \
                found.group(1).decode() != digest.hexdigest():
            raise error(f"cannot read {kind_of_file} {path}: the file is damaged (its bytes do "
                        "not match the checksum minigraph wrote with it: truncated, or changed "
                        "since)")
    return True


def survey(f, path, budget, error):
    """Walk every link of the open ``h5py.File`` ``f`` before any array is read: refuse
    links of every kind (soft, external, and hard: an object reached by two paths),
    datasets that are not numeric or keep data outside the file, and charge ``budget``
    for each object and declared byte. Returns {path inside the file: (shape, dtype)}."""
    import h5py

    found = {}
    budget.charge_objects(path, 1 + h5py.h5a.get_num_attrs(f.id))
    _charge_attributes(f, "/", path, budget)
    pending = [("", f)]
    while pending:
        where, group = pending.pop()
        budget.charge_objects(path, len(group))  # counted before iterating the links
        for key in group:
            name = f"{where}{key}"
            link = group.get(key, getlink=True)
            if not isinstance(link, h5py.HardLink):
                raise error(f"{path}: '{name}' is a link ({type(link).__name__}); links of "
                            "any kind are refused")
            item = group[key]
            if h5py.h5o.get_info(item.id).rc != 1:
                raise error(f"{path}: '{name}' is reached by more than one path (a hard "
                            "link); links of any kind are refused")
            budget.charge_objects(path, h5py.h5a.get_num_attrs(item.id))
            _charge_attributes(item, name, path, budget)
            if isinstance(item, h5py.Group):
                pending.append((name + "/", item))
            elif isinstance(item, h5py.Dataset):
                found[name] = _survey_dataset(item, name, path, budget, error)
            else:
                raise error(f"{path}: '{name}' is a {type(item).__name__}, not an array or "
                            "a group")
    return found


def _survey_dataset(item, name, path, budget, error):
    if item.dtype.kind not in "biuf" or item.dtype.itemsize > 16:
        raise error(f"{path}: '{name}' is not a numeric array ({item.dtype})")
    if item.is_virtual or item.external:
        raise error(f"{path}: '{name}' keeps its data outside the file")
    nbytes = int(np.prod(item.shape, dtype=object)) * item.dtype.itemsize
    stored = item.id.get_storage_size()
    if nbytes > SMALL_DATASET and nbytes > budget.max_ratio * stored:
        raise error(f"{path}: '{name}' declares {item.shape} {item.dtype} "
                    f"({describe_size(nbytes)}) from {describe_size(stored)} stored, more "
                    f"than {budget.max_ratio} times: refused as a decompression bomb")
    if item.chunks:  # libhdf5 visits every chunk: 200,000 tiny ones take seconds
        chunks = 1
        for size, chunk in zip(item.shape, item.chunks):
            chunks *= -(-size // chunk)
        budget.charge_chunks(path, name, chunks)
    budget.charge_bytes(path, name, nbytes)
    return item.shape, item.dtype


def _charge_attributes(item, where, path, budget):
    import h5py

    for name in item.attrs:
        attribute = h5py.h5a.open(item.id, name.encode() if isinstance(name, str) else name)
        budget.charge_bytes(path, f"{where} attribute {name}", attribute.get_storage_size())


def sealed_image(fill):
    """The bytes of a sealed HDF5 file: ``fill(f)`` fills an in-memory ``h5py.File`` made
    with a user block, and the block receives the checksum."""
    import h5py

    buffer = io.BytesIO()
    with h5py.File(buffer, "w", userblock_size=USERBLOCK) as f:
        fill(f)
    return seal(buffer.getvalue())
