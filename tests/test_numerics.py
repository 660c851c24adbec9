"""Numerical faults (docs/numerics.md): the cost recorded by training is computed from the
output pre-activation Z and stays finite where the course's formula on A gives inf; a run whose
cost, parameters or optimizer state become non-finite stops at the last finite epoch.

Tolerances of the cost against numpy's stable formula evaluated in float64 on the same Z:
- float64: rtol 1e-12, as the parity tests (a few ulp per term: exp, log, the summation).
- float32: rtol 1e-5: the terms are evaluated and summed in float32 (eps 6e-8 per rounding;
  the worst observed over these cases is 7e-8 relative), an order of magnitude above.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import nncore
from nncore import _core
from nncore import reference as ref

TINY_RATE = 5e-324  # smallest positive double: a step of it leaves the parameters as they are

RTOL = {np.float64: 1e-12, np.float32: 1e-5}
OUTPUT = {"sigmoid": 0, "softmax": 1}


def _stable_cost(Z, Y, output):
    """The mean cross-entropy from logits, in float64 with numpy's np.logaddexp."""
    Z, Y = Z.astype(np.float64), Y.astype(np.float64)
    if output == "sigmoid":  # -(y log a + (1 - y) log(1 - a)) = log(1 + e^z) - y z
        terms = np.logaddexp(0.0, Z) - Y * Z
    else:  # -sum_i y_i log softmax(z)_i = logsumexp(z) - sum_i y_i z_i
        terms = Y * (np.logaddexp.reduce(Z, axis=0) - Z)
    return terms.sum() / Z.shape[1]


def _labels(n_out, m, output, rng, dtype):
    if output == "sigmoid":
        return (rng.random((n_out, m)) > 0.5).astype(dtype)
    return np.ascontiguousarray(np.eye(n_out, dtype=dtype)[:, rng.integers(0, n_out, m)])


def _core_logits(net, X):
    """The output pre-activation Z_L as the core computes it (in the network's dtype)."""
    p = net.parameters
    L = len(net.layers_dims) - 1
    W = [p[f"W{l}"] for l in range(1, L + 1)]
    b = [p[f"b{l}"] for l in range(1, L + 1)]
    Z, _, _, _ = (_core.f64 if net.dtype == np.float64 else _core.f32).forward(
        X, W, b, 0, OUTPUT[net.output], 1.0, 0, [], 0, 0
    )
    return Z[-1]


# ---------------------------------------------------------------------------------------------
# 1. The cost from Z
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
@pytest.mark.parametrize("scale", [1.0, 30.0, 1e3, 1e30])
@pytest.mark.parametrize("m", [1, 8, 17, 33, 300])
def test_cost_from_logits_kernel(dtype, output, scale, m):
    rng = np.random.default_rng(m)
    n = 1 if output == "sigmoid" else 4
    Z = (rng.standard_normal((n, m)) * scale).astype(dtype)
    Y = _labels(n, m, output, rng, dtype)
    cost = (_core.f64 if dtype == np.float64 else _core.f32).cost_from_logits(OUTPUT[output], Z, Y)
    assert np.isfinite(cost)
    assert cost == pytest.approx(_stable_cost(Z, Y, output), rel=RTOL[dtype])


def test_cost_from_logits_is_bit_identical_across_isas_and_alignments():
    cases = []
    for dtype in (np.float64, np.float32):
        for output, n in ((0, 1), (1, 5), (2, 3)):
            for scale, m in ((0.5, 1), (3.0, 7), (30.0, 16), (1e3, 33), (3.0, 301)):
                rng = np.random.default_rng(m * 7 + n)
                Z = (rng.standard_normal((n, m)) * scale).astype(dtype)
                buf = np.empty(n * m + 3, dtype)  # the same values at another address
                shifted = buf[3:].reshape(n, m)
                shifted[...] = Z
                cases.append((dtype, output, Z, shifted, _labels(n, m, "sigmoid", rng, dtype)))

    def costs():
        out = []
        for dtype, output, Z, shifted, Y in cases:
            kernels = _core.f64 if dtype == np.float64 else _core.f32
            out.append(kernels.cost_from_logits(output, Z, Y))
            assert kernels.cost_from_logits(output, shifted, Y) == out[-1]
        return out

    previous = _core.current_isa()
    try:
        results = {}
        for isa in _core.supported_isas():
            _core.set_isa(isa)
            results[isa] = costs()
    finally:
        _core.set_isa(previous)
    for isa, values in results.items():
        assert values == results["generic"], isa


