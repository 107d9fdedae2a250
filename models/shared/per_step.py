"""The drawing mode of the models: the graph a lecture draws, one column per timestep.

The pieces every drawing graph is made of (models/shared/recurrence.py's ``per_step`` builds the
recurrent part of CharRNN's and CaptioningRNN's from them; AttentionCaptioner uses them
too).

The training graphs fold the time axis where it is cheaper (one input projection for all
steps, one output layer and one loss over the stacked states). For a picture, the models
build the same maths step by step instead: at every t an input x_t, a cell that takes the
shared weights Wx, Wh, b, the state h_t (and c_t for the LSTM), an output y_t and a loss
L_t, then the total loss. The values agree with the training graph up to the rounding of
a different summation order (tests/test_draw_models.py measures it).
"""

import numpy as np

import minigraph as mg

LOSS_CHOICES = ("all", "last")


def check_loss_choice(loss):
    if loss not in LOSS_CHOICES:
        raise mg.UsageError(f"loss={loss!r}: use 'all' (a loss at every step) or 'last' (only "
                         "the last step)")


def unroll_steps(cell, inputs, h0, c0, Wx, Wh, b, fused=True):
    """Run ``cell`` over the per-step inputs (a list of (N, D) nodes), each step tagged t and
    taking Wx, Wh and b itself. Returns (hs, h_last, c_last); every c_t is tagged
    ``belt=True`` so drawings run the LSTM cell state straight along the cells."""
    if cell == "lstm" and c0 is None:
        c0 = mg.constant(np.zeros(h0.shape, h0.dtype), name="c0")
    h, c, hs = h0, c0, []
    for t, x_t in enumerate(inputs):
        with mg.tags(t=t):
            h, c = mg.cell_step(cell, x_t, h, c, Wx, Wh, b, fused=fused, name=f"h[{t}]")
        if c is not None:
            c.tags["belt"] = True
        hs.append(h)
    return hs, h, c


def select_steps(x, name="x"):
    """x (N, T, D) -> [x_0, ..., x_{T-1}], each (N, D) and tagged with its t."""
    steps = []
    for t in range(x.shape[1]):
        with mg.tags(t=t):
            steps.append(mg.select_step(x, t, name=f"{name}[{t}]"))
    return steps


def step_losses(hs, W_out, b_out, targets, mask, average="batch", loss="all"):
    """y_t = h_t W_out + b_out and L_t = the masked softmax cross-entropy of step t, for every
    t (``loss='all'``) or the last one only (``'last'``); returns the total L. ``mask`` is
    (N, T), or (N, 1) for one mask shared by every step.

    average 'batch' (cs231n): L_t sums over the minibatch and divides by N, L = sum_t L_t.
    'token' (char-rnn, every position counted): L_t is the mean over the minibatch and L the
    mean over the steps, the mean over all N T positions."""
    check_loss_choice(loss)
    T = len(hs)
    losses = []
    for t in range(T) if loss == "all" else [T - 1]:
        with mg.tags(t=t):
            y = mg.affine(hs[t], W_out, b_out, name=f"y[{t}]")
            target = mg.slice_last(targets, t, t + 1, name=f"target[{t}]")
            step_mask = (mask if mask.shape[1] == 1 else
                         mg.slice_last(mask, t, t + 1, name=f"mask[{t}]"))
            step_loss = mg.masked_softmax_ce(mg.stack([y]), target, step_mask,
                                             average=average, name=f"L[{t}]")
        losses.append(mg.reshape(step_loss, (1,)))
    per_step = mg.stack(losses, name="all L_t")
    return mg.mean(per_step, name="L") if average == "token" else mg.sum(per_step, name="L")
