"""``nncore.sklearn``: scikit-learn's estimator checks, agreement with ``Network`` and with
scikit-learn's own MLP (its SGD is an independent oracle of the parameter mapping), the
stopping rules, warm starts, ``partial_fit``, layouts and dtypes."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn", minversion="1.6")

from sklearn import neural_network as sknn  # noqa: E402
from sklearn.datasets import load_iris, make_blobs, make_moons, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: E402
from sklearn.model_selection import KFold, cross_val_score, train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import nncore  # noqa: E402
from nncore.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

# Training runs that take identical steps (same seed, same operations) agree bit for bit;
# scikit-learn's SGD sums in another order: float64 agrees to rounding over a run (DESIGN.md).
RUN_RTOL = 1e-9


def flat(net) -> np.ndarray:
    """A network's parameters as one vector (through its public API)."""
    return np.concatenate([a.ravel() for a in net.parameters.values()])


def fit_quietly(est, X, y, **kwargs):
    """``fit`` when reaching ``max_iter`` is expected: asserts the ConvergenceWarning."""
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        return est.fit(X, y, **kwargs)


@pytest.fixture(scope="module")
def moons():
    X, y = make_moons(240, noise=0.2, random_state=0)
    return train_test_split(X, y, test_size=0.25, random_state=0)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(200, 5, n_targets=2, noise=2.0, random_state=0)
    y = y / np.std(y, axis=0)
    return train_test_split(X, y, test_size=0.25, random_state=0)


# ---------------------------------------------------------------------------------------------
# scikit-learn's own checks
# ---------------------------------------------------------------------------------------------


# The checks fit small random problems with the default max_iter=200, which are not meant to
# converge: their ConvergenceWarning is expected, everything else stays an error.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks([MLPClassifier(), MLPRegressor()])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_import_nncore_does_not_import_sklearn():
    code = "import sys, nncore; assert 'sklearn' not in sys.modules, 'sklearn imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_sklearn_is_a_clear_import_error():
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "try:\n"
        "    import nncore.sklearn\n"
        "except ImportError as exc:\n"
        "    assert 'scikit-learn >= 1.6' in str(exc), exc\n"
        "else:\n"
        "    raise SystemExit('no ImportError')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------------------------
# A thin layer: the same run as Network
# ---------------------------------------------------------------------------------------------


def network_run(X, Y, dims, output, solver, seed, max_iter, batch_size, **kw):
    """Train ``Network`` directly as the estimator should (course layout, mapped solver)."""
    net = nncore.Network(dims, output=output, seed=seed)
    lr = kw.pop("learning_rate_init")
    if solver == "adam":
        opt = {"optimizer": "adam", "learning_rate": lr}
    else:
        opt = {"optimizer": "momentum", "learning_rate": lr / (1 - 0.9), "beta": 0.9}
    net.fit(X.T, Y, num_epochs=max_iter, mini_batch_size=batch_size, lambd=kw["alpha"], **opt)
    return net


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("problem", ["binary", "multiclass", "regression"])
def test_same_run_as_network(problem, solver, moons, iris, regression):
    data = {"binary": moons, "multiclass": iris, "regression": regression}[problem]
    X, _, y, _ = data
    kw = {"alpha": 0.01, "learning_rate_init": 0.01}
    common = dict(hidden_layer_sizes=(6, 5), solver=solver, max_iter=25, batch_size=32, **kw)
    common.update(initialization="he", nesterovs_momentum=False)
    if problem == "regression":
        est = fit_quietly(MLPRegressor(random_state=7, **common), X, y)
        Y, output = y.T, "identity"
    else:
        labels = np.array(["setosa", "versicolor", "virginica", "x"])[y]
        est = fit_quietly(MLPClassifier(random_state=7, **common), X, labels)
        np.testing.assert_array_equal(est.classes_, np.unique(labels))
        if problem == "binary":
            Y, output = y.reshape(1, -1), "sigmoid"
        else:
            Y, output = y.reshape(1, -1), "softmax"
    n_out = Y.shape[0] if problem != "multiclass" else 3
    dims = [X.shape[1], 6, 5, n_out]
    net = network_run(X, Y, dims, output, solver, 7, 25, 32, **kw)

    np.testing.assert_array_equal(flat(est.network_), flat(net))
    np.testing.assert_array_equal(est.loss_curve_, net.costs)
    assert est.n_iter_ == 25
    assert est.t_ == 25 * X.shape[0]
    if problem == "regression":
        np.testing.assert_array_equal(est.predict(X), net.predict(X.T).T)
    else:
        np.testing.assert_array_equal(est.predict(X), labels_of(est, net.predict(X.T)))
        proba = est.predict_proba(X)
        assert proba.shape == (X.shape[0], len(est.classes_))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
        A = net.predict_proba(X.T)
        want = np.column_stack([1 - A[0], A[0]]) if problem == "binary" else A.T
        np.testing.assert_array_equal(proba, want)


