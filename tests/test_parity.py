"""The fast mirror against nncore.reference, function by function, on random networks.

Tolerances (stated, not tuned per case):
- float64: rtol 1e-12 (atol 1e-14 for entries that cancel to ~0). The core sums in another
  order than numpy's BLAS (eight lanes, register tiles), which moves results by a few ulp per
  reduction; depths <= 5 and sums of a few hundred terms stay far below 1e-12.
- float32: the float32 result is compared with the float64 reference evaluated on the same
  (float32-rounded) inputs, with rtol 2e-4 and atol 2e-5 (relative to the output scale):
  float32 has eps 1.2e-7; a forward/backward pass through 5 layers of width 33 over m = 211
  examples accumulates a few hundred roundings per output, ~1e-5 relative in the worst
  observed cases, and the tolerance leaves an order of magnitude above that.
"""

from __future__ import annotations

import numpy as np
import pytest

import nncore
from nncore import _core
from nncore import reference as ref

TOL = {
    np.float64: {"rtol": 1e-12, "atol": 1e-14},
    np.float32: {"rtol": 2e-4, "atol": 2e-5},
}

SHAPES = [
    ([1, 1], 1),
    ([3, 1, 1], 2),
    ([5, 17, 1], 7),
    ([4, 33, 17, 1], 64),
    ([2, 17, 1, 33, 1], 211),
    ([7, 33, 17, 5, 3, 1], 37),
]


def _problem(dims, m, seed, dtype):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((dims[0], m))
    Y = (rng.random((1, m)) > 0.5).astype(np.float64)
    p = {}
    for l in range(1, len(dims)):
        p[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1])) * np.sqrt(2 / dims[l - 1])
        p[f"b{l}"] = rng.standard_normal((dims[l], 1)) * 0.1
    # Round to the test dtype first, so the float64 reference sees the same inputs.
    cast = {k: v.astype(dtype) for k, v in p.items()}
    return (
        X.astype(dtype),
        Y.astype(dtype),
        cast,
        X.astype(dtype).astype(np.float64),
        {k: v.astype(np.float64) for k, v in cast.items()},
    )


