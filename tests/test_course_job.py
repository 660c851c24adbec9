"""The main job, python -m nncore.course, on a shortened reference."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("sklearn")

from nncore import course


def test_initialization_assignment_reproduces_the_course(capsys):
    assert course.main(["--only", "initialization", "--reference-epochs", "5", "--no-plots"]) == 0
    out = capsys.readouterr().out
    rows = {line.split("|")[2].strip(): line.split("|") for line in out.splitlines()
            if line.startswith("| initialization")}  # fmt: skip
    assert set(rows) == {"zeros", "random", "he", "xavier"}
    assert rows["he"][3].strip() == "0.9933"
    assert rows["he"][4].strip() == "0.9600"
    assert rows["random"][3].strip() == "0.8300"
    assert rows["random"][4].strip() == "0.8600"
    assert rows["zeros"][6].strip() == "0.693147"
    # The core agrees with the reference after the same epochs.
    assert float(rows["he"][10]) < 1e-12


def test_plots_are_written(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "plots"
    course.main(["--only", "optimization", "--reference-epochs", "2", "--out", str(out)])
    assert sorted(p.name for p in out.iterdir()) == [
        "optimization_boundaries.png", "optimization_costs.png"
    ]  # fmt: skip
    assert "plots: 2 PNG files" in capsys.readouterr().out


def test_module_entry_point_rejects_bad_options():
    proc = subprocess.run(
        [sys.executable, "-m", "nncore.course", "--only", "nonsense"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "unknown assignment" in proc.stderr