def labels_of(est, pred):
    return est.classes_[pred.ravel()]


@pytest.mark.parametrize(
    "layout",
    ["C", "F", "strided", "list", "int"],
)
def test_layout_conversion(layout, iris):
    X, Xt, y, _ = iris
    clf = fit_quietly(MLPClassifier((8,), max_iter=10, random_state=0), X, y)
    reg = fit_quietly(MLPRegressor((8,), max_iter=10, random_state=0), X, X[:, :2])
    want_p = clf.network_.predict_proba(Xt.T).T
    want_r = reg.network_.predict(Xt.T).T
    if layout == "F":
        Xt = np.asfortranarray(Xt)
    elif layout == "strided":
        wide = np.zeros((Xt.shape[0] * 2, Xt.shape[1] * 3))
        wide[::2, ::3] = Xt
        Xt = wide[::2, ::3]
        assert not Xt.flags.c_contiguous
        assert not Xt.flags.f_contiguous
    elif layout == "list":
        Xt = Xt.tolist()
    elif layout == "int":
        Xt = np.round(Xt * 4).astype(np.int32)
        want_p = clf.network_.predict_proba(Xt.T.astype(np.float64)).T
        want_r = reg.network_.predict(Xt.T.astype(np.float64)).T
    np.testing.assert_array_equal(clf.predict_proba(Xt), want_p)
    np.testing.assert_array_equal(clf.predict(Xt), np.argmax(want_p, axis=1))
    np.testing.assert_array_equal(reg.predict(Xt), want_r)
    if layout == "F":  # already the network's layout and dtype: converted without a copy
        assert np.shares_memory(nncore.sklearn._rows(clf._check_X(Xt), np.float64), Xt)


def test_coefs_in_sklearn_layout(iris):
    X, _, y, _ = iris
    clf = fit_quietly(MLPClassifier((7, 5), activation="tanh", max_iter=5, random_state=1), X, y)
    params = clf.network_.parameters
    assert [c.shape for c in clf.coefs_] == [(4, 7), (7, 5), (5, 3)]
    assert [b.shape for b in clf.intercepts_] == [(7,), (5,), (3,)]
    for l, (c, b) in enumerate(zip(clf.coefs_, clf.intercepts_), start=1):
        np.testing.assert_array_equal(c, params[f"W{l}"].T)
        np.testing.assert_array_equal(b, params[f"b{l}"].ravel())
    # A numpy forward pass in scikit-learn's layout gives the estimator's probabilities.
    A = X
    for c, b in zip(clf.coefs_[:-1], clf.intercepts_[:-1]):
        A = np.tanh(A @ c + b)
    Z = A @ clf.coefs_[-1] + clf.intercepts_[-1]
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    np.testing.assert_allclose(clf.predict_proba(X), P / P.sum(axis=1, keepdims=True), rtol=1e-12)
    assert clf.out_activation_ == "softmax"
    assert clf.n_layers_ == 4
    assert clf.n_outputs_ == 3
    # coefs_ are copies; assigning whole lists changes the network (checked shapes).
    clf.coefs_[0][:] = 0
    assert clf.network_.parameters["W1"].any()
    clf.coefs_ = [np.zeros_like(c) for c in clf.coefs_]
    clf.intercepts_ = [np.full_like(b, 0.5) for b in clf.intercepts_]
    assert not clf.network_.parameters["W2"].any()
    np.testing.assert_array_equal(clf.network_.parameters["b3"], np.full((3, 1), 0.5))
    np.testing.assert_allclose(clf.predict_proba(X), 1 / 3)
    with pytest.raises(ValueError, match=r"coefs_\[1\] has shape \(5, 7\), expected \(7, 5\)"):
        clf.coefs_ = [np.zeros((4, 7)), np.zeros((5, 7)), np.zeros((5, 3))]
    with pytest.raises(ValueError, match="a list of 3 arrays"):
        clf.intercepts_ = [np.zeros(7)]


