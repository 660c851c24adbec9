"""nncore's thread pool under outside budgets: threadpoolctl, the environment variables joblib
sets in its workers, and a sweep on a local Dask cluster."""

from __future__ import annotations

import importlib.util
import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import nncore
from nncore import _threads

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def _run(code: str, **env_vars: str) -> list[str]:
    """Run ``code`` in a fresh interpreter with the budget variables cleared, then ``env_vars``;
    the words of its RESULT line."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _threads.BUDGET_VARIABLES and k != "NNCORE_NUM_THREADS"
    }
    env.update(env_vars)
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                       capture_output=True, text=True, timeout=300)  # fmt: skip
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stdout.splitlines() if line.startswith("RESULT ")]
    assert len(lines) == 1, r.stdout
    return lines[0].split()[1:]


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


# ---------------------------------------------------------------------------------------------
# The environment's budget
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, None),
        ({"OMP_NUM_THREADS": "1"}, 1),
        ({"OMP_NUM_THREADS": "3", "MKL_NUM_THREADS": "1"}, 3),  # OMP first
        ({"OPENBLAS_NUM_THREADS": "2"}, 2),
        ({"OMP_NUM_THREADS": "4,2"}, 4),  # OpenMP's nested form: the first level
        ({"OMP_NUM_THREADS": "", "MKL_NUM_THREADS": "2"}, 2),
        ({"OMP_NUM_THREADS": "0"}, None),  # unreadable values are another library's business
        ({"OMP_NUM_THREADS": "many"}, None),
        ({"OMP_NUM_THREADS": "1000"}, 256),
    ],
)
def test_environment_budget(environ, expected):
    assert _threads.environment_budget(environ) == expected


def test_budget_caps_the_default_at_import():
    default = min(_cpus(), 4)
    code = "import nncore; print('RESULT', nncore.get_num_threads())"
    assert _run(code) == [str(default)]
    assert _run(code, OMP_NUM_THREADS="1") == ["1"]
    assert _run(code, OMP_NUM_THREADS="64") == [str(default)]  # a budget never raises it
    # nncore's own variable wins over the budget.
    assert _run(code, OMP_NUM_THREADS="1", NNCORE_NUM_THREADS="3") == ["3"]


@pytest.mark.skipif(_cpus() < 2, reason="needs two usable CPUs")
def test_joblib_loky_worker_runs_one_thread_per_core():
    # Real loky workers: joblib sets OMP_NUM_THREADS=cpu_count // n_jobs in them.
    code = f"""
        from joblib import Parallel, delayed, cpu_count

        def threads(_):
            import nncore
            return nncore.get_num_threads()

        n_jobs = {_cpus()}
        got = Parallel(n_jobs=n_jobs, backend="loky")(delayed(threads)(i) for i in range(4))
        print("RESULT", cpu_count() // n_jobs, *got)
    """
    budget, *got = _run(code)
    assert got == [budget] * 4
    assert budget == "1"


# ---------------------------------------------------------------------------------------------
# threadpoolctl
# ---------------------------------------------------------------------------------------------

threadpoolctl = pytest.importorskip("threadpoolctl", minversion="3.5")


def _nncore_entries():
    return [d for d in threadpoolctl.threadpool_info() if d["internal_api"] == "nncore"]


def test_threadpool_info_lists_nncore():
    (entry,) = _nncore_entries()
    assert entry["user_api"] == "nncore"
    assert entry["num_threads"] == nncore.get_num_threads()
    assert entry["version"] == nncore.__version__
    assert os.path.realpath(entry["filepath"]) == os.path.realpath(nncore._core.__file__)


@pytest.mark.parametrize("user_api", [None, "nncore"])
def test_threadpool_limits_sets_and_restores(user_api):
    before = nncore.get_num_threads()
    try:
        nncore.set_num_threads(3)
        with threadpoolctl.threadpool_limits(1, user_api=user_api):
            assert nncore.get_num_threads() == 1
            assert _nncore_entries()[0]["num_threads"] == 1
        assert nncore.get_num_threads() == 3
        with threadpoolctl.threadpool_limits({"nncore": 2}):
            assert nncore.get_num_threads() == 2
        assert nncore.get_num_threads() == 3
    finally:
        nncore.set_num_threads(before)


def test_threadpool_limits_of_blas_leaves_nncore():
    before = nncore.get_num_threads()
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        assert nncore.get_num_threads() == before


def test_threadpoolctl_imported_after_nncore_sees_it():
    code = """
        import nncore, threadpoolctl
        apis = [d["internal_api"] for d in threadpoolctl.threadpool_info()]
        print("RESULT", apis.count("nncore"))
    """
    assert _run(code) == ["1"]


# ---------------------------------------------------------------------------------------------
# A sweep on a local Dask cluster (examples/sweep_dask.py)
# ---------------------------------------------------------------------------------------------


def _example():
    spec = importlib.util.spec_from_file_location("sweep_dask", EXAMPLES / "sweep_dask.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_dask_sweep_scores_equal_a_serial_run():
    pytest.importorskip("distributed")
    pytest.importorskip("sklearn")
    import joblib
    from distributed import Client

    example = _example()
    X, y = example.make_data()
    X, y = X[:600], y[:600]
    serial = example.sweep(X, y, n_jobs=1, max_iter=5)
    with example.local_cluster(2) as cluster, Client(cluster) as client:
        threads = client.run(nncore.get_num_threads)
        with joblib.parallel_backend("dask"):
            distributed_run = example.sweep(X, y, max_iter=5)
    assert len(threads) == 2
    assert set(threads.values()) == {1}  # Dask's workers set OMP_NUM_THREADS=1
    for key in ("params", "mean_test_score", "split0_test_score", "split2_test_score"):
        a, b = serial.cv_results_[key], distributed_run.cv_results_[key]
        if key == "params":
            assert a == b
        else:
            np.testing.assert_array_equal(a, b)
