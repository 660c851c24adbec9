"""The reference's hidden activations and optimizers beyond the course, against outside oracles.

``logistic``, ``identity`` and ``leaky_relu`` (and the course's ``relu`` and ``tanh``): their
derivatives against central differences, element-wise and through the whole network (with
L2 and with dropout at fixed masks), against scikit-learn's ``ACTIVATIONS``/``DERIVATIVES``
and against torch's autograd. RMSprop against ``torch.optim.RMSprop`` and Nesterov momentum
against scikit-learn's ``SGDOptimizer(nesterov=True)`` over multi-step trajectories, each
side computing its own gradients from its own parameters. torch is never an nncore
dependency: its tests skip when it is absent.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from nncore import reference as ref
from nncore._types import split_course_caches

HIDDEN = ref.HIDDEN_ACTIVATIONS
NEW_HIDDEN = ("logistic", "identity", "leaky_relu")
FD_THRESHOLD = 2e-7  # COURSE.md: a correct backward lands below about 2e-7


def _problem(dims, m, seed, bias_scale=0.1):
    rng = np.random.RandomState(seed)
    X = rng.randn(dims[0], m)
    Y = (rng.rand(1, m) < 0.5).astype(np.float64)
    p = {}
    for l in range(1, len(dims)):
        p[f"W{l}"] = rng.randn(dims[l], dims[l - 1]) / np.sqrt(dims[l - 1])
        p[f"b{l}"] = bias_scale * rng.randn(dims[l], 1)
    return X, Y, p


def _scalar(name, z):
    """The activations' definitions, one Python float at a time."""
    if name == "relu":
        return max(0.0, z)
    if name == "tanh":
        return math.tanh(z)
    if name == "logistic":
        return 1.0 / (1.0 + math.exp(-z))
    if name == "identity":
        return z
    return z if z > 0 else 0.01 * z  # leaky_relu


POINTS = np.array([-30.0, -2.5, -1.0, -1e-3, -1e-300, -0.0, 0.0, 1e-300, 1e-3, 0.7, 3.0, 30.0])


@pytest.mark.parametrize("name", HIDDEN)
def test_activation_values(name):
    got = ref.ACTIVATIONS[name](POINTS.reshape(3, 4))
    want = np.array([_scalar(name, float(z)) for z in POINTS]).reshape(3, 4)
    np.testing.assert_allclose(got, want, rtol=1e-15, atol=0)


def test_logistic_is_the_output_sigmoid():
    assert ref.ACTIVATIONS["logistic"] is ref.ACTIVATIONS["sigmoid"] is ref.sigmoid


@pytest.mark.parametrize("name", HIDDEN)
def test_derivatives_match_central_differences_elementwise(name):
    rng = np.random.RandomState(1)
    Z = rng.randn(5, 40) * 3
    Z = Z[:, np.abs(Z).min(axis=0) > 1e-3]  # away from the kinks of relu and leaky_relu
    g = ref.ACTIVATIONS[name]
    dA = rng.randn(*Z.shape)
    h = 1e-6
    fd = dA * (g(Z + h) - g(Z - h)) / (2 * h)
    np.testing.assert_allclose(ref.DERIVATIVES[name](g(Z), dA), fd, rtol=1e-7, atol=1e-9)


def test_derivatives_at_zero_take_relus_side():
    # relu's derivative at 0 is 0 (A > 0 is false); leaky_relu takes the same side: slope 0.01.
    Z = np.array([[-0.0, 0.0, 5e-324, -5e-324]])
    dA = np.array([[2.0, 2.0, 2.0, 2.0]])
    relu_d = ref.DERIVATIVES["relu"](ref.relu(Z), dA)
    leaky_d = ref.DERIVATIVES["leaky_relu"](ref.leaky_relu(Z), dA)
    np.testing.assert_array_equal(relu_d, [[0.0, 0.0, 2.0, 0.0]])
    np.testing.assert_array_equal(leaky_d, [[0.02, 0.02, 2.0, 0.02]])
    # The smallest negative subnormal times 0.01 rounds to -0.0: leaky_relu's output is then
    # not negative, yet A > 0 stays false, so the derivative keeps the left side's slope.
    assert ref.leaky_relu(Z)[0, 3] == 0.0


