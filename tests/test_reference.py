"""Unit tests of the numpy reference against independent computations.

The oracles here are written differently from the reference on purpose: scalar loops over
units and examples (forward and backward), the formulas of COURSE.md written out by hand
(optimizers, decay), explicit draws from ``np.random.RandomState`` (initializers, dropout
masks, shuffling) and finite differences (gradient check).
"""

# The reference seeds numpy's legacy global generator like the course; the tests check that.
# ruff: noqa: NPY002

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nncore import reference as ref

# Tolerances of this file (float64). Loop oracles sum in a different order than BLAS.
RTOL = 1e-12
ATOL = 1e-14


def _random_parameters(layers_dims, seed, scale=1.0):
    """Parameters with non-zero biases (the initializers all give zero biases)."""
    rng = np.random.RandomState(seed)
    parameters = {}
    for l in range(1, len(layers_dims)):
        parameters[f"W{l}"] = rng.randn(layers_dims[l], layers_dims[l - 1]) * scale
        parameters[f"b{l}"] = rng.randn(layers_dims[l], 1) * 0.5
    return parameters


def _random_data(n_x, m, seed):
    rng = np.random.RandomState(seed)
    X = rng.randn(n_x, m)
    Y = (rng.rand(1, m) < 0.5).astype(np.float64)
    return X, Y


# ---------------------------------------------------------------------------------------------
# Scalar-loop oracles
# ---------------------------------------------------------------------------------------------


def _g(z, activation):
    if activation == "relu":
        return max(0.0, z)
    if activation == "tanh":
        return math.tanh(z)
    return 1.0 / (1.0 + math.exp(-z))


def _loop_forward_example(x, parameters, hidden_activation, masks=None, keep_prob=1.0):
    """Forward pass of one example with Python floats. Returns per-layer (a_prev, z, a)."""
    L = len(parameters) // 2
    a_prev = list(x)
    layers = []
    for l in range(1, L + 1):
        W = parameters[f"W{l}"]
        b = parameters[f"b{l}"]
        activation = hidden_activation if l < L else "sigmoid"
        z = []
        for j in range(W.shape[0]):
            total = float(b[j, 0])
            for k in range(W.shape[1]):
                total += float(W[j, k]) * a_prev[k]
            z.append(total)
        a = [_g(zj, activation) for zj in z]
        layers.append((a_prev, z, a))
        if masks is not None and l < L:
            a_prev = [aj * dj / keep_prob for aj, dj in zip(a, masks[l - 1])]
        else:
            a_prev = a
    return layers


def _loop_forward(X, parameters, hidden_activation="relu"):
    AL = np.zeros((1, X.shape[1]))
    for i in range(X.shape[1]):
        AL[0, i] = _loop_forward_example(X[:, i], parameters, hidden_activation)[-1][2][0]
    return AL


def _loop_gradients(X, Y, parameters, hidden_activation="relu", lambd=0.0, masks=None, kp=1.0):
    """Gradients of the mean cost by back-propagating each example with scalars.

    ``masks`` is a list (one per hidden layer) of arrays ``(n_l, m)``; the per-example
    gradients are averaged over the batch, then the L2 term is added.
    """
    L = len(parameters) // 2
    m = X.shape[1]
    grads = {}
    for l in range(1, L + 1):
        grads[f"dW{l}"] = np.zeros(parameters[f"W{l}"].shape)
        grads[f"db{l}"] = np.zeros(parameters[f"b{l}"].shape)
    for i in range(m):
        example_masks = None if masks is None else [D[:, i] for D in masks]
        layers = _loop_forward_example(X[:, i], parameters, hidden_activation, example_masks, kp)
        # d(loss)/dz for the sigmoid + cross-entropy output
        dz = [layers[-1][2][0] - Y[0, i]]
        for l in range(L, 0, -1):
            a_prev, _, _ = layers[l - 1]
            W = parameters[f"W{l}"]
            for j in range(len(dz)):
                grads[f"db{l}"][j, 0] += dz[j] / m
                for k in range(len(a_prev)):
                    grads[f"dW{l}"][j, k] += dz[j] * a_prev[k] / m
            if l == 1:
                break
            _, z_below, a_below = layers[l - 2]
            new_dz = []
            for k in range(W.shape[1]):
                da = sum(float(W[j, k]) * dz[j] for j in range(len(dz)))
                if example_masks is not None:
                    da = da * example_masks[l - 2][k] / kp
                if hidden_activation == "relu":
                    new_dz.append(da if z_below[k] > 0 else 0.0)
                else:
                    new_dz.append(da * (1.0 - a_below[k] ** 2))
            dz = new_dz
    for l in range(1, L + 1):
        grads[f"dW{l}"] += lambd / m * parameters[f"W{l}"]
    return grads


# ---------------------------------------------------------------------------------------------
# Initialization
# ---------------------------------------------------------------------------------------------

DIMS = [3, 5, 4, 1]


def test_initialize_parameters_zeros():
    parameters = ref.initialize_parameters_zeros(DIMS)
    assert list(parameters) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    for l in range(1, len(DIMS)):
        assert parameters[f"W{l}"].shape == (DIMS[l], DIMS[l - 1])
        assert parameters[f"b{l}"].shape == (DIMS[l], 1)
        assert parameters[f"W{l}"].dtype == np.float64
        assert not parameters[f"W{l}"].any()
        assert not parameters[f"b{l}"].any()


