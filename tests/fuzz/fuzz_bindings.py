"""Coverage-guided fuzzing of nncore's binding layer with atheris (libFuzzer).

Each input is decoded into one call: a public function of nncore (mirror, ``model``,
``Network``) or a raw entry point of the private core (``nncore._core.f64`` / ``f32``:
``forward``, ``backward``, ``update``, ``cost``, ``sum_squares``, ``dropout_mask``,
``train``; ``numpy_permutation``), with arrays of decoded shapes (including 0, 1-D, 0-d and
3-D), dtypes (float64/32/16, integers, bool, complex, object), layouts (C, Fortran, strided,
read-only), values (NaN, inf, huge) and hyperparameters (any float, huge integers, bool,
None, strings).

Outcome rules: returning, ``ValueError`` or ``TypeError`` is fine; any other exception, or a
crash of the interpreter, is a finding (libFuzzer writes the input to ``crash-*`` and exits
nonzero). Coverage guidance is Python-level (atheris instruments the nncore package's
Python code); the C++ extension is not instrumented, so the fuzzer steers by which Python
branches an input reaches, not by the core's branches.

Run: ``python tests/fuzz/fuzz_bindings.py -max_total_time=60`` (see ``.ci/fuzz``), or
``python tests/fuzz/fuzz_bindings.py crash-<hash>`` to replay a finding.

The two core defects this harness's author found by reading the bindings (an overflowing
parameter count in ``train``, 0-d arrays in ``update``) are fixed and stay in
``tests/test_bad_input.py`` as regular cases.
"""

from __future__ import annotations

import contextlib
import sys

import atheris
import numpy as np

import nncore
from nncore import _core

# Documented outcomes: a refused argument, or a training that diverged (Network.fit raises
# TrainingDiverged by default, keeping the last finite state).
CLEAN = (ValueError, TypeError, nncore.TrainingDiverged)
# Largest array dimension decoded, and the largest size handed to the core's allocators:
# the point is bad shapes, not memory exhaustion.
MAX_DIM = 6
MAX_ALLOC = 4096

DTYPES = [np.float64, np.float64, np.float64, np.float32, np.float32, np.float16, np.int64,
          np.int32, np.uint8, np.bool_, np.complex128, object]  # fmt: skip
SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, np.nan, np.inf, -np.inf, 1e308, -1e308, 5e-324, 1e-8,
           2.0**63, 2.0**64, 37.0, -710.0]  # fmt: skip
CHOICES = ["relu", "tanh", "sigmoid", "gd", "momentum", "adam", "he", "zeros", "random",
           "xavier", "deep", "softmax", "identity", "", "float64", "float32", "int32"]  # fmt: skip


