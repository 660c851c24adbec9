"""Frozen results: runs whose numbers must not change when the core is restructured.

``tests/data/frozen.npz`` holds the parameters, costs and optimizer state of a representative
set of runs (the course's shapes W1-W3 and a four-layer net; gd, momentum and Adam; full batch
and minibatches, including the two-block and three-block fused steps; dropout, L2, relu and tanh,
sigmoid, softmax and identity outputs; float64 and float32) and of single mirror calls (forward,
backward, optimizer updates), recorded on every SIMD target and with 1 and 2 threads. The test
reruns them and asks for bitwise equality, so a refactoring that reorders one floating-point
operation fails here. Results were already identical across thread counts; across SIMD targets
they differ (FMA, vector widths), which is why each target has its own arrays.

To record them again (only for a deliberate numerical change, stated in the commit):

    python tests/test_frozen.py --write
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import pytest

import nncore
from nncore import _core

DATA = Path(__file__).with_name("data") / "frozen.npz"
THREADS = (1, 2)
# Arrays larger than this are stored as their SHA-256 (of dtype, shape and bytes: still a bitwise
# check) and their first FULL elements (to show where a difference starts), to keep the file small.
FULL = 1024


def _moons(m, n_x, seed, dtype="float64", classes=2):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_x, m))
    if classes == 2:
        Y = (X[0:1] * X[-1:] + 0.3 * rng.standard_normal((1, m)) > 0).astype(float)
    else:
        Y = rng.integers(0, classes, (1, m)).astype(float)
    return X.astype(dtype), Y.astype(dtype)


def _regression(m, n_x, seed, dtype="float64"):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_x, m))
    Y = np.sin(X[0:1]) + 0.5 * X[1:2] ** 2
    return X.astype(dtype), Y.astype(dtype)


# name -> (Network arguments, data, fit arguments)
NETWORK_RUNS = {
    "w1_gd_full": (
        dict(layers_dims=[2, 10, 5, 1]),
        ("moons", 300, 2, 1),
        dict(optimizer="gd", learning_rate=0.01, mini_batch_size=None, num_epochs=40),
    ),
    "w1_adam_full_1100": (
        dict(layers_dims=[2, 10, 5, 1]),
        ("moons", 1100, 2, 2),
        dict(optimizer="adam", learning_rate=0.01, mini_batch_size=None, num_epochs=20),
    ),
    "w2_gd_l2_full": (
        dict(layers_dims=[2, 20, 3, 1]),
        ("moons", 211, 2, 3),
        dict(optimizer="gd", learning_rate=0.3, mini_batch_size=None, num_epochs=40, lambd=0.7),
    ),
    "w2_dropout_full": (
        dict(layers_dims=[2, 20, 3, 1]),
        ("moons", 211, 2, 3),
        dict(
            optimizer="gd", learning_rate=0.3, mini_batch_size=None, num_epochs=40, keep_prob=0.86
        ),
    ),
    "w2_momentum_tanh_full": (
        dict(layers_dims=[2, 20, 3, 1], hidden_activation="tanh"),
        ("moons", 211, 2, 3),
        dict(
            optimizer="momentum",
            learning_rate=0.1,
            mini_batch_size=None,
            num_epochs=40,
            keep_prob=0.9,
            lambd=0.1,
        ),
    ),
    "w3_adam_mb": (
        dict(layers_dims=[2, 5, 2, 1]),
        ("moons", 300, 2, 4),
        dict(optimizer="adam", learning_rate=0.0007, mini_batch_size=64, num_epochs=8),
    ),
    "w3_momentum_mb": (
        dict(layers_dims=[2, 5, 2, 1]),
        ("moons", 300, 2, 4),
        dict(optimizer="momentum", learning_rate=0.01, mini_batch_size=64, num_epochs=8),
    ),
    "w3_gd_mb_decay": (
        dict(layers_dims=[2, 5, 2, 1]),
        ("moons", 300, 2, 4),
        dict(
            optimizer="gd",
            learning_rate=0.05,
            mini_batch_size=64,
            num_epochs=8,
            decay="update_lr",
            decay_rate=0.3,
        ),
    ),
    "two_blocks_mb": (
        dict(layers_dims=[2, 10, 5, 1]),
        ("moons", 328, 2, 5),
        dict(
            optimizer="adam",
            learning_rate=0.01,
            mini_batch_size=112,
            num_epochs=6,
            keep_prob=0.9,
            lambd=0.2,
        ),
    ),
    "four_layers_tanh": (
        dict(layers_dims=[5, 12, 8, 6, 1], hidden_activation="tanh"),
        ("moons", 257, 5, 6),
        dict(
            optimizer="adam",
            learning_rate=0.005,
            mini_batch_size=64,
            num_epochs=6,
            keep_prob=0.8,
            lambd=0.3,
        ),
    ),
    "four_layers_relu_full": (
        dict(layers_dims=[5, 12, 8, 6, 1]),
        ("moons", 257, 5, 6),
        dict(optimizer="momentum", learning_rate=0.05, mini_batch_size=None, num_epochs=20),
    ),
    "softmax_adam_mb": (
        dict(layers_dims=[4, 16, 8, 3], output="softmax"),
        ("classes", 200, 4, 7),
        dict(optimizer="adam", learning_rate=0.01, mini_batch_size=50, num_epochs=6, keep_prob=0.9),
    ),
    "identity_momentum_tanh": (
        dict(layers_dims=[3, 12, 6, 1], hidden_activation="tanh", output="identity"),
        ("regression", 240, 3, 8),
        dict(
            optimizer="momentum", learning_rate=0.02, mini_batch_size=64, num_epochs=6, lambd=0.05
        ),
    ),
    "gemm_adam_mb": (
        dict(layers_dims=[300, 128, 64, 1]),
        ("moons", 256, 300, 9),
        dict(
            optimizer="adam",
            learning_rate=0.001,
            mini_batch_size=64,
            num_epochs=2,
            keep_prob=0.9,
            lambd=0.1,
        ),
    ),
    "gemm_gd_full": (
        dict(layers_dims=[200, 96, 32, 1], hidden_activation="tanh"),
        ("moons", 192, 200, 10),
        dict(optimizer="gd", learning_rate=0.01, mini_batch_size=None, num_epochs=3),
    ),
}
DTYPES = ("float64", "float32")


def _data(kind, m, n_x, seed, dtype):
    if kind == "moons":
        return _moons(m, n_x, seed, dtype)
    if kind == "classes":
        return _moons(m, n_x, seed, dtype, classes=3)
    return _regression(m, n_x, seed, dtype)


def _network_run(name, dtype):
    net_kw, data, fit_kw = NETWORK_RUNS[name]
    X, Y = _data(*data, dtype)
    net = nncore.Network(**net_kw, dtype=dtype, seed=3).fit(X, Y, **fit_kw)
    out = {
        "theta": np.concatenate([a.ravel() for a in net.parameters.values()]),
        "costs": np.asarray(net.costs),
    }
    for key, value in net.optimizer_state.items():
        if isinstance(value, dict):
            out[key] = np.concatenate([a.ravel() for a in value.values()])
    return out


def _model_run(dtype):
    """The course's ``model`` (minibatches shuffled like numpy), Adam with decay."""
    X, Y = _moons(300, 2, 11, dtype)
    params, costs = nncore.model(
        X,
        Y,
        [2, 5, 2, 1],
        optimizer="adam",
        learning_rate=0.0007,
        num_epochs=5,
        decay="schedule_lr_decay",
        decay_rate=1.0,
    )
    return {
        "theta": np.concatenate([a.ravel() for a in params.values()]),
        "costs": np.asarray(costs),
    }


