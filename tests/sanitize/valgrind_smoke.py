"""A small training under valgrind memcheck (run by .ci/sanitize, not collected by pytest):
every core entry point once per SIMD target the CPU (as valgrind reports it) supports, float64
and float32: the mirror's forward/backward/update, model(), Network fit with minibatches,
dropout and L2, predict, save and load; a full batch in two blocks with two threads.
"""

from __future__ import annotations

import os
import sys
import tempfile

import numpy as np

import nncore
from nncore import _core


def train_everything(dtype) -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 40)).astype(dtype)
    Y = (X[:1] * X[1:2] > 0).astype(dtype)
    dims = [3, 5, 4, 1]

    parameters = nncore.initialize_parameters_he(dims, dtype=dtype)
    v, s = nncore.initialize_adam(parameters)
    for t in range(1, 4):
        AL, caches = nncore.forward_propagation_with_dropout(X, parameters, 0.8, seed=t)
        nncore.compute_cost_with_regularization(AL, Y, parameters, 0.1)
        grads = nncore.backward_propagation_with_dropout(X, Y, caches, 0.8)
        parameters, v, s, *_ = nncore.update_parameters_with_adam(parameters, grads, v, s, t)
    AL, caches = nncore.forward_propagation(X, parameters, "tanh")
    grads = nncore.backward_propagation_with_regularization(X, Y, caches, 0.1)
    parameters = nncore.update_parameters_with_gd(parameters, grads, 0.01)
    nncore.random_mini_batches(X, Y, 16, seed=1)

    nncore.model(X, Y, dims, optimizer="momentum", mini_batch_size=16, num_epochs=5)
    net = nncore.Network(dims, seed=1, dtype=dtype)
    net.fit(X, Y, mini_batch_size=16, num_epochs=5, keep_prob=0.8, lambd=0.1, callback_every=2,
            callback=lambda epoch, cost: None)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "net.npz")
        net.save(path)
        again = nncore.Network.load(path).fit(X, Y, num_epochs=2)
    assert again.predict(X).shape == (1, 40)
    soft = nncore.Network([3, 6, 3], output="softmax", hidden_activation="tanh", seed=2)
    soft.fit(X, rng.integers(0, 3, 40), num_epochs=3, optimizer="gd")
    soft.predict_proba(X)

    threads = nncore.get_num_threads()
    nncore.set_num_threads(2)
    try:
        X2 = rng.standard_normal((2, 300)).astype(dtype)
        Y2 = (X2[:1] * X2[1:2] > 0).astype(dtype)
        nncore.model(X2, Y2, [2, 10, 5, 1], optimizer="adam", mini_batch_size=None, num_epochs=20)
    finally:
        nncore.set_num_threads(threads)


def main() -> int:
    for isa in _core.supported_isas():
        _core.set_isa(isa)
        for dtype in (np.float64, np.float32):
            train_everything(dtype)
        print(f"valgrind smoke: {isa} done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