def _close(actual, expected, dtype, what):
    assert actual.dtype == dtype, what
    tol = TOL[dtype]
    scale = max(1.0, float(np.abs(expected).max())) if dtype == np.float32 else 1.0
    np.testing.assert_allclose(
        actual, expected, rtol=tol["rtol"], atol=tol["atol"] * scale, err_msg=what
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("hidden", ["relu", "tanh"])
@pytest.mark.parametrize(("dims", "m"), SHAPES)
def test_forward_cost_backward(isa, dims, m, hidden, dtype):
    seed = sum(dims) * 1000 + m
    X, Y, p, X64, p64 = _problem(dims, m, seed, dtype)
    AL, caches = nncore.forward_propagation(X, p, hidden)
    rAL, rcaches = ref.forward_propagation(X64, p64, hidden)
    _close(AL, rAL, dtype, "AL")
    assert isinstance(caches, tuple)
    assert len(caches) == len(rcaches) == 4 * (len(dims) - 1)
    for i, (c, rc) in enumerate(zip(caches, rcaches)):
        _close(c, rc.astype(np.float64), dtype, f"caches[{i}]")
    cost = nncore.compute_cost(AL, Y)
    assert type(cost) is np.float64
    assert cost == pytest.approx(
        ref.compute_cost(rAL, Y.astype(np.float64)), rel=TOL[dtype]["rtol"]
    )
    for lambd in (0.0, 0.7):
        c1 = nncore.compute_cost_with_regularization(AL, Y, p, lambd)
        c2 = ref.compute_cost_with_regularization(rAL, Y.astype(np.float64), p64, lambd)
        assert c1 == pytest.approx(c2, rel=TOL[dtype]["rtol"])
        grads = nncore.backward_propagation_with_regularization(X, Y, caches, lambd)
        rgrads = ref.backward_propagation_with_regularization(
            X64, Y.astype(np.float64), rcaches, lambd
        )
        assert list(grads) == list(rgrads)
        for key in rgrads:
            _close(grads[key], rgrads[key], dtype, f"{key} lambd={lambd}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("hidden", ["relu", "tanh"])
@pytest.mark.parametrize(("dims", "m"), SHAPES[1:])
def test_dropout_with_the_reference_masks(isa, dims, m, hidden, dtype):
    X, Y, p, X64, p64 = _problem(dims, m, 7 + m, dtype)
    rAL, rcaches = ref.forward_propagation_with_dropout(X64, p64, 0.7, 3, hidden)
    masks = list(rcaches[1 : 5 * (len(dims) - 2) : 5])  # D1, D2, ... of the course's tuple
    AL, caches = nncore.forward_propagation_with_dropout(X, p, 0.7, None, hidden, masks=masks)
    _close(AL, rAL, dtype, "AL")
    assert len(caches) == len(rcaches) == 5 * (len(dims) - 1) - 1
    for i, (c, rc) in enumerate(zip(caches, rcaches)):
        _close(c, rc.astype(np.float64), dtype, f"caches[{i}]")
    grads = nncore.backward_propagation_with_dropout(X, Y, caches, 0.7, hidden)
    rgrads = ref.backward_propagation_with_dropout(X64, Y.astype(np.float64), rcaches, 0.7, hidden)
    assert list(grads) == list(rgrads)
    for key in rgrads:
        _close(grads[key], rgrads[key], dtype, key)


def test_own_dropout_masks_are_seeded_and_scaled():
    X, _, p, _, _ = _problem([6, 33, 17, 1], 211, 11, np.float64)
    AL1, c1 = nncore.forward_propagation_with_dropout(X, p, 0.8, seed=5, masks="philox")
    AL2, _c2 = nncore.forward_propagation_with_dropout(X, p, 0.8, seed=5, masks="philox")
    AL3, _ = nncore.forward_propagation_with_dropout(X, p, 0.8, seed=6, masks="philox")
    np.testing.assert_array_equal(AL1, AL2)
    assert not np.array_equal(AL1, AL3)
    Z1, D1, A1, _W1, _b1, Z2, D2, A2, _W2, _b2 = c1[:10]
    for Z, D, A in ((Z1, D1, A1), (Z2, D2, A2)):
        assert set(np.unique(D)) <= {0.0, 1.0}
        np.testing.assert_array_equal(A, np.maximum(Z, 0) * D / 0.8)
    kept = np.concatenate([D1.ravel(), D2.ravel()])
    n = kept.size
    assert abs(kept.mean() - 0.8) < 5 * np.sqrt(0.8 * 0.2 / n)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_optimizer_steps(isa, dtype):
    _, _, p, _, p64 = _problem([5, 17, 3, 1], 3, 21, dtype)
    rng = np.random.default_rng(22)
    g = {f"d{k}": rng.standard_normal(v.shape).astype(dtype) for k, v in p.items()}
    g64 = {k: v.astype(np.float64) for k, v in g.items()}
    v0 = {k: (rng.standard_normal(v.shape) * 0.1).astype(dtype) for k, v in g.items()}
    s0 = {k: (rng.random(v.shape) * 0.1).astype(dtype) for k, v in g.items()}
    up64 = {k: a.astype(np.float64) for k, a in v0.items()}
    us64 = {k: a.astype(np.float64) for k, a in s0.items()}
    before = {k: a.copy() for k, a in p.items()}

    new = nncore.update_parameters_with_gd(p, g, 0.05)
    for k, a in ref.update_parameters_with_gd(p64, g64, 0.05).items():
        _close(new[k], a, dtype, f"gd {k}")
    new, v = nncore.update_parameters_with_momentum(p, g, v0, 0.9, 0.05)
    rnew, rv = ref.update_parameters_with_momentum(p64, g64, up64, 0.9, 0.05)
    for k in rnew:
        _close(new[k], rnew[k], dtype, f"momentum {k}")
    for k in rv:
        _close(v[k], rv[k], dtype, f"momentum v {k}")
    out = nncore.update_parameters_with_adam(p, g, v0, s0, 7, 0.01, 0.9, 0.999, 1e-8)
    rout = ref.update_parameters_with_adam(p64, g64, up64, us64, 7, 0.01, 0.9, 0.999, 1e-8)
    for mine, theirs, name in zip(out, rout, ["parameters", "v", "s", "v_corr", "s_corr"]):
        assert list(mine) == list(theirs), name
        for k in theirs:
            _close(mine[k], theirs[k], dtype, f"adam {name} {k}")
    for k, a in before.items():  # the inputs are not modified
        np.testing.assert_array_equal(p[k], a)


def test_initializers_match_without_touching_the_global_generator():
    state = np.random.get_state()  # noqa: NPY002 (the global generator must stay untouched)
    dims = [4, 17, 33, 1]
    mine = {
        "random": nncore.initialize_parameters_random(dims),
        "he": nncore.initialize_parameters_he(dims),
        "xavier": nncore.initialize_parameters_xavier(dims),
        "deep": nncore.initialize_parameters_deep(dims),
        "zeros": nncore.initialize_parameters_zeros(dims),
    }
    after = np.random.get_state()  # noqa: NPY002
    np.testing.assert_array_equal(state[1], after[1])
    theirs = {
        "random": ref.initialize_parameters_random(dims),
        "he": ref.initialize_parameters_he(dims),
        "xavier": ref.initialize_parameters_xavier(dims),
        "deep": ref.initialize_parameters_deep(dims),
        "zeros": ref.initialize_parameters_zeros(dims),
    }
    for name, params in theirs.items():
        assert list(mine[name]) == list(params)
        for k in params:
            np.testing.assert_array_equal(mine[name][k], params[k], err_msg=f"{name} {k}")
    f32 = nncore.initialize_parameters_he(dims, dtype="float32")
    assert f32["W1"].dtype == np.float32


@pytest.mark.parametrize(("m", "size", "seed"), [(1, 64, 0), (300, 64, 11), (211, 50, 7),
                                                 (128, 128, 3), (1000, 7, 12345)])  # fmt: skip
def test_random_mini_batches(m, size, seed):
    rng = np.random.default_rng(m)
    X, Y = rng.standard_normal((3, m)), (rng.random((1, m)) > 0.5).astype(float)
    mine = nncore.random_mini_batches(X, Y, size, seed)
    theirs = ref.random_mini_batches(X, Y, size, seed)
    assert len(mine) == len(theirs)
    for (a, b), (c, d) in zip(mine, theirs):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


@pytest.mark.parametrize("seed", [0, 1, 10, 11, 2**31 + 5, 2**32 - 1])
@pytest.mark.parametrize("n", [0, 1, 2, 3, 300, 624, 625, 1000, 1249, 2**16 + 3])
def test_numpy_permutation(seed, n):
    expected = np.random.RandomState(seed).permutation(n)
    np.testing.assert_array_equal(_core.numpy_permutation(seed, n), expected)


def test_philox_known_answers():
    # Random123's kat_vectors for philox4x32_10.
    assert _core.philox4x32_10(0, 0, 0, 0, 0, 0) == (
        0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)  # fmt: skip
    assert _core.philox4x32_10(*[0xFFFFFFFF] * 6) == (
        0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)  # fmt: skip
    assert _core.philox4x32_10(
        0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344, 0xA4093822, 0x299F31D0
    ) == (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)


def test_predict_and_gradient_check():
    X, Y, p, _, _ = _problem([3, 5, 1], 40, 31, np.float64)
    labels = nncore.predict(X, Y, p, print_accuracy=False)
    rlabels = ref.predict(X, Y, p, print_accuracy=False)
    np.testing.assert_array_equal(labels, rlabels)
    assert nncore.accuracy(X, Y, p) == ref.accuracy(X, Y, p) == np.mean(rlabels == Y)
    np.testing.assert_array_equal(nncore.predict_dec(p, X), ref.predict_dec(p, X))
    _, caches = nncore.forward_propagation(X, p, "tanh")
    grads = nncore.backward_propagation_with_regularization(X, Y, caches, 0.5, "tanh")
    d1 = nncore.gradient_check_n(p, grads, X, Y, hidden_activation="tanh", lambd=0.5)
    d2 = ref.gradient_check_n(p, grads, X, Y, hidden_activation="tanh", lambd=0.5)
    assert d1 < 2e-7
    assert d1 == pytest.approx(d2, rel=1e-2, abs=1e-9)


MODEL_CASES = [
    {"optimizer": "gd", "mini_batch_size": None, "learning_rate": 0.05},
    {"optimizer": "gd", "mini_batch_size": 64},
    {"optimizer": "momentum", "mini_batch_size": 50, "lambd": 0.4},
    {"optimizer": "adam", "mini_batch_size": 64},
    {"optimizer": "adam", "mini_batch_size": 37, "lambd": 0.2, "decay": "update_lr",
     "decay_rate": 0.3, "learning_rate": 0.01},
    {"optimizer": "momentum", "mini_batch_size": 64, "decay": "schedule_lr_decay",
     "learning_rate": 0.1, "hidden_activation": "tanh"},
    {"optimizer": "gd", "mini_batch_size": None, "initialization": "random"},
]  # fmt: skip


@pytest.mark.parametrize("kwargs", MODEL_CASES)
def test_model_matches_the_reference(isa, kwargs):
    pytest.importorskip("sklearn")
    from nncore.datasets import load_moons

    X, Y = load_moons()[:2]
    kwargs = {"num_epochs": 150, **kwargs}
    params, costs = nncore.model(X, Y, [2, 5, 2, 1], **kwargs)
    rparams, rcosts = ref.model(X, Y, [2, 5, 2, 1], **kwargs)
    # The reference's nansum of logs of a saturated AL is inf (large random initialization);
    # nncore's cost from Z is finite there (docs/numerics.md, checked in test_numerics.py).
    finite = np.isfinite(rcosts)
    assert np.isfinite(costs).all()
    np.testing.assert_allclose(np.array(costs)[finite], np.array(rcosts)[finite], rtol=1e-9)
    for k in rparams:
        np.testing.assert_allclose(params[k], rparams[k], rtol=1e-9, atol=1e-12, err_msg=k)


@pytest.mark.slow
def test_model_matches_the_reference_over_the_course_run():
    pytest.importorskip("sklearn")
    from nncore.datasets import load_moons

    X, Y = load_moons()[:2]
    params, costs = nncore.model(X, Y, [2, 5, 2, 1], optimizer="adam", num_epochs=10000)
    rparams, rcosts = ref.model(X, Y, [2, 5, 2, 1], optimizer="adam", num_epochs=10000)
    np.testing.assert_allclose(costs, rcosts, rtol=1e-9)
    for k in rparams:
        np.testing.assert_allclose(params[k], rparams[k], rtol=1e-9, atol=1e-12, err_msg=k)


def test_model_with_dropout_is_reproducible():
    X, Y, _, _, _ = _problem([2, 5, 2, 1], 120, 41, np.float64)
    a = nncore.model(X, Y, [2, 5, 2, 1], keep_prob=0.8, num_epochs=30)
    b = nncore.model(X, Y, [2, 5, 2, 1], keep_prob=0.8, num_epochs=30)
    c = nncore.model(X, Y, [2, 5, 2, 1], keep_prob=1.0, num_epochs=30)
    np.testing.assert_array_equal(a[1], b[1])
    assert a[1] != c[1]


def test_float32_model_tracks_float64():
    X, Y, _, _, _ = _problem([2, 5, 2, 1], 120, 43, np.float64)
    _p64, c64 = nncore.model(X, Y, [2, 5, 2, 1], optimizer="adam", num_epochs=50)
    p32, c32 = nncore.model(X.astype(np.float32), Y, [2, 5, 2, 1], optimizer="adam",
                            num_epochs=50)  # fmt: skip
    assert p32["W1"].dtype == np.float32
    np.testing.assert_allclose(c32, c64, rtol=1e-4)
