"""Hypothesis: random shapes, values and hyperparameters through the mirror and Network.

Valid input must agree with nncore.reference; invalid input must raise a clean ValueError or
TypeError (and valid input must not). Which is which is decided here, independently of
nncore's own checks.

Tolerance: the float64 row of the table in test_parity.py (rtol 1e-12, atol 1e-14), with the
absolute part scaled by the magnitude of the terms summed. Hypothesis finds inputs whose
products cancel (exact small integers, say), where a result near 0 comes from terms of size
S: a different summation order then moves it by a few ulp of S, not of the result. S is
the same computation run on absolute values (running error analysis: |W| |A| + |b| per
layer), so ``atol = 1e-14 * S`` is the table's atol wherever S <= 1.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nncore
from nncore import reference as ref


def _parity_table():
    """The tolerance table of test_parity.py (one table; tests are not importable as modules
    under --import-mode=importlib)."""
    path = Path(__file__).with_name("test_parity.py")
    spec = importlib.util.spec_from_file_location("_nncore_parity_table", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TOL


TOL = _parity_table()
RTOL = TOL[np.float64]["rtol"]
ATOL = TOL[np.float64]["atol"]
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

finite = st.floats(-8, 8, allow_nan=False, allow_subnormal=False, width=64)


@st.composite
def problems(draw, max_layers=4, max_width=9, max_m=24):
    """``(dims, X, Y, parameters)``: a random network and data, values in [-8, 8]."""
    hidden = draw(st.lists(st.integers(1, max_width), min_size=0, max_size=max_layers - 1))
    dims = [draw(st.integers(1, max_width)), *hidden, draw(st.integers(1, 2))]
    m = draw(st.integers(1, max_m))
    X = draw(hnp.arrays(np.float64, (dims[0], m), elements=finite))
    Y = draw(hnp.arrays(np.float64, (dims[-1], m), elements=st.sampled_from([0.0, 1.0])))
    p = {}
    for l in range(1, len(dims)):
        p[f"W{l}"] = draw(hnp.arrays(np.float64, (dims[l], dims[l - 1]), elements=finite))
        p[f"b{l}"] = draw(hnp.arrays(np.float64, (dims[l], 1), elements=finite))
    return dims, X, Y, p


def _close(actual, expected, scale, what):
    assert actual.dtype == expected.dtype, what
    bound = RTOL * np.abs(expected) + ATOL * np.maximum(scale, 1.0)
    err = np.abs(actual - expected)
    ok = (err <= bound) | (actual == expected)  # equal infinities
    assert ok.all(), f"{what}: max excess {np.max(err - bound)} at {np.argwhere(~ok)[0]}"


def _forward_scales(X, p, L):
    """Running-error magnitudes of Z1..ZL: the forward pass on absolute values, with the
    activations' Lipschitz constant 1 (relu, tanh) and 1/4 (sigmoid) applied to the scale."""
    S = np.abs(X)
    scales = []
    for l in range(1, L + 1):
        Sz = np.abs(p[f"W{l}"]) @ S + np.abs(p[f"b{l}"])
        scales.append(Sz)
        S = Sz
    return scales


# ---------------------------------------------------------------------------------------------
# Parity on valid input
# ---------------------------------------------------------------------------------------------


