"""The benchmark suite runs end to end in quick mode (no timing is asserted: a benchmark,
not a test, decides how fast is fast enough)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_quick_suite_writes_a_table_and_json_and_keeps_the_hand_written_notes(tmp_path):
    from benchmarks.suite import HAND_WRITTEN

    out, page = tmp_path / "results.json", tmp_path / "performance.md"
    page.write_text(f"# Performance\n\nan old table\n\n{HAND_WRITTEN}\n\n## Profile\nnotes\n")
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--impl", "minigraph",
                           "--impl", "numpy", "--workload", "char-lstm-256x2", "--out", str(out),
                           "--markdown", str(page)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| char-lstm-256x2 | minigraph |" in done.stdout
    text = page.read_text()
    assert "an old table" not in text and "| char-lstm-256x2 | minigraph |" in text
    assert text.endswith(f"{HAND_WRITTEN}\n\n## Profile\nnotes\n")
    results = json.loads(out.read_text())
    row = results["workloads"]["char-lstm-256x2"]
    assert row["impls"]["minigraph"]["median_ms"] > 0
    assert row["ratios"]["minigraph/numpy"] > 0
    assert row["impls"]["minigraph"]["saved_for_backward_mb"] > 0
    assert set(row["impls"]["minigraph"]["by_threads"]) == {"1", "2"}
    assert row["impls"]["minigraph"]["best_threads"] in (1, 2)
    assert results["matmul_peak_gflops"] > 0
    busy = results["contention"]["char-lstm-256x2"]["minigraph"]
    assert busy["quiet"]["threads"] == 1 and busy["slowdown"] > 0  # the default: 1 thread
    assert "| char-lstm-256x2 | minigraph | 1 |" in text  # the contention table


def test_numpy_baseline_computes_the_same_loss_and_gradients_as_minigraph():
    """The baseline is only a fair comparison if it does the same maths."""
    from benchmarks.numpy_baseline import NumpyRecurrentLM
    from minigraph.models.charrnn.model import CharRNN

    # vocab 11 over 3 x 7 positions embeds then multiplies; vocab 3 over 4 x 10 positions
    # takes the lookup-table order in both implementations
    for cell, V, N, T in (("lstm", 11, 3, 7), ("rnn", 11, 3, 7), ("lstm", 3, 4, 10)):
        model = CharRNN(V, hidden_size=6, num_layers=2, cell=cell, embed_size=5,
                        dtype=np.float64)
        base = NumpyRecurrentLM(V, 5, 6, 2, cell, dtype=np.float64)
        assert base._uses_table(np.zeros((N, T))) == (V == 3)
        names = {"W_embed": "W_embed", "W_out": "W_out", "b_out": "b_out"}
        for layer in range(2):
            names.update({f"Wx{layer}": f"Wx{layer}", f"Wh{layer}": f"Wh{layer}",
                          f"b{layer}": f"b{layer}"})
        for ours, theirs in names.items():
            base.p[theirs][...] = model.params[ours]
        ids = np.random.default_rng(0).integers(0, V, (N, T + 1))
        loss, grads, _ = model.loss(ids[:, :-1], ids[:, 1:], model.zero_state(N))
        base_loss, base_grads = base.loss_and_grads(ids[:, :-1], ids[:, 1:])
        assert abs(float(loss) - float(base_loss)) < 1e-12
        for ours, theirs in names.items():
            np.testing.assert_allclose(grads[ours], base_grads[theirs], rtol=1e-9, atol=1e-12)


def test_feature_probe_scores_a_hand_worked_case():
    from benchmarks.feature_probe import pair_accuracy
    truth = np.array([[2, 0, 0], [0, 1, 1]], np.float32)
    # image 1: two of pair 0; naming pair 0, lowering it to 0.9, still beats 0.8: 2 right.
    # image 2: pairs 1 and 2, but the guess names pair 0 then pair 2: 1 right of 2.
    predicted = np.array([[1.9, 0.8, 0.1], [0.9, 0.2, 0.7]])
    assert pair_accuracy(predicted, truth) == 3 / 4


def test_feature_probe_runs_on_a_shapes_set(shapes_dir, tmp_path):
    from benchmarks.feature_probe import main
    out = tmp_path / "probe.json"
    figures = main(["--data", shapes_dir, "--epochs", "30", "--out", str(out)])
    assert json.loads(out.read_text())["mlp"] == figures["mlp"]
    # 120 images: both readers fit the training images better than chance (1/16 per object)
    assert figures["linear"]["train"] > 0.5 and figures["mlp"]["train"] > 0.5
