"""No memory growth over many calls: 1000 calls of fit, model and the mirror's training step.

Each workload runs 50 times to warm up (allocator arenas, numpy and pybind11 caches, the
optimizer state), then 1000 times; across those 1000 calls two figures must stay flat:

- The resident set size (``/proc/self/statm``), which sees what C++ leaks (a ``std::vector``
  workspace of the kernels, a buffer of the bindings). The shapes are chosen so that every
  per-call buffer of the core that scales with the problem holds at least 4 KiB (the smallest:
  one row of a minibatch, 512 doubles; the flat gradient is 577 doubles), so leaking any one of
  them once per call grows the RSS by about 4 MiB over 1000 calls (3.7 MiB measured for a
  leaked 4 KiB array: a leak of 2 KiB per call still gives 1.7 MiB); the bound is 1 MiB, where
  the measured growth is 0-100 KiB (glibc reuses the freed blocks of the previous call).
  Fixed-size scraps (a vector of L pointers) are below what RSS can resolve and not covered.
- The number of blocks held by Python's object allocator (``sys.getallocatedblocks``), which
  sees a reference leaked by the bindings: an array, tuple or float kept alive is at least one
  block per call, so 1000 more blocks; the bound is 200, where the measured change is below
  30 (freelists and caches settling).

Linux only (RSS from /proc). Under ``PYTHONMALLOC=malloc`` Python reports no blocks and only
the RSS is checked.
"""

from __future__ import annotations

import gc
import os
import sys

import numpy as np
import pytest

import nncore

pytestmark = pytest.mark.skipif(
    not os.path.exists("/proc/self/statm"), reason="needs /proc/self/statm (Linux)"
)

CALLS = 1000
WARMUP = 50
RSS_BOUND = 1 << 20  # bytes; a leak of the smallest per-call buffer would be ~4 MiB
BLOCKS_BOUND = 200  # a leaked Python object per call would be >= 1000

DIMS = [16, 32, 1]  # 577 parameters: the gradient buffer is 4.6 KiB
M, BATCH = 1024, 512  # the shuffle permutation is 8 KiB, a minibatch row 4 KiB


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _growth(step):
    """(RSS growth in bytes, allocated-block growth) over CALLS calls of step, after warm-up."""
    for _ in range(WARMUP):
        step()
    gc.collect()
    rss, blocks = _rss(), sys.getallocatedblocks()
    for _ in range(CALLS):
        step()
    gc.collect()
    return _rss() - rss, sys.getallocatedblocks() - blocks


def _check(step):
    rss, blocks = _growth(step)
    assert rss < RSS_BOUND, f"RSS grew by {rss / 1024:.0f} KiB over {CALLS} calls"
    assert blocks < BLOCKS_BOUND, f"{blocks} more Python blocks after {CALLS} calls"


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((DIMS[0], M))
    Y = (X[:1] * X[1:2] > 0).astype(np.float64)
    return X, Y


def test_fit_does_not_leak(data):
    X, Y = data
    net = nncore.Network(DIMS, seed=0)

    def step():
        # Fresh input arrays each call, so that a reference the bindings kept would keep a
        # 128 KiB array alive; minibatches, dropout and L2 take every workspace of the loop.
        # (net.costs grows by one float per epoch by design: 8 KiB over the run.)
        net.fit(X + 0.0, Y + 0.0, num_epochs=1, mini_batch_size=BATCH, keep_prob=0.8, lambd=0.1)

    _check(step)


def test_model_does_not_leak(data):
    X, Y = data

    def step():
        nncore.model(X + 0.0, Y, DIMS, optimizer="adam", mini_batch_size=BATCH, num_epochs=1)

    _check(step)


def test_mirror_training_step_does_not_leak(data):
    X, Y = data
    parameters = nncore.initialize_parameters_he(DIMS)
    v, s = nncore.initialize_adam(parameters)
    state = {"parameters": parameters, "v": v, "s": s, "t": 0}

    def step():
        Xb = X[:, :BATCH] + 0.0
        Yb = Y[:, :BATCH]
        AL, caches = nncore.forward_propagation_with_dropout(Xb, state["parameters"], 0.8)
        nncore.compute_cost(AL, Yb)
        grads = nncore.backward_propagation_with_dropout(Xb, Yb, caches, 0.8)
        state["t"] += 1
        state["parameters"], state["v"], state["s"], *_ = nncore.update_parameters_with_adam(
            state["parameters"], grads, state["v"], state["s"], state["t"]
        )
        nncore.predict_dec(state["parameters"], Xb)

    _check(step)
