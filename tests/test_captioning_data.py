"""The COCO-layout loader, the shapes set, BLEU, attribute accuracy and checkpoints."""

import json
import os
import shutil

import h5py
import numpy as np
import pytest

from minigraph.checkpoint import CheckpointError
from minigraph.models.captioning.bleu import bleu
from minigraph.models.captioning.rnn_captioner import CaptioningRNN
from minigraph.models.captioning.solver import CaptioningSolver
from minigraph.models.data import decode_captions, load_coco_data, sample_coco_minibatch
from minigraph.models.data.coco import DataError
from minigraph.models.data.shapes import (
    NOVEL_PAIRS,
    attribute_accuracy,
    exact_image_accuracy,
    named_pairs,
    relation_accuracy,
)
from minigraph.models.data.shapes_dataset import load_objects, make_shapes_dataset

from .helpers import edited_hdf5


def test_loader_returns_the_notebook_dictionary(shapes_dir):
    data = load_coco_data(shapes_dir)
    for split, images in (("train", 120), ("val", 30), ("novel", 20)):
        captions = data[f"{split}_captions"]
        assert captions.dtype == np.int32 and captions.shape == (5 * images, 17)
        assert data[f"{split}_image_idxs"].dtype == np.int32
        assert data[f"{split}_features"].dtype == np.float32
        assert data[f"{split}_features"].shape[0] == images
        assert data[f"{split}_urls"].shape == (images,)
    assert isinstance(data["idx_to_word"], list) and isinstance(data["word_to_idx"], dict)
    assert data["idx_to_word"][:4] == ["<NULL>", "<START>", "<END>", "<UNK>"]
    assert all(data["word_to_idx"][w] == i for i, w in enumerate(data["idx_to_word"]))


def test_max_train_draws_a_seeded_subset(shapes_dir):
    a = load_coco_data(shapes_dir, max_train=7, seed=3)
    b = load_coco_data(shapes_dir, max_train=7, seed=3)
    assert a["train_captions"].shape == (7, 17)
    np.testing.assert_array_equal(a["train_captions"], b["train_captions"])


def test_minibatch_and_decoding(shapes_dir):
    data = load_coco_data(shapes_dir)
    captions, features, urls = sample_coco_minibatch(data, 4, "val", np.random.default_rng(0))
    assert captions.shape == (4, 17) and features.shape[0] == 4 and len(urls) == 4
    texts = decode_captions(captions, data["idx_to_word"])
    assert all(t and "<" not in t for t in texts)
    assert decode_captions(np.array([1, 5, 2, 6, 0]), ["<NULL>", "<START>", "<END>", "u",
                                                       "v", "cat", "dog"]) == "cat"


@pytest.mark.slow
def test_features_say_what_they_are_and_files_are_deterministic(tmp_path):
    for name in ("a", "b"):
        make_shapes_dataset(tmp_path / name, 12, 3, 3, seed=9, progress=False)
    with h5py.File(tmp_path / "a" / "train2014_vgg16_fc7_pca.h5") as f:
        assert "NOT VGG" in f.attrs["description"]
        first = np.asarray(f["features"])
    with h5py.File(tmp_path / "b" / "train2014_vgg16_fc7_pca.h5") as f:
        np.testing.assert_array_equal(first, np.asarray(f["features"]))
    assert "NOT VGG" in (tmp_path / "a" / "README.txt").read_text()
    assert (tmp_path / "a" / "images" / "train" / "00000.png").exists()


def test_novel_split_holds_only_unseen_colour_shape_pairs(shapes_dir):
    objects = load_objects(shapes_dir)
    pair = lambda o: (o["colour"], o["shape"])  # noqa: E731
    assert all(pair(o) in NOVEL_PAIRS for image in objects["novel"] for o in image)
    assert not any(pair(o) in NOVEL_PAIRS for split in ("train", "val")
                   for image in objects[split] for o in image)


def test_every_caption_names_every_object(shapes_dir):
    data = load_coco_data(shapes_dir)
    objects = load_objects(shapes_dir)["train"]
    texts = decode_captions(data["train_captions"], data["idx_to_word"])
    per_image = [[objects[i]] for i in data["train_image_idxs"]]
    assert attribute_accuracy(texts, [p[0] for p in per_image]) == 1.0
    assert relation_accuracy(texts, [p[0] for p in per_image]) == 1.0


