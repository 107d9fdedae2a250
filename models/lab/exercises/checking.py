"""Check a student's backward: load their file, run their forward and backward on random
float64 inputs, and compare every input's gradient with centered differences
(minigraph.gradient_check) and with the gradients minigraph's engine computes for the same
forward built from ops. Anything wrong with the file itself becomes one ExerciseError line
naming the file and line, never a traceback."""

import itertools
import os
import sys
import traceback
import types
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

import minigraph as mg
from minigraph.errors import ExerciseError
from minigraph.gradient_check import eval_numerical_gradient_array, rel_error

from .catalog import BY_NAME, LADDER, TOLERANCE, leaves_for

_module_ids = itertools.count()


@dataclass
class Row:
    grad: str  # "dx"
    shape: tuple
    numeric_error: float  # cs231n rel_error against centered differences (nan: no array)
    engine_error: float  # against the engine's gradient
    problem: str = ""  # why there is no number (None returned, wrong shape, ...)

    @property
    def passed(self):
        return (not self.problem and self.numeric_error < TOLERANCE
                and self.engine_error < TOLERANCE)


@dataclass
class CheckResult:
    exercise: object  # catalog.Exercise
    path: str
    rows: list
    graph: object  # the engine's graph of the forward, for the picture
    leaves: dict  # input name -> its leaf node in ``graph``

    @property
    def passed(self):
        return all(row.passed for row in self.rows)

    @property
    def wrong_inputs(self):
        return [name for name, row in zip(self.exercise.inputs, self.rows) if not row.passed]


def _where(path, error):
    """'file:line in function' of the innermost frame of ``error`` inside ``path``."""
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if os.path.abspath(f.filename) == os.path.abspath(path)]
    if not frames:
        return path
    frame = frames[-1]
    where = f"{path}:{frame.lineno}"
    return where if frame.name == "<module>" else f"{where} in {frame.name}"


def _describe(error):
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def load_module(path, source=None):
    """Run a Python file (or ``source`` under its name) as a fresh module."""
    name = f"minigraph_exercise_{next(_module_ids)}"
    module = types.ModuleType(name)
    module.__file__ = path
    try:
        if source is None:
            with open(path, encoding="utf-8") as f:
                source = f.read()
        code = compile(source, path, "exec")
    except OSError as exc:
        raise mg.UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (SyntaxError, ValueError) as exc:  # ValueError: null bytes in the source
        line = f":{exc.lineno}" if getattr(exc, "lineno", None) else ""
        message = getattr(exc, "msg", None) or str(exc)
        raise ExerciseError(f"{path}{line}: {type(exc).__name__}: {message}") from None
    sys.modules[name] = module  # dataclasses and pickling look modules up here
    try:
        exec(code, module.__dict__)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the student's module-level code
        raise ExerciseError(f"{_where(path, exc)}: {_describe(exc)} (while loading the "
                            "file)") from None
    finally:
        sys.modules.pop(name, None)
    return module


def exercise_of(module, path):
    """The exercise a file is for: its EXERCISE line, else its file name."""
    named = getattr(module, "EXERCISE", None)
    stem = os.path.splitext(os.path.basename(path))[0]
    for candidate in (named, stem):
        if isinstance(candidate, str) and candidate in BY_NAME:
            return BY_NAME[candidate]
    known = ", ".join(e.name for e in LADDER)
    raise ExerciseError(f"{path}: cannot tell which exercise this is (EXERCISE = {named!r}, "
                        f"file name {stem!r}); start from `minigraph exercise start NAME` "
                        f"with NAME one of: {known}")


def _function(module, name, path, exercise):
    function = getattr(module, name, None)
    if not callable(function):
        raise ExerciseError(f"{path}: no function {name}(); exercise '{exercise.name}' needs "
                            f"{exercise.forward_name} and {exercise.backward_name}")
    return function


