"""The course's own calls, against both course modules: nncore.reference and nncore.

Written from what the course's public tests and notebooks document (signatures, argument types,
return types, cache layouts, dict keys), not from their code or data: the inputs here are this
file's own. Each check runs on both modules, so a learner who replaces the course's helpers
with either gets what the course's checks ask for. The expected numbers are the formulas of
COURSE.md written out with numpy, independently of both modules.
"""

# The course seeds numpy's legacy global generator; the checks do the same.
# ruff: noqa: NPY002

from __future__ import annotations

import numpy as np
import pytest

import nncore
from nncore import reference as ref

MODULES = [pytest.param(ref, id="reference"), pytest.param(nncore, id="nncore")]
RTOL = 1e-12


def _three_layer_parameters(shapes=((2, 3), (3, 2), (1, 3)), seed=1):
    """W1, b1, W2, b2, W3, b3 drawn in that order after ``np.random.seed(seed)``."""
    np.random.seed(seed)
    p = {}
    for l, (n, k) in enumerate(shapes, start=1):
        p[f"W{l}"] = np.random.randn(n, k)
        p[f"b{l}"] = np.random.randn(n, 1)
    return p


def _relu(z):
    return np.maximum(z, 0)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# ---------------------------------------------------------------------------------------------
# Initialization assignment
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mod", MODULES)
def test_initializers_as_the_course_calls_them(mod):
    dims = [3, 2, 1]
    zeros = mod.initialize_parameters_zeros(dims)
    assert list(zeros) == ["W1", "b1", "W2", "b2"]
    for key, shape in (("W1", (2, 3)), ("b1", (2, 1)), ("W2", (1, 2)), ("b2", (1, 1))):
        assert type(zeros[key]) is np.ndarray
        np.testing.assert_array_equal(zeros[key], np.zeros(shape))
    for name, scale in (("random", lambda W, n: W * 10), ("he", lambda W, n: W * np.sqrt(2 / n))):
        got = getattr(mod, f"initialize_parameters_{name}")(dims)
        np.random.seed(3)
        for l in (1, 2):
            W = scale(np.random.randn(dims[l], dims[l - 1]), dims[l - 1])
            np.testing.assert_array_equal(got[f"W{l}"], W, err_msg=f"{name} W{l}")
            np.testing.assert_array_equal(got[f"b{l}"], np.zeros((dims[l], 1)))


@pytest.mark.parametrize("mod", MODULES)
def test_xavier_is_the_regularization_initializer_bit_for_bit(mod):
    # The regularization assignment: np.random.seed(3); randn(n_l, n_{l-1}) / sqrt(n_{l-1}).
    dims = [2, 20, 3, 1]
    got = mod.initialize_parameters_xavier(dims)
    np.random.seed(3)
    for l in range(1, 4):
        W = np.random.randn(dims[l], dims[l - 1]) / np.sqrt(dims[l - 1])
        np.testing.assert_array_equal(got[f"W{l}"], W)
    # ... and model(initialization="xavier") starts there (learning rate ~0: one tiny step).
    X = np.random.RandomState(0).randn(2, 5)
    Y = np.array([[1, 0, 1, 1, 0]])
    p, _ = mod.model(X, Y, dims, learning_rate=1e-300, mini_batch_size=None, num_epochs=1,
                     initialization="xavier")  # fmt: skip
    for l in range(1, 4):
        np.testing.assert_array_equal(p[f"W{l}"], got[f"W{l}"])


@pytest.mark.parametrize("mod", MODULES)
def test_predict_returns_the_labels_and_prints_the_accuracy(mod, capsys):
    p = _three_layer_parameters()
    X = np.random.RandomState(2).randn(3, 8)
    AL = _sigmoid(p["W3"] @ _relu(p["W2"] @ _relu(p["W1"] @ X + p["b1"]) + p["b2"]) + p["b3"])
    labels = (AL > 0.5).astype(int)
    y = labels.copy()
    y[0, :2] = 1 - y[0, :2]  # two wrong of eight
    predictions = mod.predict(X, y, p)
    assert capsys.readouterr().out == "Accuracy: 0.75\n"
    assert isinstance(predictions, np.ndarray)
    assert np.issubdtype(predictions.dtype, np.integer)
    np.testing.assert_array_equal(predictions, labels)
    np.testing.assert_array_equal(mod.predict_dec(p, X), AL > 0.5)


