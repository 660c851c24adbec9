"""The two layouts of the examples: columns (the course's ``(n_x, m)``) and rows
(scikit-learn's ``(m, n_x)``).

- Training reads either layout and gives bitwise the same results (minibatches gathered from
  the rows, or full batch from its one transposed copy), on the fused and the unfused step,
  float32 and float64; prediction likewise, in blocks of examples.
- Memory, measured in a child process (``benchmarks/peak_memory.py``): the peak resident set
  (``VmHWM``, which counts numpy's arrays and the core's own buffers alike), reset through
  ``/proc/self/clear_refs`` after a warm-up, against the resident set before the call.
  ``fit`` takes no copy of ``X`` for C-contiguous rows in the training dtype and at most one
  otherwise; ``predict_proba`` takes memory independent of the number of rows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import nncore
from nncore import network

sklearn = pytest.importorskip("sklearn")
from sklearn.preprocessing import LabelBinarizer  # noqa: E402

from nncore.sklearn import MLPClassifier  # noqa: E402

# (layers_dims, output): the fused step (small sigmoid network) and the unfused passes
# (softmax; a layer wide enough for the GEMM path).
NETS = [([7, 16, 8, 1], "sigmoid"), ([7, 16, 3], "softmax"), ([40, 300, 64, 1], "sigmoid")]
DTYPES = [np.float32, np.float64]


def _data(dims, output, m=301, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((dims[0], m))
    if output == "softmax":
        Y = np.eye(dims[-1])[:, rng.integers(0, dims[-1], m)]
    else:
        Y = (rng.random((dims[-1], m)) < 0.5).astype(np.float64)
    return X, Y


def _train(dims, output, dtype, X, Y, layout, num_epochs=3, **kwargs):
    net = nncore.Network(dims, output=output, dtype=dtype, seed=4)
    if layout == "rows":
        X, Y = X.T.copy(), Y.T.copy()
    return net.fit(X, Y, layout=layout, num_epochs=num_epochs, lambd=0.05, **kwargs)


@pytest.mark.parametrize(("dims", "output"), NETS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch", [32, None], ids=["minibatch", "full-batch"])
def test_training_is_bitwise_the_same_in_both_layouts(dims, output, dtype, batch):
    X, Y = _data(dims, output)
    extra = {"keep_prob": 0.8} if batch is not None else {}
    cols = _train(dims, output, dtype, X, Y, "columns", mini_batch_size=batch, **extra)
    rows = _train(dims, output, dtype, X, Y, "rows", mini_batch_size=batch, **extra)
    np.testing.assert_array_equal(cols.costs, rows.costs)
    for key, value in cols.parameters.items():
        np.testing.assert_array_equal(value, rows.parameters[key], err_msg=key)
    # And the training did something: the parameters moved from the initial ones.
    start = nncore.Network(dims, output=output, dtype=dtype, seed=4).parameters
    assert not np.array_equal(start["W1"], cols.parameters["W1"])


@pytest.mark.parametrize("dtype", DTYPES)
def test_wide_full_batch_is_bitwise_the_same_in_both_layouts(dtype):
    """Inputs wider than the batch, gd: the first layer in its Gram form (wide_input.hpp),
    formed from the rows layout's one transposed copy."""
    dims = [600, 8, 5, 1]
    X, Y = _data(dims, "sigmoid", m=48)
    fit = {"mini_batch_size": None, "optimizer": "gd", "learning_rate": 0.05, "num_epochs": 60}
    cols = _train(dims, "sigmoid", dtype, X, Y, "columns", **fit)
    rows = _train(dims, "sigmoid", dtype, X, Y, "rows", **fit)
    np.testing.assert_array_equal(cols.costs, rows.costs)
    for key, value in cols.parameters.items():
        np.testing.assert_array_equal(value, rows.parameters[key], err_msg=key)
    # The Gram form ran: a callback at every epoch (the direct loop) sums in another order.
    direct = _train(dims, "sigmoid", dtype, X, Y, "rows", callback=lambda e, c: None,
                    callback_every=1, **fit)  # fmt: skip
    assert not np.array_equal(direct.parameters["W1"], rows.parameters["W1"])