def _call(path, function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the student's code, anything
        raise ExerciseError(f"{_where(path, exc)}: {_describe(exc)}") from None


def _copies(arrays):
    return {name: np.array(value, copy=True) for name, value in arrays.items()}


def _as_outputs(returned, count):
    """(outputs, cache) from a forward's return value (outputs..., cache)."""
    return list(returned[:count]), returned[count]


# The numerical side runs the reference forward in extended precision where numpy has it
# (80-bit long double on x86): float64 centered differences are good to about 1e-10 in
# absolute terms, which puts entries of the true gradient near 1e-3 over the 1e-7
# elementwise tolerance however right the student is. Inputs are float64 values either way.
# With 2000 times less rounding error the step can shrink tenfold, which cuts the
# truncation error (h^2 |f'''| / 6) a hundredfold.
NUMERIC_DTYPE = np.longdouble if np.finfo(np.longdouble).eps < 1e-18 else np.float64
STEP = 1e-6 if NUMERIC_DTYPE is np.longdouble else 1e-5


def numerical_gradients(exercise, forward, arrays, upstream, dtype=NUMERIC_DTYPE):
    """Centered differences (step ``STEP``) of sum_k <output_k, upstream_k> for every input,
    returned as float64."""
    target = (forward if exercise.numeric_target is None
              else exercise.numeric_target(forward, _copies(arrays)))
    count = len(exercise.outputs)
    flat_upstream = np.concatenate([u.ravel() for u in upstream]).astype(dtype)
    point = {name: np.array(value, dtype=dtype) for name, value in arrays.items()}
    grads = {}
    for name in exercise.inputs:
        def outputs(_):
            values, _ = _as_outputs(target(**point, **exercise.options), count)
            return np.concatenate([np.asarray(v).ravel() for v in values])
        grads[name] = eval_numerical_gradient_array(outputs, point[name], flat_upstream,
                                                    h=STEP)
    return {name: grad.astype(np.float64) for name, grad in grads.items()}


def engine_gradients(exercise, arrays, upstream):
    """The engine's gradients of the same forward built from minigraph ops, its output
    values (to confirm it is the same forward), the graph and its leaves."""
    leaves = leaves_for(exercise, arrays)
    graph = mg.Graph(exercise.build(leaves), name=exercise.name)
    graph.forward()
    values = [np.array(out.value) for out in graph.outputs]
    graph.backward(list(upstream) if len(upstream) > 1 else upstream[0], retain_graph=True)
    grads = {name: np.zeros(leaf.shape) if leaf.grad is None else np.array(leaf.grad)
             for name, leaf in leaves.items()}
    return grads, values, graph, leaves


def _student_grads(exercise, returned, path):
    """The backward's return value as {input name: array or None}, checked for count."""
    expected = exercise.grad_names
    if len(expected) == 1 and not isinstance(returned, (tuple, list)):
        returned = (returned,)
    if not isinstance(returned, (tuple, list)) or len(returned) != len(expected):
        got = len(returned) if isinstance(returned, (tuple, list)) else type(returned).__name__
        raise ExerciseError(f"{path}: {exercise.backward_name} must return "
                            f"({', '.join(expected)}), got {got}")
    return dict(zip(exercise.inputs, returned))


@contextmanager
def _beside(path):
    """The file's own folder first on sys.path while it runs, so it may import its
    neighbours (a student's own helpers), as `python FILE` would."""
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)
    try:
        yield
    finally:
        if folder in sys.path:
            sys.path.remove(folder)


def check_file(path, seed=0):
    """Check the backward in ``path``. Returns a CheckResult; raises ExerciseError when the
    file cannot be checked at all (not filled in, syntax error, exception, ...)."""
    path = os.fspath(path)
    with _beside(path):
        return _check(path, seed)


def _check(path, seed):
    module = load_module(path)
    exercise = exercise_of(module, path)
    reference = load_module(f"<skeleton {exercise.name}.py>", exercise.skeleton_text())
    forward = getattr(reference, exercise.forward_name)
    student_forward = _function(module, exercise.forward_name, path, exercise)
    student_backward = _function(module, exercise.backward_name, path, exercise)

    rng = np.random.default_rng(seed)
    arrays = exercise.make_inputs(rng)
    expected, _ = _as_outputs(forward(**_copies(arrays), **exercise.options),
                              len(exercise.outputs))
    upstream = [rng.standard_normal(np.shape(out)) for out in expected]

    returned = _call(path, student_forward, **_copies(arrays), **exercise.options)
    if not isinstance(returned, tuple) or len(returned) != len(exercise.outputs) + 1:
        raise ExerciseError(f"{path}: {exercise.forward_name} must return "
                            f"({', '.join(exercise.outputs)}, cache) as given; only "
                            f"{exercise.backward_name} is yours to change")
    outputs, cache = _as_outputs(returned, len(exercise.outputs))
    for name, mine, theirs in zip(exercise.outputs, outputs, expected):
        if np.shape(mine) != np.shape(theirs) or rel_error(mine, theirs) > 1e-12:
            raise ExerciseError(f"{path}: {exercise.forward_name} no longer computes the "
                                f"exercise's forward ({name} differs); only "
                                f"{exercise.backward_name} is yours to change")
    returned = _call(path, student_backward, *[u.copy() for u in upstream], cache)
    grads = _student_grads(exercise, returned, path)
    if all(g is None for g in grads.values()):
        raise ExerciseError(f"{path}: {exercise.backward_name} returned None for every "
                            "gradient: it is not filled in yet; write your code between the "
                            "TODO and END OF YOUR CODE lines")

    numeric = numerical_gradients(exercise, forward, arrays, upstream)
    engine, engine_values, graph, leaves = engine_gradients(exercise, arrays, upstream)
    for name, value, reference_value in zip(exercise.outputs, engine_values, expected):
        if rel_error(value, reference_value) > 1e-10:  # the catalog's own consistency
            raise AssertionError(f"engine forward of {exercise.name} differs on {name}")
    rows = []
    for name, grad_name in zip(exercise.inputs, exercise.grad_names):
        rows.append(_row(grad_name, grads[name], numeric[name], engine[name]))
    return CheckResult(exercise, path, rows, graph, leaves)


def _row(grad_name, grad, numeric, engine):
    shape = numeric.shape
    if grad is None:
        return Row(grad_name, shape, np.nan, np.nan, "returned None")
    try:
        grad = np.asarray(grad, dtype=np.float64)
    except (TypeError, ValueError):
        return Row(grad_name, shape, np.nan, np.nan, "not an array of numbers")
    if grad.shape != shape:
        return Row(grad_name, shape, np.nan, np.nan,
                   f"has shape {grad.shape}, expected {shape}")
    if not np.all(np.isfinite(grad)):
        return Row(grad_name, shape, np.nan, np.nan, "holds nan or inf")
    return Row(grad_name, shape, rel_error(grad, numeric), rel_error(grad, engine))