def _mirror_calls(dtype):
    """One forward, backward and optimizer update of each kind, through the course mirror."""
    X, Y = _moons(137, 3, 12, dtype)
    p = nncore.initialize_parameters_he([3, 9, 4, 1], seed=3, dtype=dtype)
    out = {}
    for hidden in ("relu", "tanh"):
        AL, caches = nncore.forward_propagation(X, p, hidden_activation=hidden)
        grads = nncore.backward_propagation(X, Y, caches, hidden)
        out[f"AL_{hidden}"] = AL
        # dW1, db1, dW2, ... (the dict also holds the course's dZl, dAl, and starts at the top)
        keys = [f"d{q}{l}" for l in (1, 2, 3) for q in "Wb"]
        out[f"grads_{hidden}"] = np.concatenate([grads[k].ravel() for k in keys])
    AL, caches = nncore.forward_propagation(X, p)
    grads = nncore.backward_propagation(X, Y, caches)
    gd = nncore.update_parameters_with_gd({k: a.copy() for k, a in p.items()}, grads, 0.1)
    v = nncore.initialize_velocity(p)
    mom, v = nncore.update_parameters_with_momentum(
        {k: a.copy() for k, a in p.items()}, grads, v, 0.9, 0.1
    )
    v1, s1 = nncore.initialize_adam(p)
    adam = {k: a.copy() for k, a in p.items()}
    for t in (1, 2, 3):
        adam, v1, s1, vc, sc = nncore.update_parameters_with_adam(adam, grads, v1, s1, t, 0.01)
    for name, d in (
        ("gd", gd),
        ("momentum", mom),
        ("momentum_v", v),
        ("adam", adam),
        ("adam_v", v1),
        ("adam_s", s1),
        ("adam_vc", vc),
        ("adam_sc", sc),
    ):
        out[name] = np.concatenate([a.ravel() for a in d.values()])
    return out


