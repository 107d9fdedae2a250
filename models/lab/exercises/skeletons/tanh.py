"""Exercise 1 of the minigraph BPTT ladder: the backward of tanh.

Fill in ``tanh_backward`` between the TODO and END OF YOUR CODE lines, then run

    minigraph exercise check tanh.py

The forward is given. Do not change it: the check compares your backward with numerical
gradients of this forward and with the gradients minigraph's own engine computes.
"""

import numpy as np

EXERCISE = "tanh"


def tanh_forward(x):
    """out = tanh(x), elementwise.

    Inputs:
    - x: any shape, e.g. (N, D)

    Returns a tuple of:
    - out: same shape as x
    - cache: (x, out), the input and the output
    """
    out = np.tanh(x)
    cache = (x, out)
    return out, cache


def tanh_backward(dout, cache):
    """Backward pass of tanh.

    Inputs:
    - dout: upstream gradient dL/dout, same shape as out
    - cache: (x, out) from tanh_forward

    Returns:
    - dx: gradient dL/dx, same shape as x

    Hint: d tanh(x) / dx = 1 - tanh(x)^2, and the cache already holds tanh(x).
    """
    dx = None
    ###########################################################################
    # TODO: Implement the backward pass of tanh.                              #
    ###########################################################################
    pass
    ###########################################################################
    #                             END OF YOUR CODE                            #
    ###########################################################################
    return dx
