"""Grid features on disk and the attention commands: train, eval, sample, gallery."""

import os
import shutil

import h5py
import numpy as np
import pytest

from minigraph.models.captioning.attention_captioner import AttentionCaptioner
from minigraph.models.cli import main
from minigraph.models.data import load_coco_data, sample_coco_minibatch
from minigraph.models.data.coco import DataError, grid_file
from minigraph.models.data.features import RandomConvFeatures
from minigraph.models.data.shapes_dataset import EXTRACTOR_FILE


def test_grid_files_hold_16_cells_of_64_features_per_image(shapes_dir):
    data = load_coco_data(shapes_dir, grid=True)
    for split, images in (("train", 120), ("val", 30), ("novel", 20)):
        grid = data[f"{split}_grid"]
        assert grid.shape == (images, 16, 64) and grid.dtype == np.float32
    assert abs(data["train_grid"].var(axis=(0, 1)).mean() - 1) < 0.05  # unit average variance
    with h5py.File(os.path.join(shapes_dir, grid_file("val"))) as f:
        assert "4x4 grid" in f.attrs["description"] and "NOT VGG" in f.attrs["description"]
    captions, grids, _ = sample_coco_minibatch(data, 5, "val", np.random.default_rng(0),
                                               features="grid")
    assert captions.shape == (5, 17) and grids.shape == (5, 16, 64)
    assert "val_grid" not in load_coco_data(shapes_dir)  # only when asked for


def test_the_saved_extractor_gives_the_grid_of_a_new_picture_as_the_files_do(shapes_dir):
    from PIL import Image
    extractor = RandomConvFeatures.load(os.path.join(shapes_dir, EXTRACTOR_FILE))
    data = load_coco_data(shapes_dir, grid=True)
    pictures = np.stack([np.asarray(Image.open(os.path.join(shapes_dir, url)))
                         for url in data["val_urls"][:3]])
    np.testing.assert_allclose(extractor.grid(pictures), data["val_grid"][:3], atol=1e-4)


def test_the_grid_sees_where_an_object_is():
    """An object in the top-left corner changes the top-left cells most."""
    from minigraph.models.data.shapes import render
    extractor = RandomConvFeatures(seed=0)
    rng = np.random.default_rng(0)
    blank = render([], 64, rng)[None]
    corner = render([{"shape": "square", "colour": "red", "x": 10.0, "y": 10.0,
                      "radius": 8.0}], 64, rng)[None]
    raw = extractor.raw_both(np.concatenate([blank, corner]))[1]
    change = np.abs(raw[1] - raw[0]).sum(axis=1).reshape(4, 4)
    assert change.argmax() == 0 and change[0, 0] > 5 * change[3, 3]


def test_missing_or_malformed_grid_files_are_named(shapes_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(shapes_dir, copy, ignore=shutil.ignore_patterns("images"))
    os.remove(copy / grid_file("novel"))
    load_coco_data(copy)  # pooled features alone still load
    with pytest.raises(DataError, match="missing grid file .*novel2014_grid.h5: attention "
                       "needs spatial features"):
        load_coco_data(copy, grid=True)
    with h5py.File(copy / grid_file("novel"), "w") as f:
        f.create_dataset("features", data=np.zeros((20, 64), np.float32))
    with pytest.raises(DataError, match=r"'features' is \(20, 64\) float32; expected "
                       r"\(images, P, D\)"):
        load_coco_data(copy, grid=True)
    with h5py.File(copy / grid_file("novel"), "w") as f:
        f.create_dataset("features", data=np.zeros((7, 16, 64), np.float32))
    with pytest.raises(DataError, match="has 7 images but the novel features have 20"):
        load_coco_data(copy, grid=True)


@pytest.mark.slow
def test_attention_train_eval_sample_and_gallery_from_the_command_line(shapes_dir, tmp_path,
                                                                       capsys):
    model_path, picture = str(tmp_path / "att.h5"), str(tmp_path / "attention.png")
    assert main(["caption", "train", "--data", shapes_dir, "--attention", "--cell", "gru",
                 "--epochs", "1", "--hidden", "16", "--wordvec", "8", "--val-images", "5",
                 "--out", model_path, "--quiet"]) == 0
    model, saved = AttentionCaptioner.load(model_path)
    assert model.grid_shape == (16, 64) and saved["state"]["settings"]["attention"] is True
    assert main(["caption", "eval", "--model", model_path, "--split", "novel", "--beam",
                 "2", "--max-images", "3"]) == 0
    assert main(["caption", "sample", "--model", model_path, "--image",
                 os.path.join(shapes_dir, "images", "val", "00000.png")]) == 0
    assert main(["caption", "gallery", "--model", model_path, "--attention", "--count", "2",
                 "--out", picture]) == 0
    assert open(picture, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    before = os.stat(picture).st_mtime_ns
    capsys.readouterr()
    assert main(["caption", "gallery", "--model", model_path, "--attention", "--out",
                 picture]) == 2
    assert "exists; choose another --out or add --force" in capsys.readouterr().err
    assert os.stat(picture).st_mtime_ns == before
    assert main(["caption", "gallery", "--model", model_path, "--attention", "--count", "1",
                 "--force", "--out", picture]) == 0

    old = tmp_path / "old"  # a set made before grid features: its extractor has no grid
    old.mkdir()
    with h5py.File(os.path.join(shapes_dir, EXTRACTOR_FILE)) as src, \
            h5py.File(old / EXTRACTOR_FILE, "w") as dst:
        for key, value in src.attrs.items():
            dst.attrs[key] = value
        for name in src:
            if not name.startswith("grid"):
                dst.create_dataset(name, data=np.asarray(src[name]))
    capsys.readouterr()
    assert main(["caption", "sample", "--model", model_path, "--data", str(old), "--image",
                 os.path.join(shapes_dir, "images", "val", "00000.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "has no grid features" in err and "minigraph shapes" in err


def test_attention_gallery_of_a_plain_captioner_is_refused(shapes_dir, tmp_path, capsys):
    model_path = str(tmp_path / "plain.h5")
    assert main(["caption", "train", "--data", shapes_dir, "--epochs", "1", "--hidden", "8",
                 "--wordvec", "8", "--max-train", "20", "--val-images", "0", "--out",
                 model_path, "--quiet"]) == 0
    capsys.readouterr()
    assert main(["caption", "gallery", "--model", model_path, "--attention", "--out",
                 str(tmp_path / "a.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--attention needs an AttentionCaptioner" in err


def test_render_draws_and_pages_the_attention_nodes_of_three_steps(tmp_path):
    dot, page = tmp_path / "att.dot", tmp_path / "att.html"
    assert main(["render", "--kind", "attention", "--cell", "gru", "--steps", "3", "--out",
                 str(dot)]) == 0
    text = dot.read_text()
    for t in range(3):  # q_t, e_t, a_t, z_t drawn with their step as a subscript
        for symbol in ("q", "e", "a", "z", "context"):
            assert f'{symbol}<SUB><FONT POINT-SIZE="11">{t}</FONT></SUB>' in text, (symbol, t)
    assert "(2, 4, 5)" in text and "(2, 4)" in text  # shapes on the edges
    assert main(["render", "--kind", "attention", "--steps", "3", "--out", str(page)]) == 0
    html = page.read_text()
    assert all(f'"a[{t}]"' in html and f'"e[{t}]"' in html and f'"z[{t}]"' in html
               for t in range(3))