# ---------------------------------------------------------------------------------------------
# scikit-learn's SGD as an oracle of the parameter mapping (alpha, momentum, losses)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("problem", ["binary", "multiclass", "regression"])
def test_sgd_matches_sklearn(problem, momentum):
    X, y = make_regression(60, 3, noise=1.0, random_state=0)
    y = y / 100
    if problem == "regression":
        ours_cls, sk_cls, n_out = MLPRegressor, sknn.MLPRegressor, 1
    else:
        ours_cls, sk_cls = MLPClassifier, sknn.MLPClassifier
        y = np.digitize(y, [0.0] if problem == "binary" else [-0.5, 0.5])
        n_out = 1 if problem == "binary" else 3
    kw = dict(
        hidden_layer_sizes=(5, 4),
        solver="sgd",
        momentum=momentum,
        alpha=0.3,
        learning_rate_init=0.01,
        batch_size=60,  # one batch: scikit-learn's shuffle cannot match nncore's
        n_iter_no_change=1000,
        random_state=1,
        nesterovs_momentum=False,
    )
    ours = fit_quietly(ours_cls(max_iter=40, initialization="he", **kw), X, y)

    # scikit-learn from the same initial parameters (a one-epoch fit sets up its state).
    init = nncore.Network([3, 5, 4, n_out], seed=1).parameters
    sk = fit_quietly(sk_cls(max_iter=1, shuffle=False, **kw), X, y)
    sk.coefs_ = [init[f"W{l}"].T.copy() for l in (1, 2, 3)]
    sk.intercepts_ = [init[f"b{l}"].ravel().copy() for l in (1, 2, 3)]
    sk.loss_curve_ = []
    fit_quietly(sk.set_params(max_iter=40, warm_start=True), X, y)

    for mine, theirs in zip(ours.coefs_ + ours.intercepts_, sk.coefs_ + sk.intercepts_):
        np.testing.assert_allclose(mine, theirs, rtol=RUN_RTOL, atol=RUN_RTOL * 1e-3)
    np.testing.assert_allclose(ours.loss_curve_, sk.loss_curve_, rtol=RUN_RTOL)