@pytest.mark.parametrize(
    ("initializer", "scale"),
    [
        (ref.initialize_parameters_random, lambda n_prev, n: 10.0),
        (ref.initialize_parameters_he, lambda n_prev, n: np.sqrt(2.0 / n_prev)),
        (ref.initialize_parameters_deep, lambda n_prev, n: 0.01),
    ],
)
@pytest.mark.parametrize("seed", [3, 7])
def test_random_initializers_draw_layer_by_layer(initializer, scale, seed):
    parameters = initializer(DIMS, seed=seed)
    rng = np.random.RandomState(seed)
    assert list(parameters) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    for l in range(1, len(DIMS)):
        expected = rng.randn(DIMS[l], DIMS[l - 1]) * scale(DIMS[l - 1], DIMS[l])
        np.testing.assert_array_equal(parameters[f"W{l}"], expected)
        np.testing.assert_array_equal(parameters[f"b{l}"], np.zeros((DIMS[l], 1)))


def test_initializers_reseed_the_global_generator():
    np.random.seed(123)
    ref.initialize_parameters_he(DIMS, seed=3)
    after = np.random.rand()
    rng = np.random.RandomState(3)
    for l in range(1, len(DIMS)):
        rng.randn(DIMS[l], DIMS[l - 1])
    assert after == rng.rand()


def test_xavier_is_the_regularization_assignments_initializer():
    # reg_utils.initialize_parameters: np.random.seed(3); randn(...) / np.sqrt(n_prev)
    dims = [2, 20, 3, 1]
    parameters = ref.initialize_parameters_xavier(dims)
    np.random.seed(3)
    for l in range(1, len(dims)):
        expected = np.random.randn(dims[l], dims[l - 1]) / np.sqrt(dims[l - 1])
        np.testing.assert_array_equal(parameters[f"W{l}"], expected)  # bit for bit
    # Multiplying by sqrt(1 / n) instead is a different number for some draws (an ulp).
    np.random.seed(3)
    W1 = np.random.randn(20, 2)
    assert not np.array_equal(W1 * np.sqrt(1.0 / 2), W1 / np.sqrt(2))


def test_xavier_glorot_variant():
    parameters = ref.initialize_parameters_xavier(DIMS, seed=5, variant="glorot")
    rng = np.random.RandomState(5)
    for l in range(1, len(DIMS)):
        expected = rng.randn(DIMS[l], DIMS[l - 1]) * np.sqrt(2.0 / (DIMS[l - 1] + DIMS[l]))
        np.testing.assert_array_equal(parameters[f"W{l}"], expected)


def test_xavier_rejects_unknown_variant():
    with pytest.raises(ValueError, match="variant"):
        ref.initialize_parameters_xavier(DIMS, variant="lecun")


# ---------------------------------------------------------------------------------------------
# Forward propagation and cost
# ---------------------------------------------------------------------------------------------


def test_forward_by_hand():
    # One hidden relu unit and a sigmoid output, two examples, worked out on paper:
    # z1 = [1, -1] @ x + 0.5 -> example 1: 1 - 0 + 0.5 = 1.5; example 2: 2 - 3 + 0.5 = -0.5
    # a1 = relu(z1) = [1.5, 0]; z2 = 2 * a1 - 1 = [2, -1]; AL = sigmoid(z2)
    parameters = {
        "W1": np.array([[1.0, -1.0]]),
        "b1": np.array([[0.5]]),
        "W2": np.array([[2.0]]),
        "b2": np.array([[-1.0]]),
    }
    X = np.array([[1.0, 2.0], [0.0, 3.0]])
    AL, caches = ref.forward_propagation(X, parameters)
    Z1, A1, W1, _b1, Z2, A2, _W2, b2 = caches  # the course's layout, (Z, A, W, b) per layer
    np.testing.assert_allclose(Z1, [[1.5, -0.5]], rtol=0, atol=0)
    np.testing.assert_allclose(A1, [[1.5, 0.0]], rtol=0, atol=0)
    np.testing.assert_allclose(Z2, [[2.0, -1.0]], rtol=0, atol=0)
    assert A2 is AL
    assert W1 is parameters["W1"]
    assert b2 is parameters["b2"]
    expected = [[1 / (1 + math.exp(-2.0)), 1 / (1 + math.exp(1.0))]]
    np.testing.assert_allclose(AL, expected, rtol=1e-15)
    # cost = -(log(AL_1) * 1 + log(1 - AL_2) * 1) / 2 with Y = [1, 0]
    cost = ref.compute_cost(AL, np.array([[1.0, 0.0]]))
    assert cost == pytest.approx(-(math.log(expected[0][0]) + math.log(1 - expected[0][1])) / 2)


@pytest.mark.parametrize("hidden_activation", ["relu", "tanh"])
@pytest.mark.parametrize("layers_dims", [[3, 1], [3, 4, 1], [4, 5, 3, 1], [2, 3, 3, 2, 1]])
def test_forward_matches_loop_oracle(layers_dims, hidden_activation):
    parameters = _random_parameters(layers_dims, seed=len(layers_dims))
    X, _ = _random_data(layers_dims[0], 7, seed=1)
    AL, caches = ref.forward_propagation(X, parameters, hidden_activation)
    np.testing.assert_allclose(AL, _loop_forward(X, parameters, hidden_activation), RTOL, ATOL)
    L = len(layers_dims) - 1
    assert AL.shape == (1, 7)
    assert isinstance(caches, tuple)
    assert len(caches) == 4 * L
    for l in range(1, L + 1):
        Z, A, W, b = caches[4 * (l - 1) : 4 * l]
        assert Z.shape == A.shape == (layers_dims[l], 7)
        assert W is parameters[f"W{l}"]
        assert b is parameters[f"b{l}"]
        g = hidden_activation if l < L else "sigmoid"
        np.testing.assert_array_equal(
            A, ref.relu(Z) if g == "relu" else ref.sigmoid(Z) if g == "sigmoid" else np.tanh(Z)
        )
    assert caches[-3] is AL