@pytest.mark.parametrize("mod", MODULES)
def test_the_helper_modules_names(mod):
    # init_utils' compute_loss(a3, Y) and update_parameters(parameters, grads, learning_rate),
    # which the initialization and regularization notebooks' model functions call.
    a3 = np.array([[0.0, 0.9, 0.2]])  # a saturated output: the nansum drops 0 * log(0)
    Y = np.array([[0, 1, 0]])
    loss = mod.compute_loss(a3, Y)
    assert type(loss) is np.float64
    assert loss == pytest.approx(-(np.log(0.9) + np.log(0.8)) / 3, rel=RTOL)
    p, g = _per_key_case()
    new = mod.update_parameters(p, g, 0.5)
    for k in p:
        np.testing.assert_allclose(new[k], p[k] - 0.5 * g["d" + k], rtol=RTOL)


@pytest.mark.parametrize("mod", MODULES)
def test_the_cost_is_the_courses_float_bit_for_bit(mod):
    # The notebooks print the cost's repr: "Cost after iteration 0: 0.6931471805599453" with
    # the zeros initialization (every output 0.5). Within 1e-12 is not enough to print that.
    m = 300
    half = np.full((1, m), 0.5)
    Y = (np.arange(m) % 2).reshape(1, m)
    assert mod.compute_loss(half, Y) == 0.6931471805599453
    assert mod.compute_cost(half, Y) == 0.6931471805599453
    # The course's expression written out: 1/m * nansum of the log-probabilities.
    rng = np.random.RandomState(0)
    AL = rng.uniform(0.01, 0.99, (1, 211))
    Y = rng.randint(0, 2, (1, 211))
    logprobs = np.multiply(-np.log(AL), Y) + np.multiply(-np.log(1 - AL), 1 - Y)
    course = 1.0 / 211 * np.nansum(logprobs)
    assert mod.compute_cost(AL, Y) == course
    p = _three_layer_parameters(shapes=((4, 3), (2, 4), (1, 2)))
    squares = np.sum(np.square(p["W1"])) + np.sum(np.square(p["W2"])) + np.sum(np.square(p["W3"]))
    regularized = course + (1 / 211) * (0.7 / 2) * squares
    assert mod.compute_cost_with_regularization(AL, Y, p, 0.7) == regularized


# ---------------------------------------------------------------------------------------------
# Regularization assignment
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mod", MODULES)
def test_compute_cost_with_regularization_is_a_numpy_scalar(mod):
    p = _three_layer_parameters()
    a3 = np.array([[0.3, 0.02, 0.2, 0.1, 0.45]])
    Y = np.array([[1, 1, 0, 1, 0]])  # integers, as the course's test passes them
    cost = mod.compute_cost_with_regularization(a3, Y, p, 0.1)
    assert type(cost) is np.float64
    assert cost.shape == ()
    cross = -np.mean(Y * np.log(a3) + (1 - Y) * np.log(1 - a3))
    l2 = 0.1 / (2 * 5) * sum(np.sum(p[f"W{l}"] ** 2) for l in (1, 2, 3))
    assert cost == pytest.approx(cross + l2, rel=RTOL)
    plain = mod.compute_cost(a3, Y)
    assert type(plain) is np.float64
    assert plain == pytest.approx(cross, rel=RTOL)


