"""A hyperparameter sweep of nncore estimators on a Dask cluster.

GridSearchCV fits every (parameters, fold) pair as a joblib task; under
``joblib.parallel_backend("dask")`` the tasks run on the workers of a ``distributed`` cluster.
Each worker trains its networks in nncore's core with the thread budget the worker sets
(Dask's workers set ``OMP_NUM_THREADS``, which nncore follows when ``NNCORE_NUM_THREADS`` is
not set), so workers do not fight over cores.

Run (needs ``pip install "nncore[distributed]"``):

    python examples/sweep_dask.py                        # a LocalCluster of 2 workers here
    python examples/sweep_dask.py --workers 1            # ... of 1 worker
    python examples/sweep_dask.py tcp://scheduler:8786   # a running cluster, by its address

On a real cluster the same code runs unchanged: start ``dask scheduler`` on one machine and
``dask worker tcp://scheduler:8786`` on the others (each with nncore installed), then pass the
scheduler's address.
"""

from __future__ import annotations

import argparse
import time
import warnings

import joblib
from distributed import Client, LocalCluster
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

import nncore
from nncore.sklearn import MLPClassifier

GRID = {
    "hidden_layer_sizes": [(32,), (64, 32)],
    "alpha": [1e-4, 1e-2],
    "learning_rate_init": [1e-3, 1e-2],
}


def make_data(n_samples: int = 3000):
    """A three-class problem (seeded: every run sweeps the same data)."""
    return make_classification(
        n_samples=n_samples, n_features=20, n_informative=10, n_classes=3, random_state=0
    )


def sweep(X, y, n_jobs: int = -1, max_iter: int = 30) -> GridSearchCV:
    """The grid search; with ``n_jobs=-1`` every task goes to the current joblib backend.
    Every fit trains exactly ``max_iter`` epochs (``tol=0``), so the work is the same on any
    cluster; the ConvergenceWarning that says so is expected."""
    search = GridSearchCV(
        MLPClassifier(max_iter=max_iter, random_state=0, tol=0.0, n_iter_no_change=max_iter),
        GRID,
        cv=3,
        n_jobs=n_jobs,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return search.fit(X, y)


def local_cluster(n_workers: int) -> LocalCluster:
    """Worker processes on this machine, listening on loopback only, no dashboard."""
    return LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("address", nargs="?", help="scheduler address (default: a LocalCluster)")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster workers")
    parser.add_argument("--samples", type=int, default=3000, help="examples in the data set")
    args = parser.parse_args()

    X, y = make_data(args.samples)
    cluster = None if args.address else local_cluster(args.workers)
    with Client(args.address or cluster) as client:
        threads = client.run(nncore.get_num_threads)
        print(f"workers: {len(threads)}, nncore threads per worker: {sorted(threads.values())}")
        start = time.perf_counter()
        with joblib.parallel_backend("dask"):
            search = sweep(X, y)
        seconds = time.perf_counter() - start
    if cluster is not None:
        cluster.close()
    fits = len(search.cv_results_["params"]) * search.n_splits_
    print(f"{fits} fits in {seconds:.1f} s")
    print(f"best: {search.best_params_} accuracy {search.best_score_:.3f}")


if __name__ == "__main__":
    main()