def test_forward_rejects_unknown_activation():
    parameters = _random_parameters([2, 3, 1], seed=0)
    X, _ = _random_data(2, 4, seed=0)
    with pytest.raises(ValueError, match="hidden_activation"):
        ref.forward_propagation(X, parameters, "sigmoid")


def test_sigmoid_saturates_without_warnings():
    # pytest turns warnings into errors: exp overflow must be silenced.
    np.testing.assert_array_equal(ref.sigmoid(np.array([-1000.0, 0.0, 1000.0])), [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(ref.relu(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 3.0])


def test_compute_cost_matches_loop():
    rng = np.random.RandomState(0)
    AL = rng.uniform(0.01, 0.99, size=(1, 9))
    Y = (rng.rand(1, 9) < 0.5).astype(np.float64)
    expected = -sum(y * math.log(a) + (1 - y) * math.log(1 - a) for a, y in zip(AL[0], Y[0])) / 9
    cost = ref.compute_cost(AL, Y)
    assert type(cost) is np.float64
    assert cost.shape == ()
    assert cost == pytest.approx(expected, rel=1e-14)


def test_compute_cost_of_half_is_log2():
    Y = np.array([[1.0, 0.0, 1.0, 0.0]])
    assert ref.compute_cost(np.full((1, 4), 0.5), Y) == 0.6931471805599453


def test_compute_cost_saturated_is_inf_like_the_course():
    # AL exactly 0 where Y = 1 gives inf; AL exactly 1 where Y = 1 gives 0 * inf = nan,
    # which nansum drops.
    AL = np.array([[0.0, 1.0, 0.5]])
    Y = np.array([[1.0, 1.0, 0.0]])
    assert ref.compute_cost(AL, Y) == math.inf
    assert ref.compute_cost(np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]])) == 0.0


def test_compute_cost_with_regularization():
    parameters = _random_parameters([3, 4, 2, 1], seed=2)
    rng = np.random.RandomState(1)
    AL = rng.uniform(0.1, 0.9, size=(1, 5))
    Y = np.array([[1.0, 0.0, 0.0, 1.0, 1.0]])
    squares = sum(
        float(w) ** 2 for l in (1, 2, 3) for w in parameters[f"W{l}"].ravel()
    )  # biases are not regularized
    expected = ref.compute_cost(AL, Y) + 0.7 / (2 * 5) * squares
    cost = ref.compute_cost_with_regularization(AL, Y, parameters, 0.7)
    assert type(cost) is np.float64
    assert cost.shape == ()
    assert cost == pytest.approx(expected, rel=1e-14)
    assert ref.compute_cost_with_regularization(AL, Y, parameters, 0.0) == ref.compute_cost(AL, Y)


# ---------------------------------------------------------------------------------------------
# Dropout
# ---------------------------------------------------------------------------------------------


def test_dropout_masks_follow_the_course_seed():
    # The course: np.random.seed(1) at the top, then D1 = rand(A1.shape) < keep_prob,
    # A1 = A1 * D1 / keep_prob, then D2 likewise. Output and input never dropped.
    dims = [3, 5, 4, 1]
    parameters = _random_parameters(dims, seed=4)
    X, _ = _random_data(3, 6, seed=4)
    keep_prob = 0.7
    AL, caches = ref.forward_propagation_with_dropout(X, parameters, keep_prob=keep_prob, seed=1)
    rng = np.random.RandomState(1)
    D1 = (rng.rand(5, 6) < keep_prob).astype(int)
    D2 = (rng.rand(4, 6) < keep_prob).astype(int)
    # The course's 14-tuple: (Z, D, A, W, b) per hidden layer, A after dropout.
    assert len(caches) == 14
    Z1, cD1, A1d, W1, _b1, _Z2, cD2, A2d, _W2, _b2, _Z3, A3, _W3, b3 = caches
    np.testing.assert_array_equal(cD1, D1)
    np.testing.assert_array_equal(cD2, D2)
    assert cD1.dtype == D1.dtype  # integers, as the course's .astype(int)
    assert W1 is parameters["W1"]
    assert b3 is parameters["b3"]
    assert A3 is AL
    A1 = np.maximum(0, parameters["W1"] @ X + parameters["b1"])
    np.testing.assert_allclose(Z1, parameters["W1"] @ X + parameters["b1"], RTOL, ATOL)
    np.testing.assert_allclose(A1d, A1 * D1 / keep_prob, RTOL, ATOL)
    A2 = np.maximum(0, parameters["W2"] @ (A1 * D1 / keep_prob) + parameters["b2"])
    np.testing.assert_allclose(A2d, A2 * D2 / keep_prob, RTOL, ATOL)
    np.testing.assert_allclose(
        AL, ref.sigmoid(parameters["W3"] @ (A2 * D2 / keep_prob) + parameters["b3"]), RTOL, ATOL
    )
    # Both hidden layers actually drop something with these sizes and seed.
    assert 0 < D1.sum() < D1.size
    assert 0 < D2.sum() < D2.size