def test_relu_and_tanh_derivatives_are_the_courses_expressions():
    rng = np.random.RandomState(2)
    Z = rng.randn(4, 9)
    dA = rng.randn(4, 9)
    A = np.maximum(0, Z)
    np.testing.assert_array_equal(ref.DERIVATIVES["relu"](A, dA), np.multiply(dA, np.int64(A > 0)))
    A = np.tanh(Z)
    np.testing.assert_array_equal(ref.DERIVATIVES["tanh"](A, dA), dA * (1 - np.power(A, 2)))


@pytest.mark.parametrize("name", ["logistic", "identity", "tanh", "relu"])
def test_activations_and_derivatives_match_scikit_learn(name):
    base = pytest.importorskip("sklearn.neural_network._base")
    rng = np.random.RandomState(3)
    Z = rng.randn(6, 50) * 4
    dA = rng.randn(6, 50)
    A_sk = Z.copy()
    base.ACTIVATIONS[name](A_sk)  # in place
    A = ref.ACTIVATIONS[name](Z)
    # scikit-learn's logistic is scipy's expit, not 1 / (1 + exp(-z)): a last-bit difference.
    np.testing.assert_allclose(A, A_sk, rtol=2 * np.finfo(float).eps, atol=0)
    delta = dA.copy()
    base.DERIVATIVES[name](A, delta)  # in place on delta, from the activation's output
    # The same products in the same order: the same bits (relu: -0.0 where sklearn writes 0).
    np.testing.assert_array_equal(ref.DERIVATIVES[name](A, dA), delta)


def _hidden_parts(caches, dropout=False):
    """``(Z, D, A, W, b)`` of each hidden layer of the course's cache tuple."""
    return split_course_caches(caches, dropout)[:-1]


def _kinks_far(caches, hidden, dropout=False):
    if hidden in ("relu", "leaky_relu"):
        return min(np.abs(Z).min() for Z, *_ in _hidden_parts(caches, dropout)) > 1e-4
    return True


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("lambd", [0.0, 0.7])
def test_gradient_check_through_the_network(hidden, lambd):
    X, Y, p = _problem([4, 6, 5, 1], 12, seed=11)
    _, caches = ref.forward_propagation(X, p, hidden)
    assert _kinks_far(caches, hidden)
    if lambd:
        grads = ref.backward_propagation_with_regularization(X, Y, caches, lambd, hidden)
    else:
        grads = ref.backward_propagation(X, Y, caches, hidden)
    difference = ref.gradient_check_n(p, grads, X, Y, hidden_activation=hidden, lambd=lambd)
    assert difference < FD_THRESHOLD


@pytest.mark.parametrize(
    ("hidden", "wrong"),
    [
        ("leaky_relu", "relu"),
        ("logistic", "tanh"),
        ("identity", "leaky_relu"),
        ("tanh", "logistic"),
    ],
)
def test_gradient_check_catches_a_wrong_derivative(monkeypatch, hidden, wrong):
    X, Y, p = _problem([4, 6, 5, 1], 12, seed=11)
    monkeypatch.setitem(ref.DERIVATIVES, hidden, ref.DERIVATIVES[wrong])
    _, caches = ref.forward_propagation(X, p, hidden)
    grads = ref.backward_propagation(X, Y, caches, hidden)
    assert ref.gradient_check_n(p, grads, X, Y, hidden_activation=hidden) > 1e-3


@pytest.mark.parametrize("hidden", HIDDEN)
def test_dropout_gradients_match_central_differences(hidden):
    # forward_propagation_with_dropout reseeds with the same seed: fixed masks at every call.
    keep_prob, seed = 0.75, 4
    X, Y, p = _problem([3, 7, 5, 1], 15, seed=12)
    _, caches = ref.forward_propagation_with_dropout(X, p, keep_prob, seed, hidden)
    assert _kinks_far(caches, hidden, dropout=True)
    assert all(0 < D.mean() < 1 for _, D, *_ in _hidden_parts(caches, dropout=True))
    grads = ref.backward_propagation_with_dropout(X, Y, caches, keep_prob, hidden)

    def cost(theta):
        q = ref.vector_to_dictionary(theta, [3, 7, 5, 1])
        AL, _ = ref.forward_propagation_with_dropout(X, q, keep_prob, seed, hidden)
        return ref.compute_cost(AL, Y)

    theta, _ = ref.dictionary_to_vector(p)
    grad = ref.gradients_to_vector(grads)
    eps = 1e-7
    fd = np.zeros_like(theta)
    for i in range(theta.shape[0]):
        plus, minus = theta.copy(), theta.copy()
        plus[i] += eps
        minus[i] -= eps
        fd[i] = (cost(plus) - cost(minus)) / (2 * eps)
    difference = np.linalg.norm(grad - fd) / (np.linalg.norm(grad) + np.linalg.norm(fd))
    assert difference < FD_THRESHOLD