@pytest.mark.parametrize(("dims", "output"), NETS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_prediction_is_bitwise_the_same_in_both_layouts(dims, output, dtype, monkeypatch):
    X, Y = _data(dims, output, m=1000)
    net = _train(dims, output, dtype, X, Y, "columns", mini_batch_size=64)
    proba = net.predict_proba(X)
    np.testing.assert_array_equal(net.predict_proba(X.T, layout="rows"), proba.T)
    np.testing.assert_array_equal(net.predict(X.T, layout="rows"), net.predict(X).T)
    # In blocks of a few examples: the same answers (to rounding: products of other widths).
    monkeypatch.setattr(network, "PREDICT_BYTES", 1000 * dtype().itemsize)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(net.predict_proba(X.T, layout="rows"), proba.T, rtol=tol, atol=tol)
    np.testing.assert_allclose(net.predict_proba(X), proba, rtol=tol, atol=tol)


def test_rows_take_any_order_and_dtype():
    """Fortran order, strides, float64 data in a float32 network: converted once, the same
    run as C-contiguous float32 rows."""
    dims, output = NETS[0]
    X, Y = _data(dims, output)
    ref = _train(dims, output, np.float32, X.astype(np.float32), Y, "rows", mini_batch_size=32)
    for rows in (np.asfortranarray(X.T), np.repeat(X.T, 2, axis=0)[::2]):
        net = nncore.Network(dims, output=output, dtype=np.float32, seed=4)
        net.fit(rows, Y.T, layout="rows", num_epochs=3, lambd=0.05, mini_batch_size=32)
        np.testing.assert_array_equal(net.parameters["W1"], ref.parameters["W1"])


def test_layout_errors():
    net = nncore.Network([3, 4, 1], seed=0)
    X, Y = np.zeros((10, 3)), np.zeros((10, 1))
    with pytest.raises(ValueError, match=r"layout must be one of \('columns', 'rows'\)"):
        net.fit(X, Y, layout="diagonal")
    with pytest.raises(ValueError, match=r"X must have shape \(any, 3\), got \(3, 10\)"):
        net.fit(X.T, Y, layout="rows")
    with pytest.raises(ValueError, match=r"Y must have shape \(10, 1\) \(layout='rows'\)"):
        net.fit(X, Y.T[:, :5], layout="rows")
    with pytest.raises(ValueError, match=r"at least one example \(row\)"):
        net.fit(X[:0], Y[:0], layout="rows")
    with pytest.raises(ValueError, match="X contains NaN or inf"):
        net.predict(np.full((10, 3), np.nan), layout="rows")
    with pytest.raises(ValueError, match=r"X must have shape \(any, 3\)"):
        net.predict_proba(X.T, layout="rows")
    with pytest.raises(TypeError, match="layout must be one of"):
        net.predict(X, layout=1)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sklearn_trains_from_the_rows_as_the_network_does():
    """nncore.sklearn passes its rows to the core: the same run as Network.fit on X.T."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((400, 6)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    clf = MLPClassifier((8,), max_iter=5, batch_size=50, random_state=0, tol=0, alpha=0.0)
    clf.fit(X, y)
    ref = MLPClassifier((8,), random_state=0, alpha=0.0)
    ref._label_binarizer = LabelBinarizer().fit(y)  # (what fit sets before the network)
    ref._initialize(6, 1, np.dtype(np.float32), np.random.RandomState(0))
    net = ref.network_
    net.fit(X.T, y[None].astype(np.float32), mini_batch_size=50, num_epochs=5,
            learning_rate=0.001, lambd=0.0, on_nonfinite="ignore")  # fmt: skip
    np.testing.assert_array_equal(clf.network_.parameters["W1"], net.parameters["W1"])
    np.testing.assert_array_equal(
        clf.predict_proba(X)[:, 1], net.predict_proba(X.T)[0].astype(np.float32)
    )


# ---------------------------------------------------------------------------------------------
# Memory, in a child process
# ---------------------------------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from nncore import network
    from nncore.sklearn import MLPClassifier

    case = json.loads(sys.argv[1])
    sys.path.insert(0, case["benchmarks"])
    from peak_memory import measured

    network.PREDICT_BYTES = case["predict_bytes"]
    rng = np.random.default_rng(0)
    out = {}
    for m in case["ms"]:
        X = rng.standard_normal((m, case["n"]), dtype=np.float32).astype(case["data"])
        if case["order"] == "F":
            X = np.asfortranarray(X)
        y = (X[:, 0] > 0).astype(np.int64)
        clf = MLPClassifier((4,), max_iter=1, batch_size=case["batch"], random_state=0,
                            dtype=case["train"], solver=case["solver"])
        clf.fit(X[:2000], y[:2000])  # warm-up: modules, thread pool, allocator arenas
        clf.predict_proba(X[:2000])
        if case["what"] == "fit":
            _, _, extra = measured(lambda: clf.fit(X, y))
            result = 0
        else:
            clf.fit(X[:20000], y[:20000])
            proba, _, extra = measured(lambda: clf.predict_proba(X))
            result = proba.nbytes
        out[m] = {"extra": extra, "X": X.nbytes, "result": result}
        del X, y, clf
    print(json.dumps(out))
    """
)

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
needs_proc = pytest.mark.skipif(
    not os.access("/proc/self/clear_refs", os.W_OK), reason="needs /proc/self/clear_refs (Linux)"
)


