"""The encoded training text is compact: one byte per character for up to 256 distinct
characters, two beyond, and encoding never holds a Python object per character."""

import tracemalloc

import numpy as np
import pytest

from minigraph.models.charrnn.trainer import CharTrainer
from minigraph.models.data.coco import DataError
from minigraph.models.data.text import Tracks, Vocabulary


def random_text(n, alphabet, seed=0):
    rng = np.random.default_rng(seed)
    return "".join(np.array(list(alphabet))[rng.integers(0, len(alphabet), n)])


def test_a_small_alphabet_encodes_to_one_byte_per_character():
    text = random_text(50_000, "abcdefgh \n")
    trainer = CharTrainer(text, num_layers=1, hidden_size=4, seq_len=8, batch_size=4)
    stored = trainer.train_tracks.tracks.nbytes + trainer.val_ids.nbytes
    assert trainer.train_tracks.tracks.dtype == np.uint8
    assert stored / len(text) <= 1.0
    x, y = trainer.train_tracks.batch(0)  # the graph still gets int64 ids
    assert x.dtype == y.dtype == np.int64


def test_more_than_256_characters_encode_to_two_bytes_and_round_trip():
    alphabet = [chr(c) for c in range(0x400, 0x400 + 300)] + ["\U0001F600"]
    text = random_text(5_000, alphabet)
    vocab = Vocabulary.from_text(text)
    ids = vocab.encode(text, chunk=777)  # chunk edges inside the text
    assert ids.dtype == np.uint16 and len(vocab) == 301
    assert vocab.decode(ids) == text
    assert vocab.chars == sorted(set(text))


def test_encoding_a_text_allocates_about_one_byte_per_character():
    text = random_text(1_000_000, "the quick brown fox jumps over a lazy dog.\n")
    vocab = Vocabulary.from_text(text)
    tracemalloc.start()
    try:
        ids = vocab.encode(text, chunk=1 << 14)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the ids (1 byte each) plus a few bytes per character of one chunk of scratch; an
    # int64 per character (the old encoding) would be 8 bytes per character of the text
    assert ids.nbytes == len(text)
    assert peak - ids.nbytes <= 24 * (1 << 14), f"{peak / len(text):.2f} bytes per character"
    assert np.array_equal(ids, [vocab.index[c] for c in text[:1000]] + list(ids[1000:]))
    assert vocab.decode(ids[:2000]) == text[:2000]


def test_an_unknown_character_is_named_with_where_it_is():
    vocab = Vocabulary("abc")
    with pytest.raises(DataError, match=r"2 characters are not in the vocabulary "
                       r"\(the first at character 6\): .xz."):
        vocab.encode("abcabczax", chunk=4)


def test_tracks_of_compact_ids_give_the_same_batches_as_int64_ids():
    ids = np.random.default_rng(1).integers(0, 200, 1000)
    small, wide = Tracks(ids.astype(np.uint8), 4, 10), Tracks(ids, 4, 10)
    for k in range(len(small)):
        for a, b in zip(small.batch(k), wide.batch(k)):
            assert a.dtype == np.int64 and np.array_equal(a, b)