def _runs():
    """``(key, function)`` for every frozen result, on the current ISA and thread count."""
    for dtype in DTYPES:
        for name in NETWORK_RUNS:
            yield f"{name}_{dtype}", lambda n=name, d=dtype: _network_run(n, d)
        yield f"model_{dtype}", lambda d=dtype: _model_run(d)
        yield f"mirror_{dtype}", lambda d=dtype: _mirror_calls(d)


def _digest(a: np.ndarray) -> np.ndarray:
    text = f"{a.dtype.str}{a.shape}".encode() + np.ascontiguousarray(a).tobytes()
    return np.frombuffer(hashlib.sha256(text).digest(), dtype=np.uint8)


def _record():
    """Every result on every ISA; the same for each thread count (checked), so stored once."""
    arrays = {}
    previous_isa, previous_threads = _core.current_isa(), nncore.get_num_threads()
    try:
        for isa in _core.supported_isas():
            _core.set_isa(isa)
            for threads in THREADS:
                nncore.set_num_threads(threads)
                for key, run in _runs():
                    for field, value in run().items():
                        name = f"{isa}/{key}/{field}"
                        if value.size > FULL:
                            digest, value = _digest(value), value.ravel()[:FULL]
                            if threads != THREADS[0]:
                                assert (arrays[name + "#sha256"] == digest).all(), name
                            arrays[name + "#sha256"] = digest
                        if threads != THREADS[0]:
                            assert arrays[name].tobytes() == value.tobytes(), name
                        arrays[name] = value
    finally:
        _core.set_isa(previous_isa)
        nncore.set_num_threads(previous_threads)
    return arrays


@pytest.fixture(scope="module")
def frozen():
    with np.load(DATA) as f:
        return {k: f[k] for k in f.files}


def _first_difference(value: np.ndarray, want: np.ndarray) -> str:
    bits = np.dtype(f"u{want.dtype.itemsize}")  # bitwise, NaN included
    diff = np.flatnonzero(value.ravel()[: want.size].view(bits) != want.view(bits))
    if diff.size == 0:
        return f"beyond the first {want.size} elements"
    i = diff[0]
    return f"at element {i}: {value.ravel()[i]!r} against {want[i]!r}"


def test_gemm_blocking_does_not_depend_on_the_machine(isa):
    """Eigen cuts a product's depth into panels by the L1 size it reads off the CPU, and that
    order of rounding is part of the frozen results: each target pins the size it blocks for, so
    a machine with another L1 (48 KiB on recent Intel cores) reproduces these runs too."""
    assert _core.gemm_l1_bytes() == 32 * 1024


@pytest.mark.parametrize("threads", THREADS)
def test_results_are_bitwise_the_frozen_ones(isa, threads, frozen):
    previous = nncore.get_num_threads()
    nncore.set_num_threads(threads)
    try:
        checked = 0
        for key, run in _runs():
            for field, value in run().items():
                name = f"{isa}/{key}/{field}"
                want = frozen[name]
                assert value.dtype == want.dtype, (name, value.dtype, want.dtype)
                if name + "#sha256" in frozen:
                    same = (_digest(value) == frozen[name + "#sha256"]).all()
                else:
                    same = value.shape == want.shape and value.tobytes() == want.tobytes()
                assert same, (
                    f"{name} with {threads} threads differs from the frozen result "
                    + _first_difference(value, want.ravel())
                )
                checked += 1
    finally:
        nncore.set_num_threads(previous)
    assert checked == len([k for k in frozen if k.startswith(f"{isa}/") and "#" not in k])


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit(__doc__)
    DATA.parent.mkdir(exist_ok=True)
    np.savez_compressed(DATA, **_record())
    print(f"wrote {DATA} ({DATA.stat().st_size} bytes)")
