"""nncore beside the numpy reference, PyTorch (eager) and JAX (jit + lax.scan) on the course's
workloads W1-W5, in one run.

    python benchmarks/compare.py [--repeat N] [--quick] [--only W1,W3] [--no-peers] [--json F]

Every engine trains the same network from the same initial parameters with the same loop (full
batch or shuffled minibatches, the cost of every step, the optimizer update) and is timed from
the start of training to trained parameters; data conversion, and JAX's compilation, happen
before the clock starts. ``--quick`` runs every engine but nncore for a tenth of the epochs
(W5: a tenth of the examples) and scales its time up; those cells are marked ``~``
(extrapolated).

Interleaved rounds (``interleaved.py``): per workload, every engine is prepared first, then
``--repeat`` rounds (default 3) run; each round runs every engine once, in an order that
rotates from round to round, so that the drift of a shared machine's speed (tens of percent
within minutes) hits all engines alike. Before every engine's clock, a garbage collection and a
short pause (threads of the previous engine still spinning go idle). The Best and Median tables
show each engine's best and median time over the rounds, and ratios of those. The Paired table
shows, per workload, the median over the rounds of ratios taken within one round: the
reference's / the round's faster peer's time over nncore's time in that round.

The GEMM peak: the run starts by measuring the best rate of 2048-square products, in float32
and float64, through PyTorch's BLAS (MKL) when PyTorch is installed, else numpy's, on as many
threads as nncore uses (the one-off peak, in the Best and Median tables). For the workloads
whose products are large enough for it to mean something (W4, W5), every round also starts
with a short probe of the workload's dtype (best of 3 products, same library and threads),
before the round's first engine and outside every clock: as the order rotates, over any n
consecutive rounds (n engines) every engine runs right after the probe once. The share of the
peak is nncore's rate (the network's FLOPs: 2 per multiply-add of its forward and backward
products, over the examples of every epoch) over the peak: the one-off peak in the Best and
Median tables; in the Paired table, the median over rounds of nncore's rate that round over
that round's peak. ``--json`` writes every engine's time per round, each round's order and
peak, and the paired figures.

The peers (PyTorch, JAX) are imported lazily; a missing one leaves its column empty. Peers
shuffle and draw dropout masks with their own generators (same work, other numbers); nncore and
the reference use the course's shuffles, so their costs agree to rounding.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import sys
from typing import Callable

import numpy as np

import nncore
import nncore.reference as ref
from interleaved import (
    GEMM_ROUND_PRODUCTS,
    GEMM_SIZE,
    GemmProbe,
    Timing,
    gemm_peak,
    paired_ratio,
    paired_share,
    run_rounds,
)
from nncore import datasets

REPEAT = 3
QUICK_FRACTION = 0.1
ENGINES = ("reference", "torch", "jax", "nncore")
HEADERS = {
    "reference": "numpy reference",
    "torch": "PyTorch eager",
    "jax": "JAX (jit + lax.scan)",
    "nncore": "nncore",
}


# ---------------------------------------------------------------------------------------------
# Workloads
# ---------------------------------------------------------------------------------------------


def circles():
    return datasets.load_circles()[:2]


def two_d():
    return datasets.make_synthetic_2d_dataset()[:2]


def moons():
    return datasets.load_moons()


def random_images(n_x=12288, m=209, seed=0):
    """W4's data: uniform [0, 1) pixels, random 0/1 labels."""
    rng = np.random.default_rng(seed)
    X = rng.random((n_x, m))
    Y = (rng.random((1, m)) < 0.5).astype(np.float64)
    return X, Y


def digits(n_x=784, m=60000, classes=10, seed=0):
    """W5's data: uniform [0, 1) "pixels" (float32) and integer labels (1, m) of a random
    linear teacher, so that there is something to learn."""
    rng = np.random.default_rng(seed)
    X = rng.random((n_x, m), dtype=np.float32)
    teacher = rng.standard_normal((classes, n_x)).astype(np.float32)
    labels = np.argmax(teacher @ (X - 0.5), axis=0).reshape(1, m).astype(np.int64)
    return X, labels