def _hand_cache(dropout: bool):
    """A three-layer cache in the course's layout, built by hand the way the course's tests
    build theirs: its A and Z need not agree (the course's backward reads ``A > 0``), its
    masks are booleans."""
    rng = np.random.RandomState(7)
    X = rng.randn(3, 5)
    Y = np.array([[1, 1, 0, 1, 0]])
    W1, b1 = rng.randn(2, 3), rng.randn(2, 1)
    W2, b2 = rng.randn(3, 2), rng.randn(3, 1)
    W3, b3 = rng.randn(1, 3), rng.randn(1, 1)
    Z1, Z2, Z3 = rng.randn(2, 5), rng.randn(3, 5), rng.randn(1, 5)
    A1 = np.abs(rng.randn(2, 5)) * (rng.rand(2, 5) < 0.6)  # zeros where Z1 may be positive
    A2 = np.abs(rng.randn(3, 5)) * (rng.rand(3, 5) < 0.6)
    A3 = rng.uniform(0.05, 0.95, size=(1, 5))
    if not dropout:
        return X, Y, (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)
    D1, D2 = rng.rand(2, 5) < 0.8, rng.rand(3, 5) < 0.8
    return X, Y, (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)


def _course_backward(X, Y, cache, lambd=0.0, keep_prob=None):
    """COURSE.md's backward for three layers, in the course's variables."""
    m = X.shape[1]
    if keep_prob is None:
        _, A1, W1, _, _, A2, W2, _, _, A3, W3, _ = cache
        D1 = D2 = None
    else:
        _, D1, A1, W1, _, _, D2, A2, W2, _, _, A3, W3, _ = cache
    g = {}
    g["dZ3"] = A3 - Y
    g["dW3"] = g["dZ3"] @ A2.T / m + lambd * W3 / m
    g["db3"] = g["dZ3"].sum(axis=1, keepdims=True) / m
    g["dA2"] = W3.T @ g["dZ3"] if D2 is None else W3.T @ g["dZ3"] * D2 / keep_prob
    g["dZ2"] = g["dA2"] * (A2 > 0)
    g["dW2"] = g["dZ2"] @ A1.T / m + lambd * W2 / m
    g["db2"] = g["dZ2"].sum(axis=1, keepdims=True) / m
    g["dA1"] = W2.T @ g["dZ2"] if D1 is None else W2.T @ g["dZ2"] * D1 / keep_prob
    g["dZ1"] = g["dA1"] * (A1 > 0)
    g["dW1"] = g["dZ1"] @ X.T / m + lambd * W1 / m
    g["db1"] = g["dZ1"].sum(axis=1, keepdims=True) / m
    return g


COURSE_KEYS = ["dZ3", "dW3", "db3", "dA2", "dZ2", "dW2", "db2", "dA1", "dZ1", "dW1", "db1"]


@pytest.mark.parametrize("mod", MODULES)
def test_backward_propagation_with_regularization_takes_the_course_tuple(mod):
    X, Y, cache = _hand_cache(dropout=False)
    assert len(cache) == 12
    grads = mod.backward_propagation_with_regularization(X, Y, cache, lambd=0.7)
    assert list(grads) == COURSE_KEYS
    want = _course_backward(X, Y, cache, lambd=0.7)
    for key in COURSE_KEYS:
        np.testing.assert_allclose(grads[key], want[key], rtol=RTOL, atol=1e-15, err_msg=key)
    plain = mod.backward_propagation(X, Y, cache)
    np.testing.assert_allclose(plain["dW2"], _course_backward(X, Y, cache)["dW2"], rtol=RTOL)


@pytest.mark.parametrize("mod", MODULES)
def test_forward_propagation_with_dropout_draws_the_course_masks(mod):
    np.random.seed(1)
    X = np.random.randn(3, 5)
    p = _three_layer_parameters()
    A3, cache = mod.forward_propagation_with_dropout(X, p, keep_prob=0.7)
    assert len(cache) == 14
    np.random.seed(1)  # the course's function reseeds 1 at its top, then draws D1, then D2
    D1 = np.random.rand(2, 5) < 0.7
    A1 = _relu(p["W1"] @ X + p["b1"]) * D1 / 0.7
    D2 = np.random.rand(3, 5) < 0.7
    A2 = _relu(p["W2"] @ A1 + p["b2"]) * D2 / 0.7
    want = _sigmoid(p["W3"] @ A2 + p["b3"])
    np.testing.assert_allclose(A3, want, rtol=RTOL)
    _Z1, cD1, cA1, _W1, _b1, _Z2, cD2, cA2, W2, _b2, Z3, cA3, _W3, b3 = cache
    np.testing.assert_array_equal(cD1, D1)
    np.testing.assert_array_equal(cD2, D2)
    assert set(np.unique(cD1)) <= {0, 1}
    np.testing.assert_allclose(cA1, A1, rtol=RTOL)
    np.testing.assert_allclose(cA2, A2, rtol=RTOL)
    np.testing.assert_array_equal(cA3, A3)
    np.testing.assert_array_equal(W2, p["W2"])
    np.testing.assert_array_equal(b3, p["b3"])
    np.testing.assert_allclose(Z3, p["W3"] @ A2 + p["b3"], rtol=RTOL)


