"""Hostile files are refused cheaply, before they are read: checkpoints and data files are
sealed (a checksum in the HDF5 user block, checked before libhdf5 parses them) and
surveyed (links, object count, declared bytes, compression ratio) before any array is
read; texts must be regular files under a size cap. Tests that could hang if a check
were missing run in a subprocess with a timeout."""

import os
import subprocess
import sys
import warnings

import h5py
import numpy as np
import pytest

from minigraph import bounded_read, checkpoint
from minigraph.errors import CheckpointError, DataError
from minigraph.models.data.features import RandomConvFeatures
from minigraph.models.data.text import load_text, read_text

from .helpers import edited_hdf5

PARAMS = {"W": np.arange(12.0).reshape(3, 4), "b": np.array([0.5, -1.5, 2.0, 1e-3])}


def _saved(path):
    checkpoint.save(path, kind="Toy", params=PARAMS, config={"hidden": 4}, vocab=["a", "b"],
                    optim_configs={"W": {"learning_rate": 0.1, "m": np.ones((3, 4))}},
                    history={"loss": [3.0, 2.5]}, state={"iteration": 7})
    return path


def _load_in_subprocess(path, timeout=60):
    """(exit status, last line of stderr) of loading ``path`` in a fresh process."""
    code = ("import sys; from minigraph import checkpoint\n"
            "try:\n    checkpoint.load(sys.argv[1])\n"
            "except checkpoint.CheckpointError as exc:\n    sys.exit(f'refused: {exc}')\n")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, timeout=timeout)
    return done.returncode, (done.stderr.strip().splitlines() or [""])[-1]


# ------------------------------------------------------------------ the seal
def test_a_saved_checkpoint_is_sealed_and_loads_the_same_numbers(tmp_path):
    path = _saved(tmp_path / "m.h5")
    head = path.read_bytes()[:bounded_read.USERBLOCK]
    assert head.startswith(b"minigraph-sha256 ")
    with h5py.File(path, "r") as f:
        assert f.userblock_size == bounded_read.USERBLOCK and f["params/W"].fletcher32
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a sealed file loads without a warning
        saved = checkpoint.load(path)
    for name, value in PARAMS.items():
        np.testing.assert_array_equal(saved["params"][name], value)
        assert saved["params"][name].dtype == value.dtype
    assert saved["state"] == {"iteration": 7} and saved["history"] == {"loss": [3.0, 2.5]}


def test_every_flipped_byte_of_a_sealed_checkpoint_is_refused_before_libhdf5(tmp_path):
    raw = bytearray(_saved(tmp_path / "m.h5").read_bytes())
    positions = np.random.default_rng(0).choice(len(raw), 40, replace=False).tolist()
    positions += [0, 20, 100, 511, 512, 520, len(raw) - 1]  # seal, superblock, last byte
    for position in positions:
        damaged = bytearray(raw)
        damaged[position] ^= 1 << (position % 8)
        (tmp_path / "d.h5").write_bytes(bytes(damaged))
        with pytest.raises(CheckpointError, match="damaged"):
            checkpoint.load(tmp_path / "d.h5")
    (tmp_path / "t.h5").write_bytes(bytes(raw[:-1]))  # truncated by one byte
    with pytest.raises(CheckpointError, match="damaged"):
        checkpoint.load(tmp_path / "t.h5")