@SETTINGS
@given(problems(), st.sampled_from(ref.HIDDEN_ACTIVATIONS))
def test_forward_cost_backward_match_the_reference(problem, hidden):
    dims, X, Y, p = problem
    L = len(dims) - 1
    with np.errstate(over="ignore"):
        rAL, rcaches = ref.forward_propagation(X, p, hidden)
    AL, caches = nncore.forward_propagation(X, p, hidden)
    scales = _forward_scales(X, p, L)
    for l in range(1, L + 1):
        Z, A, rZ, rA = caches[4 * l - 4], caches[4 * l - 3], rcaches[4 * l - 4], rcaches[4 * l - 3]
        _close(Z, rZ, scales[l - 1], f"Z{l}")
        # A = g(Z): every hidden g (and the sigmoid) is 1-Lipschitz, so A inherits Z's
        # absolute error.
        _close(A, rA, scales[l - 1], f"A{l}")
    # Backward on the same caches (the reference's), so that this is one call's rounding.
    grads = nncore.backward_propagation(X, Y, rcaches, hidden)
    with np.errstate(over="ignore", invalid="ignore"):
        rgrads = ref.backward_propagation(X, Y, rcaches, hidden)
    # Magnitudes of the backward pass: |dZ_L| <= 1/m, |dW| <= |dZ| |A_prev|^T,
    # |dA_prev| <= |W|^T |dZ| (activation derivatives are at most 1).
    m = X.shape[1]
    dZ = np.full((dims[-1], m), 1.0 / m)
    for l in range(L, 0, -1):
        A_prev = X if l == 1 else rcaches[4 * l - 7]
        W = rcaches[4 * l - 2]
        _close(grads[f"dW{l}"], rgrads[f"dW{l}"], dZ @ np.abs(A_prev).T, f"dW{l}")
        _close(grads[f"db{l}"], rgrads[f"db{l}"], dZ.sum(axis=1, keepdims=True), f"db{l}")
        dZ = np.abs(W).T @ dZ
    # The cost of the same AL (a saturated output's log is not a per-call comparison).
    cost = nncore.compute_cost(rAL, Y)
    with np.errstate(divide="ignore", invalid="ignore"):
        rcost = ref.compute_cost(rAL, Y)
    if math.isinf(rcost):
        assert cost == rcost
    else:
        assert cost == pytest.approx(rcost, rel=RTOL, abs=ATOL)
    assert AL.shape == rAL.shape


@SETTINGS
@given(
    problems(),
    st.floats(1e-6, 10),
    st.floats(0, 0.999),
    st.floats(0, 0.999),
    st.floats(0, 0.9999),
    st.floats(1e-12, 1),
    st.integers(1, 10**6),
)
def test_optimizer_steps_match_the_reference(problem, lr, beta, beta1, beta2, eps, t):
    _, _, _, p = problem
    rng = np.random.default_rng(0)
    g = {f"d{k}": rng.standard_normal(a.shape) * 3 for k, a in p.items()}
    v = {k: rng.standard_normal(a.shape) for k, a in g.items()}
    s = {k: rng.random(a.shape) for k, a in g.items()}
    pairs = [
        (nncore.update_parameters_with_gd(p, g, lr), ref.update_parameters_with_gd(p, g, lr)),
        *zip(
            nncore.update_parameters_with_momentum(p, g, v, beta, lr),
            ref.update_parameters_with_momentum(p, g, v, beta, lr),
        ),
        *zip(
            nncore.update_parameters_with_adam(p, g, v, s, t, lr, beta1, beta2, eps),
            ref.update_parameters_with_adam(p, g, v, s, t, lr, beta1, beta2, eps),
        ),
        *zip(
            nncore.update_parameters_with_rmsprop(p, g, s, lr, beta2, eps),
            ref.update_parameters_with_rmsprop(p, g, s, lr, beta2, eps),
        ),
        *zip(
            nncore.update_parameters_with_nesterov(p, g, v, beta, lr),
            ref.update_parameters_with_nesterov(p, g, v, beta, lr),
        ),
    ]
    for mine, theirs in pairs:
        assert list(mine) == list(theirs)
        for key in theirs:
            # Element-wise formulas: a few roundings of terms of size |W| + lr * |step|.
            scale = np.abs(theirs[key]) + 1.0
            _close(mine[key], theirs[key], scale, key)


@SETTINGS
@given(
    st.integers(1, 300),
    st.integers(1, 4),
    st.integers(1, 400),
    st.integers(0, 2**32 - 1),
)
def test_random_mini_batches_match_the_reference(m, n_x, size, seed):
    rng = np.random.default_rng(m)
    X = rng.standard_normal((n_x, m))
    Y = (rng.random((1, m)) > 0.5).astype(np.float64)
    state = np.random.get_state()  # noqa: NPY002 (the reference reseeds the global generator)
    try:
        theirs = ref.random_mini_batches(X, Y, size, seed)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    mine = nncore.random_mini_batches(X, Y, size, seed)
    assert len(mine) == len(theirs) == math.ceil(m / size)
    for (a, b), (c, d) in zip(mine, theirs):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