def _copy(shapes_dir, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(shapes_dir, target, ignore=shutil.ignore_patterns("images"))
    return target


def test_missing_file_is_named(shapes_dir, tmp_path):
    target = _copy(shapes_dir, tmp_path)
    os.remove(target / "val2014_vgg16_fc7_pca.h5")
    with pytest.raises(DataError, match="missing data file .*val2014_vgg16_fc7_pca.h5"):
        load_coco_data(target)


def test_wrong_key_is_named(shapes_dir, tmp_path):
    target = _copy(shapes_dir, tmp_path)
    with edited_hdf5(target / "val2014_vgg16_fc7_pca.h5") as f:
        f["feats"] = f["features"][()]
        del f["features"]
    with pytest.raises(DataError, match=r"val2014_vgg16_fc7_pca.h5 has no dataset 'features'"):
        load_coco_data(target)
    vocab = json.loads((target / "coco2014_vocab.json").read_text())
    del vocab["word_to_idx"]
    (target / "coco2014_vocab.json").write_text(json.dumps(vocab))
    with pytest.raises(DataError, match="no key 'word_to_idx'"):
        load_coco_data(target, pca_features=False)


def test_mismatched_lengths_and_out_of_vocabulary_ids(shapes_dir, tmp_path):
    target = _copy(shapes_dir, tmp_path)
    with edited_hdf5(target / "coco2014_captions.h5") as f:
        idxs = f["val_image_idxs"][()]
        del f["val_image_idxs"]
        f["val_image_idxs"] = idxs[:-1]
    with pytest.raises(DataError, match="'val_captions' .* and 'val_image_idxs' .* do not match"):
        load_coco_data(target)
    with edited_hdf5(target / "coco2014_captions.h5") as f:
        del f["val_image_idxs"]
        f["val_image_idxs"] = idxs
        captions = f["train_captions"][()]
        captions[3, 2] = 999
        f["train_captions"][...] = captions
    with pytest.raises(DataError, match="'train_captions' holds id 999, outside the vocabulary"):
        load_coco_data(target)


def test_bleu_against_a_hand_computed_case():
    refs = [[["a", "red", "circle", "left", "of", "a", "blue", "square"]]]
    hyp = [["a", "red", "circle", "left", "of", "a", "green", "square"]]
    scores = bleu(refs, hyp)
    # unigrams 7/8, bigrams 5/7, trigrams 4/6, 4-grams 3/5; same length: no brevity penalty
    assert scores["bleu1"] == pytest.approx(7 / 8)
    assert scores["bleu2"] == pytest.approx(np.sqrt(7 / 8 * 5 / 7))
    assert scores["bleu3"] == pytest.approx((7 / 8 * 5 / 7 * 4 / 6) ** (1 / 3))
    assert scores["bleu4"] == pytest.approx((7 / 8 * 5 / 7 * 4 / 6 * 3 / 5) ** 0.25)
    short = bleu(refs, [["a", "red", "circle", "left", "of", "a"]])
    assert short["bleu1"] == pytest.approx(np.exp(1 - 8 / 6))  # brevity penalty only


def test_attribute_accuracy_counts_each_named_pair_once():
    objects = [[{"colour": "red", "shape": "circle"}, {"colour": "red", "shape": "circle"}],
               [{"colour": "blue", "shape": "square"}]]
    texts = ["a small red circle to the left of a big green circle", "a large blue square"]
    assert named_pairs(texts[0]) == [("red", "circle"), ("green", "circle")]
    assert attribute_accuracy(texts, objects) == pytest.approx(2 / 3)


def test_exact_image_accuracy_counts_invented_and_missed_objects_against_the_image():
    red, blue = {"colour": "red", "shape": "circle"}, {"colour": "blue", "shape": "square"}
    texts = ["a large blue square below a small red circle",   # both, in another order
             "a large blue square below a small purple circle",  # one invented
             "a small red circle"]                              # the blue square missed
    objects = [[red, blue], [blue], [red, blue]]
    assert exact_image_accuracy(texts, objects) == pytest.approx(1 / 3)
    assert attribute_accuracy(texts, objects) == pytest.approx(4 / 5)


def _tiny_model(data, **kw):
    return CaptioningRNN(data["word_to_idx"], input_dim=data["train_features"].shape[1],
                         wordvec_dim=8, hidden_dim=12, cell_type="lstm", **kw)


def test_checkpoint_round_trip_restores_parameters_and_optimizer(shapes_dir, tmp_path):
    data = load_coco_data(shapes_dir)
    model = _tiny_model(data)
    solver = CaptioningSolver(model, data, batch_size=40, num_epochs=1, verbose=False,
                              progress=False, checkpoint_path=tmp_path / "m.h5",
                              plot_path=tmp_path / "loss.png")
    solver.train()
    assert (tmp_path / "loss.png").stat().st_size > 1000
    loaded, saved = CaptioningRNN.load(tmp_path / "m.h5")
    for name, value in model.params.items():
        np.testing.assert_array_equal(loaded.params[name], value)
        assert loaded.params[name].dtype == value.dtype
    assert saved["state"]["epoch"] == 1 and saved["history"]["loss_history"]
    resumed = CaptioningSolver(_tiny_model(data, seed=5), data, verbose=False, progress=False)
    resumed.load_checkpoint(tmp_path / "m.h5")
    np.testing.assert_array_equal(resumed.optim_configs["Wx"]["m"], solver.optim_configs["Wx"]["m"])
    assert resumed.optim_configs["Wx"]["t"] == solver.optim_configs["Wx"]["t"]
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".tmp-")]