@pytest.mark.parametrize("mod", MODULES)
def test_backward_propagation_with_dropout_takes_boolean_masks(mod):
    X, Y, cache = _hand_cache(dropout=True)
    assert cache[1].dtype == np.bool_
    grads = mod.backward_propagation_with_dropout(X, Y, cache, keep_prob=0.8)
    assert list(grads) == COURSE_KEYS
    want = _course_backward(X, Y, cache, keep_prob=0.8)
    for key in COURSE_KEYS:
        np.testing.assert_allclose(grads[key], want[key], rtol=RTOL, atol=1e-15, err_msg=key)


@pytest.mark.parametrize("mod", MODULES)
def test_the_tuple_layout_generalizes_to_l_layers(mod):
    dims = [3, 4, 5, 2, 1]
    p = ref.initialize_parameters_he(dims, seed=5)
    X = np.random.RandomState(5).randn(3, 6)
    Y = np.array([[1, 0, 0, 1, 1, 0]])
    AL, caches = mod.forward_propagation(X, p)
    assert len(caches) == 4 * 4
    assert caches[4 * 3 + 1] is AL or np.array_equal(caches[4 * 3 + 1], AL)
    AL, caches = mod.forward_propagation_with_dropout(X, p, keep_prob=0.9)
    assert len(caches) == 5 * 3 + 4
    grads = mod.backward_propagation_with_dropout(X, Y, caches, 0.9)
    assert set(grads) == {f"d{k}{l}" for l in range(1, 5) for k in "ZWb"} | {
        f"dA{l}" for l in range(1, 4)
    }


# ---------------------------------------------------------------------------------------------
# Gradient checking assignment
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mod", MODULES)
def test_gradient_check_n_positional_with_a_1d_y(mod, capsys):
    # The course's call: gradient_check_n(parameters, gradients, X, Y, epsilon, print_msg), on
    # the assignment's [4, 5, 3, 1] network, Y a 1-D integer array, and gradients carrying the
    # course's dZ/dA entries beside dW/db.
    dims = [4, 5, 3, 1]
    p = ref.initialize_parameters_he(dims, seed=1)
    p = {k: v + 0.1 * np.random.RandomState(2).randn(*v.shape) for k, v in p.items()}
    X = np.random.RandomState(3).randn(4, 3)
    Y = np.array([1, 1, 0])
    _, caches = mod.forward_propagation(X, p)
    gradients = mod.backward_propagation(X, Y.reshape(1, 3), caches)
    assert "dZ1" in gradients
    difference = mod.gradient_check_n(p, gradients, X, Y, 1e-7, True)
    assert not isinstance(difference, np.ndarray)
    assert difference < 2e-7
    assert "Your backward propagation works perfectly fine!" in capsys.readouterr().out
    gradients["dW2"] = gradients["dW2"] * 2  # the course's deliberate mistake
    assert mod.gradient_check_n(p, gradients, X, Y, 1e-7, True) > 2e-7
    assert "There is a mistake in the backward propagation!" in capsys.readouterr().out


@pytest.mark.parametrize("mod", MODULES)
def test_vector_helpers_of_the_gradient_checking_assignment(mod):
    p = ref.initialize_parameters_he([4, 5, 3, 1], seed=4)
    theta, keys = mod.dictionary_to_vector(p)
    assert theta.shape == (47, 1)
    assert keys[:20] == ["W1"] * 20
    back = mod.vector_to_dictionary(theta)  # the course's call: no layers_dims
    for key in p:
        np.testing.assert_array_equal(back[key], p[key])
    grads = {"d" + k: v for k, v in p.items()} | {"dZ1": np.ones((5, 3)), "dA1": np.ones((5, 3))}
    np.testing.assert_array_equal(mod.gradients_to_vector(grads), theta)