def _child(**case):
    defaults = {"benchmarks": str(BENCHMARKS), "n": 200, "order": "C", "batch": 200,
                "predict_bytes": 4 * 2**20, "solver": "adam"}  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps({**defaults, **case})],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return {int(k): v for k, v in json.loads(run.stdout).items()}


M = 100_000  # 80 MB of float32 at n = 200


@needs_proc
@pytest.mark.parametrize(
    "batch", [200, pytest.param(M, marks=pytest.mark.slow)], ids=["minibatch", "full-batch"]
)
def test_fit_on_rows_in_the_training_dtype_copies_nothing_of_x(batch):
    r = _child(what="fit", ms=[M], data="float32", train="float32", batch=batch)[M]
    # Minibatches read the caller's rows; full batch takes the one transposed copy it needs.
    # Besides X: the targets and labels (a few bytes per row against X's 800) and the
    # workspaces: a minibatch's, or the full batch's activations (5 units, a few arrays of
    # them, about 100 bytes per row).
    bound = 0.1 if batch < M else 1.25
    assert r["extra"] < bound * r["X"], f"fit took {r['extra'] / r['X']:.2f} x X"


@needs_proc
def test_lbfgs_fit_transposes_one_block_at_a_time():
    r = _child(what="fit", ms=[M], data="float32", train="float32", solver="lbfgs")[M]
    # The full-batch loss transposes 2**20 values (4 MiB, 0.05 x X here) at a time; it used to
    # take two copies of X (a gather, then the transpose).
    assert r["extra"] < 0.4 * r["X"], f"lbfgs fit took {r['extra'] / r['X']:.2f} x X"


@needs_proc
@pytest.mark.slow
@pytest.mark.parametrize(
    ("data", "order", "train"),
    [("float32", "F", "float32"), ("float64", "C", "float32"), ("float32", "C", "float64")],
)
def test_fit_on_other_rows_copies_x_once(data, order, train):
    r = _child(what="fit", ms=[M], data=data, train=train, order=order)[M]
    copy = r["X"] * np.dtype(train).itemsize // np.dtype(data).itemsize
    assert r["extra"] < 1.15 * copy, f"fit took {r['extra'] / copy:.2f} x X in {train}"


@needs_proc
@pytest.mark.parametrize(
    ("data", "order"), [("float32", "C"), pytest.param("float64", "F", marks=pytest.mark.slow)]
)
def test_predict_proba_memory_does_not_grow_with_the_rows(data, order):
    small, large = M // 4, M
    r = _child(what="predict", ms=[small, large], data=data, train="float32", order=order)
    # Beyond its result (and the few result-sized temporaries of the binary columns), the
    # memory of predict_proba is a block's: the same for 4x the rows.
    growth = r[large]["extra"] - r[small]["extra"]
    results = 4 * (r[large]["result"] - r[small]["result"])
    more_x = r[large]["X"] - r[small]["X"]
    assert growth - results < 0.05 * more_x, (
        f"predict_proba's memory grew by {growth / more_x:.2f} x the added X"
    )


@pytest.mark.parametrize("layout", ["columns", "rows"])
def test_prediction_holds_one_block_at_a_time(layout, monkeypatch):
    """numpy's allocations (tracemalloc sees them) during predict_proba: one block of
    activations and converted input (PREDICT_BYTES), the result and the finiteness check's
    scraps; not two blocks at once."""
    import tracemalloc

    budget = 2**20
    monkeypatch.setattr(network, "PREDICT_BYTES", budget)
    rng = np.random.default_rng(0)
    net = nncore.Network([50, 16, 1], seed=0)
    X = rng.standard_normal((20000, 50))
    X = X if layout == "rows" else X.T.copy()
    net.predict_proba(X, layout=layout)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        proba = net.predict_proba(X, layout=layout)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    # Exact counts (tracemalloc): one block is 1.0 x budget, the result 0.15; a block kept
    # alive into the next one's adds about 0.4 x budget.
    bound = budget + 2 * proba.nbytes + budget // 20
    assert peak < bound, f"predict_proba held {peak / budget:.2f} x PREDICT_BYTES"