class Decoder:
    """Turns fuzz bytes into arguments; every choice consumes a few bytes."""

    def __init__(self, data: bytes):
        self.fdp = atheris.FuzzedDataProvider(data)

    def int(self, low, high):
        return self.fdp.ConsumeIntInRange(low, high)

    def bool(self):
        return self.fdp.ConsumeBool()

    def pick(self, values):
        return self.fdp.PickValueInList(values)

    def dim(self):
        return self.int(0, MAX_DIM) if self.int(0, 7) else self.int(1, 3)

    def float(self):
        kind = self.int(0, 3)
        if kind == 0:
            return self.pick(SPECIAL)
        if kind == 1:
            return self.fdp.ConsumeFloat()
        return self.fdp.ConsumeFloatInRange(-4.0, 4.0)

    def number(self, low=0.0, high=1.0):
        """Mostly a plausible value in [low, high], sometimes anything at all."""
        kind = self.int(0, 9)
        if kind <= 5:
            return self.fdp.ConsumeFloatInRange(low, high)
        if kind == 6:
            return self.float()
        if kind == 7:
            return self.pick([True, False, None, "0.1", 1j, np.float32(0.5), np.int64(1)])
        if kind == 8:
            return self.int(-3, 3)
        return self.fdp.ConsumeInt(9)  # up to +-2**71

    def count(self, low=0, high=5):
        kind = self.int(0, 7)
        if kind <= 5:
            return self.int(low, high)
        if kind == 6:
            return self.fdp.ConsumeInt(9)
        return self.pick([True, 1.0, None, "3", np.int64(2), -1])

    def choice(self, good):
        return self.pick(good) if self.int(0, 7) else self.pick([*CHOICES, None, 3, ["relu"]])

    def array(self, shape, dtype=None, labels=False):
        """An array of about ``shape`` (sometimes another shape or rank), decoded dtype,
        values and layout."""
        rank = self.int(0, 9)
        if rank == 0:
            shape = ()
        elif rank == 1:
            shape = (shape[0],)
        elif rank == 2:
            shape = (*shape, self.int(1, 2))
        elif rank == 3:
            shape = tuple(self.dim() for _ in shape)
        dtype = dtype if dtype is not None and self.int(0, 5) else self.pick(DTYPES)
        n = int(np.prod(shape, dtype=np.int64))
        if labels and self.int(0, 3):
            values = np.array([float(self.int(0, 1)) for _ in range(n)])
        elif self.bool():
            values = np.array([self.fdp.ConsumeFloatInRange(-3.0, 3.0) for _ in range(n)])
        else:
            values = np.array([self.float() for _ in range(n)])
        values = values.reshape(shape)
        if np.dtype(dtype).kind in "iub":
            values = np.nan_to_num(values, posinf=0, neginf=0)
            values = np.clip(values, -100, 100)
        a = values.astype(dtype)
        layout = self.int(0, 5)
        if layout == 1 and a.ndim >= 2:
            a = np.asfortranarray(a)
        elif layout == 2 and a.ndim >= 1:
            wide = np.zeros((*a.shape[:-1], 2 * a.shape[-1]), dtype=a.dtype)
            wide[..., ::2] = a
            a = wide[..., ::2]
        elif layout == 3:
            a.setflags(write=False)
        return a

    def float_array(self, shape, dtype):
        """Like ``array``, but usually of exactly ``shape`` and ``dtype`` and finite."""
        if self.int(0, 3) == 0:
            return self.array(shape, dtype)
        values = np.array(
            [self.fdp.ConsumeFloatInRange(-2.0, 2.0) for _ in range(int(np.prod(shape)))]
        )
        return values.reshape(shape).astype(dtype)

    def network(self, dtype):
        """``(dims, parameters)``; the dict sometimes has a missing, extra or odd key."""
        dims = [self.dim() for _ in range(self.int(2, 4))]
        p = {}
        for l in range(1, len(dims)):
            p[f"W{l}"] = self.float_array((dims[l], dims[l - 1]), dtype)
            p[f"b{l}"] = self.float_array((dims[l], 1), dtype)
        mutation = self.int(0, 9)
        if mutation == 0:
            p.pop(self.pick(sorted(p)))
        elif mutation == 1:
            p[self.pick(["W9", "b9", "W0", "x", 1, ("W", 1)])] = np.zeros((1, 1), dtype)
        elif mutation == 2:
            p[self.pick(sorted(p))] = self.pick([None, 1.0, [1.0], "W"])
        return dims, p

    def grads(self, dims, dtype):
        g = {}
        for l in range(1, len(dims)):
            g[f"dW{l}"] = self.float_array((dims[l], dims[l - 1]), dtype)
            g[f"db{l}"] = self.float_array((dims[l], 1), dtype)
        if self.int(0, 9) == 0:
            g.pop(self.pick(sorted(g)))
        elif self.int(0, 9) == 0:
            g["dW9"] = np.zeros((1, 1), dtype)
        return g


def _dtype(d):
    return d.pick([np.float64, np.float32])


