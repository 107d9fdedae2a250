"""The fused cells' in-place sigmoid, old form against new, in one process.

The old form (1 + tanh(x / 2)) / 2 lost relative precision for very negative x (2e-4 at
x = -10 in float32, all of it at -40 in float64); the new one, 1 / (1 + e^-x), keeps it in
both tails. This prints both forms' relative error against a long-double reference and
times a fused LSTM step (forward + backward) with each, alternating the two in pairs so
both see the same machine load; the ratio is the median over pairs.

    python -m benchmarks.sigmoid_forms
"""

import time

import numpy as np

from minigraph.ops import recurrent
from minigraph.ops.recurrent import LSTMStepProjected

NEW = recurrent.sigmoid_


def tanh_form(x):
    """The form used before: exact near 0, relative error grows as x -> -inf."""
    x *= 0.5
    np.tanh(x, out=x)
    x *= 0.5
    x += 0.5
    return x


def relative_errors(points=(-80.0, -40.0, -17.0, -10.0, -3.0, 0.0, 3.0, 10.0, 40.0)):
    for dtype in (np.float32, np.float64):
        for x in points:
            exact = 1 / (1 + np.exp(-np.longdouble(x)))
            errors = []
            for form in (tanh_form, NEW):
                y = np.longdouble(form(np.array([x], dtype))[0])
                errors.append(float(abs(y - exact) / exact))
            print(f"{np.dtype(dtype).name:8} x = {x:6.1f}: relative error tanh form "
                  f"{errors[0]:.1e}, new form {errors[1]:.1e}")


def lstm_step_ratio(N, H, dtype=np.float32, pairs=60, inner=10, seed=0):
    rng = np.random.default_rng(seed)
    xw = rng.standard_normal((N, 4 * H)).astype(dtype)
    h, c = (rng.standard_normal((N, H)).astype(dtype) for _ in range(2))
    Wh = (rng.standard_normal((H, 4 * H)) * 0.1).astype(dtype)
    grad = rng.standard_normal((N, 2 * H)).astype(dtype)
    op = LSTMStepProjected()

    def block(form):
        recurrent.sigmoid_ = form
        start = time.perf_counter()
        for _ in range(inner):
            op.forward(xw, h, c, Wh)
            op.backward(grad)
        return (time.perf_counter() - start) / inner

    try:
        block(tanh_form), block(NEW)  # warm up
        ratios = []
        for i in range(pairs):
            old, new = ((block(tanh_form), block(NEW)) if i % 2 == 0
                        else reversed((block(NEW), block(tanh_form))))
            ratios.append(new / old)
    finally:
        recurrent.sigmoid_ = NEW
    q1, median, q3 = np.percentile(ratios, [25, 50, 75])
    print(f"fused LSTM step N={N} H={H} {np.dtype(dtype).name}: new / old time, median of "
          f"{pairs} pairs {median:.3f} (quartiles {q1:.3f} - {q3:.3f})")


def sigmoid_ratio(shape=(768, 32), dtype=np.float32, pairs=60, inner=50, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    b = np.empty_like(a)

    def block(form):
        start = time.perf_counter()
        for _ in range(inner):
            b[...] = a
            form(b)
        return time.perf_counter() - start

    ratios = []
    for i in range(pairs):
        old, new = ((block(tanh_form), block(NEW)) if i % 2 == 0
                    else reversed((block(NEW), block(tanh_form))))
        ratios.append(new / old)
    print(f"sigmoid alone {shape} {np.dtype(dtype).name}: new / old time, median "
          f"{np.median(ratios):.3f}")


if __name__ == "__main__":
    relative_errors()
    for dtype in (np.float32, np.float64):
        sigmoid_ratio(dtype=dtype)
    lstm_step_ratio(32, 128)
    lstm_step_ratio(32, 256)
