"""The activation and optimizer units of the core, every one of them, against the reference.

Each hidden activation and each optimizer the compiled module names
(``_core.hidden_activations``, ``_core.optimizers``) is checked per call (the mirror's forward
and backward; the core's update) and per whole run (``model`` through the fused step and
through the unfused passes, and ``Network.fit``) against ``nncore.reference``, on every SIMD
target the CPU runs. A unit added to the core without its Python or reference side fails here
by name.
"""

from __future__ import annotations

import numpy as np
import pytest

import nncore
from nncore import _core
from nncore import reference as ref

HIDDEN = sorted(_core.hidden_activations)
OPTIMIZERS = sorted(_core.optimizers)


def test_the_module_names_every_unit_the_reference_has():
    assert set(HIDDEN) == set(ref.HIDDEN_ACTIVATIONS)
    assert set(OPTIMIZERS) == set(ref.OPTIMIZERS)
    assert dict(_core.optimizer_state) == {
        "gd": (),
        "momentum": ("v",),
        "adam": ("v", "s"),
        "rmsprop": ("s",),
        "nesterov": ("v",),
    }


def _data(n_x, m, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_x, m))
    Y = (X[:1] * X[-1:] + 0.3 * rng.standard_normal((1, m)) > 0).astype(float)
    return X.astype(dtype), Y.astype(dtype)


@pytest.mark.parametrize("hidden", HIDDEN)
def test_forward_and_backward_match_the_reference(isa, hidden):
    X, Y = _data(3, 37, 1)
    p = nncore.initialize_parameters_he([3, 9, 4, 1], seed=3)
    p["W1"][0, 0] = 0.0
    X[:, 0] = 0.0  # z = b exactly for one unit: the derivatives' side at 0 comes from b's sign
    p["b1"][:] = 0.0  # ... and z = 0 exactly: relu'(0) = 0, leaky_relu'(0) = 0.01
    AL, caches = nncore.forward_propagation(X, p, hidden_activation=hidden)
    rAL, rcaches = ref.forward_propagation(X, p, hidden_activation=hidden)
    np.testing.assert_allclose(AL, rAL, rtol=1e-12, atol=1e-15)
    grads = nncore.backward_propagation(X, Y, caches, hidden_activation=hidden)
    rgrads = ref.backward_propagation(X, Y, rcaches, hidden_activation=hidden)
    for key in rgrads:
        np.testing.assert_allclose(grads[key], rgrads[key], rtol=1e-12, atol=1e-14, err_msg=key)


def _core_update(optimizer, p, g, v, s, t, lr, beta=0.9, beta1=0.9, beta2=0.999, eps=1e-8):
    """One update through the core on copies; returns (parameters, v, s)."""
    P = [a.copy() for a in p]
    V = [a.copy() for a in v]
    S = [a.copy() for a in s]
    kernels = _core.f64 if p[0].dtype == np.float64 else _core.f32
    kernels.update(_core.optimizers[optimizer], P, g, V, S, lr, beta, beta1, beta2, eps, t)
    return P, V, S


@pytest.mark.parametrize("optimizer", ["rmsprop", "nesterov"])
def test_new_optimizer_steps_match_the_reference(isa, optimizer):
    rng = np.random.default_rng(7)
    params = {"W1": rng.standard_normal((4, 3)), "b1": rng.standard_normal((4, 1))}
    grads = {"dW1": rng.standard_normal((4, 3)), "db1": rng.standard_normal((4, 1))}
    state = {k: rng.random(a.shape) for k, a in grads.items()}
    p, g, st = list(params.values()), list(grads.values()), list(state.values())
    if optimizer == "rmsprop":
        P, _, S = _core_update("rmsprop", p, g, [], st, 0, 0.01, beta2=0.95, eps=1e-6)
        rp, rs = ref.update_parameters_with_rmsprop(params, grads, state, 0.01, 0.95, 1e-6)
        got, want = P + S, list(rp.values()) + list(rs.values())
    else:
        P, V, _ = _core_update("nesterov", p, g, st, [], 0, 0.05, beta=0.8)
        rp, rv = ref.update_parameters_with_nesterov(params, grads, state, 0.8, 0.05)
        got, want = P + V, list(rp.values()) + list(rv.values())
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)