def _callback(d):
    outcome = d.int(0, 3)

    def callback(*args):
        if outcome == 0:
            raise ValueError("stop from the fuzz callback")
        return outcome != 1  # 1: False stops training

    return callback


# ---------------------------------------------------------------------------------------------
# Targets: public API
# ---------------------------------------------------------------------------------------------


def t_forward(d):
    dt = _dtype(d)
    dims, p = d.network(dt)
    X = d.float_array((dims[0], d.dim()), dt)
    if d.bool():
        nncore.forward_propagation(X, p, d.choice(["relu", "tanh"]))
    else:
        masks = None
        if d.bool():
            masks = [d.array((dims[l], X.shape[-1] if X.ndim else 1), dt, labels=True)
                     for l in range(1, len(dims) - 1)]  # fmt: skip
        nncore.forward_propagation_with_dropout(
            X, p, d.number(0, 1), d.count(0, 2**64 + 1), d.choice(["relu", "tanh"]), masks
        )


def t_cost(d):
    dt = _dtype(d)
    n, m = d.int(1, 2), d.dim()
    AL = d.array((n, m), dt)
    if d.bool():
        AL = np.abs(np.nan_to_num(np.real(AL).astype(np.float64))) % 1.0001
        AL = AL.astype(dt)
    Y = d.array((n, m), dt, labels=True)
    if d.bool():
        nncore.compute_cost(AL, Y)
    else:
        _, p = d.network(dt)
        nncore.compute_cost_with_regularization(AL, Y, p, d.number(0, 2))


def t_backward(d):
    dt = _dtype(d)
    dims, p = d.network(dt)
    m = d.int(1, MAX_DIM)
    X = d.float_array((dims[0], m), dt)
    Y = d.array((dims[-1], m), dt, labels=True)
    try:
        dropout = d.bool()
        if dropout:
            _, caches = nncore.forward_propagation_with_dropout(X, p, 0.7, 1)
        else:
            _, caches = nncore.forward_propagation(X, p)
    except CLEAN:
        caches = [nncore.LayerCache(X, X, X, X, X, None, "relu")]
        dropout = False
    if d.int(0, 3) == 0 and isinstance(caches, list):  # damage one LayerCache
        l = d.int(0, len(caches) - 1)
        field = d.pick(["A_prev", "W", "b", "Z", "A", "D", "activation"])
        value = d.pick(["relu", "tanh", "sigmoid", "gelu", None]) if field == "activation" else (
            d.array((d.dim(), m), dt))  # fmt: skip
        caches[l] = caches[l]._replace(**{field: value})
    elif d.int(0, 3) == 0:  # damage one entry of the course's flat tuple
        l = d.int(0, len(caches) - 1)
        value = d.pick([None, "relu", 3.0]) if d.bool() else d.array((d.dim(), m), dt)
        caches = (*caches[:l], value, *caches[l + 1 :])
    which = d.int(0, 2)
    if which == 0:
        nncore.backward_propagation(X, Y, caches)
    elif which == 1:
        nncore.backward_propagation_with_regularization(X, Y, caches, d.number(0, 2))
    else:
        nncore.backward_propagation_with_dropout(X, Y, caches, d.number(0, 1))


def t_update(d):
    dt = _dtype(d)
    dims, p = d.network(dt)
    g = d.grads(dims, dt)
    which = d.int(0, 2)
    if which == 0:
        nncore.update_parameters_with_gd(p, g, d.number(0, 1))
    elif which == 1:
        nncore.update_parameters_with_momentum(p, g, d.grads(dims, dt), d.number(0, 1),
                                               d.number(0, 1))  # fmt: skip
    else:
        nncore.update_parameters_with_adam(
            p, g, d.grads(dims, dt), d.grads(dims, dt), d.count(1, 10), d.number(0, 1),
            d.number(0, 1), d.number(0, 1), d.number(0, 1),
        )  # fmt: skip


