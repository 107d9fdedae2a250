"""The exercise ladder: a right answer passes, a typical wrong one fails on exactly the
inputs it gets wrong, and an untouched or broken file fails with one clear line."""

import textwrap

import numpy as np
import pytest

from minigraph.gradient_check import grad_error
from minigraph.models.lab.exercises import BY_NAME, LADDER, ExerciseError, check_file
from minigraph.models.lab.exercises.checking import (
    engine_gradients,
    load_module,
    numerical_gradients,
)

# Right answers, written here (not shipped): each replaces the skeleton's `pass`.
RIGHT = {
    "tanh": """
        x, out = cache
        dx = dout * (1 - out**2)
    """,
    "matmul": """
        x, W = cache
        dx = dout.dot(W.T)
        dW = x.T.dot(dout)
    """,
    "fanout": """
        x, W, t = cache
        dpre = dout * (1 - t**2)
        dx = dout.copy()
        dx += dpre.dot(W.T)
        dW = x.T.dot(dpre)
    """,
    "rnn_step": """
        x, prev_h, Wx, Wh, next_h = cache
        dpre = dnext_h * (1 - next_h**2)
        dx, dprev_h = dpre.dot(Wx.T), dpre.dot(Wh.T)
        dWx, dWh, db = x.T.dot(dpre), prev_h.T.dot(dpre), dpre.sum(axis=0)
    """,
    "rnn": """
        N, T, H = dh.shape
        dx = np.zeros((N, T, cache[0][0].shape[1]))
        dWx, dWh, db = (np.zeros_like(a) for a in (cache[0][2], cache[0][3], dh[0, 0]))
        dprev = np.zeros((N, H))
        for t in reversed(range(T)):
            dx[:, t], dprev, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dprev, cache[t])
            dWx += dWx_t
            dWh += dWh_t
            db += db_t
        dh0 = dprev
    """,
    "lstm_step": """
        x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
        tc = np.tanh(next_c)
        dc = dnext_c + dnext_h * o * (1 - tc**2)
        di, df, do, dg = dc * g, dc * prev_c, dnext_h * tc, dc * i
        da = np.hstack([di * i * (1 - i), df * f * (1 - f), do * o * (1 - o), dg * (1 - g**2)])
        dx, dprev_h, dprev_c = da.dot(Wx.T), da.dot(Wh.T), dc * f
        dWx, dWh, db = x.T.dot(da), prev_h.T.dot(da), da.sum(axis=0)
    """,
    "truncated_bptt": """
        step_caches, window = cache
        N, T, H = dh.shape
        dx = np.zeros((N, T, step_caches[0][0].shape[1]))
        dWx, dWh, db = (np.zeros_like(a) for a in (step_caches[0][2], step_caches[0][3],
                                                   dh[0, 0]))
        dprev = np.zeros((N, H))
        for t in reversed(range(T)):
            dx[:, t], dprev, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dprev,
                                                                    step_caches[t])
            dWx += dWx_t
            dWh += dWh_t
            db += db_t
            if t % window == 0 and t > 0:
                dprev = np.zeros((N, H))  # the window's start state was a constant
        dh0 = dprev
    """,
}

# Typical mistakes: (exercise, the edit to the right answer, the inputs it gets wrong).
WRONG = [
    ("tanh", ("(1 - out**2)", "(1 - x**2)"), {"x"}),
    ("matmul", ("dx = dout.dot(W.T)", "dx = dout.dot(W.T) * 2"), {"x"}),
    ("fanout", ("dx += dpre", "dx = dpre"), {"x"}),  # = instead of +=: the skip path is lost
    ("rnn_step", ("db = x.T.dot(dpre), prev_h.T.dot(dpre), dpre.sum(axis=0)",
                  "db = x.T.dot(dpre), prev_h.T.dot(dpre), dpre.mean(axis=0)"), {"b"}),
    ("rnn", ("dWx += dWx_t", "dWx = dWx_t"), {"Wx"}),  # = instead of +=: only step 0 kept
    ("rnn", ("rnn_step_backward(dh[:, t] + dprev, cache[t])",
             "rnn_step_backward(dh[:, t], cache[t])"), {"x", "h0", "Wx", "Wh", "b"}),
    ("lstm_step", ("dc * f\n", "dnext_c * f\n"), {"prev_c"}),  # next_c's second use dropped
    ("truncated_bptt", ("dprev = np.zeros((N, H))  # the window",
                        "dprev = dprev  # the window"), {"x", "h0", "Wx", "Wh", "b"}),
]


def fill(name, body):
    """The skeleton of ``name`` with ``body`` in place of its `pass`."""
    skeleton = BY_NAME[name].skeleton_text()
    code = textwrap.indent(textwrap.dedent(body).strip("\n"), " " * 4)
    assert skeleton.count("\n    pass\n") == 1
    return skeleton.replace("\n    pass\n", "\n" + code + "\n")


def write(tmp_path, name, text):
    path = tmp_path / f"{name}.py"
    path.write_text(text)
    return path


def test_the_ladder_is_in_teaching_order():
    assert [e.name for e in LADDER][:7] == ["tanh", "matmul", "fanout", "rnn_step", "rnn",
                                            "lstm_step", "truncated_bptt"]


@pytest.mark.parametrize("name", RIGHT)
def test_right_answer_passes_every_input(tmp_path, name):
    result = check_file(write(tmp_path, name, fill(name, RIGHT[name])))
    assert [row.grad for row in result.rows] == list(BY_NAME[name].grad_names)
    assert result.passed, result.rows
    assert max(row.numeric_error for row in result.rows) < 1e-7
    assert max(row.engine_error for row in result.rows) < 1e-12