RUN = dict(learning_rate=0.01, num_epochs=6, beta=0.8, beta2=0.99, lambd=0.1)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize(
    ("dims", "m", "mbs"),
    [([2, 10, 5, 1], 300, None), ([2, 6, 3, 1], 150, 64), ([40, 48, 30, 1], 96, 32)],
    ids=["fused-two-blocks", "fused-minibatch", "unfused"],
)
def test_whole_runs_match_the_reference(hidden, optimizer, dims, m, mbs):
    X, Y = _data(dims[0], m, 3)
    kwargs = dict(RUN, optimizer=optimizer, hidden_activation=hidden, mini_batch_size=mbs)
    params, costs = nncore.model(X, Y, dims, **kwargs)
    rparams, rcosts = ref.model(X, Y, dims, **kwargs)
    np.testing.assert_allclose(costs, rcosts, rtol=1e-9)
    for key in rparams:
        np.testing.assert_allclose(params[key], rparams[key], rtol=1e-9, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_network_fit_takes_every_unit(isa, hidden, optimizer):
    # Network.fit with dropout (the fused step's masked paths) on both dtypes: float32 within
    # its tolerance of float64, and the optimizer's state kept as optimizer_state says.
    X, Y = _data(2, 200, 5)
    nets = []
    for dtype in ("float64", "float32"):
        net = nncore.Network([2, 8, 4, 1], hidden_activation=hidden, dtype=dtype, seed=2)
        net.fit(X, Y, optimizer=optimizer, learning_rate=0.01, mini_batch_size=None,
                num_epochs=5, keep_prob=0.9)  # fmt: skip
        nets.append(net)
        state = net.optimizer_state
        assert {k for k in ("v", "s") if k in state} == set(_core.optimizer_state[optimizer])
    for key, value in nets[0].parameters.items():
        np.testing.assert_allclose(nets[1].parameters[key], value, rtol=2e-4, atol=2e-5)


# Issue 20 item 3: float32 constants derived from a hyperparameter are computed in double and
# rounded once. With the betas rounded first, beta1 = 1 - 1e-8 rounds to 1 (1 - beta1 = 0: Adam
# never steps), and 1 - float32(0.99999) is off by 1.4e-4 relative.
@pytest.mark.parametrize(
    ("optimizer", "beta", "beta1", "beta2"),
    [
        ("adam", 0.9, 0.99999999, 0.99999999),
        ("adam", 0.9, 0.99999999, 0.99999),
        ("adam", 0.9, 0.9, 0.99999),
        ("momentum", 0.99999999, 0.9, 0.999),
        ("rmsprop", 0.9, 0.9, 0.99999999),
    ],
)
def test_float32_steps_follow_float64_for_betas_near_one(optimizer, beta, beta1, beta2):
    rng = np.random.default_rng(11)
    p = [rng.standard_normal((5, 4)), rng.standard_normal((5, 1))]
    g = [rng.standard_normal(a.shape) for a in p]
    z = [np.zeros_like(a) for a in p]
    hp = dict(beta=beta, beta1=beta1, beta2=beta2)
    want = _core_update(optimizer, p, g, z, z, 1, 0.01, **hp)
    f32 = [[a.astype(np.float32) for a in arrays] for arrays in (p, g, z)]
    got = _core_update(optimizer, f32[0], f32[1], f32[2], f32[2], 1, 0.01, **hp)
    for gs, ws in zip(got, want):
        for a, b in zip(gs, ws):
            atol = 2e-5 * float(np.abs(b).max())  # s is ~ (1 - beta2) g**2
            np.testing.assert_allclose(a, b, rtol=2e-4, atol=atol)
