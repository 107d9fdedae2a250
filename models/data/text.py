"""Text for character-level models: reading, the vocabulary, and contiguous-track batches."""

import gzip
import os
import sysconfig

import numpy as np

from minigraph import bounded_read
from minigraph.errors import DataError

DEFAULT_CORPUS_BYTES = 1_000_000
# The cap on a text file, in MB (10**6 bytes): the standard character-level corpora
# (enwik8, text8: 100 MB) fit; reading one takes about 4 bytes of memory per byte of
# text (the bytes, the str, the ids), so 256 MB already needs about 1 GB, and the
# char-rnn here reads some 10**4 to 10**5 characters a second, so one pass over 256 MB
# takes days. ``--max-text-mb`` raises it.
MAX_TEXT_MB = 256
SHAKESPEARE_FILE = os.path.join(os.path.dirname(__file__), "tinyshakespeare.txt.gz")


def read_text(path, max_mb=MAX_TEXT_MB):
    """The whole file as str, decoded as UTF-8; an empty or undecodable file is an error that
    names the file (and the byte where decoding failed). The file must be a regular file
    (a FIFO or /dev/zero is refused before reading) of at most ``max_mb`` MB."""
    raw = bounded_read.read_capped(path, int(max_mb * 10**6), DataError, "text file",
                                   " (--max-text-mb raises it)")
    if not raw:
        raise DataError(f"text file {path} is empty")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"text file {path} is not valid UTF-8 (byte {exc.start}: "
                        f"{raw[exc.start:exc.start + 1]!r})") from None


def default_corpus(limit=DEFAULT_CORPUS_BYTES):
    """About ``limit`` bytes of this Python's own standard-library source: every install has
    it, and it echoes the blog's Linux-source experiment. Files are taken in sorted path
    order (tests and site-packages skipped), so the selection is deterministic."""
    root = sysconfig.get_paths()["stdlib"]
    paths = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in ("site-packages", "test", "tests",
                                                      "idlelib", "__pycache__", "lib2to3"))
        paths += [os.path.join(folder, f) for f in sorted(files) if f.endswith(".py")]
    pieces, size = [], 0
    for path in sorted(paths):
        try:
            text = read_text(path)
        except DataError:
            continue
        pieces.append(text)
        size += len(text.encode("utf-8"))
        if size >= limit:
            break
    if not pieces:
        raise DataError(f"no Python source found under {root} for the default corpus")
    return "\n".join(pieces)


