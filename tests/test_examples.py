"""The scripts in examples/ run to the end and print what they promise."""

from __future__ import annotations

import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def _needs(module: str):
    missing = importlib.util.find_spec(module) is None
    return pytest.mark.skipif(missing, reason=f"needs {module}")


CASES = [
    pytest.param(
        "quickstart_mirror.py",
        [r"max \|dW1 - reference dW1\|: \d\.\de-1[5-9]", r"train accuracy 0\.9\d\d"],
        id="quickstart_mirror",
    ),
    pytest.param(
        "network_moons.py",
        [r"after 4000 epochs: .* train accuracy 0\.9\d\d", "predicts the same: True"],
        marks=_needs("sklearn"),
        id="network_moons",
    ),
    pytest.param(
        "softmax_digits.py",
        [r"test accuracy 0\.9\d\d", r"sum to 1\.0000"],
        marks=_needs("sklearn"),
        id="softmax_digits",
    ),
    pytest.param(
        "sweep_dask.py",
        [r"workers: 2, nncore threads per worker: \[1, 1\]", r"24 fits in", r"accuracy 0\.\d"],
        marks=[_needs("distributed"), _needs("sklearn")],
        id="sweep_dask",
    ),
    pytest.param(
        "plot_decision_boundary.py",
        ["wrote boundary.png"],
        marks=_needs("matplotlib"),
        id="plot_decision_boundary",
    ),
]


@pytest.mark.parametrize(("script", "expected"), CASES)
def test_example_runs(tmp_path, script, expected):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    args = [sys.executable, str(EXAMPLES / script)]
    if script == "plot_decision_boundary.py":
        args.append("boundary.png")
    proc = subprocess.run(
        args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    for pattern in expected:
        assert any(re.search(pattern, line) for line in proc.stdout.splitlines()), (
            f"{pattern!r} not in the output of {script}:\n{proc.stdout}"
        )
    if script == "plot_decision_boundary.py":
        png = tmp_path / "boundary.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
