"""Exercise 7 of the minigraph BPTT ladder: truncated backpropagation through time.

Fill in ``truncated_bptt_backward`` between the TODO and END OF YOUR CODE lines, then run

    minigraph exercise check truncated_bptt.py

char-rnn trains on windows of the text: the hidden state runs on from one window into the
next, but the gradient does not. The state entering a window is treated as a constant, so
the backward of a window stops at its first step and sends nothing into the window before.
The forward below is the ordinary RNN forward (the values are the same); only the backward
is truncated. One step's forward and backward are given. Do not change them: the check
compares your backward with numerical gradients (each window differentiated with its
starting state held fixed) and with minigraph's engine, which builds the same forward with
a ``detach`` node at every window boundary.
"""

import numpy as np

EXERCISE = "truncated_bptt"


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


def truncated_bptt_forward(x, h0, Wx, Wh, b, window=3):
    """A vanilla RNN over T steps, cut into windows of ``window`` steps for the backward.

    Window 0 is steps 0 .. window-1, window 1 is steps window .. 2 window-1, and so on.

    Inputs:
    - x: (N, T, D); h0: (N, H), the state entering window 0
    - Wx: (D, H), Wh: (H, H), b: (H,)
    - window: steps per window

    Returns a tuple of:
    - h: (N, T, H)
    - cache: (step_caches, window); step_caches[t] is rnn_step_forward's cache of step t
    """
    N, T, _ = x.shape
    h = np.zeros((N, T, Wh.shape[0]), dtype=x.dtype)
    step_caches = []
    prev_h = h0
    for t in range(T):
        prev_h, step_cache = rnn_step_forward(x[:, t], prev_h, Wx, Wh, b)
        h[:, t] = prev_h
        step_caches.append(step_cache)
    return h, (step_caches, window)


def truncated_bptt_backward(dh, cache):
    """Truncated backpropagation through time.

    Inputs:
    - dh: upstream gradient of every hidden state, (N, T, H), from the loss at each step
    - cache: (step_caches, window) from truncated_bptt_forward

    Returns a tuple of:
    - dx: (N, T, D)
    - dh0: (N, H), the gradient reaching h0 from window 0 only
    - dWx: (D, H), dWh: (H, H), db: (H,), summed over every step of every window

    Hint: this is rnn_backward with one change: at the first step of each window, the
    gradient dprev_h is not carried into the step before (the previous window's last
    step). Only at t = 0 does it leave as dh0.
    """
    dx, dh0, dWx, dWh, db = None, None, None, None, None
    ###########################################################################
    # TODO: Implement truncated backpropagation through time.                 #
    ###########################################################################
    pass
    ###########################################################################
    #                             END OF YOUR CODE                            #
    ###########################################################################
    return dx, dh0, dWx, dWh, db