@pytest.mark.parametrize("n_iter_no_change", [1, 3])
def test_tol_stopping_matches_sklearn(n_iter_no_change, moons):
    X, _, y, _ = moons
    kw = dict(hidden_layer_sizes=(5,), tol=0.05, n_iter_no_change=n_iter_no_change)
    kw.update(learning_rate_init=0.01, max_iter=300, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # stops by tol: no ConvergenceWarning
        ours = MLPClassifier(**kw).fit(X, y)
        theirs = sknn.MLPClassifier(**kw).fit(X, y)
    # Same rule: stop once the loss has not beaten best - tol for n_iter_no_change epochs.
    curve = np.asarray(ours.loss_curve_)
    best = np.minimum.accumulate(np.concatenate([[np.inf], curve]))[:-1]
    stale = curve > best - 0.05
    assert stale[-n_iter_no_change - 1 :].all()
    assert ours.n_iter_ < 300
    assert ours.best_loss_ == curve.min()
    # scikit-learn applies the same rule to its own (differently initialized) run.
    curve = np.asarray(theirs.loss_curve_)
    best = np.minimum.accumulate(np.concatenate([[np.inf], curve]))[:-1]
    assert (curve > best - 0.05)[-n_iter_no_change - 1 :].all()


def test_tol_counts_like_sklearn():
    # With a huge tol no epoch improves after the first: both stop after 1 + n + 1 epochs.
    X, y = make_blobs(50, 2, centers=2, random_state=0)
    kw = dict(hidden_layer_sizes=(3,), tol=1e9, n_iter_no_change=4, random_state=0)
    assert MLPClassifier(**kw).fit(X, y).n_iter_ == sknn.MLPClassifier(**kw).fit(X, y).n_iter_


# ---------------------------------------------------------------------------------------------
# Learning real data as well as scikit-learn's MLP
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("problem", ["moons", "iris", "regression"])
def test_learns_like_sklearn(problem):
    # Cross-validated (5 folds), so one lucky or unlucky split of a small set cannot decide.
    if problem == "moons":
        X, y = make_moons(240, noise=0.2, random_state=0)
    elif problem == "iris":
        X, y = load_iris(return_X_y=True)
        X = StandardScaler().fit_transform(X)
    else:
        X, y = make_regression(200, 5, n_targets=2, noise=2.0, random_state=0)
        y = y / np.std(y, axis=0)
    kw = dict(hidden_layer_sizes=(32, 16), learning_rate_init=0.01, max_iter=150, random_state=0)
    ours, theirs = (
        (MLPRegressor, sknn.MLPRegressor)
        if problem == "regression"
        else (MLPClassifier, sknn.MLPClassifier)
    )
    cv = KFold(5, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # both may use all 150 epochs
        ref = cross_val_score(theirs(**kw), X, y, cv=cv).mean()
        for dtype in ("float64", "float32"):
            mine = cross_val_score(ours(dtype=dtype, **kw), X, y, cv=cv).mean()
            # Accuracy or R²; both start from the same Glorot-uniform draw, but the minibatch
            # shuffles and Adam's epsilon differ, so the runs differ; both must learn it.
            assert mine > 0.9
            assert mine > ref - 0.05


def test_float32_same_run_as_network(moons):
    X, _, y, _ = moons
    clf = MLPClassifier((8,), max_iter=20, random_state=3, dtype="float32", initialization="he")
    clf = fit_quietly(clf, X, y)
    assert flat(clf.network_).dtype == np.float32
    assert clf.predict_proba(X).dtype == np.float32
    # Defaults: adam, lr 0.001, alpha 1e-4, batch min(200, n) = all 180 examples.
    net = nncore.Network([2, 8, 1], seed=3, dtype="float32")
    net.fit(X.T, y.reshape(1, -1), learning_rate=0.001, mini_batch_size=None, num_epochs=20,
            lambd=1e-4)  # fmt: skip
    np.testing.assert_array_equal(flat(clf.network_), flat(net))
    np.testing.assert_array_equal(clf.predict_proba(X)[:, 1], net.predict_proba(X.T)[0])


# ---------------------------------------------------------------------------------------------
# Continuing: warm_start and partial_fit
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_warm_start_equals_one_longer_fit(solver, iris):
    X, _, y, _ = iris
    kw = dict(hidden_layer_sizes=(6,), solver=solver, batch_size=16, random_state=5)
    kw.update(learning_rate_init=0.01, n_iter_no_change=1000)
    long = fit_quietly(MLPClassifier(max_iter=30, **kw), X, y)
    warm = fit_quietly(MLPClassifier(max_iter=12, warm_start=True, **kw), X, y)
    first = warm.network_
    fit_quietly(warm.set_params(max_iter=18), X, y)
    assert warm.network_ is first
    np.testing.assert_array_equal(flat(warm.network_), flat(long.network_))
    np.testing.assert_array_equal(warm.loss_curve_, long.loss_curve_)
    assert warm.n_iter_ == 18
    assert warm.t_ == long.t_
    # Without warm_start a second fit starts afresh.
    cold = fit_quietly(MLPClassifier(max_iter=12, **kw), X, y)
    fit_quietly(cold.set_params(max_iter=18), X, y)
    assert len(cold.loss_curve_) == 18
    assert not np.array_equal(flat(cold.network_), flat(long.network_))


def test_warm_start_refuses_other_classes_and_shapes(iris):
    X, _, y, _ = iris
    clf = fit_quietly(MLPClassifier((4,), max_iter=2, warm_start=True, random_state=0), X, y)
    with pytest.raises(ValueError, match="same classes"):
        clf.fit(X[y < 2], y[y < 2])
    with pytest.raises(ValueError, match="cannot continue"):
        clf.set_params(hidden_layer_sizes=(5,)).fit(X, y)


def test_partial_fit_equals_fit(iris, regression):
    X, _, y, _ = iris
    kw = dict(hidden_layer_sizes=(6,), batch_size=20, random_state=2, n_iter_no_change=1000)
    clf = MLPClassifier(**kw)
    for _ in range(7):
        clf.partial_fit(X, y, classes=[0, 1, 2])
    whole = fit_quietly(MLPClassifier(max_iter=7, **kw), X, y)
    np.testing.assert_array_equal(flat(clf.network_), flat(whole.network_))
    np.testing.assert_array_equal(clf.loss_curve_, whole.loss_curve_)
    assert clf.n_iter_ == 1
    # Later calls may see only some classes; the classes must be given the first time.
    clf.partial_fit(X[y == 2], y[y == 2])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    with pytest.raises(ValueError, match="classes must be passed"):
        MLPClassifier().partial_fit(X, y)
    with pytest.raises(ValueError, match=r"not in `self\.classes_`"):
        clf.partial_fit(X, y + 1)
    with pytest.raises(ValueError, match="early_stopping"):
        MLPClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])

    X, _, Y, _ = regression
    reg = MLPRegressor(**kw)
    for _ in range(4):
        reg.partial_fit(X, Y)
    whole = fit_quietly(MLPRegressor(max_iter=4, **kw), X, Y)
    np.testing.assert_array_equal(reg.predict(X), whole.predict(X))