def test_dropout_same_seed_same_masks_and_none_continues_the_stream():
    dims = [2, 6, 3, 1]
    parameters = _random_parameters(dims, seed=5)
    X, _ = _random_data(2, 8, seed=5)
    AL_a, caches_a = ref.forward_propagation_with_dropout(X, parameters, 0.5, seed=3)
    AL_b, caches_b = ref.forward_propagation_with_dropout(X, parameters, 0.5, seed=3)
    np.testing.assert_array_equal(AL_a, AL_b)
    for a, b in zip(caches_a, caches_b):
        np.testing.assert_array_equal(a, b)
    np.random.seed(3)
    _, caches_c = ref.forward_propagation_with_dropout(X, parameters, 0.5, seed=None)
    np.testing.assert_array_equal(caches_c[1], caches_a[1])  # D1
    # Without reseeding, the next call draws new masks.
    _, caches_d = ref.forward_propagation_with_dropout(X, parameters, 0.5, seed=None)
    assert not np.array_equal(caches_d[1], caches_a[1])


def test_dropout_keep_prob_one_is_plain_forward():
    parameters = _random_parameters([3, 4, 4, 1], seed=6)
    X, _ = _random_data(3, 5, seed=6)
    AL_drop, caches = ref.forward_propagation_with_dropout(X, parameters, keep_prob=1.0)
    AL, _ = ref.forward_propagation(X, parameters)
    np.testing.assert_array_equal(AL_drop, AL)
    assert caches[1].all()
    assert caches[6].all()


@pytest.mark.parametrize("keep_prob", [0.0, -0.1, 1.5])
def test_dropout_rejects_bad_keep_prob(keep_prob):
    parameters = _random_parameters([2, 3, 1], seed=0)
    X, _ = _random_data(2, 4, seed=0)
    with pytest.raises(ValueError, match="keep_prob"):
        ref.forward_propagation_with_dropout(X, parameters, keep_prob=keep_prob)


# ---------------------------------------------------------------------------------------------
# Backward propagation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hidden_activation", ["relu", "tanh"])
@pytest.mark.parametrize("layers_dims", [[3, 1], [3, 4, 1], [4, 5, 3, 1], [2, 3, 3, 2, 1]])
def test_backward_matches_loop_oracle(layers_dims, hidden_activation):
    parameters = _random_parameters(layers_dims, seed=10 + len(layers_dims))
    X, Y = _random_data(layers_dims[0], 6, seed=3)
    _, caches = ref.forward_propagation(X, parameters, hidden_activation)
    grads = ref.backward_propagation(X, Y, caches, hidden_activation)
    expected = _loop_gradients(X, Y, parameters, hidden_activation)
    L = len(layers_dims) - 1
    # The course's keys, from the top down: dZL, dWL, dbL, dA{L-1}, dZ{L-1}, ...
    keys = [f"dZ{L}", f"dW{L}", f"db{L}"]
    for l in range(L - 1, 0, -1):
        keys += [f"dA{l}", f"dZ{l}", f"dW{l}", f"db{l}"]
    assert list(grads) == keys
    for key, value in expected.items():
        np.testing.assert_allclose(grads[key], value, RTOL, ATOL, err_msg=key)


@pytest.mark.parametrize("hidden_activation", ["relu", "tanh"])
def test_backward_with_regularization_matches_loop_oracle(hidden_activation):
    dims = [4, 5, 3, 1]
    parameters = _random_parameters(dims, seed=21)
    X, Y = _random_data(4, 8, seed=21)
    _, caches = ref.forward_propagation(X, parameters, hidden_activation)
    grads = ref.backward_propagation_with_regularization(X, Y, caches, 0.7, hidden_activation)
    expected = _loop_gradients(X, Y, parameters, hidden_activation, lambd=0.7)
    for key, value in expected.items():
        np.testing.assert_allclose(grads[key], value, RTOL, ATOL, err_msg=key)


@pytest.mark.parametrize("hidden_activation", ["relu", "tanh"])
def test_backward_with_dropout_matches_loop_oracle(hidden_activation):
    dims = [4, 6, 5, 1]
    parameters = _random_parameters(dims, seed=31)
    X, Y = _random_data(4, 8, seed=31)
    keep_prob = 0.8
    _, caches = ref.forward_propagation_with_dropout(X, parameters, keep_prob, 1, hidden_activation)
    grads = ref.backward_propagation_with_dropout(X, Y, caches, keep_prob, hidden_activation)
    masks = [caches[1], caches[6]]
    expected = _loop_gradients(X, Y, parameters, hidden_activation, masks=masks, kp=keep_prob)
    for key, value in expected.items():
        np.testing.assert_allclose(grads[key], value, RTOL, ATOL, err_msg=key)


def test_backward_rejects_dropout_caches():
    parameters = _random_parameters([3, 4, 1], seed=0)
    X, Y = _random_data(3, 5, seed=0)
    _, caches = ref.forward_propagation_with_dropout(X, parameters, 0.8)
    # The course's 9-tuple of a two-layer dropout pass is no (Z, A, W, b) layout.
    with pytest.raises(ValueError, match="layout"):
        ref.backward_propagation(X, Y, caches)
    with pytest.raises(ValueError, match="layout"):
        ref.backward_propagation_with_regularization(X, Y, caches, 0.1)


# ---------------------------------------------------------------------------------------------
# Gradient checking
# ---------------------------------------------------------------------------------------------


