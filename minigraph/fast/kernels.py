"""Compiled or numpy, chosen per call: the LSTM's elementwise gate work for one timestep,
forward and backward, in numpy (minigraph/fast/gates.py) and, when ``pip install
'minigraph[fast]'`` installed numba, compiled (minigraph/fast/compiled_gates.py). Also
dispatched from here: the sequence nodes' whole time loops (``sequence_loop``,
minigraph/fast/compiled_loops.py), Adam's update and the embeddings' scatter-add
(``sum_rows_by_id``). Nothing is computed in float64 for float32 arrays.

Why: numpy makes one pass over memory per operation, about 12 per LSTM step each way, on
small (N, H) arrays where each call's fixed cost is a large part of its time; and numpy's
float32 tanh and exp run at a few nanoseconds a value here. The compiled kernels make
three or four passes per row, each a loop the compiler turns into SIMD.

How the two paths agree (tests/test_kernels.py):

- backward: the same float32 operations in the same order: the same bits;
- forward: the compiled path computes tanh (and sigmoid(x) = (1 + tanh(x / 2)) / 2) with
  a rational function fitted for float32, within 4e-7 of the true value where numpy's own
  float32 tanh is within 6e-8. Its gates, c and h agree with numpy's to 1e-6. It is used
  for float32 only; float64 (the gradient checks) always runs numpy.

Layout: the kernels work on step t of the sequence node's arrays (minigraph/ops/
sequence.py), C-contiguous, so that every row they touch is contiguous (the compiled
loops are SIMD only on contiguous rows): gates (T, N, 4H) in cs231n's order i, f, o, g;
xw (N, T, 4H) = x Wx + b; out (N, T, 2H), each step's [h_t, c_t]; tanh_c (T, N, H);
c0 (N, H) the first step's c_{t-1}.

    lstm_forward(gates, xw, c0, out, tanh_c, t)
        gates[t]: on entry h_{t-1} @ Wh, on exit the gates of that + xw[:, t]. Writes
        c_t = f * c_{t-1} + i * g and h_t = o * tanh(c_t) into out[:, t], tanh(c_t)
        into tanh_c[t].
    lstm_backward(grad, dh_next, dc_next, gates, c0, out, tanh_c, da, dprev_c, t)
        grad (N, T, 2H): the gradient reaching [h_t, c_t] from outside the recurrence;
        dh_next, dc_next (N, H): from step t + 1. Writes da[:, t] of da (N, T, 4H), the
        gradient of the pre-activations, and dprev_c (N, H), that of c_{t-1}.

``use_numba(False)`` switches to numpy (tests compare the two); the environment variable
``MINIGRAPH_KERNELS=numpy`` does so for a whole process.
"""

import os
from functools import partial

import numpy as np

from ..errors import IdRangeError
from . import parallel
from .gates import lstm_gates_backward, lstm_gates_forward, sigmoid_  # noqa: F401


# ---------------------------------------------------------------------- numpy
# step t of the sequence node's arrays, cut into the views fast/gates.py works on
def lstm_forward_numpy(gates, xw, c0, out, tanh_c, t):
    H = c0.shape[1]
    a = gates[t]
    a += xw[:, t]
    prev_c = c0 if t == 0 else out[:, t - 1, H:]
    lstm_gates_forward(a, prev_c, out[:, t, :H], out[:, t, H:], tanh_c[t])


def lstm_backward_numpy(grad, dh_next, dc_next, gates, c0, out, tanh_c, da, dprev_c, t):
    H = c0.shape[1]
    prev_c = c0 if t == 0 else out[:, t - 1, H:]
    lstm_gates_backward(grad[:, t, :H] + dh_next, grad[:, t, H:] + dc_next, gates[t],
                        tanh_c[t], prev_c, da[:, t], dprev_c)


# ---------------------------------------------------------------------- dispatch
# numba is imported on the first LSTM step, not with minigraph: importing it takes a
# noticeable part of a second, which commands that never train should not pay.
_compiled = None  # the module minigraph.fast.compiled_gates, or None without numba
_loaded = False
_wanted = True  # use_numba(False) turns the compiled path off


def _load():
    if os.environ.get("MINIGRAPH_KERNELS", "") == "numpy":
        return None
    try:
        from . import compiled_gates
    except Exception:  # numba missing, or broken: minigraph must still work  # noqa: BLE001
        return None
    return compiled_gates if compiled_gates.works() else None


def _kernels():
    global _compiled, _loaded
    if not _loaded:
        _compiled, _loaded = _load(), True
    return _compiled if _wanted else None


def available():
    """True when the compiled kernels can be used (numba installed and working)."""
    global _wanted
    wanted, _wanted = _wanted, True
    try:
        return _kernels() is not None
    finally:
        _wanted = wanted


def use_numba(on=True):
    """Use the compiled kernels (when available) or numpy; returns the previous choice."""
    global _wanted
    previous, _wanted = _wanted, bool(on)
    return previous


def using_numba():
    """True when the next float32 LSTM step runs the compiled kernels."""
    return _kernels() is not None


def _contiguous(*arrays):
    return all(a.flags.c_contiguous for a in arrays)


_loops = None  # (minigraph.fast.compiled_loops, numpy's sgemm), or None
_loops_loaded = False