# ---------------------------------------------------------------------------------------------
# Early stopping, ConvergenceWarning
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("estimator", [MLPClassifier, MLPRegressor])
def test_early_stopping_keeps_best_epoch(estimator):
    X, y = make_blobs(300, 4, centers=3, cluster_std=0.5, random_state=0)
    stratify, tol = y, 1e-4
    if estimator is MLPRegressor:
        # tol=0: stop after n_iter_no_change + 1 epochs worse than the best, so the last epoch
        # is not the best one and keeping the best parameters shows.
        y, stratify, tol = X @ np.array([0.5, -1.0, 0.3, 0.2]), None, 0.0
    est = estimator(
        (16,),
        early_stopping=True,
        learning_rate_init=0.01,
        random_state=4,
        tol=tol,
        initialization="he",
    )  # no draws from random_state before the split
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.set_params(max_iter=500).fit(X, y)
    assert est.n_iter_ < 500
    assert est.best_loss_ is None
    assert len(est.validation_scores_) == est.n_iter_ == len(est.loss_curve_)
    assert est.best_validation_score_ == max(est.validation_scores_)
    # The kept parameters are those of the best epoch, on the validation split of random_state.
    _, X_val, _, y_val = train_test_split(
        X, y, random_state=np.random.RandomState(4), test_size=0.1, stratify=stratify
    )
    assert est.score(X_val, y_val) == est.best_validation_score_
    if estimator is MLPRegressor:
        assert est.validation_scores_[-1] < est.best_validation_score_


def test_convergence_warning_and_divergence(moons):
    X, _, y, _ = moons
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\)"):
        MLPClassifier((4,), max_iter=3, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="non-finite parameter weights"):
        MLPRegressor((4,), solver="sgd", learning_rate_init=1e3, random_state=0).fit(X, y * 1e6)


# ---------------------------------------------------------------------------------------------
# Targets, validation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("labels", [[-1, 7], ["no", "yes"], [False, True], [1.0, 3.0]])
def test_binary_labels(labels, moons):
    X, Xt, y, _ = moons
    labels = np.array(labels)
    clf = fit_quietly(MLPClassifier((8,), max_iter=50, random_state=0), X, labels[y])
    np.testing.assert_array_equal(clf.classes_, labels)
    assert clf.n_outputs_ == 1
    assert clf.out_activation_ == "logistic"
    p = clf.network_.predict_proba(Xt.T)[0]
    np.testing.assert_array_equal(clf.predict(Xt), labels[(p > 0.5).astype(int)])
    np.testing.assert_array_equal(clf.predict_proba(Xt), np.column_stack([1 - p, p]))
    np.testing.assert_allclose(clf.predict_log_proba(Xt), np.log(clf.predict_proba(Xt)))


def test_multilabel(iris):
    X, _, y, _ = iris
    Y = np.column_stack([y == 0, y >= 1, y == 2]).astype(int)
    clf = MLPClassifier((8,), learning_rate_init=0.01, max_iter=200, random_state=0)
    clf = fit_quietly(clf, X, Y)
    assert clf.out_activation_ == "logistic"
    assert clf.predict(X).shape == Y.shape
    assert clf.predict_proba(X).shape == Y.shape
    np.testing.assert_array_equal(clf.predict(X), (clf.predict_proba(X) > 0.5).astype(int))
    assert clf.score(X, Y) > 0.8


def test_regressor_targets(regression):
    X, _, Y, _ = regression
    reg = fit_quietly(MLPRegressor((8,), max_iter=5, random_state=0), X, Y)
    assert reg.predict(X).shape == Y.shape
    assert reg.n_outputs_ == 2
    assert reg.out_activation_ == "identity"
    reg = fit_quietly(MLPRegressor((8,), max_iter=5, random_state=0), X, Y[:, 0])
    assert reg.predict(X).shape == (X.shape[0],)


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"activation": "sigmoid"}, ValueError, "activation"),
        ({"solver": "newton"}, ValueError, "solver"),
        ({"hidden_layer_sizes": (5, 0)}, ValueError, r"hidden_layer_sizes must be > 0"),
        ({"hidden_layer_sizes": "5"}, TypeError, "hidden_layer_sizes"),
        ({"alpha": -1.0}, ValueError, "alpha"),
        ({"momentum": 1.5}, ValueError, "momentum"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"batch_size": "all"}, TypeError, "batch_size"),
        ({"max_iter": 0}, ValueError, "max_iter"),
        ({"learning_rate_init": 0.0}, ValueError, "learning_rate_init"),
        ({"learning_rate": "optimal"}, ValueError, "learning_rate"),
        ({"validation_fraction": 1.0}, ValueError, "validation_fraction"),
        ({"n_iter_no_change": 0}, ValueError, "n_iter_no_change"),
        ({"max_fun": 0}, ValueError, "max_fun"),
        ({"keep_prob": 0.0}, ValueError, "keep_prob"),
        ({"initialization": "glorot_normal"}, ValueError, "initialization"),
        ({"dtype": "float16"}, TypeError, "dtype"),
        ({"keep_prob": 0.5, "solver": "lbfgs"}, ValueError, "keep_prob"),
        ({"early_stopping": "yes"}, TypeError, "early_stopping"),
    ],
)
def test_bad_parameters_refused_at_fit(params, error, match, moons):
    X, _, y, _ = moons
    clf = MLPClassifier(**params)  # __init__ only stores
    assert clf.get_params()[next(iter(params))] == next(iter(params.values()))
    with pytest.raises(error, match=match):
        clf.fit(X, y)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_input_refused(bad, moons):
    X, _, y, _ = moons
    X = X.copy()
    X[3, 1] = bad
    with pytest.raises(ValueError, match=r"NaN|infinity"):
        MLPClassifier().fit(X, y)
    clf = fit_quietly(MLPClassifier((4,), max_iter=1, random_state=0), moons[0], y)
    with pytest.raises(ValueError, match=r"NaN|infinity"):
        clf.predict(X)