@pytest.mark.parametrize("m", [1, 17, 300])
def test_cost_from_logits_equals_the_reference_on_ordinary_outputs(m):
    rng = np.random.default_rng(m + 1)
    Z = rng.standard_normal((1, m)) * 3
    Y = (rng.random((1, m)) > 0.5).astype(np.float64)
    expected = ref.compute_cost(ref.sigmoid(Z), Y)
    assert _core.f64.cost_from_logits(0, Z, Y) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("output", [0, 1, 2])
def test_cost_from_logits_is_not_finite_when_z_is_not(value, output):
    Z = np.zeros((3, 20))
    Y = np.zeros((3, 20))
    Y[0] = Y[1] = 1.0  # (sigmoid: labels 0 and 1; softmax: not one-hot, still a valid cost)
    Z[1, 13] = value
    cost = _core.f64.cost_from_logits(output, Z, Y)
    if output == 1 and value == -np.inf:  # a class with probability exactly 0 in one column
        assert cost == np.inf
    else:
        assert not np.isfinite(cost)


def _saturated_network(output, dtype, seed):
    n_out = 1 if output == "sigmoid" else 4
    p = nncore.initialize_parameters_he([3, 8, n_out], seed=seed)
    p = {k: (v * 1e3 if k.startswith("W") else v).astype(dtype) for k, v in p.items()}
    return nncore.Network.from_parameters(p, output=output, seed=seed)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
