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


def _regularization_rows(out: str) -> dict:
    return {line.split("|")[2].strip(): [c.strip() for c in line.split("|")]
            for line in out.splitlines() if line.startswith("| regularization")}  # fmt: skip


def test_regularization_rows_on_a_course_data_file(tmp_path, capsys):
    # A file with the course's keys and shapes (not its numbers): the rows run on it, print the
    # accuracies in full beside the published figures, and the dropout row uses the course's
    # masks, so it agrees with the reference too.
    scipy_io = pytest.importorskip("scipy.io")
    from nncore.datasets import make_synthetic_2d_dataset

    train_X, train_Y, test_X, test_Y = make_synthetic_2d_dataset(seed=5)
    path = tmp_path / "data.mat"
    scipy_io.savemat(path, {"X": train_X.T, "y": train_Y.T, "Xval": test_X.T, "yval": test_Y.T})
    args = ["--only", "regularization", "--reference-epochs", "3", "--no-plots"]
    assert course.main([*args, "--regularization-data", str(path)]) == 0
    out = capsys.readouterr().out
    rows = _regularization_rows(out)
    assert set(rows) == {"none", "L2 0.7", "dropout 0.86"}
    assert rows["none"][5] == "0.9478672985781991 / 0.915"
    assert rows["dropout 0.86"][5] == "0.9289099526066351 / 0.95"
    assert float(rows["dropout 0.86"][10]) < 1e-12  # course masks: the reference's numbers
    assert len(rows["none"][3]) > 6  # the accuracy in full, as the published figure
    assert f"on the course's data ({path})" in out
    # Without it: the synthetic stand-in, labelled so, the published figures in parentheses.
    assert course.main(args) == 0
    out = capsys.readouterr().out
    assert "SYNTHETIC" in out
    assert _regularization_rows(out)["none"][5] == "(0.9478672985781991 / 0.915)"


def test_regularization_data_that_is_missing_is_refused(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "nncore.course", "--only", "regularization",
         "--regularization-data", str(tmp_path / "data.mat")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "regularization data set" in proc.stderr
