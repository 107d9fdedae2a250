"""Exercise 3 of the minigraph BPTT ladder: a value used twice.

Fill in ``fanout_backward`` between the TODO and END OF YOUR CODE lines, then run

    minigraph exercise check fanout.py

Here x reaches the output along two paths: straight through (the skip connection) and
through tanh(x W). Its gradient is the SUM of what comes back along both paths. Writing
``dx = ...`` for the second path instead of ``dx += ...`` throws the first one away: the
same bug that, in an RNN, drops the gradient h_t receives from the next step.

The forward is given. Do not change it: the check compares your backward with numerical
gradients of this forward and with the gradients minigraph's own engine computes.
"""

import numpy as np

EXERCISE = "fanout"


def fanout_forward(x, W):
    """out = x + tanh(x W): x is used twice.

    Inputs:
    - x: (N, D)
    - W: (D, D)

    Returns a tuple of:
    - out: (N, D)
    - cache: (x, W, t) with t = tanh(x W), (N, D)
    """
    t = np.tanh(x.dot(W))
    out = x + t
    cache = (x, W, t)
    return out, cache


def fanout_backward(dout, cache):
    """Backward pass of out = x + tanh(x W).

    Inputs:
    - dout: upstream gradient dL/dout, (N, D)
    - cache: (x, W, t) from fanout_forward

    Returns a tuple of:
    - dx: (N, D), the sum of the gradients of both uses of x
    - dW: (D, D)
    """
    dx, dW = None, None
    ###########################################################################
    # TODO: Implement the backward pass. Start from the skip path, then add   #
    # the path through tanh(x W).                                             #
    ###########################################################################
    pass
    ###########################################################################
    #                             END OF YOUR CODE                            #
    ###########################################################################
    return dx, dW
