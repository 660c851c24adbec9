"""The published results of the course assignments, reproduced with the numpy reference.

Accuracies are compared as the course prints them: within 0.005 of the published figure.
Full-length optimization and regularization runs take several seconds each and are marked
``slow`` (run them with ``pytest -m slow``).
"""

# The reference seeds numpy's legacy global generator like the course; the tests check that.
# ruff: noqa: NPY002

from __future__ import annotations

import functools
import math
import sys

import numpy as np
import pytest

from nncore import reference as ref
from nncore.datasets import make_synthetic_2d_dataset

LOG2 = 0.6931471805599453  # -log(0.5), the course's printed cost for zero initialization
ACCURACY_ATOL = 0.005  # the course prints accuracies to about two or four digits


@functools.cache
def _circles():
    pytest.importorskip("sklearn")
    from nncore.datasets import load_circles

    return load_circles()


@functools.cache
def _moons():
    pytest.importorskip("sklearn")
    from nncore.datasets import load_moons

    return load_moons()


@functools.cache
def _initialization_run(initialization):
    train_X, train_Y, test_X, test_Y = _circles()
    parameters, costs = ref.model(
        train_X,
        train_Y,
        [2, 10, 5, 1],
        learning_rate=0.01,
        mini_batch_size=None,
        num_epochs=15000,
        initialization=initialization,
    )
    train = ref.accuracy(train_X, train_Y, parameters)
    test = ref.accuracy(test_X, test_Y, parameters)
    return parameters, costs, train, test


# ---------------------------------------------------------------------------------------------
# Initialization: [2, 10, 5, 1], full-batch gradient descent, lr 0.01, 15000 iterations
# ---------------------------------------------------------------------------------------------


def test_load_circles_layout():
    train_X, train_Y, test_X, test_Y = _circles()
    assert train_X.shape == (2, 300)
    assert train_Y.shape == (1, 300)
    assert test_X.shape == (2, 100)
    assert test_Y.shape == (1, 100)
    assert {a.dtype for a in (train_X, train_Y, test_X, test_Y)} == {np.dtype(np.float64)}
    assert set(np.unique(train_Y)) == {0.0, 1.0}
    assert train_Y.sum() == 150  # make_circles splits the samples evenly


@pytest.mark.parametrize(
    ("initialization", "train", "test"),
    [("zeros", 0.5, 0.5), ("random", 0.83, 0.86), ("he", 0.9933, 0.96)],
)
def test_initialization_accuracies(initialization, train, test):
    _, _, train_acc, test_acc = _initialization_run(initialization)
    assert abs(train_acc - train) < ACCURACY_ATOL
    assert abs(test_acc - test) < ACCURACY_ATOL


def test_random_initialization_cost_is_inf_at_iteration_0():
    _, costs, _, _ = _initialization_run("random")
    assert costs[0] == math.inf
    assert math.isfinite(costs[-1])


def test_zeros_initialization_never_breaks_symmetry():
    parameters, costs, _, _ = _initialization_run("zeros")
    assert costs[0] == LOG2
    for key in ("W1", "b1", "W2", "b2", "W3"):
        assert not parameters[key].any(), key
    # dZ3 = A3 - Y is exactly +-0.5 and the classes are balanced, so db3 is exactly 0.
    assert not parameters["b3"].any()


def test_zeros_initialization_cost_stays_exactly_log2():
    _, costs, _, _ = _initialization_run("zeros")
    assert all(c == LOG2 for c in costs)


# ---------------------------------------------------------------------------------------------
# Optimization: moons, [2, 5, 2, 1], minibatches of 64
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("loader", ["load_circles", "load_moons"])
def test_loaders_explain_missing_sklearn(monkeypatch, loader):
    import nncore.datasets

    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(
        ImportError, match=rf"{loader} needs scikit-learn: pip install nncore\[datasets\]"
    ):
        getattr(nncore.datasets, loader)()