@dataclasses.dataclass(frozen=True)
class Workload:
    key: str
    label: str
    target: float  # nncore's target, seconds
    dims: tuple
    data: Callable
    learning_rate: float
    num_epochs: int
    optimizer: str = "gd"
    mini_batch_size: int | None = None  # None: full batch
    keep_prob: float = 1.0
    dtype: str = "float64"
    init: str = "he"  # nncore initializer, seed 3 (W5: nncore.Network seed 0)
    output: str = "sigmoid"


WORKLOADS = [
    Workload("W1", "W1 circles [2,10,5,1], m=300, full-batch GD 0.01, 15000 it, f64", 0.06,
             (2, 10, 5, 1), circles, 0.01, 15000),
    Workload("W2", "W2 2-D set [2,20,3,1], m=211, GD 0.3, 30000 it, f64", 0.12,
             (2, 20, 3, 1), two_d, 0.3, 30000),
    Workload("W2d", "W2 with dropout keep_prob 0.86", 0.2,
             (2, 20, 3, 1), two_d, 0.3, 30000, keep_prob=0.86),
    Workload("W3", "W3 moons [2,5,2,1], m=300, minibatch 64, Adam 0.0007, 10000 epochs, f64",
             0.1, (2, 5, 2, 1), moons, 0.0007, 10000, optimizer="adam", mini_batch_size=64),
    Workload("W4", "W4 [12288,20,7,5,1], m=209, GD 0.0075, 2500 it, f64", 8.0,
             (12288, 20, 7, 5, 1), random_images, 0.0075, 2500, init="deep"),
    Workload("W4f32", "W4 in float32", 4.0,
             (12288, 20, 7, 5, 1), random_images, 0.0075, 2500, init="deep", dtype="float32"),
    Workload("W5", "W5 [784,512,256,10] softmax, 60000 examples, minibatch 128, Adam 1e-3, "
             "1 epoch, f32", 1.2, (784, 512, 256, 10), digits, 1e-3, 1, optimizer="adam",
             mini_batch_size=128, dtype="float32", output="softmax"),
]  # fmt: skip
ADAM = {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}


def shortened(wl: Workload, X, Y, fraction: float):
    """``(epochs, X, Y, done)``: a tenth of the epochs, or of the examples when there is only
    one epoch; ``done`` is the fraction of the full run's steps this is."""
    if fraction >= 1:
        return wl.num_epochs, X, Y, 1.0
    if wl.num_epochs > 1:
        epochs = max(1, round(wl.num_epochs * fraction))
        return epochs, X, Y, epochs / wl.num_epochs
    m = X.shape[1]
    batch = wl.mini_batch_size or m
    steps = math.ceil(m / batch)
    m_short = max(1, round(steps * fraction)) * batch
    return 1, X[:, :m_short], Y[:, :m_short], math.ceil(m_short / batch) / steps


def initial_parameters(wl: Workload) -> dict:
    """The starting point every engine shares (the course's draws, nncore's initializers)."""
    if wl.output == "softmax":  # what nncore.Network(..., initialization="he", seed=0) draws
        return nncore.initialize_parameters_he(list(wl.dims), 0, dtype=wl.dtype)
    init = getattr(nncore, f"initialize_parameters_{wl.init}")
    return init(list(wl.dims), 3, dtype=wl.dtype)


def one_hot(labels: np.ndarray, classes: int, dtype) -> np.ndarray:
    out = np.zeros((classes, labels.shape[1]), dtype=dtype)
    out[labels.ravel(), np.arange(labels.shape[1])] = 1
    return out


# ---------------------------------------------------------------------------------------------
# Engines: prepare(wl, X, Y, init, epochs) -> a function that trains once and returns the
# final cost (None: the engine cannot run the workload)
# ---------------------------------------------------------------------------------------------


