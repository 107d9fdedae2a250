"""The exercise ladder: for each exercise, its inputs, how the check makes them, and the
same forward built from minigraph ops (the engine's reference gradients and the picture).

The forward a student's backward is checked against is the one in the exercise's own
skeleton file (package data), so the numpy forward exists in one place only.
"""

from dataclasses import dataclass, field
from importlib import resources

import numpy as np

import minigraph as mg

# The cs231n course notes on gradient checks: for smooth functions (tanh, sigmoid, no
# kinks) a relative error above 1e-7 should make you suspicious.
TOLERANCE = 1e-7


@dataclass(frozen=True)
class Exercise:
    name: str
    summary: str  # one line for `minigraph exercise list`
    inputs: tuple  # argument names of the forward, in order; each gets a gradient
    outputs: tuple  # names of the forward's outputs (each gets an upstream gradient)
    shapes: dict  # input name -> shape used by the check
    build: object  # function(leaves: dict of nodes) -> list of output nodes
    scales: dict = field(default_factory=dict)  # input name -> std of its random values
    options: dict = field(default_factory=dict)  # extra keyword arguments of the forward
    hints: dict = field(default_factory=dict)  # input name -> what to look at when it fails
    # function(forward, arrays) -> the function whose numerical gradient is the right
    # answer; None: the forward itself
    numeric_target: object = None

    @property
    def forward_name(self):
        return f"{self.name}_forward"

    @property
    def backward_name(self):
        return f"{self.name}_backward"

    @property
    def grad_names(self):
        return tuple(f"d{name}" for name in self.inputs)

    def skeleton_text(self):
        return resources.files(__package__).joinpath("skeletons", f"{self.name}.py").read_text(
            encoding="utf-8")

    def make_inputs(self, rng):
        """Random float64 inputs of the check's shapes, one explicit generator."""
        return {name: self.scales.get(name, 1.0) * rng.standard_normal(self.shapes[name])
                for name in self.inputs}


PARAMETER_NAMES = ("W", "Wx", "Wh", "b")


def leaves_for(exercise, arrays):
    """Graph leaves holding copies of ``arrays``: weights as parameters, the rest as inputs
    (all of them need a gradient)."""
    leaves = {}
    for name in exercise.inputs:
        value = np.array(arrays[name], dtype=np.float64, copy=True)
        leaves[name] = (mg.param(value, name) if name in PARAMETER_NAMES
                        else mg.input(name, value=value, requires_grad=True))
    return leaves


def _tanh(v):
    return [mg.tanh(v["x"], name="out")]


def _matmul(v):
    return [mg.matmul(v["x"], v["W"], name="out")]


def _fanout(v):
    t = mg.tanh(mg.matmul(v["x"], v["W"], name="x W"), name="t")
    return [mg.add(v["x"], t, name="out")]


def _rnn_step(v):
    return [mg.rnn_cell(v["x"], v["prev_h"], v["Wx"], v["Wh"], v["b"], fused=False,
                        name="next_h")]


def _rnn(v, window=None):
    """One fused RNNStep node per timestep (the step itself was exercise 4), so the picture
    shows the loop over time; with ``window``, a detach node where each window starts: no
    gradient crosses it (truncated BPTT)."""
    h, hs = v["h0"], []
    for t in range(v["x"].shape[1]):
        with mg.tags(t=t):
            if window and t > 0 and t % window == 0:
                h = mg.detach(h, name=f"detach h[{t - 1}]")
            x_t = mg.select_step(v["x"], t, name=f"x[{t}]")
            h = mg.rnn_cell(x_t, h, v["Wx"], v["Wh"], v["b"], name=f"h[{t}]")
        hs.append(h)
    return [mg.stack(hs, name="h")]


def _lstm_step(v):
    next_h, next_c = mg.lstm_cell(v["x"], v["prev_h"], v["prev_c"], v["Wx"], v["Wh"], v["b"],
                                  fused=False, name="next_h")
    return [next_h, next_c]


WINDOW = 2  # two windows of two steps: one boundary to stop at


def _truncated_bptt(v):
    return _rnn(v, window=WINDOW)