@pytest.mark.parametrize("mini_batch_size", [None, 16])
def test_saturated_outputs_give_finite_training_costs(dtype, output, mini_batch_size):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((3, 90)).astype(dtype)
    net = _saturated_network(output, dtype, 5)
    Y = _labels(net.layers_dims[-1], 90, output, rng, dtype)
    Z = _core_logits(net, X)
    assert np.abs(Z).max() > 1e3  # saturated: the probabilities round to 0 and 1
    # The smallest positive learning rate (0 is refused): every step rounds away, so every
    # epoch records the cost at the initial parameters.
    net.fit(X, Y, optimizer="gd", learning_rate=TINY_RATE, mini_batch_size=mini_batch_size,
            num_epochs=2)  # fmt: skip
    expected = _stable_cost(Z, Y, output)
    np.testing.assert_allclose(net.costs, [expected, expected], rtol=RTOL[dtype])
    if output == "sigmoid":
        AL, _ = nncore.forward_propagation(X, net.parameters)
        with np.errstate(divide="ignore", invalid="ignore"):
            assert nncore.compute_cost(AL, Y) == np.inf  # the reference's contract, kept
        p64 = {k: v.astype(np.float64) for k, v in net.parameters.items()}
        rAL, _ = ref.forward_propagation(X.astype(np.float64), p64)
        with np.errstate(divide="ignore", invalid="ignore"):
            assert ref.compute_cost(rAL, Y.astype(np.float64)) == np.inf


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_saturated_costs_equal_the_reference_where_it_is_finite(dtype):
    """On the examples whose saturated output agrees with the label the reference is finite
    (its inf comes from the others); there both give the same cost."""
    rng = np.random.default_rng(6)
    X = rng.standard_normal((3, 200)).astype(dtype)
    net = _saturated_network("sigmoid", dtype, 6)
    Y = (rng.random((1, 200)) > 0.5).astype(dtype)
    p64 = {k: v.astype(np.float64) for k, v in net.parameters.items()}
    rAL, _ = ref.forward_propagation(X.astype(np.float64), p64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = -(Y * np.log(rAL) + (1 - Y) * np.log(1 - rAL))
    finite = ~np.isinf(terms[0])
    assert 20 < finite.sum() < 180
    Xf, Yf = X[:, finite], Y[:, finite]
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = ref.compute_cost(rAL[:, finite], Yf.astype(np.float64))
    assert np.isfinite(expected)
    net.fit(Xf, Yf, optimizer="gd", learning_rate=TINY_RATE, mini_batch_size=None, num_epochs=1)
    np.testing.assert_allclose(net.costs, [expected], rtol=RTOL[dtype], atol=1e-14)


def test_model_with_large_random_initialization_has_finite_costs():
    """The course's randn * 10 run: the reference prints inf, nncore the finite cost."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((2, 120)) * 3
    Y = (X[:1] * X[1:] > 0).astype(np.float64)
    dims = [2, 10, 5, 1]
    _, costs = nncore.model(X, Y, dims, learning_rate=0.01, mini_batch_size=None,
                            num_epochs=20, initialization="random")  # fmt: skip
    _, rcosts = ref.model(X, Y, dims, learning_rate=0.01, mini_batch_size=None,
                          num_epochs=20, initialization="random")  # fmt: skip
    assert rcosts[0] == np.inf
    assert np.isfinite(costs).all()
    _, caches = ref.forward_propagation(X, ref.initialize_parameters_random(dims))
    ZL = caches[-4]  # the course's (Z, A, W, b) of the output layer
    assert costs[0] == pytest.approx(_stable_cost(ZL, Y, "sigmoid"), rel=1e-12)
    finite = np.isfinite(rcosts)
    np.testing.assert_allclose(np.array(costs)[finite], np.array(rcosts)[finite], rtol=1e-9)


# ---------------------------------------------------------------------------------------------
# 2. Divergence: stop at the last finite epoch
# ---------------------------------------------------------------------------------------------

JUMP = 6  # the learning rate jumps at the epoch after index JUMP


def _divergent(dtype, optimizer, mini_batch_size, huge=None, x_scale=1.0, lr0=0.01):
    """Regression data and fit arguments whose learning rate jumps to a huge value in epoch
    JUMP + 1 (its steps make the parameters huge or infinite)."""
    rng = np.random.default_rng(11)
    X = (rng.standard_normal((2, 64)) * x_scale).astype(dtype)
    Y = rng.standard_normal((1, 64)).astype(dtype)
    huge = float(np.finfo(dtype).max) ** 0.5 if huge is None else huge

    def decay(lr0, epoch, rate):
        return lr0 if epoch < JUMP else huge

    kwargs = {"optimizer": optimizer, "learning_rate": lr0, "mini_batch_size": mini_batch_size,
              "decay": decay}  # fmt: skip
    return X, Y, kwargs


def _network(dtype):
    return nncore.Network([2, 4, 1], output="identity", dtype=dtype, seed=1)


def _assert_same_state(a, b):
    np.testing.assert_array_equal(a.costs, b.costs)
    assert a.epochs == b.epochs
    for key, value in b.parameters.items():
        np.testing.assert_array_equal(a.parameters[key], value, err_msg=key)
    sa, sb = a.optimizer_state, b.optimizer_state
    assert (sa["optimizer"], sa["t"]) == (sb["optimizer"], sb["t"])
    for moment in ("v", "s"):
        assert (moment in sa) == (moment in sb)
        for key, value in sb.get(moment, {}).items():
            np.testing.assert_array_equal(sa[moment][key], value, err_msg=f"{moment} {key}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
@pytest.mark.parametrize("mini_batch_size", [None, 16])
def test_divergence_raises_and_keeps_the_last_finite_state(dtype, optimizer, mini_batch_size):
    X, Y, kwargs = _divergent(dtype, optimizer, mini_batch_size)
    net = _network(dtype)
    net.fit(X, Y, num_epochs=3, **kwargs)  # a first call: epochs count over all calls
    with pytest.raises(nncore.TrainingDiverged, match=r"epoch \d+ \(counting from 0\)") as info:
        net.fit(X, Y, num_epochs=30, **kwargs)
    err = info.value
    assert isinstance(err, FloatingPointError)
    assert not np.isfinite(err.cost)
    assert f"epoch {err.epoch} (counting from 0)" in str(err)
    assert f"after {err.epochs_kept} epochs" in str(err)
    # The state before the jump's steps is kept. With minibatches, the jump's epoch is the one
    # whose cost is non-finite; in full batch the cost of an epoch is taken before its step,
    # so the next epoch's is, at the parameters the jump's epoch left: not a finite state.
    assert err.epochs_kept == JUMP + 1
    assert err.epoch == JUMP + 1 + (mini_batch_size is None)
    # The network is as after epochs_kept epochs of a fresh run stopped there, bit for bit.
    assert net.epochs == err.epochs_kept == len(net.costs)
    assert np.isfinite(net.costs).all()
    assert all(np.isfinite(a).all() for a in net.parameters.values())
    fresh = _network(dtype).fit(X, Y, num_epochs=3, **kwargs)
    fresh.fit(X, Y, num_epochs=err.epochs_kept - 3, **kwargs)
    _assert_same_state(net, fresh)
    assert err.costs == list(fresh.costs)
    for key, value in fresh.parameters.items():
        np.testing.assert_array_equal(err.parameters[key], value)
    # ... and continues like it with a lower learning rate.
    slower = {**kwargs, "decay": None, "learning_rate": 0.001}
    net.fit(X, Y, num_epochs=5, **slower)
    fresh.fit(X, Y, num_epochs=5, **slower)
    _assert_same_state(net, fresh)
    assert np.isfinite(net.costs).all()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_overflowing_parameters_are_caught_in_their_epoch(dtype):
    """Full batch, a learning rate of the largest float (and gradients above 1): the step of
    epoch JUMP + 1 turns parameters to inf after its finite cost was taken; the check of the
    state stops there, not one epoch later at the cost."""
    X, Y, kwargs = _divergent(dtype, "gd", None, huge=float(np.finfo(dtype).max), x_scale=10.0,
                              lr0=1e-3)  # fmt: skip
    net = _network(dtype)
    with pytest.raises(nncore.TrainingDiverged, match="NaN or inf in the parameters") as info:
        net.fit(X, Y, num_epochs=30, **kwargs)
    assert info.value.epoch == info.value.epochs_kept == JUMP + 1
    assert np.isfinite(info.value.cost)
    _assert_same_state(net, _network(dtype).fit(X, Y, num_epochs=JUMP + 1, **kwargs))


def test_float32_overflow_is_the_same_path():
    """A learning rate that float64 survives and float32 does not (Adam moves each weight by
    about the learning rate per step: 1e12 weights give costs near 1e48 > float32's 3e38)."""
    X, Y, kwargs = _divergent(np.float64, "adam", 16, huge=1e12)

    def once(lr0, epoch, rate):  # the huge rate for one epoch only
        return 1e12 if epoch == JUMP else lr0

    kwargs["decay"] = once
    net64 = _network(np.float64).fit(X, Y, num_epochs=12, **kwargs)
    assert np.isfinite(net64.costs).all()
    assert net64.costs.max() > np.finfo(np.float32).max
    net32 = _network(np.float32)
    with pytest.raises(nncore.TrainingDiverged) as info:
        net32.fit(X, Y, num_epochs=12, **kwargs)
    assert info.value.epochs_kept == net32.epochs == JUMP + 1
    np.testing.assert_allclose(net32.costs, net64.costs[: JUMP + 1], rtol=1e-4)


def test_divergence_stops_callbacks_at_the_last_finite_epoch():
    X, Y, kwargs = _divergent(np.float64, "gd", 16)
    seen = []
    net = _network(np.float64)
    with pytest.raises(nncore.TrainingDiverged) as info:
        net.fit(X, Y, num_epochs=30, callback=lambda e, c: seen.append((e, c)),
                callback_every=1, progress=True, **kwargs)  # fmt: skip
    assert [e for e, _ in seen] == list(range(1, info.value.epoch + 1))
    assert net.epochs == info.value.epochs_kept == info.value.epoch
    assert [c for _, c in seen] == list(net.costs)


def test_warn_and_ignore_train_on():
    X, Y, kwargs = _divergent(np.float64, "gd", 16)
    with pytest.warns(RuntimeWarning, match=rf"epoch {JUMP + 1} \(counting from 0\)") as record:
        warned = _network(np.float64).fit(X, Y, num_epochs=12, on_nonfinite="warn", **kwargs)
    assert len(record) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ignored = _network(np.float64).fit(X, Y, num_epochs=12, on_nonfinite="ignore", **kwargs)
    np.testing.assert_array_equal(warned.costs, ignored.costs)
    assert warned.epochs == 12
    assert not np.isfinite(warned.costs[JUMP + 1])
    assert np.isfinite(warned.costs[: JUMP + 1]).all()
    with pytest.raises(ValueError, match="on_nonfinite must be one of"):
        _network(np.float64).fit(X, Y, on_nonfinite="continue")


def test_model_warns_by_default_and_raises_on_request():
    X, Y, kwargs = _divergent(np.float64, "momentum", 16)
    Y = (Y > 0).astype(np.float64)
    kwargs["decay"] = lambda lr0, epoch, rate: lr0 if epoch < JUMP else 1e300
    args = (X, Y, [2, 4, 1])
    with pytest.warns(RuntimeWarning, match="training diverged"):
        _, costs = nncore.model(*args, num_epochs=12, **kwargs)
    assert len(costs) == 12
    bad = int(np.flatnonzero(~np.isfinite(costs))[0])
    with np.errstate(all="ignore"):  # the reference goes on too
        _, rcosts = ref.model(*args, num_epochs=12, **kwargs)
    assert len(rcosts) == 12
    with pytest.raises(nncore.TrainingDiverged) as info:
        nncore.model(*args, num_epochs=12, on_nonfinite="raise", **kwargs)
    assert info.value.epoch == info.value.epochs_kept == bad
    kept, kept_costs = nncore.model(*args, num_epochs=bad, **kwargs)
    assert info.value.costs == kept_costs
    for key, value in kept.items():
        np.testing.assert_array_equal(info.value.parameters[key], value)
    np.testing.assert_allclose(kept_costs, rcosts[:bad], rtol=1e-9)
