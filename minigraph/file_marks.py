"""A mark inside every picture, page and results file minigraph writes, so that a later run
can tell its own earlier output (which it may replace) from a file of the user's (which it
must not), by the file's content and never by its name.

The mark sits where each format allows a comment and where a reader looks without parsing:
a ``tEXt`` chunk right after a PNG's header, an XML/HTML comment as the last line of an SVG
or a page, a ``//`` line at the end of DOT source, a ``%`` comment line after a PDF's end, a
``"written_by"`` key first in a JSON object, a header line in a samples log. Checkpoints
carry their own format attribute (``checkpoint.peek_kind``).
"""

import json
import os
import struct
import zlib

MARK = "written by minigraph"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_AFTER_HEADER = 8 + 25  # signature, then IHDR: length, type, 13 bytes, crc
_PNG_KEY = b"minigraph"
_XML_MARK = f"<!-- {MARK} -->".encode()
_DOT_MARK = f"// {MARK}\n".encode()
_PDF_MARK = f"%{MARK}\n".encode()
_JSON_MARK = b'"written_by": "minigraph"'
SAMPLES_HEADER = f"# char-rnn samples, {MARK}\n"
_OLD_SAMPLES_START = b"==== iteration "  # sample logs written before the header existed
_SHAPES_README = b"Shapes captioning set made by `minigraph shapes`"
_HEAD, _TAIL = 4096, 256


# recognisers of formats that carry their own mark, by the bytes a file starts with:
# minigraph.checkpoint registers its HDF5 checkpoints (peek_kind) when it is imported
# (registered, not imported here: the checkpoint module itself writes through files.py)
RECOGNISERS = {}


def register_recogniser(magic, recognise):
    """``recognise(path) -> bool`` decides for files that start with the bytes ``magic``."""
    RECOGNISERS[magic] = recognise


def _png_text_chunk(key, text):
    body = key + b"\x00" + text.encode("latin-1")
    return (struct.pack(">I", len(body)) + b"tEXt" + body
            + struct.pack(">I", zlib.crc32(b"tEXt" + body) & 0xFFFFFFFF))


def mark(data, path, json_too=False):
    """``data`` (bytes) with the mark added for its format; unchanged for a format that has
    no place for one (or a JSON object unless ``json_too``)."""
    name = os.fspath(path).lower()
    if data.startswith(PNG_SIGNATURE) and data[12:16] == b"IHDR":
        return (data[:_PNG_AFTER_HEADER] + _png_text_chunk(_PNG_KEY, MARK)
                + data[_PNG_AFTER_HEADER:])
    if data.startswith(b"%PDF"):
        return data + (b"" if data.endswith(b"\n") else b"\n") + _PDF_MARK
    # text formats: a comment line at the end, where it changes nothing a reader looks at
    if name.endswith((".dot", ".gv")):
        return data + (b"" if data.endswith(b"\n") else b"\n") + _DOT_MARK
    if name.endswith((".svg", ".html", ".htm", ".xml")) and data.lstrip().startswith(b"<"):
        return data + (b"" if data.endswith(b"\n") else b"\n") + _XML_MARK + b"\n"
    stripped = data.lstrip()
    if json_too and stripped.startswith(b"{"):
        start = data.index(b"{") + 1
        marked = data[:start] + _JSON_MARK + b", " + data[start:]
        try:
            json.loads(marked)
        except ValueError:  # an empty object: nothing to put the key before
            return data[:start] + _JSON_MARK + data[start:]
        return marked
    return data


def legacy_loss_plot(path):
    """True for a loss plot written before plots carried the mark: a PNG of the loss plot's
    size (700 x 400) that matplotlib wrote. Only a resumed run's own ``<out>_loss.png`` is
    judged by this (a new run needs the mark or --force)."""
    try:
        with open(path, "rb") as f:
            head = f.read(_HEAD)
    except OSError:
        return False
    return (head.startswith(PNG_SIGNATURE) and head[12:16] == b"IHDR"
            and struct.unpack(">II", head[16:24]) == (700, 400)
            and b"tEXtSoftware\x00Matplotlib" in head)


def folder_written_by_minigraph(path):
    """True for an empty folder, or one holding a shapes set minigraph made (its
    README.txt says so)."""
    try:
        return not os.listdir(path) or written_by_minigraph(os.path.join(path, "README.txt"))
    except OSError:
        return False


def written_by_minigraph(path):
    """True when the file at ``path`` carries minigraph's mark (or is a minigraph
    checkpoint): an output of an earlier run, which a new run may replace. Reads at most a
    few kilobytes."""
    try:
        with open(path, "rb") as f:
            head = f.read(_HEAD)
            for magic, recognise in RECOGNISERS.items():
                if head.startswith(magic):
                    return bool(recognise(path))
            size = os.fstat(f.fileno()).st_size
            f.seek(max(size - _TAIL, 0))
            tail = f.read(_TAIL)
    except OSError:
        return False
    if head.startswith(PNG_SIGNATURE):
        chunk = _png_text_chunk(_PNG_KEY, MARK)
        return head[_PNG_AFTER_HEADER:_PNG_AFTER_HEADER + len(chunk)] == chunk
    if head.startswith(b"%PDF"):
        return tail.endswith(_PDF_MARK)
    return (head.startswith((SAMPLES_HEADER.encode(), _OLD_SAMPLES_START, _SHAPES_README))
            or tail.endswith((_DOT_MARK, _XML_MARK + b"\n")) or _JSON_MARK in head[:64])