def test_dictionary_vector_round_trip():
    dims = [3, 4, 2, 1]
    parameters = _random_parameters(dims, seed=8)
    theta, keys = ref.dictionary_to_vector(parameters)
    n = 3 * 4 + 4 + 4 * 2 + 2 + 2 * 1 + 1
    assert theta.shape == (n, 1)
    # Course format: one key per entry of theta.
    assert keys == ["W1"] * 12 + ["b1"] * 4 + ["W2"] * 8 + ["b2"] * 2 + ["W3"] * 2 + ["b3"]
    np.testing.assert_array_equal(theta[:12, 0], parameters["W1"].ravel())  # row-major
    np.testing.assert_array_equal(theta[12:16, 0], parameters["b1"].ravel())
    back = ref.vector_to_dictionary(theta, dims)
    assert list(back) == list(parameters)
    for key in parameters:
        np.testing.assert_array_equal(back[key], parameters[key])
    grads = {"d" + key: value for key, value in parameters.items()}
    np.testing.assert_array_equal(ref.gradients_to_vector(grads), theta)


def test_vector_to_dictionary_rejects_wrong_size():
    with pytest.raises(ValueError, match="theta"):
        ref.vector_to_dictionary(np.zeros((5, 1)), [2, 2, 1])


@pytest.mark.parametrize("hidden_activation", ["relu", "tanh"])
@pytest.mark.parametrize("lambd", [0.0, 0.7])
def test_gradient_check(hidden_activation, lambd):
    dims = [4, 5, 3, 1]
    parameters = _random_parameters(dims, seed=1)
    X, Y = _random_data(4, 3, seed=1)
    _, caches = ref.forward_propagation(X, parameters, hidden_activation)
    if lambd:
        grads = ref.backward_propagation_with_regularization(X, Y, caches, lambd, hidden_activation)
    else:
        grads = ref.backward_propagation(X, Y, caches, hidden_activation)
    difference = ref.gradient_check_n(
        parameters, grads, X, Y, hidden_activation=hidden_activation, lambd=lambd
    )
    assert difference < 2e-7


def test_gradient_check_detects_a_wrong_gradient():
    dims = [4, 5, 3, 1]
    parameters = _random_parameters(dims, seed=1)
    X, Y = _random_data(4, 3, seed=1)
    _, caches = ref.forward_propagation(X, parameters)
    grads = ref.backward_propagation(X, Y, caches)
    grads["dW2"] = grads["dW2"] * 2  # the course's deliberate bug
    assert ref.gradient_check_n(parameters, grads, X, Y) > 1e-2
    # Ignoring the L2 term is caught as well.
    grads = ref.backward_propagation(X, Y, caches)
    assert ref.gradient_check_n(parameters, grads, X, Y, lambd=0.7) > 1e-2


def test_gradient_check_print_msg(capsys):
    parameters = _random_parameters([4, 5, 3, 1], seed=1)
    X, Y = _random_data(4, 3, seed=1)
    _, caches = ref.forward_propagation(X, parameters)
    grads = ref.backward_propagation(X, Y, caches)
    ref.gradient_check_n(parameters, grads, X, Y, print_msg=True)
    assert "works perfectly fine" in capsys.readouterr().out
    grads["db1"] = grads["db1"] + 1
    ref.gradient_check_n(parameters, grads, X, Y, print_msg=True)
    assert "There is a mistake" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# Optimizers
# ---------------------------------------------------------------------------------------------


def _params_and_grads(seed=0):
    parameters = _random_parameters([3, 4, 1], seed=seed)
    grads = {"d" + k: v for k, v in _random_parameters([3, 4, 1], seed=seed + 100).items()}
    return parameters, grads


def test_update_parameters_with_gd_returns_new_arrays():
    parameters, grads = _params_and_grads()
    before = {k: v.copy() for k, v in parameters.items()}
    new = ref.update_parameters_with_gd(parameters, grads, 0.1)
    for key in parameters:
        np.testing.assert_array_equal(parameters[key], before[key])  # not mutated
        for i, w in enumerate(before[key].ravel()):
            assert new[key].ravel()[i] == w - 0.1 * grads["d" + key].ravel()[i]


def test_momentum_two_steps():
    parameters, grads = _params_and_grads(1)
    _, grads2 = _params_and_grads(2)
    v = ref.initialize_velocity(parameters)
    assert list(v) == ["dW1", "db1", "dW2", "db2"]
    assert all(v[k].shape == parameters[k[1:]].shape and not v[k].any() for k in v)
    p1, v1 = ref.update_parameters_with_momentum(parameters, grads, v, 0.9, 0.05)
    p2, v2 = ref.update_parameters_with_momentum(p1, grads2, v1, 0.9, 0.05)
    assert not any(v[k].any() for k in v)  # caller's velocity untouched
    for key in parameters:
        g1, g2 = grads["d" + key], grads2["d" + key]
        exp_v1 = 0.1 * g1  # (1 - beta) * g from zero velocity
        exp_v2 = 0.9 * exp_v1 + 0.1 * g2
        np.testing.assert_allclose(v1["d" + key], exp_v1, rtol=1e-15)
        np.testing.assert_allclose(v2["d" + key], exp_v2, rtol=1e-15)
        np.testing.assert_allclose(
            p2[key], parameters[key] - 0.05 * exp_v1 - 0.05 * exp_v2, rtol=1e-14
        )


