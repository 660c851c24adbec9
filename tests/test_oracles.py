"""Independent oracles for the core: finite differences (with L2, with dropout at fixed masks),
multi-step optimizer trajectories written out from the formulas, dropout-mask statistics,
and the GIL being released."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import nncore
from nncore import _core


def _problem(dims, m, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((dims[0], m))
    Y = (rng.random((1, m)) > 0.5).astype(np.float64)
    p = nncore.initialize_parameters_he(dims, seed=seed)
    p = {k: v + 0.05 * rng.standard_normal(v.shape) for k, v in p.items()}  # nonzero biases
    return X, Y, p


def _fd_check(p, grads, cost_at, eps=1e-6):
    """The course's measure ||g - fd|| / (||g|| + ||fd||) over every parameter."""
    fds, gs = [], []
    for key in p:
        for idx in np.ndindex(p[key].shape):
            plus = {k: v.copy() for k, v in p.items()}
            minus = {k: v.copy() for k, v in p.items()}
            plus[key][idx] += eps
            minus[key][idx] -= eps
            fds.append((cost_at(plus) - cost_at(minus)) / (2 * eps))
            gs.append(grads["d" + key][idx])
    fd, g = np.array(fds), np.array(gs)
    return np.linalg.norm(g - fd) / (np.linalg.norm(g) + np.linalg.norm(fd))