def tiny_shakespeare():
    """Tiny Shakespeare, the text of Karpathy's char-rnn experiments: 1,115,394 characters
    (65 distinct) of the plays, public domain. It ships inside the package gzip-compressed,
    so ``minigraph char train --text shakespeare`` and the quality benchmark work on any
    machine."""
    try:
        with gzip.open(SHAKESPEARE_FILE, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise DataError(f"cannot read the packaged tiny Shakespeare {SHAKESPEARE_FILE}: "
                        f"{exc}") from None
    return raw.decode("utf-8")


BUILTIN_TEXTS = {"shakespeare": tiny_shakespeare}


def load_text(name=None, max_mb=MAX_TEXT_MB):
    """The text a ``--text`` flag names: None for the default corpus (Python's own source),
    ``"shakespeare"`` for the packaged tiny Shakespeare, anything else a UTF-8 regular file
    of at most ``max_mb`` MB (write ``./shakespeare`` for a file of that name)."""
    if name is None:
        return default_corpus()
    if name in BUILTIN_TEXTS:
        return BUILTIN_TEXTS[name]()
    return read_text(name, max_mb)


def _code_points(text, chunk):
    """(start, the code points of text[start:start + chunk] as uint32) for each chunk."""
    for start in range(0, len(text), chunk):
        piece = text[start:start + chunk].encode("utf-32-le", "surrogatepass")
        yield start, np.frombuffer(piece, np.uint32)


class Vocabulary:
    """The sorted set of characters of a text; ids are positions in that order."""

    def __init__(self, chars):
        self.chars = list(chars)
        self.index = {c: i for i, c in enumerate(self.chars)}
        if len(self.index) != len(self.chars):
            raise DataError("vocabulary characters must be distinct")

    @classmethod
    def from_text(cls, text, chunk=1 << 20):
        """The characters of ``text``, found a chunk at a time through numpy (no Python
        set of a 50 MB string)."""
        seen = set()
        for _, piece in _code_points(text, chunk):
            seen.update(np.unique(piece).tolist())
        return cls(chr(code) for code in sorted(seen))

    def __len__(self):
        return len(self.chars)

    @property
    def id_dtype(self):
        """The narrowest unsigned integer type that holds every id: uint8 up to 256
        characters, uint16 up to 65,536 (any text), so that an encoded text takes one or
        two bytes per character."""
        return np.uint8 if len(self.chars) <= 256 else np.uint16 if len(self.chars) <= 65536 \
            else np.uint32

    def encode(self, text, chunk=1 << 20):
        """The ids of ``text`` as a compact array (``id_dtype``). Encoded ``chunk``
        characters at a time through numpy (code points looked up in a table indexed by
        code point), never one Python object per character: a 50 MB text needs 50 MB of
        ids and a few bytes of scratch per character of one chunk."""
        # a hand-built vocabulary may hold longer entries: no single character matches them
        single = [(ord(c), i) for i, c in enumerate(self.chars) if len(c) == 1]
        codes = np.array([code for code, _ in single], dtype=np.int64)
        table = np.full(int(codes.max(initial=-1)) + 2, -1, dtype=np.int32)  # -1: unknown
        table[codes] = [i for _, i in single]
        ids = np.empty(len(text), dtype=self.id_dtype)
        missing, first = set(), None
        for start, piece in _code_points(text, chunk):
            found = table[np.minimum(piece, len(table) - 1)]  # the last slot is always -1
            unknown = found < 0
            if unknown.any():
                missing.update(chr(c) for c in np.unique(piece[unknown]).tolist())
                first = start + int(np.argmax(unknown)) if first is None else first
            else:
                ids[start:start + len(piece)] = found
        if missing:
            raise DataError(f"{len(missing)} characters are not in the vocabulary (the "
                            f"first at character {first}): {''.join(sorted(missing)[:20])!r}")
        return ids

    def decode(self, ids):
        return "".join(self.chars[int(i)] for i in ids)


class Tracks:
    """Minibatches of N contiguous tracks: row n of minibatch k+1 continues row n of minibatch
    k exactly, which is what makes carrying the hidden state across minibatches meaningful.

    The id stream is cut into N equal tracks; minibatch k holds inputs
    tracks[:, kT:(k+1)T] and targets shifted by one character. After the last full window
    the position wraps to 0 (a new epoch)."""

    def __init__(self, ids, batch_size, seq_len, name="text"):
        length = len(ids) // batch_size
        if length < seq_len + 1:
            raise DataError(f"{name} has {len(ids)} characters: too short for one minibatch of "
                            f"{batch_size} tracks x {seq_len + 1} characters "
                            f"(needs {batch_size * (seq_len + 1)})")
        # a view of the compact ids (uint8/uint16): no copy of the text is made here
        self.tracks = np.asarray(ids[:length * batch_size]).reshape(batch_size, length)
        self.batch_size, self.seq_len = batch_size, seq_len
        self.batches_per_epoch = (length - 1) // seq_len
        self.position = 0

    def __len__(self):
        return self.batches_per_epoch

    def batch(self, k):
        start = k * self.seq_len
        window = self.tracks[:, start:start + self.seq_len + 1].astype(np.int64)
        return window[:, :-1], window[:, 1:]

    def next(self):
        """(x, y, wrapped): the minibatch at the current position; wrapped is True when this
        minibatch starts a new pass over the text (carried state should be reset)."""
        wrapped = self.position == 0
        x, y = self.batch(self.position)
        self.position = (self.position + 1) % self.batches_per_epoch
        return x, y, wrapped


def split_text(text, train_fraction=0.9):
    """(the first 90%, the last 10%) of a text or of its encoded ids."""
    cut = int(len(text) * train_fraction)
    return text[:cut], text[cut:]