def test_unfitted(moons):
    X = moons[0]
    with pytest.raises(NotFittedError):
        MLPClassifier().predict(X)
    with pytest.raises(NotFittedError):
        MLPRegressor().coefs_  # noqa: B018
    with pytest.raises(AttributeError, match="once the estimator is fitted"):
        MLPRegressor().coefs_ = [np.zeros((2, 3))]


def test_batch_size_larger_than_data_is_clipped(moons):
    X, _, y, _ = moons
    with pytest.warns(UserWarning, match="clipped"), pytest.warns(ConvergenceWarning):
        big = MLPClassifier((4,), batch_size=10_000, max_iter=3, random_state=0).fit(X, y)
    full = fit_quietly(MLPClassifier((4,), batch_size=len(X), max_iter=3, random_state=0), X, y)
    np.testing.assert_array_equal(flat(big.network_), flat(full.network_))


def test_verbose_prints_every_epoch(capsys, moons):
    X, _, y, _ = moons
    fit_quietly(MLPClassifier((4,), max_iter=3, verbose=True, random_state=0), X, y)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines] == [f"Iteration {i}" for i in (1, 2, 3)]


# ---------------------------------------------------------------------------------------------
# The Python minibatch loop over the core's kernels (weights, Poisson, sparse X, Nesterov)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("solver", "kw"),
    [("adam", {}), ("sgd", {"nesterovs_momentum": False}), ("sgd", {"momentum": 0.0})],
)
def test_sparse_loop_equals_the_core_loop(solver, kw):
    # Sparse X trains in the Python loop (one minibatch densified at a time), dense X in the
    # core's loop: same shuffles, same steps, so the same run to rounding.
    from scipy import sparse

    X, y = make_blobs(300, 8, centers=3, random_state=0)
    common = dict(hidden_layer_sizes=(7,), solver=solver, batch_size=32, max_iter=6)
    common.update(random_state=0, learning_rate_init=0.01, **kw)
    dense = fit_quietly(MLPClassifier(**common), X, y)
    csr = fit_quietly(MLPClassifier(**common), sparse.csr_matrix(X), y)
    np.testing.assert_allclose(flat(csr.network_), flat(dense.network_), rtol=RUN_RTOL, atol=1e-12)
    np.testing.assert_allclose(csr.loss_curve_, dense.loss_curve_, rtol=RUN_RTOL)
    np.testing.assert_array_equal(csr.predict(sparse.csr_matrix(X)), csr.predict(X))


def _sklearn_loss_grad(sk, packed, X, Y, w):
    """scikit-learn's own loss and gradient at ``packed`` (its lbfgs objective)."""
    units = [X.shape[1]] + [c.shape[1] for c in sk.coefs_]
    activations = [X] + [None] * (len(units) - 1)
    deltas = [None] * (len(units) - 1)
    coef_grads = [np.empty((a, b)) for a, b in zip(units[:-1], units[1:])]
    intercept_grads = [np.empty(b) for b in units[1:]]
    return sk._loss_grad_lbfgs(packed, X, Y, w, activations, deltas, coef_grads, intercept_grads)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("problem", ["binary", "multiclass", "regression", "poisson"])
