"""The core's fused training step (small networks, sigmoid or identity output) against
independent float64 numpy: one and a few full-batch steps, minibatches with a short last batch,
dropout with the core's Philox masks, L2, both sides of the fused/unfused boundary, finite
differences, and non-finite parameters.

The fused step runs inside ``train`` when every layer has ``n_out * n_in <= 1024`` and the output
is not softmax (``fused_step_applies`` in cpp/src/kernels.cpp); ``_fused`` below restates that
condition, and every shape list holds cases on both sides of it.

Every test draws fresh data: the seed is printed in each assertion message, and setting
``NNCORE_TEST_SEED`` to it replays the run.

Tolerances (stated from the dtype's eps, not tuned per case). Parameters: rtol of each entry
plus rtol * the array's largest entry (sums that cancel to ~0 are held to the error of their
terms) plus, per entry, ATOL_UNIT (200 unit roundoffs) times lr * steps * the gradient's size
with every output error at 1 (``_unit``): dZ_L = A - Y carries an absolute error of a few
roundoffs of A whatever its own size, so where outputs saturate toward their labels a float32
gradient is ~1e-2 off relatively while ~1e-7 off on that scale.
- float64, one step: rtol 1e-12. eps is 1.1e-16; the core sums in another order than numpy
  (SIMD lanes, register tiles, explicit FMA): a few ulp per reduction over at most 211 examples
  and depth <= 4, ~1e-14, two orders below.
- float64, a few steps (<= 25): rtol 1e-11 for gd and momentum, the per-step error carried.
- Adam: rtol 1e-10 (float64), plus ``_adam_atol``: its step divides by sqrt(s) + 1e-8, so a
  gradient entry near 0 amplifies its absolute error by lr / sqrt(s) (bounded per step by 2 lr).
- float32: the float32 core against float64 numpy on the same float32-rounded inputs: rtol 1e-4.
  eps is 6e-8 per rounding; a step through 4 layers of width <= 33 over 211 examples
  accumulates some hundred roundings per output (~1e-5 relative in the worst case), plus the
  rounding of the stored float32 parameters (one ulp, added in ``_compare_step``).
- costs: the same rtol as the parameters (a sum of positive terms: no cancellation); the numpy
  cost is the stable form from Z (the reference's log(1 - AL) is not, see ``_log_error``).
- ReLU kinks: see KINK (problems with a pre-activation within rounding of 0 are redrawn;
  several-step float32 runs use tanh).
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import nncore
from nncore import _core
from nncore import reference as ref
from nncore._types import LayerCache

RTOL_STEP = {np.float64: 1e-12, np.float32: 1e-4}
RTOL_STEPS = {np.float64: 1e-11, np.float32: 1e-4}
RTOL_ADAM = {np.float64: 1e-10, np.float32: 1e-4}
# 200 unit roundoffs, times the size of a gradient whose output errors are all 1 (_unit).
ATOL_UNIT = {np.float64: 200 * 2.0**-53, np.float32: 200 * 2.0**-24}

# 600 and 1100: several blocks of columns (kBlockColumns = 512), on the thread pool.
M_VALUES = [1, 2, 3, 5, 7, 63, 64, 65, 211, 600, 1100]

# (layers_dims, output); _fused(dims, output) says whether the core takes the fused step.
SHAPES = [
    ([3, 7, 1], "sigmoid"),
    ([2, 10, 5, 1], "sigmoid"),
    ([5, 1, 4, 1], "sigmoid"),
    ([4, 32, 32, 1], "sigmoid"),  # 32 * 32 = 1024 weights: fused
    ([4, 33, 32, 1], "sigmoid"),  # 32 * 33 = 1056 > 1024: unfused
    ([2, 3, 2], "sigmoid"),  # two sigmoid outputs
    ([3, 6, 3], "identity"),
    ([4, 9, 5, 2], "identity"),
]


def _fused(dims, output):
    """The core's condition for the fused step (fused_step_applies)."""
    return output != "softmax" and all(dims[l + 1] * dims[l] <= 1024 for l in range(len(dims) - 1))


def _seed():
    """A fresh seed (or the one in NNCORE_TEST_SEED, to replay a failure)."""
    given = os.environ.get("NNCORE_TEST_SEED")
    return int(given) if given else int(np.random.SeedSequence().entropy) % 2**63


def _problem(dims, m, output, rng, dtype):
    """Random X, Y, He-scaled parameters, rounded to dtype (the numpy side uses the same values
    in float64)."""
    X = rng.standard_normal((dims[0], m)).astype(dtype)
    if output == "sigmoid":
        Y = (rng.random((dims[-1], m)) > 0.5).astype(dtype)
    else:
        Y = rng.standard_normal((dims[-1], m)).astype(dtype)
    p = {}
    for l in range(1, len(dims)):
        W = rng.standard_normal((dims[l], dims[l - 1])) * np.sqrt(2 / dims[l - 1])
        p[f"W{l}"] = W.astype(dtype)
        p[f"b{l}"] = (rng.standard_normal((dims[l], 1)) * 0.1).astype(dtype)
    return X, Y, p


# A ReLU's derivative jumps at 0: where a pre-activation of the float64 run lies within the
# other run's rounding of 0, the two take different branches and no tolerance bounds the
# difference. Such problems are redrawn: KINK is the least |Z| / (|W| |A_prev| + |b|) kept, for
# one step from the same inputs (float32 rounds Z to ~n_in eps = 2e-6 of that scale at worst)
# and for runs of several steps in float64. A float32 run of several steps drifts from float64
# by ~1e-5 relative, and over the tens of thousands of (unit, example, step) pre-activations
# of the larger cases some always fall that close to 0: several-step float32 runs with ReLU
# are not compared (ReLU float32 gets single steps; several steps use tanh in float32).
KINK = {np.float64: 1e-12, np.float32: 1e-5}
KINK_STEPS = {np.float64: 1e-10}
DRAWS = 50


