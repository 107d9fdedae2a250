"""Exercise 5 of the minigraph BPTT ladder: backpropagation through time.

Fill in ``rnn_backward`` between the TODO and END OF YOUR CODE lines, then run

    minigraph exercise check rnn.py

One step's forward and backward are given (the answer to exercise 4), and so is the
forward over the sequence. Do not change them: the check compares your backward with
numerical gradients of this forward and with the gradients minigraph's own engine
computes.

Two things to get right. Each hidden state h_t is used twice: by the loss at step t
(that gradient is dh[:, t]) and by the next step (the gradient that step sends back).
And Wx, Wh and b are the same arrays at every step, so their gradient is the sum over
all T steps: ``dWh += ...``, not ``dWh = ...``.
"""

import numpy as np

EXERCISE = "rnn"


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """next_h = tanh(x Wx + prev_h Wh + b). Returns (next_h, cache) with
    cache = (x, prev_h, Wx, Wh, next_h)."""
    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    """Given. Returns (dx, dprev_h, dWx, dWh, db) for one step."""
    x, prev_h, Wx, Wh, next_h = cache
    dpre = dnext_h * (1 - next_h**2)
    return dpre.dot(Wx.T), dpre.dot(Wh.T), x.T.dot(dpre), prev_h.T.dot(dpre), dpre.sum(axis=0)


def rnn_forward(x, h0, Wx, Wh, b):
    """A vanilla RNN over a whole sequence.

    Inputs:
    - x: input for every timestep, (N, T, D)
    - h0: initial hidden state, (N, H)
    - Wx: (D, H), Wh: (H, H), b: (H,), shared by every step

    Returns a tuple of:
    - h: hidden state of every timestep, (N, T, H)
    - cache: list of the T step caches; cache[t] is rnn_step_forward's cache of step t
    """
    N, T, _ = x.shape
    h = np.zeros((N, T, Wh.shape[0]), dtype=x.dtype)
    cache = []
    prev_h = h0
    for t in range(T):
        prev_h, step_cache = rnn_step_forward(x[:, t], prev_h, Wx, Wh, b)
        h[:, t] = prev_h
        cache.append(step_cache)
    return h, cache


def rnn_backward(dh, cache):
    """Backpropagation through time over the whole sequence.

    Inputs:
    - dh: upstream gradient of every hidden state, (N, T, H). dh[:, t] is only the
      gradient from the loss at step t, NOT the gradient coming back from step t + 1.
    - cache: the list of T step caches from rnn_forward

    Returns a tuple of:
    - dx: (N, T, D)
    - dh0: (N, H)
    - dWx: (D, H)
    - dWh: (H, H)
    - db: (H,)

    Hint: loop t from T - 1 down to 0, calling rnn_step_backward once per step.
    """
    dx, dh0, dWx, dWh, db = None, None, None, None, None
    ###########################################################################
    # TODO: Implement backpropagation through time.                           #
    ###########################################################################
    pass
    ###########################################################################
    #                             END OF YOUR CODE                            #
    ###########################################################################
    return dx, dh0, dWx, dWh, db
