"""Hypothesis: properties the reference's hidden activations and optimizers must have, each
an oracle written independently of the reference's own formulas.

- Piecewise-linear activations (relu, leaky_relu, identity) are positively homogeneous: by
  Euler's theorem ``g'(z) * z == g(z)``, which ties each derivative to its forward function.
- An ``identity`` network is logistic regression with the product of its weights.
- Gradients agree with central differences of the cost on random networks.
- RMSprop with ``epsilon = 0`` does not see the gradient's scale; with a constant gradient
  its state has a closed form. Nesterov momentum in scikit-learn's form is the
  Sutskever form ``theta += (1 + beta) v - beta v_prev``; with a constant gradient its
  velocity is a geometric sum.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nncore import reference as ref
from nncore._types import split_course_caches

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PIECEWISE_LINEAR = ("relu", "leaky_relu", "identity")
SMOOTH = ("tanh", "logistic", "identity")

values = st.floats(-1e6, 1e6, allow_nan=False, width=64)
small = st.floats(-2, 2, allow_nan=False, allow_subnormal=False, width=64)
magnitude = st.floats(1e-3, 2, width=64)
nonzero = st.one_of(magnitude, magnitude.map(lambda x: -x))
no_subnormal_square = st.one_of(st.just(0.0), nonzero)  # g**2 neither subnormal nor lost


def _matrices(shape, elements=values):
    return hnp.arrays(np.float64, shape, elements=elements)


@SETTINGS
@given(st.sampled_from(PIECEWISE_LINEAR), _matrices(hnp.array_shapes(min_dims=2, max_dims=2)))
def test_euler_homogeneity_ties_each_derivative_to_its_activation(name, Z):
    A = ref.ACTIVATIONS[name](Z)
    # g'(z) * z, computed as the backward pass computes dZ from dA = Z.
    np.testing.assert_array_equal(ref.DERIVATIVES[name](A, Z), A)


@SETTINGS
@given(
    st.sampled_from(PIECEWISE_LINEAR),
    _matrices(hnp.array_shapes(min_dims=2, max_dims=2), values),
    st.integers(-20, 20),
)
def test_piecewise_linear_activations_commute_with_powers_of_two(name, Z, k):
    c = 2.0**k  # multiplying by a power of two is exact away from under- and overflow
    assume(np.all((Z == 0) | (np.abs(Z) * min(c, 1) * 0.01 > 1e-290)))
    np.testing.assert_array_equal(ref.ACTIVATIONS[name](c * Z), c * ref.ACTIVATIONS[name](Z))


@SETTINGS
@given(st.sampled_from(ref.HIDDEN_ACTIVATIONS), _matrices((3, 7), small))
def test_derivatives_are_bounded_by_their_lipschitz_constants(name, Z):
    # |g'| <= 1 for all five; logistic's is at most 1/4 and positive.
    dA = np.ones_like(Z)
    d = ref.DERIVATIVES[name](ref.ACTIVATIONS[name](Z), dA)
    assert np.all(d >= 0)
    assert np.all(d <= (0.25 if name == "logistic" else 1.0))
    if name == "leaky_relu":
        assert set(np.unique(d)) <= {ref.LEAKY_RELU_SLOPE, 1.0}


@st.composite
def networks(draw, max_layers=4, max_width=5, max_m=8, elements=small):
    hidden = draw(st.lists(st.integers(1, max_width), min_size=1, max_size=max_layers - 1))
    dims = [draw(st.integers(1, max_width)), *hidden, 1]
    m = draw(st.integers(1, max_m))
    X = draw(_matrices((dims[0], m), elements))
    Y = draw(_matrices((1, m), st.sampled_from([0.0, 1.0])))
    p = {}
    for l in range(1, len(dims)):
        p[f"W{l}"] = draw(_matrices((dims[l], dims[l - 1]), elements))
        p[f"b{l}"] = draw(_matrices((dims[l], 1), elements))
    return dims, X, Y, p


@SETTINGS
@given(networks())
def test_identity_network_is_logistic_regression(network):
    dims, X, _, p = network
    L = len(dims) - 1
    W, b = p["W1"], p["b1"]
    for l in range(2, L + 1):  # W_l (W x + b) + b_l
        W, b = p[f"W{l}"] @ W, p[f"W{l}"] @ b + p[f"b{l}"]
    AL, _ = ref.forward_propagation(X, p, "identity")
    # Summing in another order moves Z by a few ulp of the terms' magnitudes.
    scale = np.abs(X).max() + 1
    for l in range(1, L + 1):
        scale = np.abs(p[f"W{l}"]).sum(axis=1).max() * scale + np.abs(p[f"b{l}"]).max()
    want = ref.sigmoid(W @ X + b)
    np.testing.assert_allclose(AL, want, rtol=0, atol=1e-13 * scale)


@settings(
    max_examples=40,
    deadline=None,
    # central_differences returns a pure function: sharing it between examples is safe.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    networks(max_layers=3, max_width=4, max_m=5),
    st.sampled_from(ref.HIDDEN_ACTIVATIONS),
    st.sampled_from([0.0, 0.5]),
)
def test_gradients_match_central_differences(central_differences, network, hidden, lambd):
    _, X, Y, p = network
    AL, caches = ref.forward_propagation(X, p, hidden)
    # Away from the kinks (relu, leaky_relu) and from a saturated output: log(1 - AL) carries
    # an absolute error of about 1e-16 / (1 - AL), which the differences divide by 2 eps.
    assume(np.all((AL > 1e-3) & (AL < 1 - 1e-3)))
    if hidden in ("relu", "leaky_relu"):
        hidden_Z = [Z for Z, *_ in split_course_caches(caches, dropout=False)[:-1]]
        assume(min(np.abs(Z).min() for Z in hidden_Z) > 1e-4)
    grads = ref.backward_propagation_with_regularization(X, Y, caches, lambd, hidden)

    def cost(q):
        AL, _ = ref.forward_propagation(X, q, hidden)
        return ref.compute_cost_with_regularization(AL, Y, q, lambd)

    for key, value in central_differences(cost, p, 1e-6).items():
        # Truncation ~ eps**2 * |J'''|, rounding ~ 1e-16 * |J| / eps.
        np.testing.assert_allclose(grads["d" + key], value, rtol=1e-5, atol=1e-6, err_msg=key)


@st.composite
def gradient_sequences(draw, max_steps=12, elements=small):
    shape = draw(st.tuples(st.integers(1, 4), st.integers(1, 4)))
    steps = draw(st.integers(1, max_steps))
    theta = draw(_matrices(shape, small))
    grads = [draw(_matrices(shape, elements)) for _ in range(steps)]
    return theta, grads


def _one_layer(theta):
    return {"W1": theta, "b1": np.zeros((theta.shape[0], 1))}


@SETTINGS
@given(
    gradient_sequences(elements=nonzero),  # g = 0 would give 0 / 0 with epsilon = 0
    st.integers(-30, 30),
    st.floats(0, 0.999),
    st.floats(1e-4, 1),
)
def test_rmsprop_without_epsilon_does_not_see_the_gradients_scale(sequence, k, beta2, lr):
    theta, grads = sequence
    c = 2.0**k
    runs = []
    for scale in (1.0, c):
        p = _one_layer(theta)
        s = ref.initialize_rmsprop(p)
        for g in grads:
            G = {"dW1": scale * g, "db1": scale * np.ones((theta.shape[0], 1))}
            p, s = ref.update_parameters_with_rmsprop(p, G, s, lr, beta2, epsilon=0.0)
        runs.append(p)
    for key in runs[0]:
        np.testing.assert_array_equal(runs[0][key], runs[1][key])


@SETTINGS
@given(
    _matrices((3, 2), small),
    _matrices((3, 2), no_subnormal_square),
    st.integers(1, 40),
    st.floats(0, 0.999),
    st.floats(1e-4, 1),
    st.floats(1e-9, 1e-3),
)
def test_rmsprop_with_a_constant_gradient_has_a_closed_form(theta, g, steps, beta2, lr, eps):
    p = _one_layer(theta)
    s = ref.initialize_rmsprop(p)
    G = {"dW1": g, "db1": np.zeros((3, 1))}
    want = theta.copy()
    for t in range(1, steps + 1):
        p, s = ref.update_parameters_with_rmsprop(p, G, s, lr, beta2, eps)
        # s_t = (1 - beta2**t) g**2, so the step is lr g / (|g| sqrt(1 - beta2**t) + eps).
        want = want - lr * g / (np.abs(g) * np.sqrt(1 - beta2**t) + eps)
        np.testing.assert_allclose(s["dW1"], (1 - beta2**t) * g**2, rtol=1e-13, atol=0)
    # Each step's relative error is a few ulp; over the steps they add up in theta.
    np.testing.assert_allclose(p["W1"], want, rtol=1e-13, atol=1e-14 * steps)
    np.testing.assert_array_equal(p["b1"], 0.0)


@SETTINGS
@given(gradient_sequences(), st.floats(0, 0.99), st.floats(1e-4, 1))
def test_nesterov_is_the_sutskever_form(sequence, beta, lr):
    theta, grads = sequence
    p = _one_layer(theta)
    v = ref.initialize_velocity(p)
    want, v_prev = theta.copy(), np.zeros_like(theta)
    for g in grads:
        p, v = ref.update_parameters_with_nesterov(
            p, {"dW1": g, "db1": np.zeros((theta.shape[0], 1))}, v, beta, lr
        )
        v_new = beta * v_prev - lr * g
        want = want + (1 + beta) * v_new - beta * v_prev
        v_prev = v_new
        np.testing.assert_array_equal(v["dW1"], v_new)
    np.testing.assert_allclose(p["W1"], want, rtol=1e-13, atol=1e-14 * len(grads))


@SETTINGS
@given(_matrices((2, 3), small), st.integers(1, 60), st.floats(0, 0.99), st.floats(1e-4, 1))
def test_nesterov_velocity_with_a_constant_gradient_is_a_geometric_sum(g, steps, beta, lr):
    p = _one_layer(np.zeros((2, 3)))
    v = ref.initialize_velocity(p)
    G = {"dW1": g, "db1": np.ones((2, 1))}
    for _ in range(steps):
        p, v = ref.update_parameters_with_nesterov(p, G, v, beta, lr)
    geometric = (1 - beta**steps) / (1 - beta)  # 1 + beta + ... + beta**(steps - 1)
    np.testing.assert_allclose(v["dW1"], -lr * g * geometric, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(v["db1"], -lr * geometric, rtol=1e-12)


@pytest.mark.parametrize("optimizer", ["rmsprop", "nesterov"])
@SETTINGS
@given(networks(max_layers=3, max_width=4, max_m=12), st.sampled_from(ref.HIDDEN_ACTIVATIONS))
def test_model_leaves_its_inputs_alone_and_costs_one_per_epoch(optimizer, network, hidden):
    dims, X, Y, p = network
    copies = [X.copy(), Y.copy(), {k: v.copy() for k, v in p.items()}]
    parameters, costs = ref.model(
        X, Y, dims, optimizer=optimizer, learning_rate=0.01, mini_batch_size=4, num_epochs=3,
        initialization=p, hidden_activation=hidden,
    )  # fmt: skip
    assert len(costs) == 3
    np.testing.assert_array_equal(X, copies[0])
    np.testing.assert_array_equal(Y, copies[1])
    for key in p:
        np.testing.assert_array_equal(p[key], copies[2][key])
        assert parameters[key].shape == p[key].shape
