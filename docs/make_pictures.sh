#!/usr/bin/env bash
# Regenerate every picture in the docs with minigraph itself. Run from the repository root.
set -euo pipefail
out=docs/img
mkdir -p "$out"
# Drawings: small models so they stay readable at the width the README and the docs show them.
minigraph render --kind captioning --cell lstm --steps 3 --out "$out/captioning_lstm_unrolled.svg"
minigraph render --kind attention --cell lstm --steps 3 --out "$out/attention_lstm_unrolled.svg"
minigraph render --kind char --cell rnn --steps 3 --grads --out "$out/char_rnn_gradients.svg"
minigraph render --kind char --cell rnn --steps 8 --grads --loss last \
    --out "$out/char_rnn_loss_last.svg"
minigraph render --kind char --cell lstm --steps 5 --view rolled --out "$out/char_lstm_rolled.svg"
minigraph bptt --seeds 5 --out "$out/bptt.png"       # the experiment over seeds, minutes
minigraph bptt --heatmap "$out/bptt_heatmap.png"     # |dL_s/dh_t| per loss step
minigraph stats --kind char --cell lstm --steps 16 --memory-plot "$out/bptt_memory.png"
dot -Tsvg docs/img/layers.dot -o "$out/layers.svg"   # the layers picture in design.md
python docs/make_exercise_pictures.py "$out"
