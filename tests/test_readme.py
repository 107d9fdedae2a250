"""The README's Python example runs as written."""

import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs_and_sums_over_time():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks
    namespace = {}
    exec(compile(blocks[0], str(README), "exec"), namespace)
    assert namespace["Wh"].grad.shape == (5, 5) and np.isfinite(namespace["Wh"].grad).all()
