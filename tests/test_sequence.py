"""The whole-sequence training path (one node per recurrent layer for all T steps) gives
the per-step graph's loss, gradients and final state; drawings keep one node per step."""

import numpy as np
import pytest

import minigraph as mg
from minigraph.models.captioning_rnn import CaptioningRNN
from minigraph.models.char_rnn import CharRNN


def _char_run(cell, sequence, dtype, dropout=0.0):
    rng = np.random.default_rng(5)
    model = CharRNN(9, hidden_size=6, num_layers=2, cell=cell, seed=2, dtype=dtype,
                    dropout=dropout, embed_size=4)
    model.sequence = sequence
    ids = rng.integers(0, 9, (3, 8))
    state = [(rng.standard_normal((3, 6)).astype(dtype),
              rng.standard_normal((3, 6)).astype(dtype) if cell == "lstm" else None)
             for _ in range(2)]
    loss, grads, final = model.loss(ids[:, :-1], ids[:, 1:], state)
    evaluated, _ = model.evaluate(ids[:, :-1], ids[:, 1:], state)
    return model, loss, grads, final, evaluated


@pytest.mark.parametrize("cell", ["lstm", "rnn"])
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 1e-6)])
def test_char_rnn_sequence_path_gives_the_per_step_loss_gradients_and_state(cell, dtype, tol):
    _, loss, grads, final, evaluated = _char_run(cell, False, dtype, dropout=0.25)
    model, loss_s, grads_s, final_s, evaluated_s = _char_run(cell, True, dtype, dropout=0.25)
    assert loss_s.dtype == dtype
    assert abs(loss - loss_s) <= tol * abs(loss) and abs(evaluated - evaluated_s) <= tol * 10
    for name in grads:
        assert grads_s[name].dtype == dtype
        np.testing.assert_allclose(grads_s[name], grads[name], rtol=tol * 10, atol=tol,
                                   err_msg=name)
    for per_step, seq in zip(final, final_s):
        for a, b in zip(per_step, seq):
            if a is not None:
                np.testing.assert_allclose(b, a, rtol=tol * 10, atol=tol)
    graph = model.run_graph(3, 7)
    kind = mg.LSTMSequence if cell == "lstm" else mg.RNNSequence
    assert sum(isinstance(n.op, kind) for n in graph.op_nodes) == 2  # one per layer
    steps = mg.LSTMStepProjected if cell == "lstm" else mg.RNNStepProjected
    assert sum(isinstance(n.op, steps) for n in model.build_graph(3, 7).op_nodes) == 14


def test_captioning_sequence_path_gives_the_per_step_loss_and_gradients():
    rng = np.random.default_rng(0)
    words = {"<NULL>": 0, "<START>": 1, "<END>": 2, "a": 3, "b": 4}
    features = rng.standard_normal((3, 6))
    captions = rng.integers(0, 5, (3, 6))
    results = []
    for sequence in (False, True):
        model = CaptioningRNN(words, input_dim=6, wordvec_dim=4, hidden_dim=5,
                              cell_type="lstm", dtype=np.float64)
        model.sequence = sequence
        results.append(model.loss(features, captions))
    (loss, grads), (loss_s, grads_s) = results
    assert abs(loss - loss_s) < 1e-12
    for name in grads:  # h0's gradient reaches W_proj through the sequence node too
        np.testing.assert_allclose(grads_s[name], grads[name], rtol=1e-10, atol=1e-12)


def test_a_gru_model_on_the_sequence_path_keeps_its_per_step_nodes():
    model, loss, *_ = _char_run("gru", True, np.float64)
    assert np.isfinite(loss)
    graph = model.run_graph(3, 7)
    assert sum(isinstance(n.op, mg.GRUStepProjected) for n in graph.op_nodes) == 14


def test_retain_graph_and_drawings_run_the_per_step_graph():
    model, *_ = _char_run("lstm", True, np.float64)
    ids = np.zeros((3, 8), np.int64)
    model.loss(ids[:, :-1], ids[:, 1:], retain_graph=True)
    graph = model.build_graph(3, 7)
    assert graph["h0[3]"].value is not None and graph["h0[3]"].grad is not None


def test_unroll_sequence_refuses_a_cell_without_a_sequence_node():
    xw = mg.input("xw", (2, 3, 12), np.float64)
    h0 = mg.input("h0", (2, 4), np.float64)
    Wh = mg.param(np.zeros((4, 12)), "Wh")
    with pytest.raises(ValueError, match="no whole-sequence node for cell 'gru'"):
        mg.unroll_sequence("gru", xw, h0, Wh)


def test_the_sequence_node_names_a_wrong_shape():
    xw = mg.input("xw", (2, 3, 10), np.float32)
    h0 = mg.input("h0", (2, 4), np.float32)
    with pytest.raises(mg.ShapeError, match=r"LSTMSequence: needs xw \(N, T, 4H\)"):
        mg.lstm_sequence(xw, h0, h0, mg.param(np.zeros((4, 16), np.float32), "Wh"))


def test_the_trainers_choose_the_sequence_path():
    from minigraph.models.char_train import CharTrainer

    trainer = CharTrainer("abcdefgh" * 40, num_layers=1, hidden_size=4, seq_len=5, batch_size=2)
    assert trainer.model.sequence is True
