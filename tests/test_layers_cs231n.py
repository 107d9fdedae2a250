"""minigraph.layers reproduces the CS231n RNN-captioning notebook's reference results."""

import numpy as np
import pytest

from minigraph.gradient_check import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    rel_error,
)
from minigraph.layers import (
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
    temporal_affine_backward,
    temporal_affine_forward,
    temporal_softmax_loss,
    word_embedding_backward,
    word_embedding_forward,
)

from .helpers import EXTENDED, needs_extended_precision


def lin(lo, hi, *shape):
    return np.linspace(lo, hi, num=int(np.prod(shape))).reshape(*shape)


def test_rnn_step_forward_reference():
    N, D, H = 3, 10, 4
    next_h, _ = rnn_step_forward(lin(-0.4, 0.7, N, D), lin(-0.2, 0.5, N, H),
                                 lin(-0.1, 0.9, D, H), lin(-0.3, 0.7, H, H), lin(-0.2, 0.4, H))
    expected = np.array([[-0.58172089, -0.50182032, -0.41232771, -0.31410098],
                         [0.66854692, 0.79562378, 0.87755553, 0.92795967],
                         [0.97934501, 0.99144213, 0.99646691, 0.99854353]])
    assert rel_error(next_h, expected) <= 1e-8


def test_rnn_forward_reference():
    N, T, D, H = 2, 3, 4, 5
    h, _ = rnn_forward(lin(-0.1, 0.3, N, T, D), lin(-0.3, 0.1, N, H), lin(-0.2, 0.4, D, H),
                       lin(-0.4, 0.1, H, H), lin(-0.7, 0.1, H))
    expected = np.array([
        [[-0.42070749, -0.27279261, -0.11074945, 0.05740409, 0.22236251],
         [-0.39525808, -0.22554661, -0.0409454, 0.14649412, 0.32397316],
         [-0.42305111, -0.24223728, -0.04287027, 0.15997045, 0.35014525]],
        [[-0.55857474, -0.39065825, -0.19198182, 0.02378408, 0.23735671],
         [-0.27150199, -0.07088804, 0.13562939, 0.33099728, 0.50158768],
         [-0.51014825, -0.30524429, -0.06755202, 0.17806392, 0.40333043]]])
    assert rel_error(h, expected) <= 1e-7


def test_word_embedding_forward_reference():
    x = np.array([[0, 3, 1, 2], [2, 1, 0, 3]])
    out, _ = word_embedding_forward(x, lin(0, 1, 5, 3))
    rows = {k: np.arange(3 * k, 3 * k + 3) / 14 for k in range(4)}  # linspace(0, 1, 15) steps 1/14
    expected = np.array([[rows[i] for i in seq] for seq in x])
    assert rel_error(out, expected) <= 1e-8


# The notebook's gradient checks, with the notebook's inputs (np.random.seed(231) and randn,
# reproduced by an explicit RandomState). The numerical side runs in extended precision:
# float64 centered differences are only good to about 1e-11 in absolute terms, which on the
# notebook's smallest entries (|dWh| ~ 4e-5 for the LSTM step) is above the 1e-8 elementwise
# tolerance. The analytic side is the float64 backward under test.
def numerical_grads(forward, args, upstreams):
    """d/d(arg) of sum_k sum(output_k * upstream_k) for every float argument."""
    wide = [np.array(a, dtype=EXTENDED) if a.dtype.kind == "f" else a for a in args]
    grads = []
    for arg in wide:
        if arg.dtype.kind != "f":
            continue
        total = 0
        for k, upstream in enumerate(upstreams):
            def output_k(_, k=k):
                return forward(*wide)[k]
            total = total + eval_numerical_gradient_array(output_k, arg,
                                                          upstream.astype(EXTENDED))
        grads.append(total)
    return grads


def check_backward(forward, backward, args, upstreams, tolerance, names):
    analytic = backward(*upstreams, forward(*args)[-1])
    analytic = analytic if isinstance(analytic, tuple) else (analytic,)
    numeric = numerical_grads(forward, args, upstreams)
    errors = {name: rel_error(a, n) for name, a, n in zip(names, analytic, numeric, strict=True)}
    assert max(errors.values()) < tolerance, errors


@needs_extended_precision
def test_word_embedding_backward_matches_numerical():
    r = np.random.RandomState(231)
    N, T, V, D = 50, 3, 5, 6
    x = r.randint(V, size=(N, T))
    W = r.randn(V, D)
    out, _ = word_embedding_forward(x, W)
    dout = r.randn(*out.shape)
    check_backward(word_embedding_forward, word_embedding_backward, [x, W], [dout], 1e-11,
                   ["dW"])


@needs_extended_precision
def test_temporal_affine_backward_matches_numerical():
    r = np.random.RandomState(231)
    N, T, D, M = 2, 3, 4, 5
    x, w, b = r.randn(N, T, D), r.randn(D, M), r.randn(M)
    out, _ = temporal_affine_forward(x, w, b)
    dout = r.randn(*out.shape)
    check_backward(temporal_affine_forward, temporal_affine_backward, [x, w, b], [dout], 1e-8,
                   ["dx", "dw", "db"])


@pytest.mark.parametrize("N, T, V, p, low, high", [
    (100, 1, 10, 1.0, 2.25, 2.35),
    (100, 10, 10, 1.0, 22.5, 23.5),
    (5000, 10, 10, 0.1, 2.2, 2.4),
])
def test_temporal_softmax_loss_sanity(rng, N, T, V, p, low, high):
    x = 0.001 * rng.standard_normal((N, T, V))
    y = rng.integers(V, size=(N, T))
    mask = rng.random((N, T)) <= p
    loss, _ = temporal_softmax_loss(x, y, mask)
    assert low < loss < high


