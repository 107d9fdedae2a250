"""Exercise 4 of the minigraph BPTT ladder: one step of a vanilla RNN.

Fill in ``rnn_step_backward`` between the TODO and END OF YOUR CODE lines, then run

    minigraph exercise check rnn_step.py

The forward is given (the cs231n ``rnn_step_forward``). Do not change it: the check
compares your backward with numerical gradients of this forward and with the gradients
minigraph's own engine computes.
"""

import numpy as np

EXERCISE = "rnn_step"


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """next_h = tanh(x Wx + prev_h Wh + b).

    Inputs:
    - x: input at this timestep, (N, D)
    - prev_h: hidden state from the previous timestep, (N, H)
    - Wx: input-to-hidden weights, (D, H)
    - Wh: hidden-to-hidden weights, (H, H)
    - b: bias, (H,)

    Returns a tuple of:
    - next_h: next hidden state, (N, H)
    - cache: (x, prev_h, Wx, Wh, next_h)
    """
    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    """Backward pass of one vanilla RNN step.

    Inputs:
    - dnext_h: gradient of the loss with respect to next_h, (N, H)
    - cache: (x, prev_h, Wx, Wh, next_h) from rnn_step_forward

    Returns a tuple of:
    - dx: (N, D)
    - dprev_h: (N, H)
    - dWx: (D, H)
    - dWh: (H, H)
    - db: (H,)

    Hint: go back through tanh first (exercise 1), then through the two matrix products
    (exercise 2); the bias was added to every row of the batch.
    """
    dx, dprev_h, dWx, dWh, db = None, None, None, None, None
    ###########################################################################
    # TODO: Implement the backward pass of one RNN step.                      #
    ###########################################################################
    pass
    ###########################################################################
    #                             END OF YOUR CODE                            #
    ###########################################################################
    return dx, dprev_h, dWx, dWh, db
