"""nncore.course_utils: the course's helper modules, each with the meanings of its own.

Written from what the notebooks import and what the helper modules document (names,
signatures, keys, seeds); the expected values are the documented formulas written out with
numpy here, not the course's code.
"""

# The helper modules seed numpy's legacy global generator; the checks do the same.
# ruff: noqa: NPY002

from __future__ import annotations

import numpy as np
import pytest

import nncore
from nncore.course_utils import gc_utils, init_utils, opt_utils, reg_utils

# The names each notebook imports from its helper module.
IMPORTED = {
    init_utils: "sigmoid relu compute_loss forward_propagation backward_propagation "
    "update_parameters predict load_dataset plot_decision_boundary predict_dec",
    reg_utils: "sigmoid relu plot_decision_boundary initialize_parameters load_2D_dataset "
    "predict_dec compute_cost predict forward_propagation backward_propagation update_parameters",
    gc_utils: "sigmoid relu dictionary_to_vector vector_to_dictionary gradients_to_vector",
    opt_utils: "load_params_and_grads initialize_parameters forward_propagation "
    "backward_propagation compute_cost predict predict_dec plot_decision_boundary load_dataset",
}


@pytest.mark.parametrize("module", IMPORTED, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_every_name_the_notebook_imports(module):
    names = IMPORTED[module].split()
    assert sorted(set(names) - set(module.__all__)) == []
    for name in names:
        assert callable(getattr(module, name))


def test_initialize_parameters_is_each_modules_own():
    dims = [2, 20, 3, 1]
    reg, opt = reg_utils.initialize_parameters(dims), opt_utils.initialize_parameters(dims)
    np.random.seed(3)
    for l in range(1, 4):
        draw = np.random.randn(dims[l], dims[l - 1])
        np.testing.assert_array_equal(reg[f"W{l}"], draw / np.sqrt(dims[l - 1]))
        np.testing.assert_array_equal(reg[f"b{l}"], np.zeros((dims[l], 1)))
    np.random.seed(3)
    for l in range(1, 4):
        draw = np.random.randn(dims[l], dims[l - 1])
        np.testing.assert_array_equal(opt[f"W{l}"], draw * np.sqrt(2 / dims[l - 1]))


def _batch(m=7, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(2, m)
    Y = (rng.rand(1, m) < 0.5).astype(np.float64)
    p = nncore.initialize_parameters_he([2, 5, 2, 1])
    return X, Y, p


def test_compute_cost_is_the_sum_in_opt_utils_and_the_mean_in_reg_utils():
    X, Y, p = _batch()
    a3, _ = nncore.forward_propagation(X, p)
    logprobs = np.multiply(-np.log(a3), Y) + np.multiply(-np.log(1 - a3), 1 - Y)
    total = opt_utils.compute_cost(a3, Y)
    assert type(total) is np.float64
    assert total == np.sum(logprobs)
    assert reg_utils.compute_cost(a3, Y) == 1.0 / X.shape[1] * np.nansum(logprobs)


@pytest.mark.parametrize("module", [init_utils, opt_utils], ids=["init_utils", "opt_utils"])
def test_lower_case_gradients_take_1_over_m_into_dz(module):
    X, Y, p = _batch()
    m = X.shape[1]
    a3, cache = module.forward_propagation(X, p)
    grads = module.backward_propagation(X, Y, cache)
    assert list(grads) == ["dz3", "dW3", "db3", "da2", "dz2", "dW2", "db2", "da1", "dz1",
                           "dW1", "db1"]  # fmt: skip
    a1, a2, a3, W2, W3 = cache[1], cache[5], cache[9], cache[6], cache[10]
    dz3 = 1.0 / m * (a3 - Y)
    da2 = W3.T @ dz3
    dz2 = da2 * (a2 > 0)
    da1 = W2.T @ dz2
    dz1 = da1 * (a1 > 0)
    expected = {
        "dz3": dz3, "dW3": dz3 @ a2.T, "db3": dz3.sum(axis=1, keepdims=True),
        "da2": da2, "dz2": dz2, "dW2": dz2 @ a1.T, "db2": dz2.sum(axis=1, keepdims=True),
        "da1": da1, "dz1": dz1, "dW1": dz1 @ X.T, "db1": dz1.sum(axis=1, keepdims=True),
    }  # fmt: skip
    for key, value in expected.items():
        np.testing.assert_allclose(grads[key], value, rtol=1e-12, atol=1e-15, err_msg=key)
    # reg_utils keeps nncore's (the course's graded) keys, dZ3 = A3 - Y.
    upper = reg_utils.backward_propagation(X, Y, cache)
    np.testing.assert_allclose(upper["dZ3"], a3 - Y, rtol=1e-12)


def test_load_params_and_grads_draws_in_the_modules_order():
    got = opt_utils.load_params_and_grads(seed=2)
    np.random.seed(2)
    shapes = [(2, 3), (2, 1), (3, 3), (3, 1)] * 2
    assert len(got) == 8
    for array, shape in zip(got, shapes):
        np.testing.assert_array_equal(array, np.random.randn(*shape))


def test_the_loaders_and_the_boundary_plot():
    pytest.importorskip("sklearn")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nncore.datasets import load_circles, load_moons

    circles = init_utils.load_dataset()
    for got, expected in zip(circles, load_circles()):
        np.testing.assert_array_equal(got, expected)
    train_X, train_Y = opt_utils.load_dataset()
    moons = load_moons()
    np.testing.assert_array_equal(train_X, moons[0])
    np.testing.assert_array_equal(train_Y, moons[1])
    plt.close("all")
    p = opt_utils.initialize_parameters([2, 5, 2, 1])
    # The course's call: the model takes points as rows.
    seen = []

    def model(x):
        seen.append(x.shape)
        return opt_utils.predict_dec(p, x.T)

    opt_utils.plot_decision_boundary(model, train_X, train_Y)
    assert seen
    assert seen[0][1] == 2
    plt.close("all")


def test_load_2D_dataset_plots_and_reads_the_file(tmp_path):
    scipy_io = pytest.importorskip("scipy.io")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    rng = np.random.RandomState(0)
    data = {"X": rng.randn(11, 2), "y": rng.randint(0, 2, (11, 1)),
            "Xval": rng.randn(5, 2), "yval": rng.randint(0, 2, (5, 1))}  # fmt: skip
    path = tmp_path / "data.mat"
    scipy_io.savemat(path, data)
    got = reg_utils.load_2D_dataset(path)
    for array, key in zip(got, ("X", "y", "Xval", "yval")):
        np.testing.assert_array_equal(array, data[key].T)


# ---------------------------------------------------------------------------------------------
# The notebooks' training loops on the helper modules print the course's figures (slow)
# ---------------------------------------------------------------------------------------------

MODULES = [pytest.param(nncore.reference, id="reference"), pytest.param(nncore, id="nncore")]


def _notebook_initialization_run(mod, initialization):
    """The initialization notebook's loop: full batch, lr 0.01, 15000 iterations, [2, 10, 5, 1],
    with init_utils' forward, compute_loss, backward (lower-case keys) and update."""
    from nncore.datasets import load_circles

    train_X, train_Y, test_X, test_Y = load_circles()
    parameters = getattr(mod, f"initialize_parameters_{initialization}")([2, 10, 5, 1])
    backward = init_utils.backward_propagation
    if mod is nncore.reference:

        def backward(X, Y, cache):
            from nncore.course_utils._common import lowercase_gradients

            return lowercase_gradients(mod.backward_propagation(X, Y, cache), X.shape[1])

    first = None
    for i in range(15000):
        a3, cache = mod.forward_propagation(train_X, parameters)
        cost = mod.compute_loss(a3, train_Y)
        first = cost if i == 0 else first
        grads = backward(train_X, train_Y, cache)
        parameters = mod.update_parameters(parameters, grads, 0.01)
    train = float(np.mean(mod.predict_dec(parameters, train_X) == train_Y))
    test = float(np.mean(mod.predict_dec(parameters, test_X) == test_Y))
    return first, train, test


@pytest.mark.slow
@pytest.mark.parametrize("mod", MODULES)
@pytest.mark.parametrize(
    ("initialization", "cost0", "train", "test"),
    [
        ("zeros", "0.6931471805599453", 0.5, 0.5),
        ("he", "0.8830537463419761", 0.9933333333333333, 0.96),
    ],
)
def test_the_initialization_notebook_prints_the_published_figures(
    mod, initialization, cost0, train, test
):
    pytest.importorskip("sklearn")
    first, got_train, got_test = _notebook_initialization_run(mod, initialization)
    assert str(first) == cost0  # "Cost after iteration 0: ..." as the notebook prints it
    assert (got_train, got_test) == (train, test)


@pytest.mark.slow
@pytest.mark.parametrize("mod", MODULES)
def test_the_optimization_notebooks_update_lr_run_prints_the_published_costs(mod):
    # The notebook's loop: minibatches of 64 reshuffled with seed 11, 12, ...; opt_utils' He
    # initialization, summed cost and lower-case backward; gd at lr 0.1 decayed by update_lr
    # after each epoch; "Cost after epoch %i: %f" of the epoch's total / m.
    pytest.importorskip("sklearn")
    from nncore.course_utils._common import lowercase_gradients
    from nncore.datasets import load_moons

    train_X, train_Y = load_moons()
    m = train_X.shape[1]
    parameters = opt_utils.initialize_parameters([2, 5, 2, 1])
    printed = []
    learning_rate = 0.1
    for i in range(4001):
        total = 0.0
        for X, Y in mod.random_mini_batches(train_X, train_Y, 64, 11 + i):
            a3, cache = mod.forward_propagation(X, parameters)
            total += opt_utils.compute_cost(a3, Y)
            grads = lowercase_gradients(mod.backward_propagation(X, Y, cache), X.shape[1])
            parameters = mod.update_parameters_with_gd(parameters, grads, learning_rate)
        learning_rate = mod.update_lr(0.1, i, 1)
        if i % 1000 == 0:
            printed.append("%f" % (total / m))
    assert printed == ["0.701091", "0.661884", "0.658620", "0.656765", "0.655486"]