def test_adam_first_step_is_a_signed_step():
    # At t = 1 the bias corrections undo the (1 - beta) factors: v_hat = g, s_hat = g**2,
    # so each parameter moves by learning_rate * g / (|g| + epsilon).
    parameters, grads = _params_and_grads(3)
    v, s = ref.initialize_adam(parameters)
    new, v1, s1, v_hat, s_hat = ref.update_parameters_with_adam(parameters, grads, v, s, t=1)
    assert not any(v[k].any() or s[k].any() for k in v)
    for key in parameters:
        g = grads["d" + key]
        np.testing.assert_allclose(v1["d" + key], 0.1 * g, rtol=1e-15)
        np.testing.assert_allclose(s1["d" + key], 0.001 * g**2, rtol=1e-15)
        np.testing.assert_allclose(v_hat["d" + key], g, rtol=1e-14)
        np.testing.assert_allclose(s_hat["d" + key], g**2, rtol=1e-12)
        np.testing.assert_allclose(
            new[key], parameters[key] - 0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12
        )


def test_adam_second_step_formulas():
    parameters, grads = _params_and_grads(4)
    _, grads2 = _params_and_grads(5)
    lr, b1, b2, eps = 0.02, 0.8, 0.99, 1e-6
    v, s = ref.initialize_adam(parameters)
    p1, v1, s1, _, _ = ref.update_parameters_with_adam(parameters, grads, v, s, 1, lr, b1, b2, eps)
    p2, v2, s2, vc2, sc2 = ref.update_parameters_with_adam(p1, grads2, v1, s1, 2, lr, b1, b2, eps)
    for key in parameters:
        for idx in np.ndindex(parameters[key].shape):
            g1 = grads["d" + key][idx]
            g2 = grads2["d" + key][idx]
            m1 = (1 - b1) * g1
            r1 = (1 - b2) * g1 * g1
            w1 = parameters[key][idx] - lr * (m1 / (1 - b1)) / (math.sqrt(r1 / (1 - b2)) + eps)
            m2 = b1 * m1 + (1 - b1) * g2
            r2 = b2 * r1 + (1 - b2) * g2 * g2
            m2_hat = m2 / (1 - b1**2)
            r2_hat = r2 / (1 - b2**2)
            w2 = w1 - lr * m2_hat / (math.sqrt(r2_hat) + eps)
            assert v2["d" + key][idx] == pytest.approx(m2, rel=1e-14)
            assert s2["d" + key][idx] == pytest.approx(r2, rel=1e-14)
            assert vc2["d" + key][idx] == pytest.approx(m2_hat, rel=1e-14)
            assert sc2["d" + key][idx] == pytest.approx(r2_hat, rel=1e-14)
            assert p2[key][idx] == pytest.approx(w2, rel=1e-13, abs=1e-15)


def test_adam_rejects_t_zero():
    parameters, grads = _params_and_grads()
    v, s = ref.initialize_adam(parameters)
    with pytest.raises(ValueError, match="t must be"):
        ref.update_parameters_with_adam(parameters, grads, v, s, 0)


# ---------------------------------------------------------------------------------------------
# Minibatches and learning-rate decay
# ---------------------------------------------------------------------------------------------


def test_random_mini_batches_course_example():
    # The course's test case: np.random.seed(1); X = randn(12288, 148); Y = randn(1, 148) < 0.5;
    # batches of 64 -> shapes 64, 64, 20 (a smaller n_x keeps the test light).
    np.random.seed(1)
    X = np.random.randn(5, 148)
    Y = (np.random.randn(1, 148) < 0.5).astype(np.float64)
    batches = ref.random_mini_batches(X, Y, 64, seed=0)
    assert [b[0].shape for b in batches] == [(5, 64), (5, 64), (5, 20)]
    assert [b[1].shape for b in batches] == [(1, 64), (1, 64), (1, 20)]
    permutation = np.random.RandomState(0).permutation(148)
    np.testing.assert_array_equal(np.hstack([b[0] for b in batches]), X[:, permutation])
    np.testing.assert_array_equal(np.hstack([b[1] for b in batches]), Y[:, permutation])
    np.testing.assert_array_equal(batches[2][0], X[:, permutation[128:]])


def test_random_mini_batches_several_label_rows_and_exact_multiple():
    X = np.arange(24.0).reshape(2, 12)
    Y = np.arange(36.0).reshape(3, 12)
    batches = ref.random_mini_batches(X, Y, 4, seed=7)
    assert len(batches) == 3
    permutation = np.random.RandomState(7).permutation(12)
    for k, (Xb, Yb) in enumerate(batches):
        np.testing.assert_array_equal(Xb, X[:, permutation[4 * k : 4 * k + 4]])
        np.testing.assert_array_equal(Yb, Y[:, permutation[4 * k : 4 * k + 4]])


