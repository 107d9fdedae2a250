"""The PyTorch twin of benchmarks/char_twin.py: nn.LSTM holding a CharRNN's parameters
(gate blocks reordered) gives the same loss, gradients and final state. Skipped where
PyTorch is not installed."""

import numpy as np
import pytest

from benchmarks.char_twin import TorchTwin, gate_order
from minigraph.models.charrnn.model import CharRNN


def test_gate_order_takes_ifog_blocks_to_ifgo():
    assert gate_order(2).tolist() == [0, 1, 2, 3, 6, 7, 4, 5]


def test_the_torch_twin_computes_what_the_char_rnn_computes():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    V, H, N, T = 7, 5, 3, 6
    model = CharRNN(V, hidden_size=H, num_layers=2, seed=2, forget_bias=1.0)
    model.params["b_out"][...] = rng.standard_normal(V)  # nothing left at zero by chance
    x, y = rng.integers(0, V, (N, T)), rng.integers(0, V, (N, T))
    state = [(rng.standard_normal((N, H)).astype(np.float32),
              rng.standard_normal((N, H)).astype(np.float32)) for _ in range(2)]
    loss, grads, final = model.loss(x, y, state)

    twin = TorchTwin(model, torch, train_bias_hh=False)
    carried = tuple(torch.as_tensor(np.stack([s[k] for s in state])) for k in (0, 1))
    twin_loss, twin_final = twin.loss(x, y, carried)
    twin_loss.backward()
    assert twin_loss.item() == pytest.approx(float(loss), rel=1e-5)
    for name, g in twin.grads_like_minigraph().items():
        np.testing.assert_allclose(grads[name], g, atol=1e-5 * np.abs(g).max(), err_msg=name)
    for layer in range(2):
        np.testing.assert_allclose(final[layer][0], twin_final[0][layer].numpy(), atol=1e-6)
        np.testing.assert_allclose(final[layer][1], twin_final[1][layer].numpy(), atol=1e-6)
