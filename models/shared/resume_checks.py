"""What a resume must check before it continues a run: that the data is the data the run
was trained on (a fingerprint kept in the checkpoint's training state).

Both trainers record a SHA-256 fingerprint of their training data when they save: the
char-rnn of its text, the captioners of their caption arrays and vocabulary. A resume on
other data would go on silently with another run than the one planned (a text of the same
characters and length passes every other check), so it is refused in one line unless the
caller says so (``other_data=True``, the command line's ``--other-data``). A checkpoint
written before fingerprints existed resumes with a warning: nothing can be checked.
"""

import hashlib
import json
import warnings

import numpy as np

from minigraph.errors import CheckpointError

FINGERPRINT_KEY = "data_sha256"  # the key in the checkpoint's state group


def text_fingerprint(text):
    """SHA-256 (hex) of a training text, as UTF-8 (a lone surrogate kept as it came)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def caption_fingerprint(data):
    """SHA-256 (hex) of what a captioner trains on: the training captions, which image each
    belongs to, and the vocabulary (word -> id). Features are not hashed (hundreds of MB);
    their shape is."""
    digest = hashlib.sha256()
    for key in ("train_captions", "train_image_idxs"):
        array = np.ascontiguousarray(data[key]) if key in data else np.zeros(0)
        digest.update(f"{key} {array.dtype.str} {array.shape}\n".encode())
        digest.update(array.tobytes())
    for key in sorted(k for k in data if k.startswith("train_") and k != "train_captions"
                      and k != "train_image_idxs" and hasattr(data[k], "shape")):
        digest.update(f"{key} shape {tuple(data[key].shape)}\n".encode())
    vocab = {str(word): int(i) for word, i in data["word_to_idx"].items()}
    digest.update(json.dumps(vocab, sort_keys=True).encode())
    return digest.hexdigest()


def check_same_data(path, state, found, other_data, what, flag="--other-data"):
    """Refuse (CheckpointError) a resume on data whose fingerprint ``found`` differs from
    the one ``state`` records, unless ``other_data``; warn when none is recorded."""
    recorded = state.get(FINGERPRINT_KEY) if isinstance(state, dict) else None
    if recorded is None:
        warnings.warn(f"{path} records no fingerprint of its {what} (written by an older "
                      "minigraph): resuming without checking that the data is the same",
                      stacklevel=3)
        return
    if not isinstance(recorded, str):
        raise CheckpointError(f"{path}: 'state/{FINGERPRINT_KEY}' is {recorded!r}, not a "
                              "SHA-256 in hex")
    if recorded != found and not other_data:
        raise CheckpointError(f"{path} was trained on other {what} (fingerprint "
                              f"{recorded[:12]}, this data {found[:12]}): resume on the "
                              f"{what} it was trained on, or add {flag} to go on with this")