def _drawn(dims, m, output, rng, dtype, numpy_run, kink=KINK_STEPS):
    """A problem and ``numpy_run(X, Y, p, margins)`` on it, redrawn while a ReLU margin is
    below kink[dtype]."""
    for _ in range(DRAWS):
        X, Y, p = _problem(dims, m, output, rng, dtype)
        margins = []
        out = numpy_run(X, Y, p, margins)
        if min(margins, default=np.inf) >= kink.get(dtype, np.inf):
            return X, Y, p, out
    raise AssertionError(f"no problem with ReLU margins above {kink.get(dtype)} in {DRAWS} draws")


def _f64(d):
    return {k: np.asarray(v, dtype=np.float64) for k, v in d.items()}


# ---------------------------------------------------------------------------------------------
# The numpy side: one forward/backward pass and a training loop, in float64
# ---------------------------------------------------------------------------------------------


def _sigmoid(Z):
    with np.errstate(over="ignore"):
        e = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1 / (1 + e), e / (1 + e))


def _np_pass(p, X, Y, hidden, output, lambd=0.0, keep_prob=1.0, masks=None, margins=None):
    """(cost, grads) of the course's cost at p on (X, Y); masks[l - 1] is hidden layer l's.
    With relu, appends to ``margins`` how far the pre-activations are from the kink: the least
    |Z| / (|W| |A_prev| + |b|)."""
    L = len(p) // 2
    m = X.shape[1]
    A = X
    below = []  # (A_prev, Z, H, D) of each layer
    for l in range(1, L + 1):
        Z = p[f"W{l}"] @ A + p[f"b{l}"]
        if l == L:
            below.append((A, Z, None, None))
            break
        H = np.maximum(Z, 0) if hidden == "relu" else np.tanh(Z)
        if hidden == "relu" and margins is not None:
            size = np.abs(p[f"W{l}"]) @ np.abs(A) + np.abs(p[f"b{l}"])
            margins.append(float((np.abs(Z) / np.maximum(size, 1e-300)).min()))
        D = masks[l - 1] if masks is not None else None
        below.append((A, Z, H, D))
        A = H if D is None else H * D / keep_prob
    if output == "sigmoid":
        # -(y log a + (1 - y) log(1 - a)) = log(1 + e^z) - y z = max(z, 0) - y z +
        # log1p(e^-|z|) (for y in {0, 1} the first two are 0 or |z|, exactly: no cancellation
        # where the output is saturated toward its label, unlike logaddexp(0, z) - y z).
        with np.errstate(under="ignore"):
            cost = np.sum(np.maximum(Z, 0) - Y * Z + np.log1p(np.exp(-np.abs(Z)))) / m
        dZ = _sigmoid(Z) - Y
    else:
        cost = np.sum((Z - Y) ** 2) / (2 * m)
        dZ = Z - Y
    cost += lambd / (2 * m) * sum(np.sum(p[f"W{l}"] ** 2) for l in range(1, L + 1))
    grads = {}
    for l in range(L, 0, -1):
        A_prev = below[l - 1][0]
        grads[f"dW{l}"] = dZ @ A_prev.T / m + lambd / m * p[f"W{l}"]
        grads[f"db{l}"] = dZ.sum(axis=1, keepdims=True) / m
        if l > 1:
            dA = p[f"W{l}"].T @ dZ
            _, Zb, Hb, Db = below[l - 2]
            if Db is not None:
                dA = dA * Db / keep_prob
            dZ = dA * (Zb > 0) if hidden == "relu" else dA * (1 - Hb**2)
    return float(cost), grads


def _unit(p, X, hidden, lambd=0.0, keep_prob=1.0):
    """Bounds of the gradients' size with every output error dZ_L at 1: forward, bounds of
    |A| (|g(z)| <= |z| <= |W| |A_prev| + |b|, tanh also <= 1; dropout <= 1 / keep_prob), then
    the backward pass on |W| (activation derivatives <= 1). dZ_L = A - Y is formed from A, so
    it carries an absolute error of a few unit roundoffs whatever its own size (an output
    saturated toward its label: dZ_L ~ 1e-5 in float32 is then ~1e-2 relative); the error of a
    gradient is that many roundoffs of this bound, not of the gradient itself."""
    p, X = _f64(p), X.astype(np.float64)
    L = len(p) // 2
    m = X.shape[1]
    A = [np.abs(X)]
    for l in range(1, L):
        bound = np.abs(p[f"W{l}"]) @ A[-1] + np.abs(p[f"b{l}"])
        if hidden == "tanh":
            bound = np.minimum(bound, 1.0)
        A.append(bound / keep_prob)
    dZ = np.ones((p[f"W{L}"].shape[0], m))
    unit = {}
    for l in range(L, 0, -1):
        W = np.abs(p[f"W{l}"])
        unit[f"W{l}"] = dZ @ A[l - 1].T / m + lambd / m * W
        unit[f"b{l}"] = dZ.sum(axis=1, keepdims=True) / m
        dZ = W.T @ dZ / keep_prob
    return unit


def _masks(dims, seed, step, m, keep_prob):
    """The core's Philox masks of the hidden layers for global step ``step`` (layers from 1)."""
    return [
        _core.f64.dropout_mask(seed, step, l, dims[l], m, keep_prob)
        for l in range(1, len(dims) - 1)
    ]