def test_load_moons_layout():
    train_X, train_Y = _moons()
    assert train_X.shape == (2, 300)
    assert train_Y.shape == (1, 300)
    assert train_X.dtype == train_Y.dtype == np.float64


@pytest.mark.slow
@pytest.mark.parametrize(
    ("optimizer", "expected"), [("gd", 0.7967), ("momentum", 0.7967), ("adam", 0.94)]
)
def test_optimization_accuracies(optimizer, expected):
    train_X, train_Y = _moons()
    parameters, _ = ref.model(
        train_X,
        train_Y,
        [2, 5, 2, 1],
        optimizer=optimizer,
        learning_rate=0.0007,
        mini_batch_size=64,
        num_epochs=10000,
    )
    assert abs(ref.accuracy(train_X, train_Y, parameters) - expected) < ACCURACY_ATOL


@pytest.mark.slow
@pytest.mark.parametrize(
    ("optimizer", "learning_rate", "low", "high"),
    [("gd", 0.1, 0.94, 0.95), ("momentum", 0.1, 0.94, 0.95), ("adam", 0.01, 0.94, 0.94)],
)
def test_optimization_with_schedule_lr_decay(optimizer, learning_rate, low, high):
    train_X, train_Y = _moons()
    parameters, _ = ref.model(
        train_X,
        train_Y,
        [2, 5, 2, 1],
        optimizer=optimizer,
        learning_rate=learning_rate,
        mini_batch_size=64,
        num_epochs=5000,
        decay="schedule_lr_decay",
        decay_rate=1,
    )
    accuracy = ref.accuracy(train_X, train_Y, parameters)
    assert low - ACCURACY_ATOL < accuracy < high + ACCURACY_ATOL


# ---------------------------------------------------------------------------------------------
# Regularization: synthetic 2-D set, [2, 20, 3, 1], xavier (seed 3), lr 0.3, 30000 iterations
# ---------------------------------------------------------------------------------------------


def test_make_synthetic_2d_dataset_layout_and_seed():
    state = np.random.get_state()
    train_X, train_Y, test_X, test_Y = make_synthetic_2d_dataset()
    after = np.random.get_state()
    assert state[0] == after[0]
    np.testing.assert_array_equal(state[1], after[1])  # the global generator is untouched
    assert train_X.shape == (2, 211)
    assert train_Y.shape == (1, 211)
    assert test_X.shape == (2, 200)
    assert test_Y.shape == (1, 200)
    assert np.abs(np.hstack([train_X, test_X])).max() <= 0.75
    assert set(np.unique(train_Y)) == {0.0, 1.0}
    assert 0.3 < train_Y.mean() < 0.7
    again = make_synthetic_2d_dataset()
    for a, b in zip((train_X, train_Y, test_X, test_Y), again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(make_synthetic_2d_dataset(seed=1)[0], train_X)


@pytest.fixture(scope="module")
def regularization_runs():
    train_X, train_Y, test_X, test_Y = make_synthetic_2d_dataset()
    runs = {}
    for name, kwargs in [("none", {}), ("l2", {"lambd": 0.7}), ("dropout", {"keep_prob": 0.86})]:
        parameters, _ = ref.model(
            train_X,
            train_Y,
            [2, 20, 3, 1],
            learning_rate=0.3,
            mini_batch_size=None,
            num_epochs=30000,
            initialization="xavier",
            **kwargs,
        )
        runs[name] = (
            ref.accuracy(train_X, train_Y, parameters),
            ref.accuracy(test_X, test_Y, parameters),
        )
    return runs


@pytest.mark.slow
def test_regularization_narrows_the_gap(regularization_runs):
    train, test = regularization_runs["none"]
    assert train - test > 0.03  # the unregularized network overfits
    for name in ("l2", "dropout"):
        train_reg, test_reg = regularization_runs[name]
        assert train_reg - test_reg < train - test, name
        assert test_reg > test, name
