"""A damaged or inconsistent COCO-layout data directory is refused when it is loaded, with
one DataError naming the file and what is wrong (not a UnicodeDecodeError or KeyError at
the end of an epoch)."""

import json
import shutil

import pytest

from minigraph.models.cli import main
from minigraph.models.data import load_coco_data
from minigraph.models.data.coco import DataError


def _vocab(d, change):
    path = d / "coco2014_vocab.json"
    vocab = json.loads(path.read_text())
    path.write_text(json.dumps(change(vocab)))


def _swap_end(vocab):
    words = vocab["idx_to_word"]
    vocab["word_to_idx"]["<END>"] = len(words) - 1  # <END> points at another word
    return vocab


def _flip_bytes(path, start, count=64):
    raw = bytearray(path.read_bytes())
    for i in range(start, min(start + count, len(raw))):
        raw[i] ^= 0xFF
    path.write_bytes(bytes(raw))


DAMAGE = [
    ("vocab-a-list", lambda d: _vocab(d, lambda v: [v]), "is not a JSON object"),
    ("vocab-no-word-to-idx", lambda d: _vocab(d, lambda v: {"idx_to_word": v["idx_to_word"]}),
     "has no key 'word_to_idx'"),
    ("vocab-end-id-wrong", lambda d: _vocab(d, _swap_end), "not the inverse of 'idx_to_word'"),
    ("vocab-no-start", lambda d: _vocab(d, lambda v: {
        "idx_to_word": [w for w in v["idx_to_word"] if w != "<START>"],
        "word_to_idx": {w: i for i, w in enumerate(
            w for w in v["idx_to_word"] if w != "<START>")}}), "no <START> token"),
    ("vocab-not-json", lambda d: (d / "coco2014_vocab.json").write_text("{nope"),
     "cannot parse"),
    ("urls-not-utf8", lambda d: (d / "val2014_urls.txt").write_bytes(b"\xff\xfe\x81\n" * 30),
     "val2014_urls.txt as UTF-8"),
    ("captions-bit-flipped", lambda d: _flip_bytes(d / "coco2014_captions.h5", 0),
     "coco2014_captions.h5"),
    ("captions-truncated", lambda d: (d / "coco2014_captions.h5").write_bytes(
        (d / "coco2014_captions.h5").read_bytes()[:700]), "coco2014_captions.h5"),
    ("features-missing", lambda d: (d / "val2014_vgg16_fc7_pca.h5").unlink(),
     "missing data file"),
]


@pytest.mark.parametrize("damage, message", [c[1:] for c in DAMAGE], ids=[c[0] for c in DAMAGE])
def test_damaged_data_is_refused_when_loaded(shapes_dir, tmp_path, damage, message):
    d = tmp_path / "data"
    shutil.copytree(shapes_dir, d, ignore=shutil.ignore_patterns("images"))
    damage(d)
    with pytest.raises(DataError) as err:
        load_coco_data(d)
    assert message in str(err.value)


def test_caption_train_on_damaged_data_is_one_error_line(shapes_dir, tmp_path, capsys):
    d = tmp_path / "data"
    shutil.copytree(shapes_dir, d, ignore=shutil.ignore_patterns("images"))
    _vocab(d, _swap_end)
    assert main(["caption", "train", "--data", str(d), "--out", str(tmp_path / "c.h5")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err and "not the inverse" in err
    assert not (tmp_path / "c.h5").exists()