# ---------------------------------------------------------------------------------------------
# Optimization assignment
# ---------------------------------------------------------------------------------------------


def _per_key_case():
    """Parameters whose layers do not chain (W2 of (3, 3) after W1 of (2, 3)), as the course's
    2022 optimizer test cases have them: an update is per key."""
    rng = np.random.RandomState(1)
    p = {"W1": rng.randn(2, 3), "b1": rng.randn(2, 1), "W2": rng.randn(3, 3), "b2": rng.randn(3, 1)}
    g = {"d" + k: rng.randn(*v.shape) for k, v in p.items()}
    return p, g


@pytest.mark.parametrize("mod", MODULES)
def test_updates_are_per_key(mod):
    p, g = _per_key_case()
    new = mod.update_parameters_with_gd(p, g, 0.01)
    for k in p:
        assert type(new[k]) is np.ndarray
        np.testing.assert_allclose(new[k], p[k] - 0.01 * g["d" + k], rtol=RTOL)
    v = mod.initialize_velocity(p)
    assert {k: a.shape for k, a in v.items()} == {"d" + k: a.shape for k, a in p.items()}
    new, v = mod.update_parameters_with_momentum(p, g, v, 0.9, 0.01)
    for k in p:
        np.testing.assert_allclose(v["d" + k], 0.1 * g["d" + k], rtol=RTOL)
        np.testing.assert_allclose(new[k], p[k] - 0.01 * 0.1 * g["d" + k], rtol=RTOL)


@pytest.mark.parametrize("mod", MODULES)
def test_update_parameters_with_adam_returns_five_dicts(mod):
    p, g = _per_key_case()
    v, s = mod.initialize_adam(p)
    # A step at t = 2 from zero moments, the hyperparameters not the defaults.
    out = mod.update_parameters_with_adam(p, g, v, s, 2, 0.02, 0.8, 0.888, 1e-2)
    assert len(out) == 5
    params, v, s, v_corrected, s_corrected = out
    for k in p:
        gk = g["d" + k]
        vk, sk = 0.2 * gk, 0.112 * gk**2
        vc, sc = vk / (1 - 0.8**2), sk / (1 - 0.888**2)
        np.testing.assert_allclose(v["d" + k], vk, rtol=RTOL)
        np.testing.assert_allclose(s["d" + k], sk, rtol=RTOL)
        np.testing.assert_allclose(v_corrected["d" + k], vc, rtol=RTOL)
        np.testing.assert_allclose(s_corrected["d" + k], sc, rtol=RTOL)
        np.testing.assert_allclose(params[k], p[k] - 0.02 * vc / (np.sqrt(sc) + 1e-2), rtol=RTOL)


@pytest.mark.parametrize("mod", MODULES)
def test_random_mini_batches_with_integer_x_and_boolean_y(mod):
    m = 148
    X = np.arange(5 * m).reshape(5, m)  # integers
    Y = (np.arange(m) % 3 == 0).reshape(1, m)  # booleans
    batches = mod.random_mini_batches(X, Y, 64, seed=0)
    assert [b[0].shape for b in batches] == [(5, 64), (5, 64), (5, 20)]
    assert [b[1].shape for b in batches] == [(1, 64), (1, 64), (1, 20)]
    np.random.seed(0)
    permutation = list(np.random.permutation(m))
    shuffled_X = np.concatenate([b[0] for b in batches], axis=1)
    shuffled_Y = np.concatenate([b[1] for b in batches], axis=1)
    assert shuffled_X.dtype == X.dtype
    assert shuffled_Y.dtype == np.bool_
    np.testing.assert_array_equal(shuffled_X, X[:, permutation])
    np.testing.assert_array_equal(shuffled_Y, Y[:, permutation])


