"""Where the compiled kernels' tanh coefficients come from (minigraph/fast/compiled_gates.py).

    python -m benchmarks.fit_tanh

Fits tanh(x) ~ x P(x^2) / Q(x^2) on [0, 9], P of degree 5 and Q of degree 3 in x^2 with
Q(0) = 1: a linearised least-squares fit (x P - tanh(x) Q = 0, divided by the last Q so
that it approaches the true relative residual), then reweighted towards the points where
the error is largest (Lawson's iteration, towards the minimax fit). Prints the
coefficients and the largest error of the float32 evaluation with the kernel's clamp at 8
against float64 tanh, measured on 2 million points.
"""

import numpy as np

P_DEGREE, Q_DEGREE, FIT_TO = 5, 3, 9.0
CLAMP = 8.0


def fit(refits=30, lawson=200, points=4000):
    x = FIT_TO / 2 * (1 - np.cos(np.linspace(0, np.pi, points)))[1:]  # dense near both ends
    t, z = np.tanh(x), x * x
    columns = ([x * z ** k for k in range(P_DEGREE + 1)]
               + [-t * z ** k for k in range(1, Q_DEGREE + 1)])
    A = np.stack(columns, axis=1)
    q, weight = np.ones_like(x), np.full_like(x, 1 / x.size)
    for it in range(refits + lawson):
        s = np.sqrt(weight) / q
        coef = np.linalg.lstsq(A * s[:, None], t * s, rcond=None)[0]
        p_coef, q_coef = coef[:P_DEGREE + 1], np.concatenate([[1.0], coef[P_DEGREE + 1:]])
        q = np.polyval(q_coef[::-1], z)
        error = x * np.polyval(p_coef[::-1], z) / q - t
        if it >= refits:
            weight = weight * np.abs(error)
            weight /= weight.sum()
    return p_coef, q_coef


def evaluate_float32(p_coef, q_coef, x):
    """The kernel's arithmetic: float32 Horner, x clamped to [-CLAMP, CLAMP]."""
    f32 = np.float32
    x = np.clip(x.astype(f32), f32(-CLAMP), f32(CLAMP))
    z = x * x
    p, q = f32(p_coef[-1]), f32(q_coef[-1])
    for c in p_coef[-2::-1]:
        p = p * z + f32(c)
    for c in q_coef[-2::-1]:
        q = q * z + f32(c)
    return x * p / q


def main():
    p_coef, q_coef = fit()
    print("P:", ", ".join(repr(float(c)) for c in p_coef))
    print("Q:", ", ".join(repr(float(c)) for c in q_coef))
    x = np.linspace(-12, 12, 2_000_001, dtype=np.float32)
    y = evaluate_float32(p_coef, q_coef, x)
    exact = np.tanh(x.astype(np.float64))
    print(f"float32 evaluation: largest error {np.abs(y - exact).max():.2e}, "
          f"largest |y| {np.abs(y).max()!r}; numpy's float32 tanh: "
          f"{np.abs(np.tanh(x) - exact).max():.2e}")


if __name__ == "__main__":
    main()
