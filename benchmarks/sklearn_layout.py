"""scikit-learn's layout (examples as rows): nncore.sklearn against scikit-learn and PyTorch.

A 200000 x 100 float32 ten-class problem, hidden layers (256, 256) with ReLU, softmax output,
Adam (learning rate 1e-3), minibatches of 256, shuffled every epoch, ``--epochs`` epochs:

- ``nncore``: ``nncore.sklearn.MLPClassifier`` (float32, as X);
- ``scikit-learn``: ``sklearn.neural_network.MLPClassifier`` (float32, as X);
- ``pytorch``: a plain loop: the same layers, ``torch.optim.Adam``, ``cross_entropy``, float32,
  one ``randperm`` per epoch, ``torch.set_num_threads`` to the same thread count; prediction
  is ``softmax(model(X))`` under ``no_grad``, in one call.

Every timing runs in a fresh child process (the data loaded from one ``.npy``), after a warm-up
on 2000 rows (imports, thread pools, allocator); each child reports the wall time of ``fit`` and
of ``predict_proba`` on all of X and the peak extra memory of each: the peak resident set
(``VmHWM``, reset through ``/proc/self/clear_refs`` just before the call) minus the resident
set before it, in bytes and as a multiple of X. The implementations alternate, ``--repeat``
rounds; the table gives the median and the minimum. Every child gets ``OMP_NUM_THREADS`` (and
its kin) set to ``--threads``.

    python benchmarks/sklearn_layout.py --epochs 3 --repeat 3 --threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np

from peak_memory import measured

IMPLEMENTATIONS = ("nncore", "scikit-learn", "pytorch")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
HIDDEN = (256, 256)
BATCH = 256
RATE = 1e-3


def _estimators(name: str, epochs: int, threads: int):
    """``(fit(X, y), predict_proba(X))`` of one implementation."""
    fixed = dict(hidden_layer_sizes=HIDDEN, solver="adam", batch_size=BATCH, random_state=0,
                 learning_rate_init=RATE, max_iter=epochs, tol=0.0,
                 n_iter_no_change=epochs + 1)  # fmt: skip
    if name in ("nncore", "scikit-learn"):
        if name == "nncore":
            from nncore.sklearn import MLPClassifier
        else:
            from sklearn.neural_network import MLPClassifier
        est = MLPClassifier(**fixed)

        def fit(X, y):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # ConvergenceWarning: fixed epochs
                est.fit(X, y)

        return fit, est.predict_proba

    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    state = {}

    def torch_fit(X, y):
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        sizes = [X.shape[1], *HIDDEN, int(y.max()) + 1]
        layers: list = []
        for l in range(1, len(sizes)):
            layers += [torch.nn.Linear(sizes[l - 1], sizes[l]), torch.nn.ReLU()]
        model = torch.nn.Sequential(*layers[:-1])
        opt = torch.optim.Adam(model.parameters(), lr=RATE)
        for _ in range(epochs):
            perm = torch.randperm(X.shape[0])
            for start in range(0, X.shape[0], BATCH):
                idx = perm[start : start + BATCH]
                opt.zero_grad(set_to_none=True)
                loss = torch.nn.functional.cross_entropy(model(Xt[idx]), yt[idx])
                loss.backward()
                opt.step()
        state["model"] = model

    def torch_proba(X):
        with torch.no_grad():
            return torch.softmax(state["model"](torch.from_numpy(X)), dim=1).numpy()

    return torch_fit, torch_proba


def child(name: str, path: str, epochs: int, threads: int) -> dict:
    """One implementation's figures (run in a fresh process)."""
    data = np.load(path)
    X, y = np.ascontiguousarray(data[:, :-1]), data[:, -1].astype(np.int64)
    del data
    fit, proba = _estimators(name, epochs, threads)
    warm_fit, warm_proba = _estimators(name, 1, threads)
    warm_fit(X[:2000], y[:2000])
    warm_proba(X[:2000])
    _, fit_s, fit_extra = measured(lambda: fit(X, y))
    P, proba_s, proba_extra = measured(lambda: proba(X))
    return {"fit_s": fit_s, "fit_extra": fit_extra, "proba_s": proba_s,
            "proba_extra": proba_extra, "X": X.nbytes, "P": int(np.asarray(P).nbytes),
            "accuracy": float(np.mean(np.argmax(P, axis=1) == y))}  # fmt: skip


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200000)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", default=",".join(IMPLEMENTATIONS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.data, args.epochs, args.threads)))
        return

    from sklearn.datasets import make_classification

    names = args.only.split(",")
    X, y = make_classification(n_samples=args.rows, n_features=args.features,
                               n_informative=40, n_classes=10, random_state=0)  # fmt: skip
    env = {**os.environ, **{v: str(args.threads) for v in THREAD_VARIABLES}}
    results: dict[str, list[dict]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "data.npy")
        np.save(path, np.column_stack([X, y]).astype(np.float32))
        del X, y
        print(f"load average before: {_load()}", flush=True)
        for r in range(args.repeat):
            for name in names if r % 2 == 0 else names[::-1]:
                cmd = [sys.executable, __file__, "--child", name, "--data", path,
                       "--epochs", str(args.epochs), "--threads", str(args.threads)]  # fmt: skip
                out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
                if out.returncode != 0:
                    raise SystemExit(f"{name} failed:\n{out.stderr}")
                res = json.loads(out.stdout.strip().splitlines()[-1])
                results[name].append(res)
                print(f"round {r + 1} {name:13} fit {res['fit_s']:7.2f} s  predict_proba "
                      f"{res['proba_s']:6.3f} s  load {_load()}", flush=True)  # fmt: skip
        print(f"load average after: {_load()}")

    def med(name, key):
        return float(np.median([res[key] for res in results[name]]))

    def low(name, key):
        return min(res[key] for res in results[name])

    Xbytes = results[names[0]][0]["X"]
    print(f"\n{args.rows} x {args.features} float32, hidden {HIDDEN}, Adam {RATE}, batch "
          f"{BATCH}, {args.epochs} epochs, {args.threads} threads; median (min) of "
          f"{args.repeat}; X is {Xbytes / 2**20:.0f} MiB\n")  # fmt: skip
    print("| implementation | fit s | predict_proba s | fit: its time / nncore's | "
          "predict_proba: its time / nncore's | fit peak extra | predict_proba peak extra | "
          "training accuracy |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    base = names[0] if "nncore" not in names else "nncore"
    for name in names:
        fr = med(name, "fit_s") / med(base, "fit_s")
        pr = med(name, "proba_s") / med(base, "proba_s")
        fx, px = med(name, "fit_extra"), med(name, "proba_extra")
        print(f"| {name} | {med(name, 'fit_s'):.2f} ({low(name, 'fit_s'):.2f}) | "
              f"{med(name, 'proba_s'):.3f} ({low(name, 'proba_s'):.3f}) | {fr:.2f}x | "
              f"{pr:.2f}x | {fx / 2**20:.0f} MiB ({fx / Xbytes:.2f} X) | "
              f"{px / 2**20:.0f} MiB ({px / Xbytes:.2f} X) | "
              f"{med(name, 'accuracy'):.3f} |")  # fmt: skip


if __name__ == "__main__":
    main()