def test_corrupted_and_mismatched_checkpoints_are_refused(shapes_dir, tmp_path):
    data = load_coco_data(shapes_dir)
    model = _tiny_model(data)
    model.save(tmp_path / "m.h5")
    (tmp_path / "bad.h5").write_bytes((tmp_path / "m.h5").read_bytes()[:300])
    with pytest.raises(CheckpointError, match="cannot read checkpoint .*bad.h5"):
        CaptioningRNN.load(tmp_path / "bad.h5")
    other_vocab = dict(data["word_to_idx"], zebra=len(data["word_to_idx"]))
    other = CaptioningRNN(other_vocab, input_dim=data["train_features"].shape[1],
                          wordvec_dim=8, hidden_dim=12, cell_type="lstm")
    with pytest.raises(CheckpointError, match="different vocabulary"):
        other.load_params(tmp_path / "m.h5")
    wider = CaptioningRNN(data["word_to_idx"], input_dim=data["train_features"].shape[1],
                          wordvec_dim=8, hidden_dim=16, cell_type="lstm")
    with pytest.raises(CheckpointError, match=r"'Wh' is \(12, 48\) float32 in the file, the "
                                              r"model wants \(16, 64\)"):
        wider.load_params(tmp_path / "m.h5")


def test_a_failed_write_leaves_the_previous_checkpoint_intact(shapes_dir, tmp_path):
    data = load_coco_data(shapes_dir)
    model = _tiny_model(data)
    model.save(tmp_path / "m.h5")
    before = (tmp_path / "m.h5").read_bytes()
    with pytest.raises(TypeError):
        model.save(tmp_path / "m.h5", state={"not json": object()})
    assert (tmp_path / "m.h5").read_bytes() == before
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".tmp-")]


def test_bleu_of_a_caption_with_no_matching_four_grams_is_zero_and_silent():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = bleu([[["a", "red", "circle", "left", "of", "a", "blue", "square"]]],
                      [["a", "green", "square", "above", "a", "red", "circle"]])
    assert scores["bleu4"] < 1e-50 and scores["bleu1"] > 0.5  # nltk: 0 up to underflow


def test_relation_accuracy_needs_the_right_objects_in_the_right_places():
    def obj(colour, shape, x, y, size="small"):
        return {"colour": colour, "shape": shape, "x": x, "y": y, "size": size}
    two = [obj("red", "circle", 10, 30), obj("blue", "square", 50, 32, "large")]
    three = [obj("green", "circle", 40, 10), obj("green", "circle", 10, 50),
             obj("red", "square", 25, 30)]
    texts = ["a small red circle to the left of a large blue square",   # right
             "a large blue square left of a little red circle",         # reversed
             "a small red circle to the left of a small blue square",   # wrong size
             "a small green circle , a small red square and a small green circle",  # right
             "a small red square , a small green circle and a small green circle",  # order
             "a small red circle"]                                      # one object: skipped
    objects = [two, two, two, three, three, [two[0]]]
    assert relation_accuracy(texts, objects) == pytest.approx(2 / 5)
