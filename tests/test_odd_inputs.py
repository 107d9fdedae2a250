"""Odd values and odd strings at the edges of the application: a temperature too small to
divide by, recall@k without the k captions it scores, characters the output cannot encode,
a lone surrogate on its way to a page, pictures too small or too large to caption. Each
gives a meaningful result or one line and exit 2, never a traceback."""

import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest

from minigraph.models.charrnn.model import CharRNN
from minigraph.models.cli import main
from minigraph.models.shared.decoding import log_softmax, pick_next_word

CHARS = sorted(set("the quick brown fox jumps over the lazy dog.\n"))


def _char_model(tmp_path, chars=CHARS):
    model = CharRNN(len(chars), hidden_size=8, num_layers=1, chars=chars, seed=4)
    model.save(tmp_path / "m.h5")
    return model, tmp_path / "m.h5"


def test_a_temperature_too_small_to_divide_by_samples_the_likeliest_character(tmp_path):
    model, _ = _char_model(tmp_path)
    greedy = model.sample(prime="the ", length=40, temperature=0)
    assert model.sample(prime="the ", length=40, temperature=1e-310, seed=1) == greedy
    assert set(greedy) != {"\n"}  # the old failure printed newlines only


def test_tiny_temperature_ties_are_drawn_evenly_and_ordinary_ones_keep_their_bits():
    scores = np.array([[5.0, 5.0, -1.0, 2.0]] * 4000, np.float32)
    picks = pick_next_word(scores, 1e-310, np.random.default_rng(0))
    assert set(picks) == {0, 1} and abs(np.mean(picks) - 0.5) < 0.03
    # an ordinary temperature (and top-k's -inf) takes the same path as before, bit for bit
    masked = np.array([[1.5, -np.inf, 0.25, 3.0]], np.float32)
    probs = np.exp(log_softmax(masked.astype(np.float64) / 0.8))
    draw = np.random.default_rng(5).random((1, 1))
    expected = np.minimum((probs.cumsum(axis=1) < draw).sum(axis=1), 3)
    np.testing.assert_array_equal(pick_next_word(masked, 0.8, np.random.default_rng(5)),
                                  expected)


def test_recall_at_5_with_greedy_decoding_is_refused_in_one_line(tmp_path, capsys):
    code = main(["caption", "eval", "--model", str(tmp_path / "absent.h5"), "--recall-k", "5"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "--recall-k 5 needs beam search (--beam N)" in err


def _run(args, encoding, tmp_path):
    """The command line in a child process whose stdout has ``encoding`` (strict)."""
    env = {"PYTHONIOENCODING": f"{encoding}:strict", "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path), "LC_ALL": "C.UTF-8"}
    code = "import sys; from minigraph.models.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, env=env,
                          timeout=120)


def test_cjk_prime_to_an_ascii_stdout_prints_escapes(tmp_path):
    _, path = _char_model(tmp_path)
    done = _run(["char", "sample", "--model", str(path), "--length", "5", "--prime",
                 "日本 the"], "ascii", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"\\u65e5\\u672c the")
    assert b"Traceback" not in done.stderr


def test_a_prime_of_bytes_that_are_not_utf8_prints_under_a_strict_utf8_stdout(tmp_path):
    _, path = _char_model(tmp_path)
    done = _run([b"char", b"sample", b"--model", str(path).encode(), b"--length", b"5",
                 b"--prime", b"\xff\xfethe"], "utf-8", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"\\udcff\\udcfethe")
    assert b"Traceback" not in done.stderr


def test_a_lone_surrogate_in_a_vocabulary_reaches_the_neuron_page_escaped(tmp_path):
    _, path = _char_model(tmp_path, CHARS + ["\ud800"])
    text = tmp_path / "t.txt"
    text.write_text("the quick brown fox jumps over the lazy dog.\n" * 60, encoding="utf-8")
    page = tmp_path / "n.html"
    assert main(["char", "neurons", "--model", str(path), "--text", str(text), "--chars",
                 "200", "--reach", "5", "--out", str(page)]) == 0
    source = page.read_bytes().decode("utf-8")  # valid UTF-8
    assert "\\ud800" in source


# ---------------------------------------------------------------- pictures to caption
def _png(path, width, height, pixels=None):
    """A PNG file by hand: its header declares width x height (a bomb declares billions
    of pixels in a few bytes; PIL reads the header before any pixel)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = pixels if pixels is not None else b"\0" * 16
    path.write_bytes(b"\x89PNG\r\n\x1a\n"
                     + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("size, says", [
    ((7, 9), "is 7x9 pixels; the feature extractor needs at least 32x32"),
    ((5000, 5000), "is 5000x5000 pixels, more than the 1,048,576"),
    ((12_000, 12_000), "is 12000x12000 pixels, more than the 1,048,576"),  # PIL warns
    ((100_000, 100_000), "could be decompression bomb"),  # PIL refuses
    ((40_000, 3), "is 40000x3 pixels; the feature extractor needs at least 32x32"),
], ids=["7x9", "large", "bomb-PIL-warns", "bomb-PIL-refuses", "sliver"])
def test_pictures_too_small_or_too_large_are_refused_in_one_line(captioner_file, shapes_dir,
                                                                 tmp_path, capsys, size,
                                                                 says):
    if size == (7, 9):
        from PIL import Image

        picture = tmp_path / "p.png"
        Image.new("RGB", size, (200, 10, 10)).save(picture)
    else:
        picture = _png(tmp_path / "p.png", *size)
    code = main(["caption", "sample", "--model", str(captioner_file), "--data", shapes_dir,
                 "--image", str(picture)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and says in err, err