def _windows_from_fixed_starts(forward, arrays, window=WINDOW):
    """The function whose true gradient is the truncated one: each window runs from the
    state that entered it at ``arrays``, held fixed as a constant (window 0 from h0, which
    stays a variable). Perturbing an input then moves only its own window."""
    h, _ = forward(**arrays, window=window)
    T = arrays["x"].shape[1]

    def windows(x, h0, Wx, Wh, b, window=window):
        pieces = []
        for start in range(0, T, window):
            entering = h0 if start == 0 else h[:, start - 1]
            piece, _ = forward(x[:, start:start + window], entering, Wx, Wh, b, window=window)
            pieces.append(piece)
        return np.concatenate(pieces, axis=1), None
    return windows


_SHARED = ("Wx, Wh and b are used at every step: their gradient is the sum over all steps "
           "(+=, not =)")

LADDER = (
    Exercise("tanh", "the backward of tanh; cache = (x, out)", ("x",), ("out",),
             {"x": (4, 5)}, _tanh,
             hints={"x": "d tanh(x)/dx = 1 - out**2, times dout elementwise"}),
    Exercise("matmul", "out = x W: which factor is transposed, on which side",
             ("x", "W"), ("out",), {"x": (4, 5), "W": (5, 3)}, _matmul,
             hints={"x": "dx = dout W^T has the shape of x", "W": "dW = x^T dout"}),
    Exercise("fanout", "out = x + tanh(x W): a value used twice (= instead of +=)",
             ("x", "W"), ("out",), {"x": (4, 5), "W": (5, 5)}, _fanout,
             scales={"W": 0.5},
             hints={"x": "x reaches out by two paths: add the skip path's dout to the path "
                         "through tanh (+=, not =)"}),
    Exercise("rnn_step", "one vanilla RNN step; cache = (x, prev_h, Wx, Wh, next_h)",
             ("x", "prev_h", "Wx", "Wh", "b"), ("next_h",),
             {"x": (3, 4), "prev_h": (3, 5), "Wx": (4, 5), "Wh": (5, 5), "b": (5,)}, _rnn_step,
             scales={"Wx": 0.5, "Wh": 0.5},
             hints={"b": "b is added to every row: db sums over the batch"}),
    Exercise("rnn", "backpropagation through time: the loop over T",
             ("x", "h0", "Wx", "Wh", "b"), ("h",),
             {"x": (2, 3, 3), "h0": (2, 5), "Wx": (3, 5), "Wh": (5, 5), "b": (5,)}, _rnn,
             scales={"Wx": 0.5, "Wh": 0.5},
             hints={"Wx": _SHARED, "Wh": _SHARED, "b": _SHARED,
                    "x": "h_t's gradient is dh[:, t] plus what step t + 1 sent back",
                    "h0": "dh0 is the dprev_h that step 0 sends back"}),
    Exercise("lstm_step", "one LSTM step, gates i, f, o, g; two outputs (next_h, next_c)",
             ("x", "prev_h", "prev_c", "Wx", "Wh", "b"), ("next_h", "next_c"),
             {"x": (3, 4), "prev_h": (3, 5), "prev_c": (3, 5), "Wx": (4, 20), "Wh": (5, 20),
              "b": (20,)}, _lstm_step, scales={"Wx": 0.5, "Wh": 0.5},
             hints={"prev_c": "dprev_c = (dnext_c + dnext_h o (1 - tanh(next_c)^2)) f",
                    "prev_h": "the gate blocks go side by side in the order i, f, o, g"}),
    Exercise("truncated_bptt", "truncated BPTT: the gradient stops at the window boundary",
             ("x", "h0", "Wx", "Wh", "b"), ("h",),
             {"x": (2, 4, 3), "h0": (2, 4), "Wx": (3, 4), "Wh": (4, 4), "b": (4,)},
             _truncated_bptt, scales={"Wx": 0.5, "Wh": 0.5}, options={"window": WINDOW},
             numeric_target=_windows_from_fixed_starts,
             hints={"h0": "only window 0 reaches h0: no gradient crosses a window boundary",
                    "x": "at the first step of a window, carry nothing into the step before"}),
)

BY_NAME = {exercise.name: exercise for exercise in LADDER}