def t_minibatches(d):
    dt = _dtype(d)
    m = d.dim()
    X = d.array((d.dim(), m), dt)
    Y = d.array((1, m), dt, labels=True)
    nncore.random_mini_batches(X, Y, d.count(1, 8), d.count(0, 2**33))


def t_bookkeeping(d):
    dt = _dtype(d)
    dims, p = d.network(dt)
    which = d.int(0, 6)
    if which == 0:
        nncore.dictionary_to_vector(p)
    elif which == 1:
        n = sum(dims[l] * dims[l - 1] + dims[l] for l in range(1, len(dims)))
        nncore.vector_to_dictionary(d.array((n + d.int(-1, 1), 1), dt), dims)
    elif which == 2:
        nncore.gradients_to_vector(d.grads(dims, dt))
    elif which == 3:
        nncore.update_lr(d.number(0, 1), d.count(0, 100), d.number(0, 2))
    elif which == 4:
        nncore.schedule_lr_decay(d.number(0, 1), d.count(0, 100), d.number(0, 2), d.count(1, 9))
    elif which == 5:
        nncore.initialize_velocity(p)
    else:
        init = d.pick(["zeros", "random", "he", "xavier", "deep"])
        dims = [d.count(0, 5) for _ in range(d.int(0, 4))] if d.bool() else dims
        fn = getattr(nncore, f"initialize_parameters_{init}")
        fn(dims, dtype=d.choice(["float64", "float32"])) if init == "zeros" else fn(
            dims, d.count(0, 2**33), dtype=d.choice(["float64", "float32"]))  # fmt: skip


def t_predict(d):
    dt = _dtype(d)
    dims, p = d.network(dt)
    X = d.float_array((dims[0], d.dim()), dt)
    if d.bool():
        nncore.predict(X, d.array((dims[-1], X.shape[-1] if X.ndim else 1), dt, labels=True), p)
    else:
        nncore.predict_dec(p, X)


def t_model(d):
    dt = _dtype(d)
    dims = [d.dim() for _ in range(d.int(1, 3))] + [d.int(1, 2)]
    m = d.int(0, 12)
    X = d.float_array((dims[0], m), dt)
    Y = d.array((dims[-1], m), dt, labels=True)
    kwargs = {
        "optimizer": d.choice(["gd", "momentum", "adam"]),
        "learning_rate": d.number(0, 0.5),
        "mini_batch_size": None if d.int(0, 3) == 0 else d.count(1, 8),
        "beta": d.number(0, 1), "beta1": d.number(0, 1), "beta2": d.number(0, 1),
        "epsilon": d.number(0, 1e-3), "num_epochs": d.count(0, 3),
        "initialization": d.choice(["he", "zeros", "random", "xavier", "deep"]),
        "lambd": d.number(0, 1), "keep_prob": d.number(0, 1),
        "decay": d.pick([None, "update_lr", "schedule_lr_decay", lambda a, b, c: a, "x", 3]),
        "decay_rate": d.number(0, 2), "hidden_activation": d.choice(["relu", "tanh"]),
    }  # fmt: skip
    if isinstance(kwargs["num_epochs"], int) and kwargs["num_epochs"] > 4:
        kwargs["num_epochs"] = 4  # valid, but long
    nncore.model(X, Y, dims, **kwargs)