def test_weighted_loss_and_gradient_match_sklearn(problem, activation):
    # scikit-learn (>= 1.7) is the oracle of the weighted mean loss and its gradient.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 5))
    w = rng.uniform(0.2, 3.0, 40)
    kw = dict(hidden_layer_sizes=(6, 4), activation=activation, solver="lbfgs", alpha=0.3)
    kw.update(max_iter=1, random_state=0)
    if problem in ("binary", "multiclass"):
        y = rng.integers(0, 2 if problem == "binary" else 3, 40)
        ours_cls, sk_cls = MLPClassifier, sknn.MLPClassifier
    else:
        y = rng.poisson(2.0, 40).astype(float) if problem == "poisson" else X @ rng.random(5)
        ours_cls, sk_cls = MLPRegressor, sknn.MLPRegressor
        if problem == "poisson":
            kw["loss"] = "poisson"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = ours_cls(**kw).fit(X, y, sample_weight=w)
        sk = sk_cls(**kw).fit(X, y, sample_weight=w)
    Y = ours._label_binarizer.transform(y) if problem in ("binary", "multiclass") else y[:, None]
    theta = np.concatenate([c.ravel() for c in ours.coefs_ + ours.intercepts_]) * 1.3
    loss, grad = ours._loss_grad_lbfgs(theta, X, Y, w)
    sk_loss, sk_grad = _sklearn_loss_grad(sk, theta, X, Y.astype(float), w)
    np.testing.assert_allclose(loss, sk_loss, rtol=1e-12)
    np.testing.assert_allclose(grad, sk_grad, rtol=1e-10, atol=1e-14)