@pytest.mark.parametrize("name, edit, wrong", WRONG, ids=[w[0] + "-" + "-".join(sorted(w[2]))
                                                        for w in WRONG])
def test_wrong_answer_fails_on_exactly_the_inputs_it_gets_wrong(tmp_path, name, edit, wrong):
    right = RIGHT[name]
    assert right.count(edit[0]) == 1
    result = check_file(write(tmp_path, name, fill(name, right.replace(*edit))))
    assert not result.passed
    assert set(result.wrong_inputs) == wrong
    for row in result.rows:
        if not row.passed:
            assert row.numeric_error > 1e-3 and row.engine_error > 1e-3, row


@pytest.mark.parametrize("name", BY_NAME)
def test_untouched_skeleton_fails_with_one_clear_line(tmp_path, name):
    path = write(tmp_path, name, BY_NAME[name].skeleton_text())
    with pytest.raises(ExerciseError, match="not filled in yet") as caught:
        check_file(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("name", BY_NAME)
def test_engine_and_numerical_references_agree(name):
    # the two references a student is compared with must agree with each other
    exercise = BY_NAME[name]
    forward = getattr(load_module(f"{name}.py", exercise.skeleton_text()),
                      exercise.forward_name)
    rng = np.random.default_rng(3)
    arrays = exercise.make_inputs(rng)
    outputs = forward(**arrays, **exercise.options)[:len(exercise.outputs)]
    upstream = [rng.standard_normal(np.shape(o)) for o in outputs]
    numeric = numerical_gradients(exercise, forward, arrays, upstream)
    engine, values, _, _ = engine_gradients(exercise, arrays, upstream)
    for value, output in zip(values, outputs):
        np.testing.assert_allclose(value, output, rtol=1e-12, atol=1e-14)
    for name in exercise.inputs:
        assert grad_error(engine[name], numeric[name]) < 1e-9, name


# ------------------------------------------------------------------ broken files
def test_syntax_error_names_the_file_and_line(tmp_path):
    path = write(tmp_path, "rnn", fill("rnn", "dx = (dh[:, 0]\n"))
    with pytest.raises(ExerciseError) as caught:
        check_file(path)
    message = str(caught.value)
    line = fill("rnn", "dx = (dh[:, 0]\n").splitlines().index("    dx = (dh[:, 0]") + 1
    assert message.startswith(f"{path}:") and "SyntaxError" in message
    assert abs(int(message.split(":")[1]) - line) <= 1  # Python may point at the next line


def test_exception_in_the_backward_names_the_file_line_and_function(tmp_path):
    text = fill("matmul", "x, W = cache\ndx = dout.dot(W)\ndW = x.T.dot(dout)")
    path = write(tmp_path, "matmul", text)
    with pytest.raises(ExerciseError) as caught:
        check_file(path)
    line = text.splitlines().index("    dx = dout.dot(W)") + 1
    assert str(caught.value).startswith(f"{path}:{line} in matmul_backward: ValueError: ")


def test_changed_forward_is_refused(tmp_path):
    text = BY_NAME["tanh"].skeleton_text().replace("out = np.tanh(x)", "out = np.tanh(2 * x)")
    path = write(tmp_path, "tanh", fill("tanh", RIGHT["tanh"]).replace(
        "out = np.tanh(x)", "out = np.tanh(2 * x)"))
    assert text != BY_NAME["tanh"].skeleton_text()
    with pytest.raises(ExerciseError, match="no longer computes the exercise's forward"):
        check_file(path)


def test_wrong_number_of_gradients_is_one_line(tmp_path):
    text = fill("matmul", RIGHT["matmul"]).replace("return dx, dW", "return dx")
    with pytest.raises(ExerciseError, match=r"must return \(dx, dW\), got ndarray"):
        check_file(write(tmp_path, "matmul", text))


def test_partly_filled_backward_fails_only_the_missing_gradient(tmp_path):
    text = fill("matmul", "x, W = cache\ndx = dout.dot(W.T)")
    result = check_file(write(tmp_path, "matmul", text))
    assert result.wrong_inputs == ["W"] and result.rows[1].problem == "returned None"


def test_a_wrongly_shaped_gradient_is_named(tmp_path):
    text = fill("matmul", RIGHT["matmul"].replace("dW = x.T.dot(dout)", "dW = dout.T.dot(x)"))
    result = check_file(write(tmp_path, "matmul", text))
    assert result.wrong_inputs == ["W"]
    assert result.rows[1].problem == "has shape (3, 5), expected (5, 3)"


def test_a_forward_that_no_longer_returns_its_cache_is_one_line(tmp_path):
    text = fill("tanh", RIGHT["tanh"]).replace("    return out, cache\n", "    return out\n")
    with pytest.raises(ExerciseError, match=r"tanh_forward must return \(out, cache\)"):
        check_file(write(tmp_path, "tanh", text))


def test_sys_exit_in_the_backward_is_reported_not_obeyed(tmp_path):
    text = fill("tanh", "import sys\nsys.exit(3)")
    with pytest.raises(ExerciseError, match=r"tanh.py:\d+ in tanh_backward: SystemExit: 3"):
        check_file(write(tmp_path, "tanh", text))


def test_a_file_may_import_its_own_helpers_beside_it(tmp_path):
    (tmp_path / "my_tanh_helpers.py").write_text(
        "def tanh_grad(dout, out):\n    return dout * (1 - out**2)\n")
    text = fill("tanh", "from my_tanh_helpers import tanh_grad\ndx = tanh_grad(dout, cache[1])")
    assert check_file(write(tmp_path, "tanh", text)).passed
