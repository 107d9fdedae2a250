"""Exercise 2 of the minigraph BPTT ladder: the backward of a matrix product.

Fill in ``matmul_backward`` between the TODO and END OF YOUR CODE lines, then run

    minigraph exercise check matmul.py

The forward is given. Do not change it: the check compares your backward with numerical
gradients of this forward and with the gradients minigraph's own engine computes.
"""

import numpy as np

EXERCISE = "matmul"


def matmul_forward(x, W):
    """out = x W.

    Inputs:
    - x: (N, D)
    - W: (D, M)

    Returns a tuple of:
    - out: (N, M)
    - cache: (x, W)
    """
    out = np.dot(x, W)
    cache = (x, W)
    return out, cache


def matmul_backward(dout, cache):
    """Backward pass of out = x W.

    Inputs:
    - dout: upstream gradient dL/dout, (N, M)
    - cache: (x, W) from matmul_forward

    Returns a tuple of:
    - dx: (N, D)
    - dW: (D, M)

    Hint: every gradient has the shape of what it is the gradient of; let the shapes tell
    you which factor is transposed and on which side it goes.
    """
    dx, dW = None, None
    ###########################################################################
    # TODO: Implement the backward pass of the matrix product.                #
    ###########################################################################
    pass
    ###########################################################################
    #                             END OF YOUR CODE                            #
    ###########################################################################
    return dx, dW