def test_lbfgs_weights_equal_repeated_rows():
    # An integer weight counts an example that many times: the same objective, the same run.
    X, y = make_blobs(60, 4, centers=3, random_state=1)
    w = np.arange(60) % 3 + 1
    kw = dict(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = MLPClassifier(**kw).fit(X, y, sample_weight=w)
        repeated = MLPClassifier(**kw).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(flat(weighted.network_), flat(repeated.network_), rtol=1e-7)
    assert weighted.n_iter_ == repeated.n_iter_
    assert not hasattr(weighted, "loss_curve_")  # as scikit-learn's lbfgs


def test_constant_weights_scale_only_the_penalty(moons):
    # scikit-learn's weighted mean: weights c everywhere leave the loss, divide alpha by c.
    X, _, y, _ = moons
    kw = dict(hidden_layer_sizes=(5,), max_iter=5, random_state=0, batch_size=40)
    ones = fit_quietly(MLPClassifier(alpha=0.5, **kw), X, y, sample_weight=np.ones(len(y)))
    none = fit_quietly(MLPClassifier(alpha=0.5, **kw), X, y)
    twos = fit_quietly(MLPClassifier(alpha=1.0, **kw), X, y, sample_weight=np.full(len(y), 2.0))
    np.testing.assert_array_equal(flat(ones.network_), flat(none.network_))
    np.testing.assert_array_equal(flat(twos.network_), flat(none.network_))


@pytest.mark.parametrize(
    "kw",
    [
        {"learning_rate": "invscaling", "power_t": 0.3, "momentum": 0.0},
        {"learning_rate": "adaptive", "momentum": 0.0, "tol": 0.05, "n_iter_no_change": 2},
        {"learning_rate": "constant", "momentum": 0.8, "nesterovs_momentum": True},
        {"learning_rate": "invscaling", "momentum": 0.8, "nesterovs_momentum": True},
        {"learning_rate": "invscaling", "momentum": 0.8, "nesterovs_momentum": False},
        {"learning_rate": "constant", "momentum": 1.0, "nesterovs_momentum": False},
    ],
)
def test_sgd_schedules_and_nesterov_match_sklearn(kw):
    # Full batch and no shuffle, so scikit-learn's SGD takes the very same steps from the same
    # (Glorot, same random_state) initial parameters.
    X, y = make_blobs(80, 3, centers=2, random_state=2)
    common = dict(hidden_layer_sizes=(5,), solver="sgd", learning_rate_init=0.2, batch_size=80)
    common.update(shuffle=False, random_state=3, max_iter=60, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = MLPClassifier(**common).fit(X, y)
        sk = sknn.MLPClassifier(**common).fit(X, y)
    assert ours.n_iter_ == sk.n_iter_
    np.testing.assert_allclose(ours.loss_curve_, sk.loss_curve_, rtol=RUN_RTOL)
    for mine, theirs in zip(ours.coefs_ + ours.intercepts_, sk.coefs_ + sk.intercepts_):
        np.testing.assert_allclose(mine, theirs, rtol=RUN_RTOL, atol=1e-12)
    assert ours._optimizer.learning_rate == pytest.approx(sk._optimizer.learning_rate, rel=1e-15)
    assert ours._no_improvement_count == sk._no_improvement_count


def test_poisson_regressor_learns_counts():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (400, 2))
    y = rng.poisson(np.exp(0.8 * X[:, 0] - 0.5 * X[:, 1] + 1.0))
    reg = MLPRegressor((4,), loss="poisson", solver="adam", learning_rate_init=0.02,
                       max_iter=150, random_state=0).fit(X, y)  # fmt: skip
    assert reg.out_activation_ == "exp"
    assert (reg.predict(X) > 0).all()
    from sklearn.metrics import d2_tweedie_score

    assert d2_tweedie_score(y, reg.predict(X), power=1) > 0.4
    with pytest.raises(ValueError, match="non-negative"):
        MLPRegressor(loss="poisson").fit(X, -np.abs(y) - 1)


@pytest.mark.parametrize("estimator", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_float32_input_keeps_float32(estimator, solver, iris):
    X, _, y, _ = iris
    est = estimator((6,), solver=solver, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X.astype(np.float32), y)
    assert est.network_.dtype == np.float32
    assert all(c.dtype == np.float32 for c in est.coefs_ + est.intercepts_)
    out = est.predict_proba(X) if estimator is MLPClassifier else est.predict(X)
    assert out.dtype == np.float32
    est = estimator((6,), max_iter=2, dtype="float64")
    assert fit_quietly(est, X.astype(np.float32), y).network_.dtype == np.float64


def test_partial_fit_multilabel():
    # Issue 20 item 13: an indicator matrix with classes=[0, 1] (the values) on the first call.
    X, Y = sklearn.datasets.make_multilabel_classification(60, 5, n_classes=3, random_state=0)
    clf = MLPClassifier((8,), solver="sgd", learning_rate_init=0.1, random_state=0)
    for _ in range(3):
        clf.partial_fit(X, Y, classes=[0, 1])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict(X).shape == Y.shape
    assert clf.out_activation_ == "logistic"
    assert clf.n_outputs_ == 3


def test_single_class_fits_like_sklearn(moons):
    X, _, _, _ = moons
    y = np.full(len(X), "only")
    clf = fit_quietly(MLPClassifier((3,), max_iter=3, random_state=0), X, y)
    sk = fit_quietly(sknn.MLPClassifier((3,), max_iter=3, random_state=0), X, y)
    np.testing.assert_array_equal(clf.predict(X), sk.predict(X))
    assert clf.predict_proba(X).shape == sk.predict_proba(X).shape


def test_stratification_error_names_the_labels():
    X = [[1, 2], [2, 3], [3, 4], [4, 5]]
    with pytest.raises(ValueError, match=r"True is 'rare'"):
        MLPClassifier(early_stopping=True).fit(X, ["common"] * 3 + ["rare"])


def test_lbfgs_has_no_partial_fit_and_counts_iterations(moons):
    X, _, y, _ = moons
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    assert hasattr(MLPClassifier(solver="sgd"), "partial_fit")
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        clf = MLPClassifier((5,), solver="lbfgs", max_iter=4, random_state=0).fit(X, y)
    assert clf.n_iter_ == 4
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        clf = MLPClassifier((5,), solver="lbfgs", max_fun=6, random_state=0).fit(X, y)
    assert clf.n_iter_ <= 6


def test_diverging_early_stopping_scores_nan():
    X, y = make_regression(100, 3, random_state=0)
    reg = MLPRegressor((8,), solver="sgd", learning_rate_init=10.0, early_stopping=True,
                       max_iter=15, random_state=0)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y)
    assert np.isnan(reg.validation_scores_[-1])
    assert np.isfinite(reg.predict(X)).all()  # the best (finite) epoch is kept


@pytest.mark.slow
def test_sparse_input_is_never_densified_whole():
    # 20000 x 12500 dense is 2 GB: in a child limited to 1 GiB of address space, training
    # (minibatches and lbfgs' blocks) and predicting must densify a slice at a time.
    code = """
import resource
resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))
import warnings
import numpy as np
from scipy import sparse
from nncore.sklearn import MLPClassifier
rng = np.random.default_rng(0)
rows, cols = rng.integers(0, 20000, 20000), rng.integers(0, 12500, 20000)
X = sparse.csr_matrix((rng.random(20000), (rows, cols)), shape=(20000, 12500))
y = np.arange(20000) % 2
warnings.simplefilter("ignore")
for solver in ("sgd", "lbfgs"):
    clf = MLPClassifier((4,), solver=solver, batch_size=200, max_iter=1, random_state=0)
    clf.fit(X, y)
    print(solver, clf.predict(X).shape, clf.predict_proba(X[:10]).shape)
try:
    X.toarray()
except MemoryError:
    print("whole: MemoryError")
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:3] == [
        "sgd (20000,) (10, 2)",
        "lbfgs (20000,) (10, 2)",
        "whole: MemoryError",
    ], r.stdout