def t_network(d):
    dt = d.choice(["float64", "float32"])
    dims = [d.dim() for _ in range(d.int(1, 3))] + [d.int(1, 3)]
    net = nncore.Network(
        dims, d.choice(["relu", "tanh"]), d.choice(["sigmoid", "softmax", "identity"]),
        d.choice(["he", "zeros", "random", "xavier", "deep"]), dt, d.count(0, 2**31 + 1),
    )  # fmt: skip
    m = d.int(0, 12)
    X = d.array((net.layers_dims[0], m), net.dtype)
    if X.dtype.kind == "f" and d.bool():
        X = np.nan_to_num(X.astype(np.float64), posinf=1, neginf=-1).astype(X.dtype)
    if d.bool():
        Y = d.array((net.layers_dims[-1] if d.bool() else 1, m), net.dtype, labels=True)
        num_epochs = d.count(0, 3)
        if isinstance(num_epochs, int) and num_epochs > 4:
            num_epochs = 4
        net.fit(
            X, Y, d.choice(["gd", "momentum", "adam"]), d.number(0, 0.5),
            None if d.int(0, 3) == 0 else d.count(1, 8), num_epochs, d.number(0, 1),
            d.number(0, 1), d.pick([None, "update_lr", "schedule_lr_decay"]), d.number(0, 2),
            d.number(0, 1), d.number(0, 1), d.number(0, 1), d.number(0, 1e-3),
            _callback(d) if d.bool() else None, d.count(1, 3),
        )  # fmt: skip
    if d.bool():
        net.predict(X)
    else:
        net.predict_proba(X)


# ---------------------------------------------------------------------------------------------
# Targets: the raw core (no Python checks in front)
# ---------------------------------------------------------------------------------------------


def _raw_lists(d, dims, dt):
    W = [d.array((dims[l], dims[l - 1]), dt) for l in range(1, len(dims))]
    b = [d.array((dims[l], 1), dt) for l in range(1, len(dims))]
    if d.int(0, 5) == 0 and W:
        (W if d.bool() else b).pop()
    return W, b


def t_core_forward(d):
    dt = _dtype(d)
    core = _core.f64 if d.bool() else _core.f32
    dims = [d.dim() for _ in range(d.int(1, 4))]
    m = d.dim()
    X = d.array((dims[0], m), dt)
    W, b = _raw_lists(d, dims, dt)
    masks = [d.array((dims[l], m), dt) for l in range(1, len(dims) - 1) if d.bool()]
    core.forward(X, W, b, d.int(-1, 2), d.int(-1, 3), d.float(), d.int(-1, 3), masks,
                 d.int(0, 2**64 - 1), d.int(0, 2**64 - 1))  # fmt: skip


def t_core_backward(d):
    dt = _dtype(d)
    core = _core.f64 if d.bool() else _core.f32
    dims = [d.dim() for _ in range(d.int(1, 4))]
    m = d.dim()
    W, _ = _raw_lists(d, dims, dt)
    L = len(W)

    def acts(rows_of):
        return [d.array((rows_of(l), m), dt) for l in range(L + d.int(-1, 1))]

    Aprev = acts(lambda l: dims[l] if l < len(dims) else 1)
    Z = acts(lambda l: dims[l + 1] if l + 1 < len(dims) else 1)
    A = acts(lambda l: dims[l + 1] if l + 1 < len(dims) else 1)
    D = acts(lambda l: dims[l + 1] if l + 1 < len(dims) else 1)[: max(L - 1, 0)] if d.bool() else []
    Y = d.array((dims[-1], m), dt)
    core.backward(Y, W, Aprev, Z, A, D, d.int(-1, 2), d.int(-1, 3), d.float(), d.float())


def t_core_update(d):
    dt = _dtype(d)
    core = _core.f64 if d.bool() else _core.f32
    n = d.int(0, 4)
    shapes = [(d.dim(), d.dim()) for _ in range(n)]

    def arrays():
        out = [d.array(s, dt) for s in shapes]
        if d.int(0, 7) == 0 and out:
            out.pop()
        return out

    P, G, V, S = arrays(), arrays(), arrays(), arrays()
    core.update(d.int(-1, 3), P, G, V, S, d.float(), d.float(), d.float(), d.float(),
                d.float(), d.int(-(2**63), 2**63 - 1))  # fmt: skip