@settings(deadline=None, max_examples=60)
@given(m=st.integers(1, 300), size=st.integers(1, 100), seed=st.integers(0, 2**32 - 1))
def test_random_mini_batches_partition(m, size, seed):
    X = np.arange(2.0 * m).reshape(2, m)
    Y = np.arange(float(m)).reshape(1, m)
    batches = ref.random_mini_batches(X, Y, size, seed)
    sizes = [Yb.shape[1] for _, Yb in batches]
    assert sizes == [size] * (m // size) + ([m % size] if m % size else [])
    order = np.hstack([Yb for _, Yb in batches])[0].astype(int)
    np.testing.assert_array_equal(order, np.random.RandomState(seed).permutation(m))
    for Xb, Yb in batches:
        np.testing.assert_array_equal(Xb, X[:, Yb[0].astype(int)])


def test_update_lr():
    assert ref.update_lr(0.5, 0, 1) == 0.5
    assert ref.update_lr(0.5, 2, 1) == pytest.approx(0.5 / 3)
    assert ref.update_lr(0.1, 10, 0.3) == pytest.approx(0.025)
    assert type(ref.update_lr(0.5, 2, 1)) is float


@pytest.mark.parametrize(
    ("epoch", "expected"),
    [(0, 0.3), (999, 0.3), (1000, 0.15), (1999, 0.15), (2000, 0.1), (4999, 0.06)],
)
def test_schedule_lr_decay(epoch, expected):
    lr = ref.schedule_lr_decay(0.3, epoch, 1)
    assert type(lr) is float
    assert lr == pytest.approx(expected, rel=1e-15)


def test_schedule_lr_decay_time_interval():
    assert ref.schedule_lr_decay(0.5, 100, 2, time_interval=50) == pytest.approx(0.5 / 5)


# ---------------------------------------------------------------------------------------------
# Prediction
# ---------------------------------------------------------------------------------------------


def test_predict_and_predict_dec(capsys):
    parameters = _random_parameters([3, 4, 1], seed=12)
    X, _ = _random_data(3, 10, seed=12)
    AL = _loop_forward(X, parameters)
    expected = (AL > 0.5).astype(int)
    y = expected.copy().astype(np.float64)
    y[0, :3] = 1 - y[0, :3]  # three wrong
    p = ref.predict(X, y, parameters)  # the course's: returns p, prints the accuracy
    assert capsys.readouterr().out == "Accuracy: 0.7\n"
    assert p.shape == (1, 10)
    assert np.issubdtype(p.dtype, np.integer)
    np.testing.assert_array_equal(p, expected)
    accuracy = ref.accuracy(X, y, parameters)
    assert accuracy == pytest.approx(0.7)
    assert type(accuracy) is float
    ref.predict(X, y, parameters, print_accuracy=False)
    assert capsys.readouterr().out == ""
    dec = ref.predict_dec(parameters, X)
    assert dec.dtype == np.bool_
    np.testing.assert_array_equal(dec, AL > 0.5)


def test_predict_threshold_is_strict():
    parameters = ref.initialize_parameters_zeros([2, 3, 1])  # AL is exactly 0.5
    X, _ = _random_data(2, 4, seed=0)
    p = ref.predict(X, np.array([[0, 0, 1, 1]]), parameters, print_accuracy=False)
    np.testing.assert_array_equal(p, [[0, 0, 0, 0]])
    assert ref.accuracy(X, np.array([[0, 0, 1, 1]]), parameters) == 0.5


# ---------------------------------------------------------------------------------------------
# model
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"optimizer": "sgd"}, "optimizer"),
        ({"initialization": "glorot"}, "initialization"),
        ({"decay": "exponential"}, "decay"),
        ({"decay": 3}, "decay"),
        ({"hidden_activation": "sigmoid"}, "hidden_activation"),
        ({"keep_prob": 0.0}, "keep_prob"),
        ({"mini_batch_size": 0}, "mini_batch_size"),
        ({"initialization": ref.initialize_parameters_he([2, 4, 1])}, "layers_dims"),
    ],
)
def test_model_validates_options(kwargs, match):
    X, Y = _random_data(2, 8, seed=0)
    with pytest.raises(ValueError, match=match):
        ref.model(X, Y, [2, 3, 1], num_epochs=1, **kwargs)


@pytest.mark.parametrize("hidden_activation", ["relu", "tanh"])
def test_model_full_batch_gd_is_the_course_loop(hidden_activation):
    X, Y = _random_data(3, 20, seed=5)
    dims = [3, 4, 3, 1]
    parameters, costs = ref.model(
        X,
        Y,
        dims,
        learning_rate=0.1,
        mini_batch_size=None,
        num_epochs=3,
        initialization="xavier",
        hidden_activation=hidden_activation,
    )
    expected = ref.initialize_parameters_xavier(dims, seed=3)
    expected_costs = []
    for _ in range(3):
        AL, caches = ref.forward_propagation(X, expected, hidden_activation)
        expected_costs.append(ref.compute_cost(AL, Y))
        grads = ref.backward_propagation(X, Y, caches, hidden_activation)
        expected = ref.update_parameters_with_gd(expected, grads, 0.1)
    assert costs == expected_costs
    for key in expected:
        np.testing.assert_array_equal(parameters[key], expected[key])


def test_model_minibatch_adam_with_decay_is_the_course_loop():
    X, Y = _random_data(2, 50, seed=6)
    dims = [2, 5, 2, 1]
    calls = []

    def decay(lr0, epoch, rate):
        calls.append((lr0, epoch, rate))
        return lr0 / (2 + epoch)

    parameters, costs = ref.model(
        X,
        Y,
        dims,
        optimizer="adam",
        learning_rate=0.01,
        mini_batch_size=16,
        num_epochs=3,
        decay=decay,
        decay_rate=0.5,
    )
    assert calls == [(0.01, 0, 0.5), (0.01, 1, 0.5), (0.01, 2, 0.5)]
    expected = ref.initialize_parameters_he(dims, seed=3)
    v, s = ref.initialize_adam(expected)
    t, lr, expected_costs = 0, 0.01, []
    for epoch in range(3):
        total = 0.0
        for Xb, Yb in ref.random_mini_batches(X, Y, 16, seed=11 + epoch):
            AL, caches = ref.forward_propagation(Xb, expected)
            total += ref.compute_cost(AL, Yb) * Xb.shape[1]
            grads = ref.backward_propagation(Xb, Yb, caches)
            t += 1
            expected, v, s, _, _ = ref.update_parameters_with_adam(expected, grads, v, s, t, lr)
        expected_costs.append(total / 50)
        lr = 0.01 / (2 + epoch)
    assert t == 3 * 4
    assert costs == expected_costs
    for key in expected:
        np.testing.assert_array_equal(parameters[key], expected[key])