def _torch_gradients(torch, X, Y, p, hidden, lambd=0.0, masks=None, keep_prob=1.0):
    """The cost and its gradients by torch's autograd, float64, written from the formulas."""
    fns = {
        "relu": torch.relu,
        "tanh": torch.tanh,
        "logistic": torch.sigmoid,
        "identity": lambda z: z,
        "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, negative_slope=0.01),
    }
    L = len(p) // 2
    tp = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in p.items()}
    A = torch.tensor(X, dtype=torch.float64)
    y = torch.tensor(Y, dtype=torch.float64)
    for l in range(1, L + 1):
        Z = tp[f"W{l}"] @ A + tp[f"b{l}"]
        A = fns[hidden](Z) if l < L else torch.sigmoid(Z)
        if masks is not None and l < L:
            A = A * torch.tensor(masks[l - 1]) / keep_prob
    m = X.shape[1]
    cost = -(y * torch.log(A) + (1 - y) * torch.log(1 - A)).sum() / m
    cost = cost + lambd / (2 * m) * sum((tp[f"W{l}"] ** 2).sum() for l in range(1, L + 1))
    cost.backward()
    return cost.item(), {"d" + k: t.grad.numpy() for k, t in tp.items()}


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize(("lambd", "keep_prob"), [(0.0, 1.0), (0.7, 1.0), (0.0, 0.8), (0.3, 0.8)])
def test_gradients_match_torch_autograd(hidden, lambd, keep_prob):
    torch = pytest.importorskip("torch")
    X, Y, p = _problem([5, 8, 6, 1], 40, seed=13)
    if keep_prob < 1:
        AL, caches = ref.forward_propagation_with_dropout(X, p, keep_prob, 3, hidden)
        masks = [D for _, D, *_ in _hidden_parts(caches, dropout=True)]
        grads = ref._backward(X, Y, caches, lambd, keep_prob, hidden, dropout=True)
    else:
        AL, caches = ref.forward_propagation(X, p, hidden)
        masks = None
        grads = ref.backward_propagation_with_regularization(X, Y, caches, lambd, hidden)
    cost, want = _torch_gradients(torch, X, Y, p, hidden, lambd, masks, keep_prob)
    assert ref.compute_cost_with_regularization(AL, Y, p, lambd) == pytest.approx(cost, rel=1e-14)
    for key, value in want.items():
        np.testing.assert_allclose(grads[key], value, rtol=1e-12, atol=1e-15, err_msg=key)


# ---------------------------------------------------------------------------------------------
# Optimizers
# ---------------------------------------------------------------------------------------------


def _network_gradients(X, Y, p, hidden="tanh"):
    _, caches = ref.forward_propagation(X, p, hidden)
    return ref.backward_propagation_with_regularization(X, Y, caches, 0.1, hidden)


STEPS = 60


@pytest.mark.parametrize(("lr", "beta2", "epsilon"), [(0.01, 0.999, 1e-8), (0.003, 0.9, 1e-6)])
def test_rmsprop_trajectory_matches_torch(lr, beta2, epsilon):
    torch = pytest.importorskip("torch")
    X, Y, p = _problem([3, 5, 4, 1], 30, seed=21)
    keys = list(p)
    tp = [torch.tensor(p[k], dtype=torch.float64) for k in keys]
    opt = torch.optim.RMSprop(tp, lr=lr, alpha=beta2, eps=epsilon)
    mine, s = p, ref.initialize_rmsprop(p)
    for _ in range(STEPS):
        grads = _network_gradients(X, Y, mine)
        mine, s = ref.update_parameters_with_rmsprop(mine, grads, s, lr, beta2, epsilon)
        theirs = _network_gradients(X, Y, {k: t.numpy() for k, t in zip(keys, tp)})
        for k, t in zip(keys, tp):
            t.grad = torch.tensor(theirs["d" + k])
        opt.step()
    for k, t in zip(keys, tp):
        # torch divides first (lr * (g / d)), the reference multiplies first ((lr * g) / d):
        # last-bit differences per step, which the trajectory carries.
        np.testing.assert_allclose(mine[k], t.numpy(), rtol=1e-12, atol=1e-15, err_msg=k)
        square_avg = opt.state[t]["square_avg"].numpy()
        np.testing.assert_allclose(s["d" + k], square_avg, rtol=1e-12, atol=1e-300, err_msg=k)
    assert not all(np.array_equal(mine[k], p[k]) for k in keys)