def _np_train(p, X, Y, dims, hidden, output, *, optimizer="gd", learning_rate=0.1,
              num_epochs=1, mini_batch_size=None, lambd=0.0, keep_prob=1.0, shuffle_seed=10,
              dropout_seed=0, beta=0.9, beta1=0.9, beta2=0.999, epsilon=1e-8,
              margins=None, adam_ratios=None):  # fmt: skip
    """The course's training loop: epoch i shuffles with np.random.RandomState(shuffle_seed +
    i + 1).permutation(m) (minibatches only); the dropout masks of global step k (from 0) are
    the core's dropout_mask(dropout_seed, k, layer, n, batch size, keep_prob). With Adam,
    appends to ``adam_ratios`` each step's lr * _unit / (sqrt(s_corrected) + epsilon)."""
    p = _f64(p)
    X, Y = X.astype(np.float64), Y.astype(np.float64)
    m = X.shape[1]
    v = {f"d{k}": np.zeros_like(a) for k, a in p.items()}
    s = {f"d{k}": np.zeros_like(a) for k, a in p.items()}
    t = step = 0
    costs = []
    for epoch in range(num_epochs):
        if mini_batch_size is None:
            batches = [np.arange(m)]
        else:
            perm = np.random.RandomState(shuffle_seed + epoch + 1).permutation(m)
            batches = [perm[k : k + mini_batch_size] for k in range(0, m, mini_batch_size)]
        total = 0.0
        for cols in batches:
            masks = None
            if keep_prob < 1:
                masks = _masks(dims, dropout_seed, step, len(cols), keep_prob)
            cost, g = _np_pass(p, X[:, cols], Y[:, cols], hidden, output, lambd, keep_prob,
                               masks, margins)  # fmt: skip
            total += cost * len(cols)
            step += 1
            t += 1
            if optimizer == "adam" and adam_ratios is not None:
                unit = _unit(p, X[:, cols], hidden, lambd, keep_prob)
                adam_ratios.append({})
            for k in p:
                d = g[f"d{k}"]
                if optimizer == "gd":
                    p[k] = p[k] - learning_rate * d
                elif optimizer == "momentum":
                    v[f"d{k}"] = beta * v[f"d{k}"] + (1 - beta) * d
                    p[k] = p[k] - learning_rate * v[f"d{k}"]
                else:
                    v[f"d{k}"] = beta1 * v[f"d{k}"] + (1 - beta1) * d
                    s[f"d{k}"] = beta2 * s[f"d{k}"] + (1 - beta2) * d**2
                    vc = v[f"d{k}"] / (1 - beta1**t)
                    sc = s[f"d{k}"] / (1 - beta2**t)
                    p[k] = p[k] - learning_rate * vc / (np.sqrt(sc) + epsilon)
                    if adam_ratios is not None:
                        adam_ratios[-1][k] = learning_rate * unit[k] / (np.sqrt(sc) + epsilon)
        costs.append(cost if mini_batch_size is None else total / m)
    return p, costs


# ---------------------------------------------------------------------------------------------
# The core side and comparisons
# ---------------------------------------------------------------------------------------------


