"""`minigraph bptt`: the gradient-flow heatmap and the vanishing-gradient experiment."""

import numpy as np
import pytest

from minigraph.models.lab.gradient_flow import gradient_flow, scale_recurrent


def test_scale_recurrent_sets_the_spectral_radius_of_every_gate_block():
    Wh = np.random.default_rng(0).standard_normal((6, 18))
    scaled = scale_recurrent(Wh, 1.5)
    for block in np.split(scaled, 3, axis=1):
        assert np.max(np.abs(np.linalg.eigvals(block))) == pytest.approx(1.5)


def test_a_loss_step_sends_no_gradient_to_later_states():
    grads = gradient_flow("lstm", T=5, H=6)["grads"]
    assert np.isnan(grads[np.triu_indices(5, 1)]).all()
    assert (grads[np.tril_indices(5)] > 0).all()


def test_each_row_is_the_backward_of_that_step_loss_alone():
    # the chain rule by hand for a tanh RNN: dL_s/dh_s = (softmax - onehot) W_out^T / N,
    # then dh_{t-1} = (dh_t * (1 - h_t^2)) Wh^T back to t = 0; nothing from other losses
    N, T, K = 3, 5, 4
    flow = gradient_flow("rnn", T=T, H=6, N=N, K=K, seed=2, radius=1.2)
    W, h, y = flow["weights"], flow["states"], flow["targets"]
    for s in range(T):
        scores = h[s] @ W["W_out"] + W["b_out"]
        p = np.exp(scores - scores.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        p[np.arange(N), y[:, s]] -= 1
        dh = p @ W["W_out"].T / N
        for t in range(s, -1, -1):
            assert flow["grads"][s, t] == pytest.approx(np.linalg.norm(dh) / np.sqrt(N),
                                                        rel=1e-10)
            dh = (dh * (1 - h[t] ** 2)) @ W["Wh"].T


@pytest.mark.parametrize("cell, fraction", [("rnn", 1e-3), ("lstm", 0.1), ("gru", 0.1)])
def test_small_recurrent_radius_makes_the_gradient_vanish_back_in_time(cell, fraction):
    grads = gradient_flow(cell, T=12, radius=0.5, H=8)["grads"]
    last = grads[-1]  # the last step's loss, back to t = 0; the gates keep more of it
    assert last[0] < fraction * last[-1]
    assert np.all(np.diff(last[:-1]) > 0)  # fading steadily going back


def test_large_recurrent_radius_makes_the_rnn_gradient_explode_and_clipping_caps_it():
    flow = gradient_flow("rnn", T=12, radius=1.5, H=8, clip=1.0)
    last = flow["grads"][-1]
    assert last[0] > last[-1]  # the gradient grows going back in time
    assert flow["norm"] > 1.0 and flow["clipped"] == pytest.approx(1.0)
    calm = gradient_flow("rnn", T=12, radius=0.5, H=8, clip=1e6)
    assert calm["clipped"] == pytest.approx(calm["norm"])


@pytest.mark.slow
def test_bptt_heatmap_command_writes_a_png(tmp_path):
    from minigraph.models.cli import main
    path = tmp_path / "heat.png"
    assert main(["bptt", "--heatmap", str(path), "--steps", "6"]) == 0
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_bptt_json_has_final_loss_chance_and_reach_for_every_cell_and_seed(tmp_path):
    import json

    from minigraph.models.lab.bptt_figures import plot, write_json
    from minigraph.models.lab.vanishing_gradient import CELLS, experiment

    tiny = {"T": 4, "steps": 3, "N": 4, "H": 4}
    results = experiment(seeds=(0, 1), settings=tiny, jobs=1)
    write_json(results, tmp_path / "out.json", tiny)
    document = json.loads((tmp_path / "out.json").read_text())
    assert document["settings"]["T"] == 4
    runs = document["runs"]
    assert [(r["cell"], r["seed"]) for r in runs] == [(c[0], s) for c in CELLS for s in (0, 1)]
    for run, result in zip(runs, results):
        assert run["chance_loss"] == pytest.approx(np.log(document["settings"]["K"]))
        # the final loss is the long recall's after the last step, the curve's last point
        assert run["final_loss"] == result["long_losses"][-1] == run["long_losses"][-1]
        assert run["checked"][-1] == 3
        assert run["reach_init"] == pytest.approx(result["norms_init"][0] /
                                                  result["norms_init"][-1])
    plot(results, tmp_path / "bptt.png", tiny)
    assert (tmp_path / "bptt.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_reduced_experiment_lstm_learns_the_long_recall_and_rnn_does_not():
    # `minigraph bptt` with 300 instead of 400 Adam steps, two seeds, rnn and lstm only;
    # in two worker processes as the command runs it (one BLAS thread each)
    from minigraph.models.lab.vanishing_gradient import experiment

    results = experiment(seeds=(0, 1), settings={"steps": 300}, cells=("rnn", "lstm"), jobs=2)
    ratios = {(r["cell"], r["seed"]): r["final_loss"] / r["chance_loss"] for r in results}
    assert all(ratios[("lstm", seed)] < 0.1 for seed in (0, 1)), ratios
    assert all(ratios[("rnn", seed)] > 0.8 for seed in (0, 1)), ratios


def test_heatmap_reach_is_one_on_the_diagonal_and_fades_for_a_contracting_rnn():
    from minigraph.models.lab.gradient_flow import gradient_flow, reach

    ratios = reach(gradient_flow("rnn", T=8, radius=0.5)["grads"])
    assert np.allclose(np.diag(ratios), 1.0)
    assert np.isnan(ratios[0, 1])  # L_0 does not depend on h_1
    assert ratios[7, 0] < ratios[7, 3] < ratios[7, 6] < 1.0
