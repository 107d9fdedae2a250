"""Peak memory of loading a large training text for char-rnn.

    python -m benchmarks.text_memory [MEGABYTES]

Writes a generated text of MEGABYTES (default 50) million bytes of ASCII words, then, in a
fresh process, reads it with ``load_text`` and builds a ``CharTrainer`` on it (a tiny
model, so the text dominates) and prints the growth of the peak resident set size
(VmHWM, reset after the imports) over the RSS before reading, as a multiple of the file size.
The target is about 3x; the encoded ids alone are 1 byte per character.
"""

import os
import subprocess
import sys
import tempfile

import numpy as np

CHILD = """
import sys
from minigraph.models.charrnn.trainer import CharTrainer
from minigraph.models.data.text import load_text
def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key))
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current RSS: imports do not count
before = status("VmRSS:")
text = load_text(sys.argv[1])
trainer = CharTrainer(text, num_layers=1, hidden_size=8, seq_len=16, batch_size=4)
print(status("VmHWM:") - before, trainer.train_tracks.tracks.dtype,
      trainer.train_tracks.tracks.nbytes)
"""


def write_text(path, megabytes, seed=0):
    """``megabytes`` million bytes of random words over 60 characters, one line per 60."""
    rng = np.random.default_rng(seed)
    alphabet = np.frombuffer(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.,;:!? '-\n",
                             np.uint8)
    size, chunk = int(megabytes * 1_000_000), 1_000_000
    with open(path, "wb") as f:
        for start in range(0, size, chunk):
            n = min(chunk, size - start)
            f.write(alphabet[rng.integers(0, len(alphabet), n, dtype=np.uint8)].tobytes())
    return size


def main(megabytes=50.0):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "big.txt")
        size = write_text(path, megabytes)
        result = subprocess.run([sys.executable, "-c", CHILD, path], capture_output=True,
                                text=True, check=True)
        grown, dtype, nbytes = result.stdout.split()
        grown = int(grown)
        print(f"text file {size / 1e6:.0f} MB; training ids {dtype}, {int(nbytes) / 1e6:.0f} MB;"
              f" peak RSS grew {grown / 1e6:.0f} MB = {grown / size:.2f}x the file size")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 50.0)
