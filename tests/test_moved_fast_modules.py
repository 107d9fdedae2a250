"""Modules that moved (the speed layer into minigraph/fast/) still import from their old
paths: the same module object, with a DeprecationWarning naming the new path."""

import importlib
import subprocess
import sys
import warnings

import numpy as np
import pytest

import minigraph
from minigraph import fast
from minigraph.fast import blas, kernels, parallel
from minigraph.moved_modules import MOVED

needs_numba = pytest.mark.skipif(not kernels.available(), reason="numba not installed")


def test_every_old_path_names_a_module_that_exists():
    assert sorted(MOVED) == ["minigraph.compiled_gates", "minigraph.compiled_loops",
                             "minigraph.kernels", "minigraph.parallel",
                             "minigraph.thread_policy"]
    for new in MOVED.values():
        assert importlib.util.find_spec(new) is not None, new


@pytest.mark.parametrize("old, new", [("kernels", kernels), ("parallel", parallel),
                                      ("thread_policy", blas)])
def test_an_old_import_gives_the_moved_module_itself_with_a_warning(old, new):
    code = (f"import warnings; warnings.simplefilter('error', DeprecationWarning)\n"
            f"try:\n    import minigraph.{old}\nexcept DeprecationWarning as w:\n"
            f"    print(w)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == (f"minigraph.{old} moved to {new.__name__}; import that "
                                   "instead")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        module = importlib.import_module(f"minigraph.{old}")
        exec(f"from minigraph import {old} as imported", namespace := {})
    assert module is new and namespace["imported"] is new


def test_the_warning_points_at_the_line_that_imported_the_old_path(tmp_path):
    script = tmp_path / "user_script.py"
    script.write_text("import warnings\nwarnings.simplefilter('always')\n"
                      "from minigraph import compiled_loops\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          check=True)
    assert f"{script}:3: DeprecationWarning: minigraph.compiled_loops moved to " \
           "minigraph.fast.compiled_loops" in done.stderr


@needs_numba
def test_a_setting_made_through_an_old_path_reaches_the_ops():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old_kernels = importlib.import_module("minigraph.kernels")
    previous = old_kernels.use_numba(False)
    try:
        assert not fast.using_numba() and not kernels.using_numba()
    finally:
        old_kernels.use_numba(previous)
    assert fast.using_numba()


def test_the_thread_setting_is_one_setting_under_every_name():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old_policy = importlib.import_module("minigraph.thread_policy")
    try:
        old_policy.set_threads(2)
        assert minigraph.get_threads() == fast.get_threads() == 2
        assert parallel.workers() == 2
    finally:
        minigraph.set_threads(None)
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(fast.matmul(a, a.T), [[5.0, 14.0], [14.0, 50.0]])