def test_a_damaged_checkpoint_is_refused_in_a_subprocess_without_hanging(tmp_path):
    raw = bytearray(_saved(tmp_path / "m.h5").read_bytes())
    raw[len(raw) // 2] ^= 0x10
    (tmp_path / "d.h5").write_bytes(bytes(raw))
    status, line = _load_in_subprocess(tmp_path / "d.h5")
    assert status == 1 and "refused" in line and "damaged" in line


def test_an_older_checkpoint_without_a_seal_loads_with_a_warning(tmp_path):
    raw = _saved(tmp_path / "m.h5").read_bytes()
    (tmp_path / "old.h5").write_bytes(raw[bounded_read.USERBLOCK:])  # as written before
    with pytest.warns(bounded_read.UnsealedWarning, match="has no checksum"):
        saved = checkpoint.load(tmp_path / "old.h5")
    np.testing.assert_array_equal(saved["params"]["W"], PARAMS["W"])


# ------------------------------------------------------------------ the survey
def _edited(tmp_path, change):
    path = _saved(tmp_path / "m.h5")
    with edited_hdf5(path) as f:  # the checksum is recomputed: the survey must refuse
        change(f)
    return path


def _hard_links(f):
    for i in range(1500):
        f["params"][f"copy{i}"] = f["params/W"]


def _nested_links(f):
    group = f["state"].create_group("loop")
    group["back"] = f["state"]  # a cycle: state/loop/back/loop/back/...


SURVEY_CASES = [
    ("1500-hard-links", _hard_links, "reached by more than one path"),
    ("cycle-of-groups", _nested_links, "reached by more than one path"),
    ("soft-link", lambda f: f["params"].__setitem__("V", h5py.SoftLink("/params/W")),
     "is a link (SoftLink)"),
    ("external-link", lambda f: f["params"].__setitem__("V", h5py.ExternalLink("/etc/x", "/")),
     "is a link (ExternalLink)"),
    ("5000-attributes", lambda f: [f["state"].attrs.__setitem__(f"a{i}", "1")
                                   for i in range(5000)], "more than 4096 groups"),
    ("5000-groups", lambda f: [f["state"].create_group(f"g{i}") for i in range(5000)],
     "more than 4096 groups"),
    ("fill-value-bomb", lambda f: f["state"].create_dataset("big", shape=(10**9,), dtype="f8",
                                                            chunks=(1000,)),
     "refused as a decompression bomb"),
    ("gzip-bomb", lambda f: f["state"].create_dataset("zeros", data=np.zeros(1 << 21),
                                                      compression="gzip", chunks=(1 << 20,)),
     "refused as a decompression bomb"),
    ("70000-chunks", lambda f: f["state"].create_dataset("tiny", data=np.arange(70000.0),
                                                         chunks=(1,)),
     "chunks to 70,000, over the budget of 65,536"),
    ("string-dataset", lambda f: f["state"].create_dataset("s", data=np.array([b"x" * 9])),
     "is not a numeric array"),
    ("nested-json-attribute", lambda f: f["state"].attrs.__setitem__("deep",
                                                                     "[" * 5000 + "]" * 5000),
     "nests 5000 levels deep"),
]


@pytest.mark.parametrize("change, message", [c[1:] for c in SURVEY_CASES],
                         ids=[c[0] for c in SURVEY_CASES])
def test_a_resealed_hostile_checkpoint_is_refused_by_the_survey(tmp_path, change, message):
    path = _edited(tmp_path, change)
    status, line = _load_in_subprocess(path)
    assert status == 1 and message in line, line


def test_the_byte_budget_spans_the_whole_checkpoint_and_names_its_knob(tmp_path, monkeypatch):
    path = _saved(tmp_path / "m.h5")
    monkeypatch.setenv(bounded_read.LIMIT_VARIABLE, "0.00005")  # 50 bytes
    with pytest.raises(CheckpointError, match=f"budget of 50 bytes.*"
                       f"{bounded_read.LIMIT_VARIABLE}"):
        checkpoint.load(path)
    monkeypatch.setenv(bounded_read.LIMIT_VARIABLE, "1")
    assert checkpoint.load(path)["state"]["iteration"] == 7


def test_peek_kind_calls_a_damaged_checkpoint_no_checkpoint(tmp_path):
    raw = bytearray(_saved(tmp_path / "m.h5").read_bytes())
    assert checkpoint.peek_kind(tmp_path / "m.h5") == "Toy"
    raw[-3] ^= 1
    (tmp_path / "d.h5").write_bytes(bytes(raw))
    assert checkpoint.peek_kind(tmp_path / "d.h5") is None


# ------------------------------------------------------------------ data files
def test_the_extractor_file_refuses_an_external_link(tmp_path):
    extractor = RandomConvFeatures(filters1=4, filters2=8)
    extractor.fit(np.random.default_rng(0).standard_normal((10, 80)).astype(np.float32))
    extractor.save(tmp_path / "x.h5")
    again = RandomConvFeatures.load(tmp_path / "x.h5")
    np.testing.assert_array_equal(again.components, extractor.components)
    with edited_hdf5(tmp_path / "x.h5") as f:
        del f["w1"]
        f["w1"] = h5py.ExternalLink(str(tmp_path / "other.h5"), "/w1")
    with pytest.raises(DataError, match="'w1' is a link"):
        RandomConvFeatures.load(tmp_path / "x.h5")


def _copy_data(shapes_dir, tmp_path):
    import shutil

    target = tmp_path / "data"
    shutil.copytree(shapes_dir, target, ignore=shutil.ignore_patterns("images"))
    return target


def test_a_compressed_features_bomb_is_refused_before_reading(shapes_dir, tmp_path):
    from minigraph.models.data import load_coco_data

    target = _copy_data(shapes_dir, tmp_path)
    with edited_hdf5(target / "val2014_vgg16_fc7_pca.h5") as f:
        del f["features"]
        f.create_dataset("features", data=np.zeros((4096, 512), np.float32),
                         compression="gzip", chunks=(4096, 512))
    with pytest.raises(DataError, match="refused as a decompression bomb"):
        load_coco_data(target)


def test_a_data_file_written_by_another_program_loads_without_a_warning(shapes_dir, tmp_path):
    from minigraph.models.data import load_coco_data

    target = _copy_data(shapes_dir, tmp_path)
    raw = (target / "coco2014_captions.h5").read_bytes()
    (target / "coco2014_captions.h5").write_bytes(raw[bounded_read.USERBLOCK:])
    with warnings.catch_warnings():
        warnings.simplefilter("error", bounded_read.UnsealedWarning)
        data = load_coco_data(target)
    assert data["train_captions"].shape[1] == 17


def test_the_data_budget_counts_every_file_of_one_load(shapes_dir, tmp_path, monkeypatch):
    from minigraph.models.data import load_coco_data

    target = _copy_data(shapes_dir, tmp_path)
    sizes = [os.path.getsize(target / name) for name in os.listdir(target)
             if name.endswith("_pca.h5") or name == "coco2014_captions.h5"]  # those read
    monkeypatch.setenv(bounded_read.LIMIT_VARIABLE, str(1.05 * max(sizes) / 1e6))
    with pytest.raises(DataError, match="over the budget"):  # each file fits, not all
        load_coco_data(target)


def test_a_deeply_nested_or_oversized_vocabulary_is_refused(shapes_dir, tmp_path,
                                                            monkeypatch):
    from minigraph.models.data import load_coco_data

    target = _copy_data(shapes_dir, tmp_path)
    (target / "coco2014_vocab.json").write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(DataError, match="nests 100000 levels deep"):
        load_coco_data(target)
    (target / "coco2014_vocab.json").write_text('{"a": "' + "x" * 5000 + '"}')
    monkeypatch.setattr(bounded_read, "JSON_BYTES", 4096)
    monkeypatch.setattr(bounded_read.read_json, "__defaults__", ("JSON file", 4096))
    with pytest.raises(DataError, match="over the cap of 4.1 KB"):
        load_coco_data(target)


# ------------------------------------------------------------------ texts
def test_a_text_must_be_a_regular_file(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    code = ("import sys\nfrom minigraph.models.data.text import read_text\n"
            "from minigraph.errors import DataError\n"
            "try:\n    read_text(sys.argv[1])\nexcept DataError as exc:\n    sys.exit(str(exc))\n")
    for path, what in [(tmp_path / "fifo", "a FIFO (named pipe)"),
                       ("/dev/zero", "a character device"), (tmp_path, "a folder")]:
        done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 1 and f"is {what}, not a regular file" in done.stderr


def test_a_text_over_the_cap_is_refused_and_the_flag_raises_the_cap(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"abc\n" * 400_000)  # 1.6 MB
    with pytest.raises(DataError, match=r"is 1.6 MB, over the cap of 1.0 MB "
                       r"\(--max-text-mb raises it\)"):
        read_text(path, max_mb=1)
    assert len(load_text(str(path), max_mb=2)) == 1_600_000


def test_char_train_refuses_dev_zero_in_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "minigraph", "char", "train",
                           "--text", "/dev/zero", "--out", str(tmp_path / "m.h5"),
                           "--iterations", "1"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: text file /dev/zero is a character device, not a regular file"]


def test_max_text_mb_is_a_char_flag_with_a_budget(capsys):
    from minigraph.models.cli import main

    assert main(["char", "eval", "--model", "m.h5", "--max-text-mb", "100001"]) == 2
    assert "must be at most 100,000" in capsys.readouterr().err


def test_json_with_millions_of_tiny_values_is_refused_before_parsing(tmp_path):
    path = tmp_path / "many.json"
    path.write_text("[" + "[]," * 9_000_000 + "[]]")  # 27 MB: 1.3 GB once parsed
    with pytest.raises(DataError, match="holds about 18,000,002 values"):
        bounded_read.read_json(path, DataError)
    assert bounded_read.parse_json('{"a": [1, "x,[", {}]}', "ok", DataError) == {
        "a": [1, "x,[", {}]}