def _compiled_loops():
    global _loops, _loops_loaded
    if _kernels() is None:
        return None
    if not _loops_loaded:
        _loops_loaded = True
        try:
            from . import compiled_loops
            sgemm = compiled_loops.find_sgemm()
            if sgemm is not None and compiled_loops.works(sgemm):
                _loops = (compiled_loops, sgemm)
        except Exception:  # noqa: BLE001 - no compiled loop: the stepped one runs
            _loops = None
    return _loops


def compiled_loop(name, *arrays):
    """A sequence node's whole time loop, compiled (minigraph/fast/compiled_loops.py: name is
    lstm_forward_rows, lstm_backward_rows, rnn_forward_rows or rnn_backward_rows), bound
    to these arrays: call it to run all T steps. None when numba, numpy's OpenBLAS or
    float32 C-contiguous arrays are missing: the caller then steps through time itself."""
    loops = _compiled_loops()
    if loops is None or arrays[0].dtype != np.float32 or not _contiguous(*arrays):
        return None
    module, sgemm = loops
    return partial(getattr(module, name), sgemm, *arrays)


def sequence_loop(name, numpy_loop, *arrays):
    """Run a sequence node's whole time loop over these arrays: compiled_loop(name) when it
    is there (all T steps without Python's lock), else ``numpy_loop(*arrays)``, the op's
    own loop, which takes the same arrays and returns the same result."""
    loop = compiled_loop(name, *arrays)
    return numpy_loop(*arrays) if loop is None else loop()


def lstm_forward(gates, xw, c0, out, tanh_c, t):
    lstm_forward_kernel(gates, xw, c0, out, tanh_c)(t)


def lstm_forward_kernel(gates, xw, c0, out, tanh_c):
    """The forward kernel for these arrays, chosen once for all their steps: f(t)."""
    compiled = _kernels()
    arrays = (gates, xw, c0, out, tanh_c)
    if compiled is not None and gates.dtype == np.float32 and _contiguous(*arrays):
        return partial(compiled.lstm_forward, *arrays)
    return partial(lstm_forward_numpy, *arrays)


def lstm_backward(grad, dh_next, dc_next, gates, c0, out, tanh_c, da, dprev_c, t):
    lstm_backward_kernel(grad, gates, c0, out, tanh_c, da)(dh_next, dc_next, dprev_c, t)


def lstm_backward_kernel(grad, gates, c0, out, tanh_c, da):
    """The backward kernel for these arrays, chosen once: f(dh_next, dc_next, dprev_c, t)
    (the three (N, H) arrays must be C-contiguous, as the sequence node's are)."""
    compiled = _kernels()
    if compiled is not None and gates.dtype == np.float32 and _contiguous(
            grad, gates, c0, out, tanh_c, da):
        def step(dh_next, dc_next, dprev_c, t):
            compiled.lstm_backward(grad, dh_next, dc_next, gates, c0, out, tanh_c, da, dprev_c,
                                   t, np.float32(1))
        return step

    def numpy_step(dh_next, dc_next, dprev_c, t):
        lstm_backward_numpy(grad, dh_next, dc_next, gates, c0, out, tanh_c, da, dprev_c, t)
    return numpy_step


def scatter_compiled(dtype):
    """True when sum_rows_by_id runs compiled for contiguous rows of this dtype."""
    return _kernels() is not None and dtype == np.float32


def adds_rows_compiled(rows):
    """True when sum_rows_by_id runs compiled for these rows."""
    return scatter_compiled(rows.dtype) and _contiguous(rows)


def sum_rows_by_id(flat_ids, rows, vocab):
    """(vocab, M) array whose row v is the sum of the rows (n, M) whose id is v, each sum
    taken in row order (np.add.at's bits): compiled, one pass, 30x faster than numpy."""
    if flat_ids.size and (flat_ids.min() < 0 or flat_ids.max() >= vocab):
        raise IdRangeError(f"sum_rows_by_id: ids must lie in [0, {vocab}), got "
                         f"{flat_ids.min()} to {flat_ids.max()}")
    summed = np.zeros((vocab, rows.shape[1]), dtype=rows.dtype)
    if adds_rows_compiled(rows):
        _kernels().add_rows_at(summed, np.ascontiguousarray(flat_ids, dtype=np.int64), rows)
        return summed
    np.add.at(summed, flat_ids, rows)
    return summed


def adam_update(w, dw, m, v, beta1, one_minus_beta1, beta2, one_minus_beta2, step, eps):
    """Adam's moment and weight updates in place, as optim.adam writes them, every scalar
    already in w's dtype (1 - beta is rounded once from the float64 value, as before):
    compiled in one pass for float32 contiguous arrays, with numpy's bits."""
    compiled = _kernels()
    if compiled is not None and w.dtype == np.float32 and _contiguous(w, dw, m, v):
        flat = [a.reshape(-1) for a in (w, dw, m, v)]

        def part(lo, hi):  # elementwise: split over threads, the same bits
            compiled.adam_update(*[a[lo:hi] for a in flat], beta1, one_minus_beta1, beta2,
                                 one_minus_beta2, step, eps)

        parallel.by_rows(part, w.size, w.size)
        return
    m *= beta1
    m += one_minus_beta1 * dw
    v *= beta2
    v += one_minus_beta2 * dw * dw
    w -= step * m / (np.sqrt(v) + eps)