@pytest.mark.parametrize("hidden", ["tanh", "relu"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_finite_differences_with_l2(hidden, seed):
    X, Y, p = _problem([3, 6, 4, 1], 25, seed)
    _, caches = nncore.forward_propagation(X, p, hidden)
    if hidden == "relu":  # stay away from the kinks, where the derivative is not defined
        assert min(np.abs(caches[0]).min(), np.abs(caches[4]).min()) > 1e-4  # Z1, Z2
    grads = nncore.backward_propagation_with_regularization(X, Y, caches, 0.6, hidden)

    def cost_at(q):
        AL, _ = nncore.forward_propagation(X, q, hidden)
        return nncore.compute_cost_with_regularization(AL, Y, q, 0.6)

    assert _fd_check(p, grads, cost_at) < 1e-7


@pytest.mark.parametrize("seed", [4, 5])
def test_finite_differences_with_dropout_masks(seed):
    X, Y, p = _problem([3, 7, 5, 1], 30, seed)
    _, caches = nncore.forward_propagation_with_dropout(X, p, keep_prob=0.7, seed=seed)
    Z1, D1, _, _, _, Z2, D2 = caches[:7]  # the course's (Z, D, A, W, b) per hidden layer
    masks = [D1, D2]
    grads = nncore.backward_propagation_with_dropout(X, Y, caches, 0.7)

    def cost_at(q):
        AL, _ = nncore.forward_propagation_with_dropout(X, q, 0.7, masks=masks)
        return nncore.compute_cost(AL, Y)

    assert min(np.abs(Z1).min(), np.abs(Z2).min()) > 1e-4
    assert _fd_check(p, grads, cost_at) < 1e-7


def test_momentum_and_adam_trajectories():
    rng = np.random.default_rng(9)
    p = {"W1": rng.standard_normal((3, 2)), "b1": rng.standard_normal((3, 1))}
    grads_seq = [{"d" + k: rng.standard_normal(v.shape) for k, v in p.items()}
                 for _ in range(20)]  # fmt: skip
    lr, beta, b1, b2, eps = 0.01, 0.9, 0.8, 0.99, 1e-7

    # Momentum, written out.
    mine, v = dict(p), nncore.initialize_velocity(p)
    want = {k: a.copy() for k, a in p.items()}
    vel = {k: np.zeros_like(a) for k, a in p.items()}
    for g in grads_seq:
        mine, v = nncore.update_parameters_with_momentum(mine, g, v, beta, lr)
        for k in want:
            vel[k] = beta * vel[k] + (1 - beta) * g["d" + k]
            want[k] = want[k] - lr * vel[k]
    for k in want:
        np.testing.assert_allclose(mine[k], want[k], rtol=1e-12, atol=1e-15)

    # Adam, written out (bias correction with the step count t = 1, 2, ...).
    mine, (v, s) = dict(p), nncore.initialize_adam(p)
    want = {k: a.copy() for k, a in p.items()}
    m1 = {k: np.zeros_like(a) for k, a in p.items()}
    m2 = {k: np.zeros_like(a) for k, a in p.items()}
    for t, g in enumerate(grads_seq, start=1):
        mine, v, s, _, _ = nncore.update_parameters_with_adam(mine, g, v, s, t, lr, b1, b2, eps)
        for k in want:
            m1[k] = b1 * m1[k] + (1 - b1) * g["d" + k]
            m2[k] = b2 * m2[k] + (1 - b2) * g["d" + k] ** 2
            vhat, shat = m1[k] / (1 - b1**t), m2[k] / (1 - b2**t)
            want[k] = want[k] - lr * vhat / (np.sqrt(shat) + eps)
    for k in want:
        np.testing.assert_allclose(mine[k], want[k], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("keep_prob", [0.1, 0.5, 0.86, 0.999])
@pytest.mark.parametrize(("n", "m"), [(1, 1000), (33, 211), (64, 1024)])
def test_dropout_mask_statistics(keep_prob, n, m):
    D = _core.f64.dropout_mask(seed=42, step=7, layer=2, n=n, m=m, keep_prob=keep_prob)
    assert D.shape == (n, m)
    assert set(np.unique(D)) <= {0.0, 1.0}
    size = n * m
    bound = 5 * np.sqrt(keep_prob * (1 - keep_prob) / size) + 1 / size
    assert abs(D.mean() - keep_prob) < bound


def test_dropout_masks_are_pure_functions_of_seed_step_layer():
    mask = _core.f64.dropout_mask
    base = mask(1, 2, 3, 17, 33, 0.5)
    np.testing.assert_array_equal(base, mask(1, 2, 3, 17, 33, 0.5))
    for other in (mask(2, 2, 3, 17, 33, 0.5), mask(1, 3, 3, 17, 33, 0.5),
                  mask(1, 2, 4, 17, 33, 0.5)):  # fmt: skip
        assert not np.array_equal(base, other)
    np.testing.assert_array_equal(_core.f32.dropout_mask(1, 2, 3, 17, 33, 0.5), base)
    assert mask(1, 2, 3, 17, 33, 1.0).all()
    previous = _core.current_isa()
    try:
        for isa in _core.supported_isas():
            _core.set_isa(isa)
            np.testing.assert_array_equal(mask(1, 2, 3, 17, 33, 0.5), base)
    finally:
        _core.set_isa(previous)


def _mask_from_blocks(seed, step, layer, n, m, keep_prob):
    """The mask's definition, one scalar Philox block per four elements."""
    thr = 2**32 if keep_prob >= 1 else int(keep_prob * 4294967296.0)
    k0, k1 = seed & 0xFFFFFFFF, seed >> 32
    s0, s1 = step & 0xFFFFFFFF, step >> 32
    words = []
    for block in range((n * m + 3) // 4):
        words.extend(_core.philox4x32_10(block, layer, s0, s1, k0, k1))
    return (np.array(words[: n * m], dtype=np.uint64) < thr).astype(np.float64).reshape(n, m)


@pytest.mark.parametrize(
    ("n", "m"), [(1, 1), (1, 31), (1, 32), (1, 63), (1, 64), (1, 65), (3, 67), (20, 211), (7, 300)]
)
@pytest.mark.parametrize("keep_prob", [0.5, 0.86, 2.0**-33, 1.0])
def test_dropout_masks_match_the_scalar_philox_on_every_isa(n, m, keep_prob):
    seed, step, layer = 2**32 + 12345, 2**33 + 7, 2
    want = _mask_from_blocks(seed, step, layer, n, m, keep_prob)
    previous = _core.current_isa()
    try:
        for isa in _core.supported_isas():
            _core.set_isa(isa)
            for core in (_core.f64, _core.f32):
                got = core.dropout_mask(seed, step, layer, n, m, keep_prob)
                np.testing.assert_array_equal(got, want, err_msg=f"{isa} {got.dtype}")
    finally:
        _core.set_isa(previous)


def _spin(seconds: float) -> int:
    count, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        count += 1
    return count


def test_gil_is_released_during_training():
    """While the core trains in a thread, the main thread keeps running Python at a good part
    of its solo speed. Were the GIL held, it would run only until the thread took the GIL
    (one 5 ms switch interval) and after training: a few percent of that count at most."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2, 2000))
    Y = (X[:1] > 0).astype(np.float64)
    rate = _spin(0.1) / 0.1  # loop iterations per second, alone
    done = threading.Event()

    def train():
        nncore.model(X, Y, [2, 64, 64, 1], optimizer="adam", num_epochs=200)
        done.set()

    thread = threading.Thread(target=train)
    thread.start()
    start = time.perf_counter()
    count = 0
    while not done.is_set():
        if time.perf_counter() - start < 10:  # count only during the first 10 s
            count += 1
    elapsed = time.perf_counter() - start
    thread.join()
    assert elapsed > 0.1, "training too short to tell"
    assert count > 0.2 * rate * min(elapsed, 10)