@pytest.mark.parametrize(("lr", "beta"), [(0.1, 0.9), (0.03, 0.5), (0.05, 0.0)])
def test_nesterov_trajectory_matches_scikit_learn(lr, beta):
    so = pytest.importorskip("sklearn.neural_network._stochastic_optimizers")
    X, Y, p = _problem([3, 5, 4, 1], 30, seed=22)
    keys = list(p)
    theirs = [p[k].copy() for k in keys]
    opt = so.SGDOptimizer(theirs, learning_rate_init=lr, momentum=beta, nesterov=True)
    mine, v = p, ref.initialize_velocity(p)
    for _ in range(STEPS):
        grads = _network_gradients(X, Y, mine)
        mine, v = ref.update_parameters_with_nesterov(mine, grads, v, beta, lr)
        g = _network_gradients(X, Y, dict(zip(keys, theirs)))
        opt.update_params(theirs, [g["d" + k] for k in keys])  # in place
    for k, theirs_k, vel in zip(keys, theirs, opt.velocities):
        # The same products in the same order as scikit-learn's _get_updates: the same bits.
        np.testing.assert_array_equal(mine[k], theirs_k, err_msg=k)
        np.testing.assert_array_equal(v["d" + k], vel, err_msg=k)


def test_rmsprop_two_steps_written_out():
    X, Y, p = _problem([2, 3, 1], 8, seed=23)
    g1 = _network_gradients(X, Y, p)
    g2 = {k: -2 * v for k, v in g1.items()}
    s0 = ref.initialize_rmsprop(p)
    assert list(s0) == ["dW1", "db1", "dW2", "db2"]
    assert all(s0[k].shape == p[k[1:]].shape and not s0[k].any() for k in s0)
    p1, s1 = ref.update_parameters_with_rmsprop(p, g1, s0, 0.02, beta2=0.9, epsilon=1e-6)
    p2, s2 = ref.update_parameters_with_rmsprop(p1, g2, s1, 0.02, beta2=0.9, epsilon=1e-6)
    assert not any(s0[k].any() for k in s0)  # the caller's state is untouched
    for key in p:
        for idx in np.ndindex(p[key].shape):
            a, b = g1["d" + key][idx], g2["d" + key][idx]
            r1 = 0.1 * a * a
            r2 = 0.9 * r1 + 0.1 * b * b
            w1 = p[key][idx] - 0.02 * a / (math.sqrt(r1) + 1e-6)
            w2 = w1 - 0.02 * b / (math.sqrt(r2) + 1e-6)
            assert s2["d" + key][idx] == pytest.approx(r2, rel=1e-14)
            assert p2[key][idx] == pytest.approx(w2, rel=1e-14, abs=1e-16)