def prepare_nncore(wl, X, Y, init, epochs):
    X = np.ascontiguousarray(X, dtype=wl.dtype)
    if wl.output == "softmax":

        def train():
            net = nncore.Network(
                list(wl.dims), hidden_activation="relu", output="softmax",
                initialization="he", dtype=wl.dtype, seed=0,
            )  # fmt: skip
            net.fit(X, Y, optimizer=wl.optimizer, learning_rate=wl.learning_rate,
                    mini_batch_size=wl.mini_batch_size, num_epochs=epochs)  # fmt: skip
            return float(net.costs[-1])

        return train
    Y = Y.astype(wl.dtype)

    def train():
        _, costs = nncore.model(
            X, Y, list(wl.dims), optimizer=wl.optimizer, learning_rate=wl.learning_rate,
            mini_batch_size=wl.mini_batch_size, num_epochs=epochs, initialization=wl.init,
            keep_prob=wl.keep_prob,
        )  # fmt: skip
        return costs[-1]

    return train


def prepare_reference(wl, X, Y, init, epochs):
    if wl.output == "softmax":
        return prepare_numpy_softmax(wl, X, Y, init, epochs)
    if wl.dtype != "float64":
        return None  # the reference is float64 only
    # The initial parameters are passed as a dict: the reference's "deep" initializer
    # (randn * 0.01) is not nncore's (randn / sqrt(n_prev)); "he" draws the same numbers.
    init = {k: v.astype(np.float64) for k, v in init.items()}

    def train():
        _, costs = ref.model(
            X, Y, list(wl.dims), optimizer=wl.optimizer, learning_rate=wl.learning_rate,
            mini_batch_size=wl.mini_batch_size, num_epochs=epochs, initialization=init,
            keep_prob=wl.keep_prob,
        )  # fmt: skip
        return costs[-1]

    return train


def prepare_numpy_softmax(wl, X, labels, init, epochs):
    """W5's "numpy reference": the reference has no softmax, so this is the benchmark's own
    numpy loop, written like the reference (float32 throughout): shuffle each epoch, then per
    minibatch forward, cost, backward and the course's Adam."""
    dt = np.dtype(wl.dtype)
    X = np.ascontiguousarray(X, dtype=dt)
    Y = one_hot(labels, wl.dims[-1], dt)
    L = len(wl.dims) - 1
    lr, batch = wl.learning_rate, wl.mini_batch_size
    b1, b2, eps = ADAM["beta1"], ADAM["beta2"], ADAM["epsilon"]

    def train():
        P = [init[f"{p}{l}"].copy() for l in range(1, L + 1) for p in "Wb"]
        V = [np.zeros_like(p) for p in P]
        S = [np.zeros_like(p) for p in P]
        m, t, cost = X.shape[1], 0, 0.0
        for epoch in range(epochs):
            perm = np.random.RandomState(epoch + 1).permutation(m)
            Xs, Ys = X[:, perm], Y[:, perm]
            cost_total = 0.0
            for k in range(0, m, batch):
                xb, yb = Xs[:, k : k + batch], Ys[:, k : k + batch]
                mb = xb.shape[1]
                A, Z = [xb], []
                for l in range(L):
                    Z.append(P[2 * l] @ A[-1] + P[2 * l + 1])
                    if l < L - 1:
                        A.append(np.maximum(Z[-1], 0))
                Zl = Z[-1] - Z[-1].max(axis=0, keepdims=True)
                E = np.exp(Zl)
                denominator = E.sum(axis=0, keepdims=True)
                cost_total -= float(np.sum(yb * (Zl - np.log(denominator))))
                dZ = (E / denominator - yb) / mb
                G = [None] * (2 * L)
                for l in range(L - 1, -1, -1):
                    G[2 * l] = dZ @ A[l].T
                    G[2 * l + 1] = dZ.sum(axis=1, keepdims=True)
                    if l > 0:
                        dZ = (P[2 * l].T @ dZ) * (Z[l - 1] > 0)
                t += 1
                c1, c2 = 1 - b1**t, 1 - b2**t
                for p, g, v, s in zip(P, G, V, S):
                    v *= b1
                    v += (1 - b1) * g
                    s *= b2
                    s += (1 - b2) * (g * g)
                    p -= lr * (v / c1) / (np.sqrt(s / c2) + eps)
            cost = cost_total / m
        return cost

    return train