def test_temporal_softmax_loss_gradient(rng):
    N, T, V = 7, 8, 9
    x = rng.standard_normal((N, T, V))
    y = rng.integers(V, size=(N, T))
    mask = rng.random((N, T)) > 0.5
    _, dx = temporal_softmax_loss(x, y, mask)
    dx_num = eval_numerical_gradient(lambda x: temporal_softmax_loss(x, y, mask)[0], x,
                                     verbose=False)
    assert rel_error(dx, dx_num) < 1e-7


@needs_extended_precision
def test_rnn_step_backward_matches_numerical():
    r = np.random.RandomState(231)
    N, D, H = 4, 5, 6
    args = [r.randn(N, D), r.randn(N, H), r.randn(D, H), r.randn(H, H), r.randn(H)]
    out, _ = rnn_step_forward(*args)
    dnext_h = r.randn(*out.shape)
    check_backward(rnn_step_forward, rnn_step_backward, args, [dnext_h], 1e-8,
                   ["dx", "dprev_h", "dWx", "dWh", "db"])


@needs_extended_precision
def test_rnn_backward_matches_numerical():
    r = np.random.RandomState(231)
    N, D, T, H = 2, 3, 10, 5
    args = [r.randn(N, T, D), r.randn(N, H), r.randn(D, H), r.randn(H, H), r.randn(H)]
    out, _ = rnn_forward(*args)
    dout = r.randn(*out.shape)
    check_backward(rnn_forward, rnn_backward, args, [dout], 1e-6,
                   ["dx", "dh0", "dWx", "dWh", "db"])


def test_lstm_step_forward_reference():
    N, D, H = 3, 4, 5
    next_h, next_c, _ = lstm_step_forward(
        lin(-0.4, 1.2, N, D), lin(-0.3, 0.7, N, H), lin(-0.4, 0.9, N, H),
        lin(-2.1, 1.3, D, 4 * H), lin(-0.7, 2.2, H, 4 * H), lin(0.3, 0.7, 4 * H))
    expected_h = np.array([[0.24635157, 0.28610883, 0.32240467, 0.35525807, 0.38474904],
                           [0.49223563, 0.55611431, 0.61507696, 0.66844003, 0.7159181],
                           [0.56735664, 0.66310127, 0.74419266, 0.80889665, 0.858299]])
    expected_c = np.array([[0.32986176, 0.39145139, 0.451556, 0.51014116, 0.56717407],
                           [0.66382255, 0.76674007, 0.87195994, 0.97902709, 1.08751345],
                           [0.74192008, 0.90592151, 1.07717006, 1.25120233, 1.42395676]])
    assert rel_error(next_h, expected_h) <= 1e-8
    assert rel_error(next_c, expected_c) <= 1e-8


def test_lstm_forward_reference():
    N, D, H, T = 2, 5, 4, 3
    h, _ = lstm_forward(lin(-0.4, 0.6, N, T, D), lin(-0.4, 0.8, N, H), lin(-0.2, 0.9, D, 4 * H),
                        lin(-0.3, 0.6, H, 4 * H), lin(0.2, 0.7, 4 * H))
    expected = np.array([
        [[0.01764008, 0.01823233, 0.01882671, 0.0194232],
         [0.11287491, 0.12146228, 0.13018446, 0.13902939],
         [0.31358768, 0.33338627, 0.35304453, 0.37250975]],
        [[0.45767879, 0.4761092, 0.4936887, 0.51041945],
         [0.6704845, 0.69350089, 0.71486014, 0.7346449],
         [0.81733511, 0.83677871, 0.85403753, 0.86935314]]])
    assert rel_error(h, expected) <= 1e-7


@needs_extended_precision
def test_lstm_step_backward_matches_numerical():
    r = np.random.RandomState(231)
    N, D, H = 4, 5, 6
    args = [r.randn(N, D), r.randn(N, H), r.randn(N, H), r.randn(D, 4 * H), r.randn(H, 4 * H),
            r.randn(4 * H)]
    next_h, next_c, _ = lstm_step_forward(*args)
    upstreams = [r.randn(*next_h.shape), r.randn(*next_c.shape)]
    check_backward(lstm_step_forward, lstm_step_backward, args, upstreams, 1e-8,
                   ["dx", "dprev_h", "dprev_c", "dWx", "dWh", "db"])


@needs_extended_precision
@pytest.mark.slow
def test_lstm_backward_matches_numerical():
    r = np.random.RandomState(231)
    N, D, T, H = 2, 3, 10, 6
    args = [r.randn(N, T, D), r.randn(N, H), r.randn(D, 4 * H), r.randn(H, 4 * H),
            r.randn(4 * H)]
    out, _ = lstm_forward(*args)
    dout = r.randn(*out.shape)
    check_backward(lstm_forward, lstm_backward, args, [dout], 1e-6,
                   ["dx", "dh0", "dWx", "dWh", "db"])


def test_forward_reads_arguments_afresh_and_cache_is_unaffected_by_later_edits(rng):
    x, h, Wx, Wh, b = (rng.standard_normal(s) for s in [(2, 3), (2, 4), (3, 4), (4, 4), (4,)])
    first, cache = rnn_step_forward(x, h, Wx, Wh, b)
    dnext = rng.standard_normal(first.shape)
    grads_before = rnn_step_backward(dnext, cache)
    x += 1.0  # the notebook's gradient check perturbs arguments in place
    second, _ = rnn_step_forward(x, h, Wx, Wh, b)
    assert rel_error(first, second) > 1e-3
    grads_after = rnn_step_backward(dnext, cache)  # the cache still holds the old x
    for before, after in zip(grads_before, grads_after):
        np.testing.assert_array_equal(before, after)
