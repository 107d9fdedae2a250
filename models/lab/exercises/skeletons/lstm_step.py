"""Exercise 6 of the minigraph BPTT ladder: one step of an LSTM.

Fill in ``lstm_step_backward`` between the TODO and END OF YOUR CODE lines, then run

    minigraph exercise check lstm_step.py

The forward is given (the cs231n ``lstm_step_forward``: gates i, f, o, g in that column
order). It has two outputs, next_h and next_c, so the backward takes two upstream
gradients, as in the assignment. Do not change the forward: the check compares your
backward with numerical gradients of this forward and with the gradients minigraph's own
engine computes.
"""

import numpy as np

EXERCISE = "lstm_step"


def sigmoid(x):
    """A numerically stable logistic sigmoid."""
    positive = x >= 0
    z = np.exp(np.where(positive, -x, x))
    return np.where(positive, 1 / (1 + z), z / (1 + z))


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """One LSTM step.

        a = x Wx + prev_h Wh + b              (N, 4H), cut into four (N, H) blocks
        i, f, o = sigmoid of blocks 1, 2, 3   input, forget and output gates
        g = tanh of block 4                   the candidate
        next_c = f * prev_c + i * g
        next_h = o * tanh(next_c)

    Inputs:
    - x: (N, D); prev_h: (N, H); prev_c: (N, H)
    - Wx: (D, 4H); Wh: (H, 4H); b: (4H,)

    Returns a tuple of:
    - next_h: (N, H)
    - next_c: (N, H)
    - cache: (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c), the gates each (N, H)
    """
    H = prev_h.shape[1]
    a = x.dot(Wx) + prev_h.dot(Wh) + b
    i = sigmoid(a[:, :H])
    f = sigmoid(a[:, H:2 * H])
    o = sigmoid(a[:, 2 * H:3 * H])
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    cache = (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)
    return next_h, next_c, cache


def lstm_step_backward(dnext_h, dnext_c, cache):
    """Backward pass of one LSTM step.

    Inputs:
    - dnext_h: gradient of the loss with respect to next_h, (N, H)
    - dnext_c: gradient of the loss with respect to next_c, (N, H)
    - cache: (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c) from lstm_step_forward

    Returns a tuple of:
    - dx: (N, D)
    - dprev_h: (N, H)
    - dprev_c: (N, H)
    - dWx: (D, 4H)
    - dWh: (H, 4H)
    - db: (4H,)

    Hint: next_c is used twice (it is an output, and next_h is made from it), so its
    gradient is dnext_c plus what comes back through next_h. Then go back through each
    gate's nonlinearity (sigmoid'(a) = s (1 - s)), put the four blocks side by side in
    the order i, f, o, g, and finish as in rnn_step_backward.
    """
    dx, dprev_h, dprev_c, dWx, dWh, db = None, None, None, None, None, None
    ###########################################################################
    # TODO: Implement the backward pass of one LSTM step.                     #
    ###########################################################################
    pass
    ###########################################################################
    #                             END OF YOUR CODE                            #
    ###########################################################################
    return dx, dprev_h, dprev_c, dWx, dWh, db