def _core_train(p, X, Y, hidden, output, *, via, seed=10, **kwargs):
    """Train from p with the core: ``via="model"`` (sigmoid output, shuffle seed 10, dropout
    seed 0) or ``via="network"`` (Network.fit with ``seed``: shuffle and dropout seed)."""
    if via == "model":
        assert output == "sigmoid"
        params, costs = nncore.model(X, Y, [X.shape[0]] + [p[f"W{l}"].shape[0]
                                                          for l in range(1, len(p) // 2 + 1)],
                                     initialization=p, hidden_activation=hidden,
                                     on_nonfinite="raise", **kwargs)  # fmt: skip
        return params, list(costs)
    net = nncore.Network.from_parameters(p, hidden, output, seed=seed)
    kwargs.setdefault("optimizer", "gd")
    net.fit(X, Y, **kwargs)
    return net.parameters, list(net.costs)


def _close(actual, expected, rtol, what):
    expected = np.asarray(expected, dtype=np.float64)
    scale = float(np.abs(expected).max(initial=0.0))
    np.testing.assert_allclose(
        np.asarray(actual, dtype=np.float64), expected, rtol=rtol, atol=rtol * scale,
        err_msg=what,
    )  # fmt: skip


def _compare(params, costs, rparams, rcosts, dtype, rtol, what, atol=None):
    """Costs to rtol; parameters to rtol (atol rtol * the array's scale) plus ``atol[k]``."""
    assert len(costs) == len(rcosts), what
    np.testing.assert_allclose(costs, rcosts, rtol=rtol, err_msg=f"costs {what}")
    for k, a in rparams.items():
        assert params[k].dtype == dtype, what
        tol = rtol * np.abs(a).max() + (0.0 if atol is None else atol[k])
        bad = np.abs(params[k].astype(np.float64) - a) > rtol * np.abs(a) + tol
        assert not bad.any(), (
            f"{k} {what}: at {np.argwhere(bad)[:3].tolist()} got "
            f"{params[k][bad][:3]} expected {a[bad][:3]} "
            f"(tolerance {np.broadcast_to(tol, a.shape)[bad][:3]})"
        )


def _gd_atol(unit, dtype, lr, steps):
    """The rounding a gd or momentum run may carry: ATOL_UNIT of every step's bound."""
    return {k: ATOL_UNIT[dtype] * lr * steps * u for k, u in unit.items()}


def _adam_atol(dtype, lr, ratios):
    """Adam's step lr v / (sqrt(s) + eps) divides by the gradient's own size: an absolute
    gradient error of ATOL_UNIT * _unit (see _unit) moves it by lr * that / (sqrt(s) + eps),
    through v and (as much again) through s, at most by 2 lr (a sign flip) per step; plus
    RTOL_ADAM of the distance lr * steps the run can move a parameter."""
    steps = len(ratios)
    return {k: RTOL_ADAM[dtype] * lr * steps
            + sum(np.minimum(2 * lr, 2 * ATOL_UNIT[dtype] * r[k]) for r in ratios)
            for k in ratios[0]}  # fmt: skip


def _compare_step(before, params, g, lr, dtype, rtol, what, unit):
    """The core's step before - params against lr * g (numpy's gradient): rtol of the step,
    ATOL_UNIT of its bound (_unit), plus the rounding of the stored parameters (one ulp)."""
    for k, b in before.items():
        step = b.astype(np.float64) - params[k].astype(np.float64)
        expected = lr * g[f"d{k}"]
        ulp = np.spacing(np.abs(params[k]).astype(dtype)).astype(np.float64)
        tol = rtol * np.abs(expected).max() + ATOL_UNIT[dtype] * lr * unit[k] + ulp
        bad = np.abs(step - expected) > tol
        assert not bad.any(), (
            f"step of {k} {what}: at {np.argwhere(bad)[:3].tolist()} got "
            f"{step[bad][:3]} expected {expected[bad][:3]}"
        )


# ---------------------------------------------------------------------------------------------
# 1, 4, 5. Full batch gd: one step and a few, with and without L2, on both sides of the boundary
# ---------------------------------------------------------------------------------------------


def test_the_shapes_cover_both_paths():
    fused = {_fused(dims, output) for dims, output in SHAPES + BOUNDARY}
    assert fused == {True, False}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("hidden", ["relu", "tanh"])
@pytest.mark.parametrize(("dims", "output"), SHAPES, ids=lambda x: str(x))
def test_full_batch_steps_match_numpy(isa, dims, output, hidden, dtype):
    seed = _seed()
    rng = np.random.default_rng(seed)
    lr = 0.5
    via = "model" if output == "sigmoid" and dims[-1] == 1 else "network"
    for m in M_VALUES:
        lambd = [0.0, 0.7][m % 2]

        several = hidden == "tanh" or dtype == np.float64

        def numpy_run(X, Y, p, margins, lambd=lambd, several=several):
            one = _np_pass(_f64(p), X.astype(np.float64), Y.astype(np.float64), hidden, output,
                           lambd)  # fmt: skip
            train1 = _np_train(p, X, Y, dims, hidden, output, learning_rate=lr, lambd=lambd,
                               margins=margins)  # fmt: skip
            train4 = None
            if several:
                four_margins = []
                train4 = _np_train(p, X, Y, dims, hidden, output, learning_rate=0.1,
                                   num_epochs=4, lambd=lambd, margins=four_margins)  # fmt: skip
                if min(four_margins, default=np.inf) < KINK_STEPS[np.float64]:
                    margins.append(0.0)  # redraw
            return one, train1, train4

        X, Y, p, ((cost, g), (rparams, rcosts), four) = _drawn(dims, m, output, rng, dtype,
                                                               numpy_run, KINK)  # fmt: skip
        what = f"m={m} lambd={lambd} via={via} fused={_fused(dims, output)} seed={seed}"
        # One step: the cost at p and the step -lr * gradient.
        params, costs = _core_train(p, X, Y, hidden, output, via=via, learning_rate=lr,
                                    num_epochs=1, mini_batch_size=None, lambd=lambd)  # fmt: skip
        assert rcosts == [pytest.approx(cost, rel=1e-14)]  # numpy vs numpy
        unit = _unit(p, X, hidden, lambd)
        _compare(params, costs, rparams, rcosts, dtype, RTOL_STEP[dtype], f"1 step {what}",
                 _gd_atol(unit, dtype, lr, 1))  # fmt: skip
        _compare_step(p, params, g, lr, dtype, RTOL_STEP[dtype], what, unit)
        if not several:
            continue
        # A few steps, at a rate that keeps every case stable (at 0.5 some identity problems
        # oscillate with a growing cost, and that amplifies rounding by a factor per step).
        params, costs = _core_train(p, X, Y, hidden, output, via=via, learning_rate=0.1,
                                    num_epochs=4, mini_batch_size=None, lambd=lambd)  # fmt: skip
        rparams, rcosts = four
        _compare(params, costs, rparams, rcosts, dtype, RTOL_STEPS[dtype], f"4 steps {what}",
                 _gd_atol(unit, dtype, 0.1, 4))  # fmt: skip


def _log_error(AL):
    """The rounding of the reference's cost -(y log a + (1 - y) log(1 - a)) / m: a (and 1 - a)
    carry an absolute error of about eps, that is eps / min(a, 1 - a) relative, which the log
    turns into an absolute error (the test's cost from Z has none of it)."""
    eps = np.finfo(np.float64).eps
    return 4 * eps * float(np.sum(1 / np.minimum(AL, 1 - AL))) / AL.shape[1]


def test_numpy_side_equals_the_reference():
    """The test's numpy pass against nncore.reference on the course's case (one sigmoid
    output), so both stand for the course's formulas."""
    seed = _seed()
    rng = np.random.default_rng(seed)
    for hidden in ("relu", "tanh"):
        X, Y, p = _problem([4, 9, 5, 1], 37, "sigmoid", rng, np.float64)
        cost, g = _np_pass(p, X, Y, hidden, "sigmoid", lambd=0.3)
        AL, caches = ref.forward_propagation(X, p, hidden)
        assert cost == pytest.approx(
            ref.compute_cost_with_regularization(AL, Y, p, 0.3), rel=1e-12, abs=_log_error(AL)
        ), seed
        rg = ref.backward_propagation_with_regularization(X, Y, caches, 0.3, hidden)
        for k in g:
            _close(g[k], rg[k], 1e-12, f"{k} {hidden} seed={seed}")
        # Dropout: the reference's forward formulas with the core's masks in its caches.
        masks = _masks([4, 9, 5, 1], 3, 5, 37, 0.6)
        cost, g = _np_pass(p, X, Y, hidden, "sigmoid", keep_prob=0.6, masks=masks)
        caches, A_prev = [], X
        for l in (1, 2, 3):
            W, b = p[f"W{l}"], p[f"b{l}"]
            Z = W @ A_prev + b
            act = hidden if l < 3 else "sigmoid"
            A = {"relu": ref.relu, "tanh": np.tanh, "sigmoid": ref.sigmoid}[act](Z)
            D = masks[l - 1] if l < 3 else None
            caches.append(LayerCache(A_prev, W, b, Z, A, D, act))
            A_prev = A if D is None else A * D / 0.6
        assert cost == pytest.approx(ref.compute_cost(A, Y), rel=1e-12, abs=_log_error(A)), seed
        rg = ref.backward_propagation_with_dropout(X, Y, caches, 0.6)
        for k in g:
            _close(g[k], rg[k], 1e-12, f"dropout {k} {hidden} seed={seed}")


BOUNDARY = [
    ([1, 1024, 1], "sigmoid"),  # 1024 * 1: fused
    ([1, 1025, 1], "sigmoid"),  # 1025: unfused
    ([2, 512, 1], "identity"),  # 1024: fused
    ([2, 513, 1], "identity"),  # 1026: unfused
    ([1024, 1, 1], "sigmoid"),  # fused
    ([1025, 1, 1], "sigmoid"),  # unfused
    ([3, 32, 32, 2], "sigmoid"),  # fused
    ([3, 32, 33, 2], "sigmoid"),  # 33 * 32 = 1056: unfused
    ([3, 8, 128, 1], "sigmoid"),  # 128 * 8 = 1024: fused
    ([3, 8, 129, 1], "sigmoid"),  # 1032: unfused
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("dims", "output"), BOUNDARY, ids=lambda x: str(x))
def test_both_sides_of_the_fused_boundary(isa, dims, output, dtype):
    seed = _seed()
    rng = np.random.default_rng(seed)
    for m in (5, 67):
        for hidden, lambd in (("relu", 0.0), ("tanh", 0.4)):
            steps = 1 if hidden == "relu" and dtype == np.float32 else 2
            kwargs = {"learning_rate": 0.1, "num_epochs": steps, "lambd": lambd}

            def numpy_run(X, Y, p, margins, hidden=hidden, kwargs=kwargs):
                return _np_train(p, X, Y, dims, hidden, output, margins=margins, **kwargs)

            X, Y, p, (rparams, rcosts) = _drawn(dims, m, output, rng, dtype, numpy_run,
                                                KINK if steps == 1 else KINK_STEPS)  # fmt: skip
            what = f"m={m} fused={_fused(dims, output)} seed={seed}"
            params, costs = _core_train(p, X, Y, hidden, output, via="network",
                                        mini_batch_size=None, **kwargs)  # fmt: skip
            _compare(params, costs, rparams, rcosts, dtype, RTOL_STEPS[dtype],
                     f"{hidden} {what}",
                     _gd_atol(_unit(p, X, hidden, lambd), dtype, 0.1, steps))  # fmt: skip


# ---------------------------------------------------------------------------------------------
# 2. Minibatches with a short last batch, momentum and Adam, against nncore.reference.model
# ---------------------------------------------------------------------------------------------

MINIBATCH_SHAPES = [[3, 7, 1], [2, 10, 5, 1], [5, 1, 4, 1], [4, 32, 32, 1], [4, 33, 32, 1]]


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
@pytest.mark.parametrize("hidden", ["relu", "tanh"])
@pytest.mark.parametrize("dims", MINIBATCH_SHAPES, ids=str)
def test_minibatches_match_the_reference_model(isa, dims, hidden, optimizer):
    seed = _seed()
    rng = np.random.default_rng(seed)
    kwargs = {"optimizer": optimizer, "mini_batch_size": 16, "num_epochs": 5,
              "learning_rate": 0.01 if optimizer == "adam" else 0.1, "lambd": 0.3,
              "hidden_activation": hidden}  # fmt: skip
    np_kwargs = {k: v for k, v in kwargs.items() if k != "hidden_activation"}
    lr, steps = kwargs["learning_rate"], 5 * 5  # batches 16, 16, 16, 16, 3

    ratios = []

    def numpy_run(X, Y, p, margins):
        ratios.clear()
        return _np_train(p, X, Y, dims, hidden, "sigmoid", margins=margins, adam_ratios=ratios,
                         **np_kwargs)  # fmt: skip

    # Drawn in float32; float64 trains on the same float32-rounded values.
    X32, Y, p32, (_, rcosts) = _drawn(dims, 67, "sigmoid", rng, np.float32, numpy_run,
                                      {np.float32: KINK_STEPS[np.float64]})  # fmt: skip
    X, p = X32.astype(np.float64), _f64(p32)
    Y = Y.astype(np.float64)
    what = f"{optimizer} fused={_fused(dims, 'sigmoid')} seed={seed}"
    # The parameters against the reference; the costs against the test's numpy loop (same
    # steps), whose cost is the stable form: the reference's log(1 - AL) loses digits where an
    # output saturates against its label (about eps / (1 - AL) per such term: 1e-9 relative
    # on these random problems).
    rparams, _ = ref.model(X, Y, dims, initialization=p, **kwargs)
    rtol = RTOL_ADAM if optimizer == "adam" else RTOL_STEPS

    def atol(dtype):
        if optimizer == "adam":
            return _adam_atol(dtype, lr, ratios)
        return _gd_atol(_unit(p, X, hidden, 0.3), dtype, lr, steps)

    params, costs = nncore.model(X, Y, dims, initialization=p, **kwargs)
    _compare(params, costs, rparams, rcosts, np.float64, rtol[np.float64], what,
             atol(np.float64))  # fmt: skip
    # float32 follows the float64 run: costs and parameters within float32's tolerance (tanh:
    # see KINK).
    if hidden == "relu":
        return
    params, costs = nncore.model(X32, Y, dims, initialization=p32, **kwargs)
    _compare(params, costs, rparams, rcosts, np.float32, rtol[np.float32], f"float32 {what}",
             atol(np.float32))  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("dims", "output"), [([2, 3, 2], "sigmoid"), ([3, 6, 3], "identity"),
                                              ([4, 33, 32, 2], "sigmoid")])  # fmt: skip
def test_minibatches_of_other_outputs_match_numpy(isa, dims, output, dtype):
    seed = _seed()
    rng = np.random.default_rng(seed)
    X, Y, p = _problem(dims, 67, output, rng, dtype)
    net_seed = int(rng.integers(0, 2**31 - 100))
    for optimizer in ("momentum", "adam"):
        kwargs = {"optimizer": optimizer, "mini_batch_size": 16, "num_epochs": 3,
                  "learning_rate": 0.01, "lambd": 0.2}  # fmt: skip
        params, costs = _core_train(p, X, Y, "tanh", output, via="network", seed=net_seed,
                                    **kwargs)  # fmt: skip
        ratios = []
        rparams, rcosts = _np_train(p, X, Y, dims, "tanh", output, shuffle_seed=net_seed,
                                    adam_ratios=ratios, **kwargs)  # fmt: skip
        if optimizer == "adam":
            rtol, atol = RTOL_ADAM, _adam_atol(dtype, 0.01, ratios)
        else:
            rtol, atol = RTOL_STEPS, _gd_atol(_unit(p, X, "tanh", 0.2), dtype, 0.01, 3 * 5)
        _compare(params, costs, rparams, rcosts, dtype, rtol[dtype],
                 f"{optimizer} net seed {net_seed} seed={seed}", atol)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# 3. Dropout with the core's Philox masks
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("hidden", ["relu", "tanh"])
@pytest.mark.parametrize(("dims", "output"), [([3, 7, 1], "sigmoid"), ([2, 10, 5, 1], "sigmoid"),
                                              ([4, 32, 32, 1], "sigmoid"),
                                              ([4, 33, 32, 1], "sigmoid"),
                                              ([3, 6, 5, 2], "identity")], ids=str)  # fmt: skip
def test_dropout_step_matches_numpy_with_the_core_masks(isa, dims, output, hidden, dtype):
    seed = _seed()
    rng = np.random.default_rng(seed)
    kp = 0.7
    for m in (1, 3, 7, 64, 65):

        def numpy_run(X, Y, p, margins, m=m):
            return _np_pass(_f64(p), X.astype(np.float64), Y.astype(np.float64), hidden,
                            output, 0.2, kp, _masks(dims, 0, 0, m, kp), margins)  # fmt: skip

        X, Y, p, (cost, g) = _drawn(dims, m, output, rng, dtype, numpy_run, KINK)
        what = f"m={m} fused={_fused(dims, output)} seed={seed}"
        # model: dropout seed 0, global step from 0.
        if output == "sigmoid":
            params, costs = _core_train(p, X, Y, hidden, output, via="model", learning_rate=0.5,
                                        num_epochs=1, mini_batch_size=None, keep_prob=kp,
                                        lambd=0.2)  # fmt: skip
            assert costs[0] == pytest.approx(cost, rel=RTOL_STEP[dtype]), what
            _compare_step(p, params, g, 0.5, dtype, RTOL_STEP[dtype], f"model {what}",
                          _unit(p, X, hidden, 0.2, kp))  # fmt: skip
        # Network.fit: dropout seed = the network's seed; the step counter goes on over calls.
        net_seed = int(rng.integers(0, 2**31 - 100))
        net = nncore.Network.from_parameters(p, hidden, output, seed=net_seed)
        net.fit(X, Y, optimizer="gd", learning_rate=0.5, mini_batch_size=None, num_epochs=2,
                keep_prob=kp)  # fmt: skip
        before = net.parameters
        net.fit(X, Y, optimizer="gd", learning_rate=0.5, mini_batch_size=None, num_epochs=1,
                keep_prob=kp)  # fmt: skip
        masks = _masks(dims, net_seed, 2, m, kp)  # the third step
        margins = []
        cost, g = _np_pass(_f64(before), X.astype(np.float64), Y.astype(np.float64), hidden,
                           output, 0.0, kp, masks, margins)  # fmt: skip
        if min(margins, default=np.inf) < KINK[dtype]:
            continue  # at a kink after the first two steps: not comparable (rare)
        assert net.costs[2] == pytest.approx(cost, rel=RTOL_STEP[dtype]), what
        _compare_step(before, net.parameters, g, 0.5, dtype, RTOL_STEP[dtype], f"net {what}",
                      _unit(before, X, hidden, 0.0, kp))  # fmt: skip


def test_dropout_masks_agree_between_dtypes():
    for n, m in ((1, 1), (5, 7), (33, 65)):
        a = _core.f64.dropout_mask(12, 3, 2, n, m, 0.7)
        b = _core.f32.dropout_mask(12, 3, 2, n, m, 0.7)
        np.testing.assert_array_equal(a, b)
        assert set(np.unique(a)) <= {0.0, 1.0}


@pytest.mark.parametrize(("hidden", "dtype"), [("relu", np.float64), ("tanh", np.float64),
                                               ("tanh", np.float32)])  # fmt: skip
@pytest.mark.parametrize("dims", [[3, 7, 1], [2, 10, 5, 1], [4, 33, 32, 1]], ids=str)
def test_dropout_with_minibatches_matches_numpy(isa, dims, hidden, dtype):
    """Masks of the batch size, fresh each step (the short last batch included)."""
    seed = _seed()
    rng = np.random.default_rng(seed)
    kwargs = {"optimizer": "momentum", "mini_batch_size": 16, "num_epochs": 3,
              "learning_rate": 0.1, "keep_prob": 0.8, "lambd": 0.1}  # fmt: skip

    def numpy_run(X, Y, p, margins):
        return _np_train(p, X, Y, dims, hidden, "sigmoid", margins=margins, **kwargs)

    X, Y, p, (rparams, rcosts) = _drawn(dims, 67, "sigmoid", rng, dtype, numpy_run)
    params, costs = _core_train(p, X, Y, hidden, "sigmoid", via="model", **kwargs)
    _compare(params, costs, rparams, rcosts, dtype, RTOL_STEPS[dtype],
             f"fused={_fused(dims, 'sigmoid')} seed={seed}",
             _gd_atol(_unit(p, X, hidden, 0.1, 0.8), dtype, 0.1, 3 * 5))  # fmt: skip


# ---------------------------------------------------------------------------------------------
# 6. Finite differences, without the reference
# ---------------------------------------------------------------------------------------------


def _course_cost(p, X, Y, hidden, output, lambd):
    """The course's cost, -(y log a + (1 - y) log(1 - a)) / m + L2, written out independently
    of _np_pass. Evaluated from Z as max(z, 0) - y z + log1p(e^-|z|) (equal for y in {0, 1}):
    on A, log(1 - a) of a saturated output carries a rounding of eps / (1 - a) that differences
    divide by h (1e-5 absolute with an output at 1 - 6e-7), far above the 1e-6 asked."""
    L = len(p) // 2
    A = X
    for l in range(1, L + 1):
        Z = p[f"W{l}"] @ A + p[f"b{l}"]
        if l < L:
            A = np.maximum(Z, 0) if hidden == "relu" else np.tanh(Z)
    m = X.shape[1]
    if output == "sigmoid":
        J = np.sum(np.maximum(Z, 0) - Y * Z + np.log1p(np.exp(-np.abs(Z)))) / m
    else:
        J = np.sum((Z - Y) ** 2) / (2 * m)
    return J + lambd / (2 * m) * sum(np.sum(p[f"W{l}"] ** 2) for l in range(1, L + 1))


@pytest.mark.parametrize("hidden", ["relu", "tanh"])
@pytest.mark.parametrize(("dims", "output", "m"), [([3, 4, 1], "sigmoid", 5),
                                                   ([2, 3, 2, 2], "sigmoid", 7),
                                                   ([3, 4, 2], "identity", 3)])  # fmt: skip
def test_first_step_is_minus_lr_times_the_numerical_gradient(
    isa, dims, output, m, hidden, central_differences
):
    """Central differences with h = 1e-6: truncation O(h^2) ~ 1e-12 and rounding
    ~ eps * J / h ~ 1e-10, both well below the 1e-6 relative asked of the step."""
    seed = _seed()
    rng = np.random.default_rng(seed)
    X, Y, p = _problem(dims, m, output, rng, np.float64)
    lr, lambd, h = 0.3, 0.2, 1e-6
    params, _ = _core_train(p, X, Y, hidden, output, via="network", learning_rate=lr,
                            num_epochs=1, mini_batch_size=None, lambd=lambd)  # fmt: skip
    fds = central_differences(lambda q: _course_cost(q, X, Y, hidden, output, lambd), p, h)
    for k, fd in fds.items():
        _close(p[k] - params[k], lr * fd, 1e-6, f"{k} seed={seed}")


# ---------------------------------------------------------------------------------------------
# 7. Non-finite parameters on the fused path
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("hidden", ["relu", "tanh"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("mini_batch_size", [None, 16])
def test_nonfinite_w1_raises_on_the_fused_path(isa, dtype, hidden, bad, mini_batch_size):
    assert _fused([2, 4, 1], "sigmoid")
    seed = _seed()
    rng = np.random.default_rng(seed)
    X, Y, p = _problem([2, 4, 1], 37, "sigmoid", rng, dtype)
    net = nncore.Network.from_parameters(p, hidden, seed=3)
    # Parameters given to the API must be finite: plant the value in the network's own buffer
    # (theta is W1, b1, W2, b2 flat; index 0 is W1[0, 0]).
    net._theta[0] = bad
    with pytest.raises(nncore.TrainingDiverged) as info:
        net.fit(X, Y, optimizer="gd", learning_rate=0.1, mini_batch_size=mini_batch_size,
                num_epochs=3)  # fmt: skip
    assert info.value.epoch == 0, f"seed={seed}"
    assert net.epochs == 0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mini_batch_size", [None, 16])
def test_model_warns_when_w1_overflows_on_the_fused_path(isa, dtype, mini_batch_size):
    """model() refuses non-finite initial parameters, so W1 is made infinite by the training:
    the largest float as learning rate turns W1 to inf in the first step; the next steps run
    the fused step with inf in W1."""
    seed = _seed()
    rng = np.random.default_rng(seed)
    X, Y, p = _problem([2, 4, 1], 37, "sigmoid", rng, dtype)
    X = X * 10
    lr = float(np.finfo(dtype).max)
    with pytest.warns(RuntimeWarning, match="training diverged") as record:
        params, costs = nncore.model(X, Y, [2, 4, 1], initialization=p, learning_rate=lr,
                                     mini_batch_size=mini_batch_size, num_epochs=3,
                                     optimizer="gd")  # fmt: skip
    assert len(record) == 1, f"seed={seed}"
    assert len(costs) == 3
    assert not all(np.isfinite(a).all() for a in params.values()), f"seed={seed}"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(nncore.TrainingDiverged):
            nncore.model(X, Y, [2, 4, 1], initialization=p, learning_rate=lr,
                         mini_batch_size=mini_batch_size, num_epochs=3, optimizer="gd",
                         on_nonfinite="raise")  # fmt: skip


# Logits where the sigmoid's exp(-|z|) and log1p need care: 0 and tiny, around
# asinh(1) = 0.8814 (1 + exp(-|z|) = sqrt(2), where the core's float64 log1p changes its
# reduction), where float64 and float32 exp(-|z|) leave the normal range (708, 87) and
# underflow (745, 103), and large.
SIGMOID_LOGITS = [0.0, 1e-300, 1e-17, 1e-8, 0.5, 0.8813735870195429, 0.8813735870195432, 1.0,
                  2.5, 17.0, 36.7, 37.0, 87.0, 88.8, 103.9, 200.0, 707.9, 708.1, 709.8, 745.2,
                  760.0, 1e4]  # fmt: skip


def _sigmoid_exact(z: float, y: float) -> tuple[float, float]:
    """(cost term, dZ, A) of one example to ~40 digits: max(z, 0) - z y + log(1 + exp(-|z|)),
    sigmoid(z) - y."""
    import decimal

    with decimal.localcontext() as ctx:
        ctx.prec = 80  # z and z * y exactly (a float64 has up to 767 digits, 17 significant)
        d = decimal.Decimal(z)
        u = (-abs(d)).exp()
        # log1p(u): the series where 1 + u would round u's digits away at this precision
        log1p = u - u * u / 2 + u * u * u / 3 if u < decimal.Decimal("1e-12") else (1 + u).ln()
        term = max(d, decimal.Decimal(0)) - d * decimal.Decimal(y) + log1p
        a = 1 / (1 + u) if d >= 0 else u / (1 + u)
        return float(term), float(a - decimal.Decimal(y)), float(a)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("label", [0.0, 1.0])
def test_sigmoid_output_is_accurate_at_any_logit(isa, dtype, label):
    """The fused output layer's cost term and dZ for single examples, against 40-digit decimal
    arithmetic: the cost within 8 ulp, dZ within 4 ulp of A plus 1 ulp of dZ (A - Y cancels)
    plus the smallest normal number (exp(-|z|) below it may be flushed to 0)."""
    eps, tiny = float(np.finfo(dtype).eps), float(np.finfo(dtype).tiny)
    for z in [s * v for v in SIGMOID_LOGITS for s in (1.0, -1.0)]:
        z = float(dtype(z))
        net = nncore.Network.from_parameters(
            {"W1": np.ones((1, 1), dtype), "b1": np.zeros((1, 1), dtype)}
        )
        X = np.array([[z]], dtype)
        Y = np.array([[label]], dtype)
        net.fit(X, Y, optimizer="gd", learning_rate=1.0, num_epochs=1)
        term, dz, a = _sigmoid_exact(z, float(dtype(label)))
        got_term = float(net.costs[0])
        got_dz = -float(net.parameters["b1"][0, 0])  # b1 = 0 - 1.0 * dZ / m, m = 1
        assert abs(got_term - term) <= 8 * eps * abs(term) + tiny, (z, got_term, term)
        assert abs(got_dz - dz) <= 4 * eps * abs(a) + eps * abs(dz) + tiny, (z, got_dz, dz)


def _exact_mean_cost(z: np.ndarray, y: np.ndarray) -> float:
    """The mean sigmoid cross-entropy of logits z, labels y, in 60-digit decimal arithmetic."""
    import decimal

    with decimal.localcontext() as ctx:
        ctx.prec = 60
        total = decimal.Decimal(0)
        for zj, yj in zip(z.tolist(), y.tolist()):
            d = decimal.Decimal(zj)
            u = (-abs(d)).exp()
            log1p = u - u * u / 2 + u * u * u / 3 if u < decimal.Decimal("1e-15") else (1 + u).ln()
            total += max(d, decimal.Decimal(0)) - d * decimal.Decimal(yj) + log1p
        return float(total / len(z))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("regime", ["mixed", "saturated", "zero", "wrong"])
@pytest.mark.parametrize("m", [1, 6, 37, 300, 1029])
def test_sigmoid_batch_cost_is_accurate(isa, dtype, regime, m):
    """The fused output's mean cost over a batch against 60-digit arithmetic. The core sums the
    log1p(exp(-|z|)) terms as the log of a product (see log1p_products in kernels.cpp), so
    this covers what single examples do not: many factors (all logits 0: a product of 2^m,
    over several blocks at m = 1029), terms of 1e-13 and below that 1 + u would round away
    (logits of 30 to 700 on the right side), large wrong-side logits, odd m (padding lanes
    that must not count). Within 8 ulp, as for single examples; the worst case of the
    analysis in kernels.cpp is about 3 m ulp, the largest error seen (both targets, both dtypes)
    was 1.2 ulp."""
    rng = np.random.default_rng(20261126 + m)
    eps = float(np.finfo(dtype).eps)
    y = (rng.random(m) < 0.5).astype(dtype)
    sign = np.where(y == 1, 1.0, -1.0)
    if regime == "mixed":
        z = rng.normal(0.0, 4.0, m)
    elif regime == "saturated":  # right side, exp(-|z|) from 1e-13 down to 1e-304
        z = sign * rng.uniform(30.0, 700.0 if dtype == np.float64 else 80.0, m)
    elif regime == "zero":
        z = np.zeros(m)
    else:  # wrong side, large
        z = -sign * rng.uniform(5.0, 60.0, m)
    z = z.astype(dtype)
    net = nncore.Network.from_parameters(
        {"W1": np.ones((1, 1), dtype), "b1": np.zeros((1, 1), dtype)}
    )
    net.fit(
        z[None, :], y[None, :], optimizer="gd", learning_rate=1e-3, mini_batch_size=m, num_epochs=1
    )
    got = float(net.costs[0])
    exact = _exact_mean_cost(z.astype(np.float64), y.astype(np.float64))
    assert abs(got - exact) <= 8 * eps * exact, (got, exact, (got - exact) / exact)