def test_model_momentum_dropout_l2_uses_fresh_masks_per_step():
    X, Y = _random_data(3, 30, seed=7)
    dims = [3, 6, 4, 1]
    start = _random_parameters(dims, seed=7)
    start_copy = {k: v.copy() for k, v in start.items()}
    parameters, costs = ref.model(
        X,
        Y,
        dims,
        optimizer="momentum",
        learning_rate=0.05,
        beta=0.8,
        mini_batch_size=16,
        num_epochs=2,
        initialization=start,
        lambd=0.3,
        keep_prob=0.7,
    )
    for key in start:  # the starting dict was deep-copied
        np.testing.assert_array_equal(start[key], start_copy[key])
    expected = start_copy
    v = ref.initialize_velocity(expected)
    step, expected_costs, masks = 0, [], []
    for epoch in range(2):
        total = 0.0
        for Xb, Yb in ref.random_mini_batches(X, Y, 16, seed=11 + epoch):
            AL, caches = ref.forward_propagation_with_dropout(Xb, expected, 0.7, seed=step)
            masks.append(caches[1])
            total += ref.compute_cost_with_regularization(AL, Yb, expected, 0.3) * Xb.shape[1]
            # Dropout and L2 together: the loop oracle gives the gradient independently.
            grads = _loop_gradients(
                Xb, Yb, expected, lambd=0.3, masks=[caches[1], caches[6]], kp=0.7
            )
            step += 1
            expected, v = ref.update_parameters_with_momentum(expected, grads, v, 0.8, 0.05)
        expected_costs.append(total / 30)
    # Steps 0 and 2 (first batch of each epoch, same shape) got different masks; the course's
    # fixed seed 1 would have given the same.
    assert masks[0].shape == masks[2].shape
    assert not np.array_equal(masks[0], masks[2])
    np.testing.assert_allclose(costs, expected_costs, rtol=1e-12)
    for key in expected:
        np.testing.assert_allclose(parameters[key], expected[key], RTOL, ATOL)


def test_model_dropout_rng_course_reuses_the_course_masks():
    # The regularization assignment's loop: every forward pass calls np.random.seed(1), so
    # each iteration drops the same units.
    X, Y = _random_data(2, 12, seed=10)
    dims = [2, 5, 3, 1]
    parameters, costs = ref.model(
        X, Y, dims, learning_rate=0.3, mini_batch_size=None, num_epochs=3,
        initialization="xavier", keep_prob=0.86, dropout_rng="course",
    )  # fmt: skip
    expected = ref.initialize_parameters_xavier(dims)
    rng = np.random.RandomState(1)
    D1 = (rng.rand(5, 12) < 0.86).astype(np.float64)
    D2 = (rng.rand(3, 12) < 0.86).astype(np.float64)
    expected_costs = []
    for _ in range(3):
        expected_costs.append(
            ref.compute_cost(_loop_forward_masked(X, expected, [D1, D2], 0.86), Y)
        )
        grads = _loop_gradients(X, Y, expected, masks=[D1, D2], kp=0.86)
        expected = {k: expected[k] - 0.3 * grads["d" + k] for k in expected}
    np.testing.assert_allclose(costs, expected_costs, rtol=1e-12)
    for key in expected:
        np.testing.assert_allclose(parameters[key], expected[key], RTOL, ATOL)
    with pytest.raises(ValueError, match="dropout_rng"):
        ref.model(X, Y, dims, num_epochs=1, keep_prob=0.5, dropout_rng="philox")


def _loop_forward_masked(X, parameters, masks, keep_prob):
    AL = np.zeros((1, X.shape[1]))
    for i in range(X.shape[1]):
        example = [D[:, i] for D in masks]
        AL[0, i] = _loop_forward_example(X[:, i], parameters, "relu", example, keep_prob)[-1][2][0]
    return AL


@pytest.mark.parametrize(
    ("initialization", "initializer"),
    [
        ("zeros", ref.initialize_parameters_zeros),
        ("random", ref.initialize_parameters_random),
        ("he", ref.initialize_parameters_he),
        ("xavier", ref.initialize_parameters_xavier),
        ("deep", ref.initialize_parameters_deep),
    ],
)
def test_model_initialization_names(initialization, initializer):
    X, Y = _random_data(2, 6, seed=8)
    # learning_rate 0: the parameters stay at the initializer's output (seed 3).
    parameters, _ = ref.model(
        X, Y, [2, 3, 1], learning_rate=0.0, num_epochs=1, initialization=initialization
    )
    expected = initializer([2, 3, 1])
    for key in expected:
        np.testing.assert_array_equal(parameters[key], expected[key])


def test_model_print_cost(capsys):
    X, Y = _random_data(2, 6, seed=9)
    _, costs = ref.model(X, Y, [2, 3, 1], num_epochs=1001, mini_batch_size=None, print_cost=True)
    out = capsys.readouterr().out.splitlines()
    assert out == [f"Cost after epoch 0: {costs[0]:f}", f"Cost after epoch 1000: {costs[1000]:f}"]
