"""Test accuracy of nncore.sklearn.MLPClassifier and scikit-learn's at equal epochs.

A 20000 x 50 three-class problem (make_classification), Adam with scikit-learn's defaults
(hidden (100,), batch 200, learning rate 1e-3), every run exactly ``--epochs`` epochs, over
``--seeds`` values of random_state; nncore with each initializer given by ``--inits``.

    python benchmarks/sklearn_accuracy.py --epochs 20 --seeds 5
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn import neural_network as sknn
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from nncore.sklearn import MLPClassifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--inits", default="glorot,he")
    args = parser.parse_args()
    X, y = make_classification(
        n_samples=20000, n_features=50, n_informative=20, n_classes=3, random_state=0
    )
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    fixed = dict(max_iter=args.epochs, tol=0.0, n_iter_no_change=args.epochs + 1)
    makers = {"scikit-learn": lambda s: sknn.MLPClassifier(random_state=s, **fixed)}
    for init in args.inits.split(","):
        makers[f"nncore {init}"] = lambda s, init=init: MLPClassifier(
            random_state=s, initialization=init, **fixed
        )
    print(f"{'':16} {'mean':>6} {'std':>6}  per seed (test accuracy, %)   seconds")
    for name, make in makers.items():
        scores, start = [], time.perf_counter()
        for seed in range(args.seeds):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                est = make(seed).fit(X_train, y_train)
            assert est.n_iter_ == args.epochs
            scores.append(100 * est.score(X_test, y_test))
        seconds = time.perf_counter() - start
        s = np.array(scores)
        per = " ".join(f"{v:5.2f}" for v in s)
        print(f"{name:16} {s.mean():6.2f} {s.std(ddof=1):6.2f}  {per}   {seconds:.0f}")


if __name__ == "__main__":
    main()