def t_core_misc(d):
    dt = _dtype(d)
    core = _core.f64 if d.bool() else _core.f32
    which = d.int(0, 3)
    if which == 0:
        shape = (d.dim(), d.dim())
        core.cost(d.int(-1, 3), d.array(shape, dt), d.array(shape, dt))
    elif which == 1:
        core.sum_squares(d.array((d.dim(), d.dim()), dt))
    elif which == 2:
        n, m = d.int(-2, 64), d.int(-2, 64)
        core.dropout_mask(d.int(0, 2**64 - 1), d.int(0, 2**64 - 1), d.int(0, 2**32 - 1), n, m,
                          d.float())  # fmt: skip
    else:
        _core.numpy_permutation(d.int(0, 2**32 - 1), d.int(-2, MAX_ALLOC))


def t_core_train(d):
    dt = _dtype(d)
    core = _core.f64 if d.bool() else _core.f32
    if d.int(0, 7):
        dims = [d.dim() for _ in range(d.int(0, 4))]
    else:
        dims = [d.pick([1, 2, 2**31, 2**40, 6148914691236517206, -1]) for _ in range(d.int(2, 3))]
    # Widths above MAX_ALLOC are all >= 2**31 here: the core refuses them before allocating.
    m = d.dim()
    # The count as the core's 64-bit arithmetic forms it (wrapping), so that a theta of the
    # wrapped size gets past the check.
    n_params = sum(dims[l] * dims[l - 1] + dims[l] for l in range(1, len(dims))) % 2**64
    n_params = max(n_params + (d.int(-1, 1) if d.int(0, 5) == 0 else 0), 0)
    if n_params > MAX_ALLOC:
        n_params = 0
    n_x = dims[0] if dims and dims[0] <= MAX_ALLOC else 1
    n_y = dims[-1] if dims and dims[-1] <= MAX_ALLOC else 1
    rows = d.bool()
    X = d.array((m, n_x) if rows else (n_x, m), dt)
    Y = d.array((n_y, m), dt, labels=True)
    theta = d.array((n_params,), dt)
    v, s = d.array((n_params,), dt), d.array((n_params,), dt)
    epochs = d.int(-1, 3)
    costs = d.array((max(epochs, 0) + d.int(-1, 1),), np.float64)
    state = d.array((4,), np.int64)
    rates = d.array((max(epochs, 0),), np.float64)
    config = _core.TrainConfig(
        optimizer=d.int(-1, 3), mini_batch_size=d.int(-(2**40), 2**40), num_epochs=epochs,
        shuffle_seed=d.int(0, 2**32 - 1), lambd=d.float(), keep_prob=d.float(), beta=d.float(),
        beta1=d.float(), beta2=d.float(), epsilon=d.float(), dropout_seed=d.int(0, 2**64 - 1),
        callback_every=d.int(-2, 3), hook_seconds=d.pick([0.05, 1e-9, 0.0, -1.0, np.nan, np.inf]),
        on_nonfinite=d.int(-1, 3),
    )  # fmt: skip
    core.train(
        X=X, rows=rows, Y=Y, dims=dims, hidden=d.int(-1, 2), output=d.int(-1, 3), theta=theta,
        v=v, s=s, learning_rates=rates, costs=costs, state=state, config=config,
        callback=_callback(d) if d.bool() else d.pick([None, 3, "x"]),
    )  # fmt: skip


TARGETS = [t_forward, t_cost, t_backward, t_update, t_minibatches, t_bookkeeping, t_predict,
           t_model, t_network, t_core_forward, t_core_backward, t_core_update, t_core_misc,
           t_core_train]  # fmt: skip


def TestOneInput(data: bytes) -> None:
    d = Decoder(data)
    target = d.pick(TARGETS)
    with contextlib.suppress(*CLEAN):
        target(d)


def main() -> None:
    np.seterr(all="ignore")  # overflow in the numpy parts of a call is not a finding
    # Python-level coverage of everything loaded (nncore, numpy). instrument_imports does not
    # see nncore when an editable install loads it through its custom loader.
    atheris.instrument_all()
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