@settings(max_examples=40, deadline=None)
@given(
    problems(max_layers=3, max_width=6, max_m=40),
    st.sampled_from(ref.OPTIMIZERS),
    st.floats(1e-4, 0.05),
    st.one_of(st.none(), st.integers(1, 50)),
    st.integers(0, 3),
    st.sampled_from(ref.HIDDEN_ACTIVATIONS),
)
def test_network_fit_matches_the_reference_model(problem, optimizer, lr, mbs, epochs, hidden):
    """A few epochs of Network.fit equal the reference's model from the same parameters
    (seed 10 shuffles like the course), to the whole-run tolerance of DESIGN.md (1e-9)."""
    dims, X, Y, p = problem
    p = {k: a / 8 for k, a in p.items()}  # keep the sigmoid away from saturation

    def reference_run(num_epochs):
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            state = np.random.get_state()  # noqa: NPY002
            try:
                return ref.model(
                    X, Y, dims, optimizer, lr, mbs, num_epochs=num_epochs, initialization=p,
                    hidden_activation=hidden,
                )  # fmt: skip
            finally:
                np.random.set_state(state)  # noqa: NPY002

    def unsaturated(params):
        with np.errstate(over="ignore"):
            AL, _ = ref.forward_propagation(X, params, hidden)
        return bool(np.all((AL > 1e-6) & (AL < 1 - 1e-6)))

    # ... and make sure: near saturation the reference's log(1 - AL) cancels (at a logit of 20
    # its cost is off by 2e-9 relative, where the core's is exact), so it is no oracle there
    # to 1e-9. The core's cost at any logit is checked against 40 digits in test_fused.
    # Checked at every epoch's start as well, the parameters a full-batch epoch's cost is taken
    # at (the reference's first k epochs are its k-epoch run): one RMSprop or Adam step moves
    # every weight by about lr / sqrt(1 - beta) whatever the gradient, and can saturate a
    # logit on large inputs.
    assume(unsaturated(p))
    for k in range(1, epochs):
        assume(unsaturated(reference_run(k)[0]))
    net = nncore.Network.from_parameters(p, hidden_activation=hidden, seed=10)
    net.fit(X, Y, optimizer=optimizer, learning_rate=lr, mini_batch_size=mbs, num_epochs=epochs)
    rp, rc = reference_run(epochs)
    # Minibatch steps can drive a later batch to saturation within the epoch: the reference's
    # sigmoid then rounds AL to exactly 0 or 1 and its cost is inf, where the core's is exact.
    assume(np.all(np.isfinite(rc)))
    assert net.epochs == epochs
    np.testing.assert_allclose(net.costs, rc, rtol=1e-9, atol=1e-12)
    for key in rp:
        np.testing.assert_allclose(net.parameters[key], rp[key], rtol=1e-9, atol=1e-12)
    predictions = net.predict(X)
    assert predictions.shape == (dims[-1], X.shape[1])
    AL, _ = nncore.forward_propagation(X, net.parameters, hidden)
    np.testing.assert_array_equal(predictions, (AL > 0.5).astype(np.int64))


# ---------------------------------------------------------------------------------------------
# Valid or not: raise exactly when the input is invalid
# ---------------------------------------------------------------------------------------------

anything = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**70), 2**70),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
    st.complex_numbers(max_magnitude=2),
    st.just(np.float32(0.5)),
    st.just(np.int64(3)),
)


def _is_real(x):
    return isinstance(x, (int, float, np.floating, np.integer)) and not isinstance(
        x, (bool, np.bool_)
    )


def _in(x, low, high, low_open=False, high_open=False):
    if not _is_real(x) or not math.isfinite(float(x)):
        return False
    v = float(x)
    return (v > low if low_open else v >= low) and (v < high if high_open else v <= high)