def prepare_torch(wl, X, Y, init, epochs):
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(2)
    dt = getattr(torch, wl.dtype)
    Xt = torch.from_numpy(np.ascontiguousarray(X, dtype=wl.dtype))
    softmax = wl.output == "softmax"
    Yt = torch.from_numpy(Y.ravel().astype(np.int64) if softmax else Y.astype(wl.dtype))
    L = len(wl.dims) - 1
    kp = wl.keep_prob

    def loss_of(params, xb, yb):
        a = xb
        for l in range(L):
            z = params[2 * l] @ a + params[2 * l + 1]
            if l < L - 1:
                a = torch.relu(z)
                if kp < 1:
                    a = F.dropout(a, p=1 - kp, training=True)  # inverted, like the course
        if softmax:
            return F.cross_entropy(z.T, yb)
        return F.binary_cross_entropy_with_logits(z, yb)  # dZ = A - Y, as the course

    def train(X, Y, epochs):
        torch.manual_seed(0)
        params = [
            torch.tensor(init[f"{p}{l}"], dtype=dt).requires_grad_()
            for l in range(1, L + 1)
            for p in "Wb"
        ]
        if wl.optimizer == "adam":
            opt = torch.optim.Adam(
                params, lr=wl.learning_rate, betas=(0.9, 0.999), eps=1e-8, fused=True
            )  # fused: the fastest of the CPU variants here (default, foreach, fused)
        else:
            opt = torch.optim.SGD(params, lr=wl.learning_rate)
        m = X.shape[-1]
        costs = []
        for _ in range(epochs):
            if wl.mini_batch_size is None:
                batches = [(X, Y)]
            else:
                perm = torch.randperm(m)
                Xs, Ys = X[:, perm], Y[..., perm]
                batches = [
                    (Xs[:, k : k + wl.mini_batch_size], Ys[..., k : k + wl.mini_batch_size])
                    for k in range(0, m, wl.mini_batch_size)
                ]
            cost_total = 0.0
            for xb, yb in batches:
                loss = loss_of(params, xb, yb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                cost_total = cost_total + loss.detach() * xb.shape[1]
            costs.append(cost_total / m)
        return float(costs[-1])

    warm = (wl.mini_batch_size or X.shape[1]) * 2
    train(Xt[:, :warm], Yt[..., :warm], 1)
    return lambda: train(Xt, Yt, epochs)


def prepare_jax(wl, X, Y, init, epochs):
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from jax import lax

    dt = np.dtype(wl.dtype)
    softmax = wl.output == "softmax"
    Xj = jnp.asarray(np.ascontiguousarray(X, dtype=dt))
    Yj = jnp.asarray(one_hot(Y, wl.dims[-1], dt) if softmax else Y.astype(dt))
    L = len(wl.dims) - 1
    kp, lr, batch = wl.keep_prob, wl.learning_rate, wl.mini_batch_size
    b1, b2, eps = ADAM["beta1"], ADAM["beta2"], ADAM["epsilon"]
    tree_map = jax.tree_util.tree_map
    shuffle_key = jax.random.PRNGKey(1)  # minibatch shuffles (folded with the epoch)

    def loss_of(params, xb, yb, key):
        a = xb
        for l, (W, b) in enumerate(params):
            z = W @ a + b
            if l < L - 1:
                a = jax.nn.relu(z)
                if kp < 1:
                    keep = jax.random.bernoulli(jax.random.fold_in(key, l), kp, a.shape)
                    a = jnp.where(keep, a / kp, 0)
        if softmax:
            return -jnp.sum(yb * jax.nn.log_softmax(z, axis=0)) / xb.shape[1]
        return jnp.sum(jax.nn.softplus(z) - yb * z) / xb.shape[1]  # dZ = A - Y

    grad = jax.value_and_grad(loss_of)

    def step(carry, xb, yb):
        params, v, s, t, key = carry
        cost, g = grad(params, xb, yb, jax.random.fold_in(key, t))
        t = t + 1
        if wl.optimizer == "gd":
            params = tree_map(lambda p, d: p - lr * d, params, g)
        else:
            v = tree_map(lambda v, d: b1 * v + (1 - b1) * d, v, g)
            s = tree_map(lambda s, d: b2 * s + (1 - b2) * d * d, s, g)
            c1 = 1 - b1 ** t.astype(dt)
            c2 = 1 - b2 ** t.astype(dt)
            params = tree_map(
                lambda p, v, s: p - lr * (v / c1) / (jnp.sqrt(s / c2) + eps), params, v, s
            )
        return (params, v, s, t, key), cost

    def train(params, X, Y, key):
        zeros = tree_map(jnp.zeros_like, params)
        carry = (params, zeros, zeros, jnp.int32(0), key)
        if batch is None:
            carry, costs = lax.scan(lambda c, _: step(c, X, Y), carry, None, length=epochs)
            return carry[0], costs
        m = X.shape[1]
        full, rest = divmod(m, batch)

        def epoch(carry, e):
            perm = jax.random.permutation(jax.random.fold_in(shuffle_key, e), m)
            Xs, Ys = X[:, perm], Y[:, perm]

            def minibatch(c, k):
                xb = lax.dynamic_slice_in_dim(Xs, k * batch, batch, axis=1)
                yb = lax.dynamic_slice_in_dim(Ys, k * batch, batch, axis=1)
                c, cost = step(c, xb, yb)
                return c, cost * batch

            carry, costs = lax.scan(minibatch, carry, jnp.arange(full))
            total = costs.sum()
            if rest:
                carry, cost = step(carry, Xs[:, full * batch :], Ys[:, full * batch :])
                total = total + cost * rest
            return carry, total / m

        carry, costs = lax.scan(epoch, carry, jnp.arange(epochs))
        return carry[0], costs

    params = [
        (jnp.asarray(init[f"W{l}"], dtype=dt), jnp.asarray(init[f"b{l}"], dtype=dt))
        for l in range(1, L + 1)
    ]
    key = jax.random.PRNGKey(0)  # dropout masks (folded with the step)
    compiled = jax.jit(train).lower(params, Xj, Yj, key).compile()

    def run():
        _, costs = jax.block_until_ready(compiled(params, Xj, Yj, key))
        return float(costs[-1])

    return run


PREPARE = {
    "nncore": prepare_nncore,
    "reference": prepare_reference,
    "torch": prepare_torch,
    "jax": prepare_jax,
}


def peer_available(name: str) -> str | None:
    """The peer's version, or None when it cannot be imported."""
    try:
        module = __import__(name)
    except ImportError:
        return None
    return module.__version__


# ---------------------------------------------------------------------------------------------
# Timing and the table
# ---------------------------------------------------------------------------------------------


def workload_flops(wl: Workload, m: int) -> float:
    """FLOPs of a whole run by the direct algorithm: per example, the forward product of every
    layer, the weight gradient of every layer and the input gradient of every layer but the
    first, 2 FLOPs per multiply-add, over m examples per epoch."""
    macs = [a * b for a, b in zip(wl.dims[1:], wl.dims[:-1])]
    per_example = 2 * (3 * sum(macs) - macs[0])
    return float(per_example) * m * wl.num_epochs


def fmt_seconds(x: float) -> str:
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    if x >= 0.1:
        return f"{x:.3f}"
    return f"{x:.4f}"


def cell(t: Timing | None, which: str) -> str:
    if t is None:
        return ""
    mark = "~" if t.scale != 1 else ""
    return mark + fmt_seconds(getattr(t, which))


def ratio(a: Timing | None, b: Timing | None, which: str) -> str:
    if a is None or b is None:
        return ""
    mark = "~" if a.scale != 1 else ""
    return f"{mark}{getattr(a, which) / getattr(b, which):.1f}x"


# The workloads whose products are large enough for a share of the GEMM peak to mean something.
GEMM_WORKLOADS = ("W4", "W5")


def share(wl: Workload, row: dict, peak: dict, which: str) -> str:
    """nncore's rate as a share of the one-off GEMM peak of the workload's dtype."""
    t = row.get("nncore")
    if t is None or "flops" not in row:
        return ""
    rate = row["flops"] / getattr(t, which) / 1e9
    return fmt_share(wl, rate / peak[wl.dtype])


def fmt_share(wl: Workload, value: float) -> str:
    return f"{value:.0%}" + ("‡" if wl.key.startswith("W4") else "")


def table(results: dict, engines: list, which: str, peak: dict) -> str:
    head = ["workload", *(HEADERS[e] for e in engines), "target", "met"]
    head += ["reference / nncore", "best peer / nncore", "nncore, share of GEMM peak"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for wl in WORKLOADS:
        if wl.key not in results:
            continue
        row = results[wl.key]
        mine = row.get("nncore")
        peers = [row[p] for p in ("torch", "jax") if row.get(p) is not None]
        # Every column of a table is of one statistic (best or median), the ratios too.
        best_peer = min(peers, key=lambda t: getattr(t, which)) if peers else None
        met = "" if mine is None else ("met" if getattr(mine, which) <= wl.target else "NOT met")
        label = wl.label + (" †" if wl.output == "softmax" and "reference" in engines else "")
        cells = [label, *(cell(row.get(e), which) for e in engines)]
        cells += [f"<= {wl.target:g}", met]
        cells += [ratio(row.get("reference"), mine, which), ratio(best_peer, mine, which)]
        cells += [share(wl, row, peak, which)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def paired_table(results: dict) -> str:
    """Per workload, ``row["paired"]``: the medians over rounds of the ratios taken within
    each round (``paired``)."""
    head = ["workload", "reference / nncore", "best peer / nncore"]
    head += ["nncore, share of the round's GEMM peak"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for wl in WORKLOADS:
        if wl.key not in results:
            continue
        row = results[wl.key]
        cells = [wl.label]
        for others in ("reference", "best peer"):
            value = row["paired"][f"{others} / nncore"]
            mark = "~" if row["paired"][f"{others} extrapolated"] else ""
            cells.append("" if value is None else f"{mark}{value:.2f}x")
        value = row["paired"]["share"]
        cells.append("" if value is None else fmt_share(wl, value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def cost_table(results: dict, engines: list) -> str:
    """Final costs: the same math gives about the same cost (nncore and the reference: the
    same to rounding; peers: other shuffles and dropout masks). ``*``: after the shortened
    run, next to nncore's cost after as many epochs (``nncore@short``)."""
    cols = [*engines, "nncore@short"]
    lines = ["| workload | " + " | ".join(cols) + " |", "|" + "---|" * (len(cols) + 1)]
    for key, row in results.items():
        cells = []
        for e in cols:
            t = row.get(e)
            if t is None:
                cells.append("")
            elif isinstance(t, Timing):
                cells.append(f"{t.cost:.6g}" + ("*" if t.scale != 1 else ""))
            else:
                cells.append(f"{t:.6g}*")
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine_info(peers: dict) -> dict:
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{config.get('name')} {config.get('version')}"
    except Exception:  # older numpy: no mode="dicts"
        blas = "?"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numpy_blas": blas,
        "nncore": nncore.build_info(),
        **{name: version for name, version in peers.items() if version},
    }


def paired(row: dict) -> dict:
    """The medians over rounds of the ratios taken within each round: the reference's / the
    round's faster peer's time over nncore's, and nncore's rate over the GEMM peak measured at
    the start of the same round (None where an engine, the FLOPs or the peaks are missing)."""
    mine = row.get("nncore")
    out: dict = {}
    for name, keys in (("reference", ["reference"]), ("best peer", ["torch", "jax"])):
        others = [row[k] for k in keys if row.get(k) is not None]
        out[f"{name} / nncore"] = None if mine is None else paired_ratio(others, mine)
        out[f"{name} extrapolated"] = any(t.scale != 1 for t in others)
    peaks = row["rounds"]["gemm_peak"]
    out["share"] = None
    if mine is not None and "flops" in row and peaks is not None:
        out["share"] = paired_share(row["flops"], mine, peaks)
    return out


def measure_workload(wl: Workload, engines: list, repeat: int, quick: bool, threads: int) -> dict:
    """``{engine: Timing, "rounds": {"order", "gemm_peak"}, "paired": paired(...)}``, with
    ``"flops"`` for the GEMM workloads and ``"nncore@short"`` in quick mode. Every engine is
    prepared first (outside the clock), then ``run_rounds`` times them in interleaved rounds,
    a GEMM probe of the workload's dtype at the start of each round for the GEMM workloads."""
    X, Y = wl.data()
    init = initial_parameters(wl)
    row: dict = {}
    if wl.key.startswith(GEMM_WORKLOADS):
        row["flops"] = workload_flops(wl, X.shape[1])
    trains, scales = {}, {}
    for engine in engines:
        fraction = 1.0 if (engine == "nncore" or not quick) else QUICK_FRACTION
        epochs, Xr, Yr, done = shortened(wl, X, Y, fraction)
        try:
            train = PREPARE[engine](wl, Xr, Yr, init, epochs)
        except Exception as exc:  # a peer that fails to set up: report, go on
            print(f"  {wl.key} {engine}: setup failed: {exc!r}", file=sys.stderr)
            continue
        if train is None:
            continue
        trains[engine], scales[engine] = train, 1 / done
        if done != 1 and "nncore@short" not in row:  # nncore's cost at the same length
            row["nncore@short"] = PREPARE["nncore"](wl, Xr, Yr, init, epochs)()
    probe = GemmProbe(wl.dtype, threads) if "flops" in row else None
    rounds = run_rounds(trains, repeat, probe)
    for engine in trains:
        row[engine] = Timing(rounds.times[engine], scales[engine], rounds.costs[engine])
    row["rounds"] = {"order": rounds.order, "gemm_peak": rounds.peaks}
    row["paired"] = paired(row)
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repeat", type=int, default=REPEAT,
        help="rounds per workload; each runs every engine once",
    )  # fmt: skip
    parser.add_argument(
        "--quick", action="store_true",
        help="run the reference and the peers for 1/10 of the epochs and extrapolate",
    )  # fmt: skip
    parser.add_argument("--only", help="comma-separated workloads, e.g. W1,W3 (W4: W4 and W4f32)")
    parser.add_argument("--no-peers", action="store_true", help="nncore and the reference only")
    parser.add_argument("--no-reference", action="store_true", help="skip the numpy reference")
    parser.add_argument("--isa", help="force nncore's SIMD target (nncore._core.set_isa)")
    parser.add_argument("--json", help="also write the raw timings to this file")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")

    workloads = WORKLOADS
    if args.only:
        wanted = [w.strip() for w in args.only.split(",") if w.strip()]
        unknown = [w for w in wanted if not any(wl.key.startswith(w) for wl in WORKLOADS)]
        if unknown:
            parser.error(f"unknown workload(s) {unknown}; known: {[w.key for w in WORKLOADS]}")
        workloads = [wl for wl in WORKLOADS if any(wl.key.startswith(w) for w in wanted)]
    if args.isa:
        nncore._core.set_isa(args.isa)

    peers = {} if args.no_peers else {p: peer_available(p) for p in ("torch", "jax")}
    engines = [
        e
        for e in ENGINES
        if e == "nncore" or (e == "reference" and not args.no_reference) or peers.get(e)
    ]
    info = machine_info(peers)
    print("## Machine\n")
    for k, v in info.items():
        print(f"- {k}: {v}")
    missing = [p for p, v in peers.items() if not v]
    if missing:
        print(f"- not installed (column left out): {', '.join(missing)}")
    print(
        f"\nseconds per whole training run; {args.repeat} rounds, each running every engine "
        "once in an order rotating from round to round"
        + (f"; ~ = run for {QUICK_FRACTION:g} of the length and extrapolated" if args.quick else "")
        + "\n",
        flush=True,
    )

    threads = nncore.build_info()["num_threads"]
    peak = gemm_peak(threads)
    print(
        f"GEMM peak, one-off ({GEMM_SIZE}-square products, {threads} threads, {peak['library']}): "
        f"float32 {peak['float32']:.1f} GFLOP/s, float64 {peak['float64']:.1f} GFLOP/s\n",
        flush=True,
    )

    results = {}
    for wl in workloads:
        results[wl.key] = row = measure_workload(wl, engines, args.repeat, args.quick, threads)
        for engine in engines:
            t = row.get(engine)
            if t is not None:
                print(
                    f"  {wl.key:6s} {engine:9s} best {t.best:8.3f} s  median {t.median:8.3f} s"
                    f"  (rounds: {', '.join(f'{t.scaled(r):.3f}' for r in range(len(t.times)))})"
                    f"  final cost {t.cost:.6g}"
                    + (f"  (extrapolated x{t.scale:g})" if t.scale != 1 else ""),
                    flush=True,
                )
        peaks = row["rounds"]["gemm_peak"]
        if peaks is not None:
            print(f"  {wl.key:6s} GEMM peak ({wl.dtype}) per round: "
                  + ", ".join(f"{p:.1f}" for p in peaks) + " GFLOP/s", flush=True)  # fmt: skip

    print("\n## Best of", args.repeat, "\n")
    print(table(results, engines, "best", peak))
    print("\n## Median of", args.repeat, "\n")
    print(table(results, engines, "median", peak))
    print(f"\n## Paired: median over the {args.repeat} rounds of each round's ratio\n")
    print(paired_table(results))
    print(
        "\nEvery round ran every engine once, in an order rotating from round to round. "
        "Best / Median tables: each engine's best / median time over the rounds, and ratios "
        "and shares of those (the reference's / the faster peer's time divided by nncore's; "
        "> 1: nncore is faster), each table of its own statistic; target met when nncore's "
        "time <= target; share of GEMM peak: the workload's FLOPs by the direct algorithm "
        "over nncore's time, against the one-off peak of its dtype above. Paired table: "
        "within each round, the reference's / the faster peer's time of that round over "
        "nncore's time of that round, and nncore's rate that round over the GEMM peak "
        f"measured at the start of that round (best of {GEMM_ROUND_PRODUCTS} products); "
        "the median of these over the rounds, so that a drift of the machine's speed slower "
        "than a round slows both sides of each ratio alike."
    )
    if any(wl.key.startswith("W4") for wl in workloads):
        print(
            "‡ W4 is full-batch gradient descent on 12288 features and 209 examples: nncore "
            "runs its first layer in the Gram form (X^T X formed once; see "
            "docs/architecture.md), about 100x fewer FLOPs than the direct products the peers "
            "run, so its share is an effective rate, not a share of the machine's work."
        )
    if "reference" in engines and any(wl.output == "softmax" for wl in workloads):
        print(
            "† W5's numpy column is the benchmark's own numpy softmax/Adam loop "
            "(the reference has no softmax)."
        )
    print("\n## Final cost of the last run (* = after the shortened run)\n")
    print(cost_table(results, engines))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "machine": info,
                    "gemm_peak": peak,
                    "repeat": args.repeat,
                    "quick": args.quick,
                    "results": {
                        k: {
                            e: dataclasses.asdict(t) if isinstance(t, Timing) else t
                            for e, t in row.items()
                        }
                        for k, row in results.items()
                    },
                },
                f,
                indent=1,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