@pytest.mark.parametrize("mod", MODULES)
def test_learning_rate_decay(mod):
    assert mod.update_lr(0.5, 2, 1) == pytest.approx(0.5 / 3)
    assert mod.schedule_lr_decay(0.5, 100, 1) == 0.5  # floor(100 / 1000) = 0
    assert mod.schedule_lr_decay(0.3, 1000, 1, 100) == pytest.approx(0.3 / 11)


# ---------------------------------------------------------------------------------------------
# The course's data file and its dropout run
# ---------------------------------------------------------------------------------------------


def _write_course_like_mat(path, seed=0, labels_dtype=np.float64):
    """A .mat file with the course's keys and shapes (X (211, 2), y (211, 1), Xval (200, 2),
    yval (200, 1)), written by scipy: not the course's numbers."""
    scipy_io = pytest.importorskip("scipy.io")
    train_X, train_Y, test_X, test_Y = nncore.datasets.make_synthetic_2d_dataset(seed)
    arrays = {"X": train_X.T, "y": train_Y.T.astype(labels_dtype), "Xval": test_X.T,
              "yval": test_Y.T.astype(labels_dtype)}  # fmt: skip
    scipy_io.savemat(path, arrays)
    return arrays


@pytest.mark.parametrize("mod", MODULES)
def test_load_2D_dataset_returns_the_transposes(mod, tmp_path):
    path = tmp_path / "data.mat"
    arrays = _write_course_like_mat(path)
    train_X, train_Y, test_X, test_Y = mod.load_2D_dataset(path)
    assert train_X.shape == (2, 211)
    assert train_Y.shape == (1, 211)
    assert test_X.shape == (2, 200)
    assert test_Y.shape == (1, 200)
    np.testing.assert_array_equal(train_X, arrays["X"].T)
    np.testing.assert_array_equal(train_Y, arrays["y"].T)
    np.testing.assert_array_equal(test_X, arrays["Xval"].T)
    np.testing.assert_array_equal(test_Y, arrays["yval"].T)


@pytest.mark.parametrize("mod", MODULES)
def test_load_2D_dataset_without_the_file_says_what_it_is(mod, tmp_path, monkeypatch):
    pytest.importorskip("scipy.io")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"datasets/data\.mat.*regularization") as info:
        mod.load_2D_dataset()
    assert "make_synthetic_2d_dataset" in str(info.value)


def test_load_2D_dataset_refuses_a_file_without_the_keys(tmp_path):
    scipy_io = pytest.importorskip("scipy.io")
    scipy_io.savemat(tmp_path / "other.mat", {"X": np.zeros((3, 2))})
    with pytest.raises(ValueError, match=r"lacks the key\(s\) \['y', 'Xval', 'yval'\]"):
        nncore.load_2D_dataset(tmp_path / "other.mat")


def test_the_synthetic_stand_in_has_its_own_name():
    assert not hasattr(nncore.datasets, "load_2d_dataset")
    assert nncore.load_2D_dataset is nncore.datasets.load_2D_dataset
    assert ref.load_2D_dataset is nncore.datasets.load_2D_dataset