def _int_in(x, low, high=2**63 - 1):
    return (
        isinstance(x, (int, np.integer))
        and not isinstance(x, (bool, np.bool_))
        and (low <= x <= high)
    )


HYPER = {
    "learning_rate": (st.floats(1e-4, 0.1), lambda x: _in(x, 0, math.inf, low_open=True)),
    "beta": (st.floats(0, 0.99), lambda x: _in(x, 0, 1, high_open=True)),
    "beta1": (st.floats(0, 0.99), lambda x: _in(x, 0, 1, high_open=True)),
    "beta2": (st.floats(0, 0.999), lambda x: _in(x, 0, 1, high_open=True)),
    "epsilon": (st.floats(1e-10, 1), lambda x: _in(x, 0, math.inf, low_open=True)),
    "lambd": (st.floats(0, 2), lambda x: _in(x, 0, math.inf)),
    "keep_prob": (st.floats(0.1, 1), lambda x: _in(x, 0, 1, low_open=True)),
    "decay_rate": (st.floats(0, 3), lambda x: _in(x, 0, math.inf)),
    "num_epochs": (st.integers(0, 3), lambda x: _int_in(x, 0)),
    # None is valid: one full batch; so is any size >= m, however large (chk.batch_size clips
    # it to m before it reaches the core's int64).
    "mini_batch_size": (st.integers(1, 9), lambda x: x is None or _int_in(x, 1, math.inf)),
}


@st.composite
def hyperparameters(draw):
    """A valid setting of every hyperparameter, then a few replaced by anything at all."""
    chosen = {name: draw(good) for name, (good, _) in HYPER.items()}
    for name in draw(st.lists(st.sampled_from(sorted(HYPER)), max_size=2, unique=True)):
        chosen[name] = draw(anything)
    return chosen


def _expect_clean(call, valid):
    if valid:
        return call()
    with pytest.raises((ValueError, TypeError)):
        call()
    return None


@settings(max_examples=100, deadline=None)
@given(hyperparameters(), st.sampled_from(ref.OPTIMIZERS), st.booleans())
def test_training_raises_exactly_on_bad_hyperparameters(hp, optimizer, use_network):
    X = np.linspace(-1, 1, 24).reshape(2, 12)
    Y = (X[:1] > 0).astype(np.float64)
    valid = all(ok(hp[name]) for name, (_, ok) in HYPER.items())
    assume(not (valid and hp["num_epochs"] > 10))  # valid, but too long to run here
    # Valid extremes (learning_rate 1e300, keep_prob 1e-300) diverge: trained through here
    # (on_nonfinite="ignore"); divergence handling has its own tests in test_numerics.py.
    if use_network:
        net = nncore.Network([2, 3, 1], seed=0)
        _expect_clean(
            lambda: net.fit(X, Y, optimizer=optimizer, on_nonfinite="ignore", **hp), valid
        )
        if valid:
            assert net.epochs == hp["num_epochs"]
    else:
        result = _expect_clean(
            lambda: nncore.model(X, Y, [2, 3, 1], optimizer, on_nonfinite="ignore", **hp), valid
        )
        if valid:
            assert len(result[1]) == hp["num_epochs"]


@settings(max_examples=100, deadline=None)
@given(hyperparameters(), st.one_of(st.integers(-3, 2**64), anything))
def test_optimizer_steps_raise_exactly_on_bad_hyperparameters(hp, t):
    p = nncore.initialize_parameters_he([2, 3, 1])
    g = nncore.initialize_velocity(p)
    valid = all(HYPER[k][1](hp[k]) for k in ("learning_rate", "beta1", "beta2", "epsilon"))
    valid = valid and _int_in(t, 1)
    _expect_clean(
        lambda: nncore.update_parameters_with_adam(
            p, g, g, g, t, hp["learning_rate"], hp["beta1"], hp["beta2"], hp["epsilon"]
        ),
        valid,
    )
    valid_momentum = HYPER["learning_rate"][1](hp["learning_rate"]) and HYPER["beta"][1](hp["beta"])
    _expect_clean(
        lambda: nncore.update_parameters_with_momentum(p, g, g, hp["beta"], hp["learning_rate"]),
        valid_momentum,
    )
    _expect_clean(
        lambda: nncore.update_parameters_with_nesterov(p, g, g, hp["beta"], hp["learning_rate"]),
        valid_momentum,
    )
    valid_rmsprop = all(HYPER[k][1](hp[k]) for k in ("learning_rate", "beta2", "epsilon"))
    _expect_clean(
        lambda: nncore.update_parameters_with_rmsprop(
            p, g, g, hp["learning_rate"], hp["beta2"], hp["epsilon"]
        ),
        valid_rmsprop,
    )