def test_nesterov_two_steps_written_out():
    X, Y, p = _problem([2, 3, 1], 8, seed=24)
    g1 = _network_gradients(X, Y, p)
    g2 = {k: 0.5 * v + 0.1 for k, v in g1.items()}
    v0 = ref.initialize_velocity(p)
    p1, v1 = ref.update_parameters_with_nesterov(p, g1, v0, 0.8, 0.1)
    p2, v2 = ref.update_parameters_with_nesterov(p1, g2, v1, 0.8, 0.1)
    assert not any(v0[k].any() for k in v0)
    for key in p:
        a, b = g1["d" + key], g2["d" + key]
        u1 = -0.1 * a  # v carries the step: v = beta v - lr g from zero
        u2 = 0.8 * u1 - 0.1 * b
        np.testing.assert_allclose(v2["d" + key], u2, rtol=1e-15)
        # theta moves by beta v_new - lr g: a look-ahead of one more momentum step
        want = p[key] + (0.8 * u1 - 0.1 * a) + (0.8 * u2 - 0.1 * b)
        np.testing.assert_allclose(p2[key], want, rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize(
    ("optimizer", "hidden", "mini_batch_size", "lambd", "keep_prob"),
    [
        ("rmsprop", "leaky_relu", 16, 0.0, 1.0),
        ("rmsprop", "logistic", None, 0.4, 0.8),
        ("nesterov", "identity", 16, 0.3, 0.8),
        ("nesterov", "leaky_relu", None, 0.0, 1.0),
    ],
)
def test_model_is_the_loop(optimizer, hidden, mini_batch_size, lambd, keep_prob):
    X, Y, _ = _problem([3, 1], 50, seed=25)
    dims = [3, 6, 4, 1]
    kwargs = {"learning_rate": 0.01, "beta": 0.7, "beta2": 0.95, "epsilon": 1e-7}
    parameters, costs = ref.model(
        X, Y, dims, optimizer=optimizer, mini_batch_size=mini_batch_size, num_epochs=3,
        lambd=lambd, keep_prob=keep_prob, hidden_activation=hidden, decay="update_lr",
        decay_rate=0.5, **kwargs,
    )  # fmt: skip
    want = ref.initialize_parameters_he(dims, seed=3)
    state = (
        ref.initialize_rmsprop(want) if optimizer == "rmsprop" else ref.initialize_velocity(want)
    )
    lr, step, want_costs = 0.01, 0, []
    for epoch in range(3):
        if mini_batch_size is None:
            batches = [(X, Y)]
        else:
            batches = ref.random_mini_batches(X, Y, mini_batch_size, seed=11 + epoch)
        total = 0.0
        for Xb, Yb in batches:
            if keep_prob < 1:
                AL, caches = ref.forward_propagation_with_dropout(Xb, want, keep_prob, step, hidden)
                grads = ref._backward(Xb, Yb, caches, lambd, keep_prob, hidden, dropout=True)
            else:
                AL, caches = ref.forward_propagation(Xb, want, hidden)
                grads = ref.backward_propagation_with_regularization(Xb, Yb, caches, lambd, hidden)
            cost = ref.compute_cost_with_regularization(AL, Yb, want, lambd)
            total += cost * Xb.shape[1]
            step += 1
            if optimizer == "rmsprop":
                want, state = ref.update_parameters_with_rmsprop(
                    want, grads, state, lr, kwargs["beta2"], kwargs["epsilon"]
                )
            else:
                want, state = ref.update_parameters_with_nesterov(
                    want, grads, state, kwargs["beta"], lr
                )
        want_costs.append(cost if mini_batch_size is None else total / 50)
        lr = 0.01 / (1 + 0.5 * epoch)
    assert costs == want_costs
    for key in want:
        np.testing.assert_array_equal(parameters[key], want[key])


def test_nesterov_without_momentum_is_gradient_descent():
    # beta = 0: v = -lr g and theta + (0 * v - lr g) are exactly theta - lr g.
    X, Y, _ = _problem([3, 1], 40, seed=26)
    kwargs = {"learning_rate": 0.05, "mini_batch_size": 16, "num_epochs": 4, "lambd": 0.2}
    nesterov, nesterov_costs = ref.model(X, Y, [3, 5, 1], optimizer="nesterov", beta=0.0, **kwargs)
    gd, gd_costs = ref.model(X, Y, [3, 5, 1], optimizer="gd", **kwargs)
    assert nesterov_costs == gd_costs
    for key in gd:
        np.testing.assert_array_equal(nesterov[key], gd[key])


def test_rmsprop_without_memory_is_a_signed_step():
    # beta2 = 0: s = g**2, so each parameter moves by lr * g / (|g| + epsilon).
    X, Y, p = _problem([3, 4, 1], 20, seed=26)
    g = _network_gradients(X, Y, p)
    new, s = ref.update_parameters_with_rmsprop(p, g, ref.initialize_rmsprop(p), 0.1, 0.0, 1e-8)
    for key in p:
        np.testing.assert_array_equal(s["d" + key], g["d" + key] ** 2)
        want = p[key] - 0.1 * np.sign(g["d" + key]) * np.abs(g["d" + key]) / (
            np.abs(g["d" + key]) + 1e-8
        )
        np.testing.assert_allclose(new[key], want, rtol=1e-15, atol=1e-17)


def test_model_rejects_unknown_optimizer_naming_the_choices():
    X, Y, _ = _problem([2, 1], 8, seed=27)
    with pytest.raises(ValueError, match="rmsprop"):
        ref.model(X, Y, [2, 3, 1], optimizer="adagrad", num_epochs=1)