@pytest.mark.parametrize("seed", [1, 7, None])
def test_the_masks_of_the_mirror_are_the_references(seed):
    p = ref.initialize_parameters_xavier([2, 20, 3, 1])
    X = np.random.RandomState(8).randn(2, 30)
    np.random.seed(11)
    AL, caches = nncore.forward_propagation_with_dropout(X, p, 0.86, seed)
    after = np.random.rand()
    np.random.seed(11)
    rAL, rcaches = ref.forward_propagation_with_dropout(X, p, 0.86, seed)
    np.testing.assert_array_equal(caches[1], rcaches[1])
    np.testing.assert_array_equal(caches[6], rcaches[6])
    np.testing.assert_allclose(AL, rAL, rtol=RTOL)
    if seed is not None:  # the mirror draws a seed's masks from a private generator
        np.random.seed(11)
        assert after == np.random.rand()
    # The core's own counter-based masks, on request, are other masks.
    _, philox = nncore.forward_propagation_with_dropout(X, p, 0.86, 1, masks="philox")
    assert not np.array_equal(philox[1], rcaches[1])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"keep_prob": 0.86},
        {"keep_prob": 0.7, "lambd": 0.3, "hidden_activation": "tanh"},
        {"keep_prob": 0.8, "optimizer": "adam", "mini_batch_size": 64, "learning_rate": 0.01},
    ],
)
def test_dropout_rng_course_agrees_between_the_modules(tmp_path, kwargs):
    # The regularization assignment's setting on a course-shaped file (211 + 200 points).
    _write_course_like_mat(tmp_path / "data.mat", seed=3, labels_dtype=np.uint8)
    train_X, train_Y, test_X, test_Y = ref.load_2D_dataset(tmp_path / "data.mat")
    train_X, test_X = np.ascontiguousarray(train_X), np.ascontiguousarray(test_X)
    args = {"learning_rate": 0.3, "mini_batch_size": None, "num_epochs": 400,
            "initialization": "xavier", "dropout_rng": "course", **kwargs}  # fmt: skip
    params, costs = nncore.model(train_X, train_Y, [2, 20, 3, 1], **args)
    rparams, rcosts = ref.model(train_X, train_Y, [2, 20, 3, 1], **args)
    np.testing.assert_allclose(costs, rcosts, rtol=1e-9)
    for k in rparams:
        np.testing.assert_allclose(params[k], rparams[k], rtol=1e-9, atol=1e-12, err_msg=k)
    hidden = kwargs.get("hidden_activation", "relu")
    for X, Y in ((train_X, train_Y), (test_X, test_Y)):
        assert nncore.accuracy(X, Y, params, hidden) == ref.accuracy(X, Y, rparams, hidden)
    # The fixed masks differ from fresh ones: the default draws give another run.
    fresh, _ = nncore.model(train_X, train_Y, [2, 20, 3, 1], **{**args, "dropout_rng": "philox"})
    assert not np.array_equal(fresh["W1"], params["W1"])


def test_model_refuses_an_unknown_dropout_rng():
    X, Y = np.zeros((2, 3)), np.zeros((1, 3))
    with pytest.raises(ValueError, match="dropout_rng"):
        nncore.model(X, Y, [2, 1], keep_prob=0.5, dropout_rng="numpy")
    with pytest.raises(ValueError, match="dropout_rng"):
        ref.model(X, Y, [2, 1], keep_prob=0.5, dropout_rng="philox")


# ---------------------------------------------------------------------------------------------
# The published figures, on the course's own file (not shipped: NNCORE_COURSE_DATA names it)
# ---------------------------------------------------------------------------------------------

# The regularization assignment's published train / test accuracies after 30000 iterations and
# its printed cost at iteration 0 (COURSE.md).
PUBLISHED = [
    ({}, 0.9478672985781991, 0.915, 0.6557412523481002),
    ({"lambd": 0.7}, 0.9383886255924171, 0.93, 0.6974484493131264),
    ({"keep_prob": 0.86, "dropout_rng": "course"}, 0.9289099526066351, 0.95, 0.6543912405149825),
]


@pytest.mark.slow
@pytest.mark.parametrize("mod", MODULES)
@pytest.mark.parametrize(("kwargs", "train", "test", "cost0"), PUBLISHED)
def test_the_regularization_runs_give_the_published_figures(mod, kwargs, train, test, cost0):
    import os

    path = os.environ.get("NNCORE_COURSE_DATA")
    if not path:
        pytest.skip("set NNCORE_COURSE_DATA to the course's datasets/data.mat to run this")
    data = [np.ascontiguousarray(a, dtype=np.float64) for a in mod.load_2D_dataset(path)]
    train_X, train_Y, test_X, test_Y = data
    parameters, costs = mod.model(
        train_X, train_Y, [2, 20, 3, 1], learning_rate=0.3, mini_batch_size=None,
        num_epochs=30000, initialization="xavier", **kwargs,
    )  # fmt: skip
    assert costs[0] == pytest.approx(cost0, rel=1e-12)
    assert mod.accuracy(train_X, train_Y, parameters) == train
    assert mod.accuracy(test_X, test_Y, parameters) == test
