"""Full-batch training on inputs wider than the batch by gd, momentum or Nesterov: the core
runs the first layer in its Gram form (cpp/src/wide_input.hpp), which must give the direct
loop's results up to rounding, hand out the right parameters at callbacks, and keep the
divergence check and continued training exact.

A callback at every epoch makes the Gram form not worth its one-off products, so the same
training with ``callback_every=1`` runs the direct loop: the two are compared here. The Gram
form sums in another order, so its results are not bitwise the direct ones; each comparison
also asserts that they differ, which shows that the two paths ran.
"""

from __future__ import annotations

import numpy as np
import pytest

import nncore
import nncore.reference as ref

DIMS = [600, 8, 5, 1]  # n_x = 600 features, m = 48 examples
M = 48


def _data(dtype="float64", seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((DIMS[0], M))
    teacher = rng.standard_normal(DIMS[0])
    Y = (teacher @ X > 0).reshape(1, M).astype(np.float64)
    return X.astype(dtype), Y.astype(dtype)


def _fit(direct, dtype="float64", epochs=60, every=None, calls=1, on_nonfinite="raise", **kw):
    """A Network trained full batch; ``direct`` adds a callback at every epoch (the direct
    loop). Returns the network and the parameters each periodic callback saw."""
    X, Y = _data(dtype)
    net = nncore.Network(DIMS, hidden_activation=kw.pop("hidden", "tanh"), seed=3, dtype=dtype)
    seen = []

    def callback(epoch, cost):
        if not direct:
            seen.append((epoch, {k: v.copy() for k, v in net.parameters.items()}))

    fit = dict(mini_batch_size=None, learning_rate=0.05, on_nonfinite=on_nonfinite)
    fit.update(kw)
    if direct:
        fit.update(callback=callback, callback_every=1)
    elif every is not None:
        fit.update(callback=callback, callback_every=every)
    for _ in range(calls):
        net.fit(X, Y, num_epochs=epochs // calls, **fit)
    return net, seen


def _params(net):
    return {k: np.asarray(v, dtype=np.float64) for k, v in net.parameters.items()}


def _close(a, b, rtol):
    return all(np.allclose(a[k], b[k], rtol=rtol, atol=rtol * np.max(np.abs(b[k]))) for k in b)


def _same(a, b):
    return all(np.array_equal(a[k], b[k]) for k in b)


@pytest.mark.parametrize(
    "opt",
    [
        dict(optimizer="gd"),
        dict(optimizer="gd", lambd=0.4),
        dict(optimizer="momentum", beta=0.9, lambd=0.2),
        dict(optimizer="nesterov", beta=0.8),
        dict(optimizer="momentum", beta=0.9, keep_prob=0.8),
        dict(optimizer="gd", lambd=0.3, keep_prob=0.7, hidden="relu"),
    ],
    ids=lambda d: "-".join(f"{k}={v}" for k, v in d.items()),
)
def test_gram_form_matches_direct_loop_float64(opt):
    gram, _ = _fit(False, **opt)
    direct, _ = _fit(True, **opt)
    a, b = _params(gram), _params(direct)
    assert not _same(a, b)  # the Gram form ran
    assert _close(a, b, 1e-11)
    np.testing.assert_allclose(gram.costs, direct.costs, rtol=1e-12)
    for key, value in direct.optimizer_state.items():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            np.testing.assert_allclose(
                gram.optimizer_state[key], value, rtol=1e-11, atol=1e-11 * np.max(np.abs(value))
            )


@pytest.mark.parametrize("optimizer", ["gd", "momentum"])
def test_gram_form_matches_direct_loop_float32(optimizer):
    gram, _ = _fit(False, dtype="float32", optimizer=optimizer, lambd=0.3)
    direct, _ = _fit(True, dtype="float32", optimizer=optimizer, lambd=0.3)
    a, b = _params(gram), _params(direct)
    assert not _same(a, b)
    assert _close(a, b, 2e-5)
    np.testing.assert_allclose(gram.costs, direct.costs, rtol=2e-6)


@pytest.mark.parametrize("optimizer", ["gd", "momentum"])
def test_gram_form_matches_reference(optimizer):
    X, Y = _data()
    init = nncore.initialize_parameters_he(DIMS, 3)
    kw = dict(optimizer=optimizer, learning_rate=0.05, mini_batch_size=None, num_epochs=60,
              lambd=0.3, print_cost=False)  # fmt: skip
    p_ref, c_ref = ref.model(X, Y, DIMS, initialization=dict(init), **kw)
    p_nn, c_nn = nncore.model(X, Y, DIMS, initialization=dict(init), **kw)
    assert not _same(p_nn, p_ref)
    assert _close(p_nn, p_ref, 1e-11)
    np.testing.assert_allclose(c_nn, c_ref, rtol=1e-12)


def test_callbacks_see_the_parameters_of_their_epoch():
    _, seen = _fit(False, epochs=90, every=30, optimizer="momentum", lambd=0.2)
    assert [e for e, _ in seen] == [30, 60, 90]
    for epoch, params in seen:
        direct, _ = _fit(True, epochs=epoch, optimizer="momentum", lambd=0.2)
        b = _params(direct)
        assert not _same(params, b)
        assert _close(params, b, 1e-11)


def test_continued_training_carries_the_velocity():
    # The second call starts with a non-zero velocity (V0 in the Gram form's basis).
    once, _ = _fit(False, epochs=80, optimizer="momentum", beta=0.9)
    twice, _ = _fit(False, epochs=80, calls=2, optimizer="momentum", beta=0.9)
    direct, _ = _fit(True, epochs=80, optimizer="momentum", beta=0.9)
    for net in (once, twice):
        assert _close(_params(net), _params(direct), 1e-11)
    assert not _same(_params(twice), _params(direct))


def test_divergence_puts_back_the_last_finite_state():
    kw = dict(epochs=40, optimizer="gd", learning_rate=1e40, hidden="relu")
    errors = []
    for direct in (False, True):
        with pytest.raises(nncore.TrainingDiverged) as error:
            _fit(direct, **kw)
        errors.append(error.value)
    gram, direct = errors
    assert (gram.epoch, gram.epochs_kept) == (direct.epoch, direct.epochs_kept)
    assert gram.epochs_kept >= 1  # a state the loop stepped to, restored from its snapshot
    assert all(np.all(np.isfinite(v)) for v in gram.parameters.values())
    assert _close(gram.parameters, direct.parameters, 1e-9)