DTYPES = [np.float64, np.float32, np.float16, np.int64, np.int8, np.uint8, np.bool_,
          np.complex128, object, "U3"]  # fmt: skip


@st.composite
def arrays_of_any_kind(draw, shape):
    dtype = draw(st.sampled_from(DTYPES))
    values = draw(hnp.arrays(np.float64, shape, elements=st.floats(-4, 4) | st.just(np.nan)))
    if np.dtype(dtype).kind in "iub":  # these have no NaN (casting one warns)
        values = np.nan_to_num(values)
    a = values.astype(dtype)
    layout = draw(st.sampled_from(["C", "F", "strided"]))
    if layout == "F":
        a = np.asfortranarray(a)
    elif layout == "strided":
        wide = np.empty((shape[0], 2 * shape[1]), dtype=a.dtype)
        wide[:, ::2] = a
        a = wide[:, ::2]
    return a


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_forward_raises_exactly_on_bad_arrays(data):
    """X and the parameters of random dtypes, layouts, shapes (sometimes inconsistent) and
    values (sometimes NaN): the mirror computes exactly when all are float of one dtype,
    consistent and finite, and then matches the C-ordered float64 result."""
    n_x, n_1, m = (data.draw(st.integers(0, 4)) for _ in range(3))
    n_in2 = data.draw(st.sampled_from([n_1, n_1, n_1 + 1]))
    X = data.draw(arrays_of_any_kind((n_x, m)))
    p = {
        "W1": data.draw(arrays_of_any_kind((n_1, n_x))),
        "b1": data.draw(arrays_of_any_kind((n_1, 1))),
        "W2": data.draw(arrays_of_any_kind((1, n_in2))),
        "b2": data.draw(arrays_of_any_kind((1, 1))),
    }
    arrays = [X, *p.values()]
    dtypes = {a.dtype for a in arrays}
    valid = (
        len(dtypes) == 1
        and dtypes <= {np.dtype(np.float64), np.dtype(np.float32)}
        and min(n_x, n_1, m) >= 1
        and n_in2 == n_1
        and all(np.isfinite(a).all() for a in arrays)
    )
    result = _expect_clean(lambda: nncore.forward_propagation(X, p), valid)
    if valid:
        AL, _ = result
        AL_c, _ = nncore.forward_propagation(
            np.ascontiguousarray(X), {k: np.ascontiguousarray(a) for k, a in p.items()}
        )
        np.testing.assert_array_equal(AL, AL_c)
        assert AL.dtype == X.dtype


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_cost_and_network_raise_exactly_on_bad_labels(data):
    m = data.draw(st.integers(0, 6))
    AL = data.draw(hnp.arrays(np.float64, (1, m), elements=st.floats(-0.5, 1.5)))
    Y = data.draw(arrays_of_any_kind((1, m)))
    label_ok = Y.dtype.kind in "iuf" and m >= 1
    with np.errstate(invalid="ignore"):
        labels_binary = label_ok and bool(np.isin(Y.astype(np.float64), (0.0, 1.0)).all())
    valid = labels_binary and bool(((AL >= 0) & (AL <= 1)).all())
    _expect_clean(lambda: nncore.compute_cost(AL, Y), valid)
    X = np.ones((2, m))
    net = nncore.Network([2, 2, 1], seed=1)
    _expect_clean(lambda: net.fit(X, Y, num_epochs=1), labels_binary)
