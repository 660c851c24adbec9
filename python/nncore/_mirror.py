"""The course functions on the fast core: same names, signatures and return structures as
:mod:`nncore.reference`, computed in C++.

Differences from the reference, all deliberate:

- float32 and float64: the dtype of ``X`` (or of the parameters, where there is no ``X``) is
  the dtype of every result; inputs of another dtype are refused with ``TypeError``.
- No global random state: the initializers draw from a private ``numpy.random.RandomState``
  seeded like the course (same numbers, nothing reseeded behind the caller's back), and the
  dropout masks come from the core's Philox generator keyed by ``seed``.
  ``forward_propagation_with_dropout`` also accepts the reference's masks (``masks=``) and then
  reproduces the reference.
- Every argument is checked before it reaches the core (see ``_validate``).
"""

from __future__ import annotations

import math

import numpy as np

from . import _core
from . import _validate as chk
from . import reference as _ref
from ._types import LayerCache

HIDDEN = {"relu": 0, "tanh": 1}
OPTIMIZER_CODES = {"gd": 0, "momentum": 1, "adam": 2}

# Pure bookkeeping is shared with the reference (no arithmetic to speed up).
dictionary_to_vector = _ref.dictionary_to_vector
vector_to_dictionary = _ref.vector_to_dictionary
gradients_to_vector = _ref.gradients_to_vector
update_lr = _ref.update_lr
schedule_lr_decay = _ref.schedule_lr_decay


def core_for(dtype: np.dtype):
    """The core's kernels for ``dtype`` (``_core.f64`` or ``_core.f32``)."""
    return _core.f64 if dtype == np.float64 else _core.f32


def _hidden_code(hidden_activation: str) -> int:
    return HIDDEN[chk.choice(hidden_activation, "hidden_activation", HIDDEN)]


# ---------------------------------------------------------------------------------------------
# Activations and initializers
# ---------------------------------------------------------------------------------------------


def sigmoid(z):
    """Logistic sigmoid ``1 / (1 + exp(-z))`` (dtype preserved); see the reference."""
    z = np.asarray(z)
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-z))


def relu(z):
    """``max(0, z)`` element-wise (dtype preserved)."""
    return np.maximum(0, np.asarray(z))


def _initialize(layers_dims, seed, scale, dtype) -> dict[str, np.ndarray]:
    dims = chk.layers_dims(layers_dims)
    dt = chk.float_dtype(dtype)
    rng = None if seed is None else np.random.RandomState(chk.integer(seed, "seed", low=0))
    if rng is None:
        rng = np.random.RandomState()
    parameters = {}
    for l in range(1, len(dims)):
        W = rng.randn(dims[l], dims[l - 1]) * scale(dims, l)
        parameters[f"W{l}"] = W.astype(dt, copy=False)
        parameters[f"b{l}"] = np.zeros((dims[l], 1), dtype=dt)
    return parameters


def initialize_parameters_zeros(layers_dims, dtype="float64") -> dict[str, np.ndarray]:
    """All weights and biases zero (the course's symmetric initialization)."""
    dims = chk.layers_dims(layers_dims)
    dt = chk.float_dtype(dtype)
    parameters = {}
    for l in range(1, len(dims)):
        parameters[f"W{l}"] = np.zeros((dims[l], dims[l - 1]), dtype=dt)
        parameters[f"b{l}"] = np.zeros((dims[l], 1), dtype=dt)
    return parameters


def initialize_parameters_random(layers_dims, seed=3, dtype="float64"):
    """``randn * 10`` weights, zero biases (same draws as the reference, no global state)."""
    return _initialize(layers_dims, seed, lambda d, l: 10, dtype)


def initialize_parameters_he(layers_dims, seed=3, dtype="float64"):
    """He initialization ``randn * sqrt(2 / n_{l-1})`` (same draws as the reference)."""
    return _initialize(layers_dims, seed, lambda d, l: np.sqrt(2.0 / d[l - 1]), dtype)


def initialize_parameters_xavier(layers_dims, seed=3, variant="course", dtype="float64"):
    """Xavier initialization (same draws as the reference): ``randn * sqrt(1 / n_{l-1})``, or
    with ``variant="glorot"`` ``randn * sqrt(2 / (n_{l-1} + n_l))``."""
    chk.choice(variant, "variant", ("course", "glorot"))
    if variant == "course":
        return _initialize(layers_dims, seed, lambda d, l: np.sqrt(1.0 / d[l - 1]), dtype)
    return _initialize(layers_dims, seed, lambda d, l: np.sqrt(2.0 / (d[l - 1] + d[l])), dtype)


def initialize_parameters_deep(layers_dims, seed=3, dtype="float64"):
    """Small random weights ``randn * 0.01`` (same draws as the reference)."""
    return _initialize(layers_dims, seed, lambda d, l: 0.01, dtype)


def initialize_velocity(parameters: dict) -> dict[str, np.ndarray]:
    """Zero velocity ``{"dW1", "db1", ...}`` in the parameters' dtype."""
    L = chk.num_layers(parameters)
    out = {}
    for l in range(1, L + 1):
        for p in ("W", "b"):
            arr = np.asarray(parameters[f"{p}{l}"])
            out[f"d{p}{l}"] = np.zeros(arr.shape, dtype=arr.dtype)
    return out


def initialize_adam(parameters: dict) -> tuple[dict, dict]:
    """Zero first and second moments for Adam, in the parameters' dtype."""
    return initialize_velocity(parameters), initialize_velocity(parameters)


# ---------------------------------------------------------------------------------------------
# Forward, cost, backward
# ---------------------------------------------------------------------------------------------


def _forward(X, parameters, hidden_activation, keep_prob, mask_mode, masks, seed, step):
    dt = chk.compute_dtype(X)
    X = chk.array2d(X, "X", dt)
    W, b = chk.parameters_list(parameters, dt, n_x=X.shape[0])
    hidden = _hidden_code(hidden_activation)
    L = len(W)
    Z, A, D, Adrop = core_for(dt).forward(
        X, W, b, hidden, 0, keep_prob, mask_mode, masks, seed, step
    )
    caches = []
    A_prev = X
    for l in range(L):
        Dl = D[l] if (mask_mode and l < L - 1) else None
        activation = hidden_activation if l < L - 1 else "sigmoid"
        caches.append(LayerCache(A_prev, W[l], b[l], Z[l], A[l], Dl, activation))
        A_prev = Adrop[l] if Dl is not None else A[l]
    return A[-1], caches


def forward_propagation(X, parameters: dict, hidden_activation: str = "relu"):
    """Forward pass ``[LINEAR -> hidden] * (L-1) -> LINEAR -> SIGMOID`` on the core.

    Same arguments and results as :func:`nncore.reference.forward_propagation`; ``X`` and the
    parameters must share one dtype (float64 or float32), which the results keep.
    """
    return _forward(X, parameters, hidden_activation, 1.0, 0, [], 0, 0)


def forward_propagation_with_dropout(
    X,
    parameters: dict,
    keep_prob: float = 0.5,
    seed: int | None = 1,
    hidden_activation: str = "relu",
    masks: list | None = None,
):
    """Forward pass with inverted dropout on the hidden layers, on the core.

    Parameters
    ----------
    X, parameters, keep_prob, hidden_activation
        As in :func:`nncore.reference.forward_propagation_with_dropout`.
    seed : int or None, optional
        Key of the core's Philox generator: the mask of hidden layer ``l`` is a pure function
        of ``(seed, l, element)``, so a seed always gives the same masks (``None`` means 0).
        These are not numpy's masks; pass ``masks`` to reproduce the reference.
    masks : list of numpy.ndarray, optional
        One 0/1 mask per hidden layer, shape ``(n_l, m)`` (for instance the ``D`` of the
        reference's caches). Given, they are used instead of drawing new ones.

    Returns
    -------
    AL, caches
        As the reference; the hidden layers' caches carry their mask ``D``.
    """
    kp = chk.keep_prob(keep_prob)
    seed = 0 if seed is None else chk.integer(seed, "seed", low=0)
    if masks is None:
        return _forward(X, parameters, hidden_activation, kp, 2, [], seed, 0)
    dt = chk.compute_dtype(X)
    L = chk.num_layers(parameters)
    if not isinstance(masks, (list, tuple)) or len(masks) != L - 1:
        raise ValueError(f"masks must be a list of {L - 1} arrays (one per hidden layer)")
    checked = []
    for l, D in enumerate(masks, start=1):
        rows = np.shape(parameters[f"W{l}"])[0]
        D = chk.array2d(D, f"masks[{l - 1}]", dt, rows=rows, cols=np.shape(X)[-1], cast=True)
        if not np.isin(D, (0, 1)).all():
            raise ValueError(f"masks[{l - 1}] must contain only 0 and 1")
        checked.append(D)
    return _forward(X, parameters, hidden_activation, kp, 1, checked, seed, 0)


def _labels(Y, dt, rows, cols, name="Y"):
    return chk.array2d(Y, name, dt, rows=rows, cols=cols, cast=True)


def compute_cost(AL, Y) -> float:
    """Mean cross-entropy ``-(1/m) nansum(Y log AL + (1 - Y) log(1 - AL))`` on the core.

    As the reference: a saturated output gives ``inf`` where the label disagrees; terms
    ``0 * log 0`` are skipped like ``np.nansum`` does.
    """
    dt = chk.compute_dtype(AL, "AL")
    AL = chk.array2d(AL, "AL", dt, finite=False)
    if np.isnan(AL).any():
        raise ValueError("AL contains NaN")
    Y = _labels(Y, dt, AL.shape[0], AL.shape[1])
    return core_for(dt).cost(0, AL, Y)


def _sum_squared_weights(parameters, dt) -> float:
    L = chk.num_layers(parameters)
    W = [chk.array2d(parameters[f"W{l}"], f"parameters['W{l}']", dt) for l in range(1, L + 1)]
    kernels = core_for(dt)
    return sum(kernels.sum_squares(Wl) for Wl in W)


def compute_cost_with_regularization(AL, Y, parameters: dict, lambd: float) -> float:
    """Cross-entropy plus ``(1/m) (lambd/2) sum_l ||Wl||_F^2``, on the core."""
    lambd = chk.real(lambd, "lambd", low=0.0)
    cross_entropy = compute_cost(AL, Y)
    m = np.shape(Y)[1]
    return cross_entropy + (1 / m) * (lambd / 2) * _sum_squared_weights(parameters, AL.dtype)


def _check_caches(caches, name="caches") -> int:
    if not isinstance(caches, (list, tuple)) or not caches:
        raise TypeError(f"{name} must be the non-empty list of caches of a forward pass")
    for l, c in enumerate(caches):
        if not isinstance(c, LayerCache):
            raise TypeError(f"{name}[{l}] must be a LayerCache, got {type(c).__name__}")
    return len(caches)


def _backward(X, Y, caches, lambd=0.0, keep_prob=1.0, use_masks=False):
    L = _check_caches(caches)
    dt = chk.compute_dtype(X)
    X = chk.array2d(X, "X", dt)
    m = X.shape[1]
    hidden = caches[0].activation if L > 1 else "relu"
    hidden_code = _hidden_code(hidden)
    W, Aprev, Z, A, D = [], [], [], [], []
    for l, c in enumerate(caches, start=1):
        n = np.shape(c.W)[0]
        W.append(chk.array2d(c.W, f"caches[{l - 1}].W", dt))
        Aprev.append(chk.array2d(c.A_prev, f"caches[{l - 1}].A_prev", dt, cols=m, finite=False))
        Z.append(chk.array2d(c.Z, f"caches[{l - 1}].Z", dt, rows=n, cols=m, finite=False))
        A.append(chk.array2d(c.A, f"caches[{l - 1}].A", dt, rows=n, cols=m, finite=False))
        if use_masks and l < L:
            if c.D is None:
                raise ValueError(f"caches[{l - 1}].D is None: expected the dropout mask")
            D.append(chk.array2d(c.D, f"caches[{l - 1}].D", dt, rows=n, cols=m, cast=True))
        if l < L and c.activation != hidden:
            raise ValueError(
                f"caches[{l - 1}].activation is {c.activation!r}, expected {hidden!r} "
                "(one hidden activation for all hidden layers)"
            )
    if Aprev[0] is not X and not np.array_equal(Aprev[0], X):
        raise ValueError("X does not match caches[0].A_prev (the input of the forward pass)")
    Y = _labels(Y, dt, A[-1].shape[0], m)
    dW, db = core_for(dt).backward(Y, W, Aprev, Z, A, D, hidden_code, 0, lambd, keep_prob)
    return {key: g for l in range(L) for key, g in ((f"dW{l + 1}", dW[l]), (f"db{l + 1}", db[l]))}


def backward_propagation(X, Y, caches) -> dict[str, np.ndarray]:
    """Gradients of the cross-entropy cost on the core (see the reference)."""
    return _backward(X, Y, caches)


def backward_propagation_with_regularization(X, Y, caches, lambd: float):
    """Gradients of the L2-regularized cost on the core: ``dWl`` gains ``(lambd/m) Wl``."""
    return _backward(X, Y, caches, lambd=chk.real(lambd, "lambd", low=0.0))


def backward_propagation_with_dropout(X, Y, caches, keep_prob: float):
    """Gradients through inverted dropout with the masks of the caches, on the core."""
    return _backward(X, Y, caches, keep_prob=chk.keep_prob(keep_prob), use_masks=True)


# ---------------------------------------------------------------------------------------------
# Gradient checking
# ---------------------------------------------------------------------------------------------


def gradient_check_n(
    parameters: dict,
    gradients: dict,
    X,
    Y,
    epsilon: float = 1e-7,
    hidden_activation: str = "relu",
    lambd: float = 0.0,
    print_msg: bool = False,
) -> float:
    """Centred finite differences of the core's cost against ``gradients`` (see the reference).

    Returns ``||grad - gradapprox|| / (||grad|| + ||gradapprox||)``. In float32 the
    differences are dominated by rounding; check gradients in float64.
    """
    dt = chk.compute_dtype(X)
    epsilon = chk.real(epsilon, "epsilon", low=0.0, low_open=True)
    lambd = chk.real(lambd, "lambd", low=0.0)
    L = chk.num_layers(parameters)
    dims = [np.shape(X)[0]] + [np.shape(parameters[f"W{l}"])[0] for l in range(1, L + 1)]
    theta, _ = dictionary_to_vector(parameters)
    theta = theta.astype(dt)
    if not isinstance(gradients, dict):
        raise TypeError(f"gradients must be a dict of dW1, db1, ..., got {type(gradients)}")
    for key in (f"d{p}{l}" for l in range(1, L + 1) for p in "Wb"):
        if key not in gradients:
            raise ValueError(f"gradients is missing {key!r}")
    grad = gradients_to_vector(gradients)
    if grad.shape[0] != theta.shape[0]:
        raise ValueError(
            f"gradients has {grad.shape[0]} elements, expected {theta.shape[0]} (one per parameter)"
        )

    def cost_at(th):
        params = {k: a.astype(dt, copy=False) for k, a in vector_to_dictionary(th, dims).items()}
        AL, _ = forward_propagation(X, params, hidden_activation)
        if lambd > 0:
            return compute_cost_with_regularization(AL, Y, params, lambd)
        return compute_cost(AL, Y)

    gradapprox = np.zeros((theta.shape[0], 1))
    for i in range(theta.shape[0]):
        plus = theta.copy()
        plus[i] += epsilon
        minus = theta.copy()
        minus[i] -= epsilon
        gradapprox[i] = (cost_at(plus) - cost_at(minus)) / (2 * epsilon)
    difference = float(
        np.linalg.norm(grad - gradapprox) / (np.linalg.norm(grad) + np.linalg.norm(gradapprox))
    )
    if print_msg:
        verdict = "There is a mistake in the backward propagation!"
        if difference <= 2e-7:
            verdict = "Your backward propagation works perfectly fine!"
        print(f"{verdict} difference = {difference}")
    return difference


# ---------------------------------------------------------------------------------------------
# Optimizers
# ---------------------------------------------------------------------------------------------


def _optimizer_lists(parameters, grads, states, dt):
    L = chk.num_layers(parameters)
    keys = [k for l in range(1, L + 1) for k in ((f"W{l}", f"dW{l}"), (f"b{l}", f"db{l}"))]
    P, G = [], []
    S = [[] for _ in states]
    for p, g in keys:
        Pk = chk.array2d(parameters[p], f"parameters[{p!r}]", dt)
        P.append(Pk.copy())
        if g not in grads:
            raise ValueError(f"grads is missing {g!r}")
        G.append(chk.array2d(grads[g], f"grads[{g!r}]", dt, rows=Pk.shape[0], cols=Pk.shape[1]))
        for (sname, state), out in zip(states, S):
            if not isinstance(state, dict) or g not in state:
                raise ValueError(f"{sname} is missing {g!r}")
            out.append(
                chk.array2d(
                    state[g], f"{sname}[{g!r}]", dt, rows=Pk.shape[0], cols=Pk.shape[1]
                ).copy()
            )
    return keys, P, G, S


def _param_dtype(parameters) -> np.dtype:
    chk.num_layers(parameters)
    return chk.compute_dtype(parameters["W1"], "parameters['W1']")


def update_parameters_with_gd(parameters: dict, grads: dict, learning_rate: float):
    """One gradient-descent step on the core; returns new parameters (inputs untouched)."""
    lr = chk.real(learning_rate, "learning_rate", low=0.0)
    dt = _param_dtype(parameters)
    keys, P, G, _ = _optimizer_lists(parameters, grads, [], dt)
    core_for(dt).update(0, P, G, [], [], lr, 0.0, 0.0, 0.0, 0.0, 0)
    return {p: arr for (p, _), arr in zip(keys, P)}


def update_parameters_with_momentum(
    parameters: dict, grads: dict, v: dict, beta: float, learning_rate: float
):
    """One momentum step on the core; returns ``(parameters, v)`` (inputs untouched)."""
    lr = chk.real(learning_rate, "learning_rate", low=0.0)
    beta = chk.real(beta, "beta", 0.0, 1.0, high_open=True)
    dt = _param_dtype(parameters)
    keys, P, G, (V,) = _optimizer_lists(parameters, grads, [("v", v)], dt)
    core_for(dt).update(1, P, G, V, [], lr, beta, 0.0, 0.0, 0.0, 0)
    return {p: a for (p, _), a in zip(keys, P)}, {g: a for (_, g), a in zip(keys, V)}


def update_parameters_with_adam(
    parameters: dict,
    grads: dict,
    v: dict,
    s: dict,
    t: int,
    learning_rate: float = 0.01,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
):
    """One Adam step on the core; returns ``(parameters, v, s, v_corrected, s_corrected)``."""
    t = chk.integer(t, "t", low=1)
    lr = chk.real(learning_rate, "learning_rate", low=0.0)
    beta1 = chk.real(beta1, "beta1", 0.0, 1.0, high_open=True)
    beta2 = chk.real(beta2, "beta2", 0.0, 1.0, high_open=True)
    epsilon = chk.real(epsilon, "epsilon", low=0.0, low_open=True)
    dt = _param_dtype(parameters)
    keys, P, G, (V, S) = _optimizer_lists(parameters, grads, [("v", v), ("s", s)], dt)
    Vc, Sc = core_for(dt).update(2, P, G, V, S, lr, 0.0, beta1, beta2, epsilon, t)

    def as_dict(arrays, which):
        return {key[which]: a for key, a in zip(keys, arrays)}

    return as_dict(P, 0), as_dict(V, 1), as_dict(S, 1), as_dict(Vc, 1), as_dict(Sc, 1)


# ---------------------------------------------------------------------------------------------
# Minibatches, prediction
# ---------------------------------------------------------------------------------------------


def random_mini_batches(X, Y, mini_batch_size: int = 64, seed: int | None = 0):
    """The course's shuffled minibatches, with the permutation computed by the core's copy of
    numpy's legacy MT19937 (``np.random.seed(seed); np.random.permutation(m)``), so the global
    generator is left alone. ``seed=None`` draws a fresh seed from numpy's global generator.
    """
    mini_batch_size = chk.integer(mini_batch_size, "mini_batch_size", low=1)
    if not isinstance(X, np.ndarray) or X.ndim != 2:
        raise ValueError(f"X must be a 2-D numpy array, got {type(X).__name__}")
    m = X.shape[1]
    if not isinstance(Y, np.ndarray) or Y.shape[-1] != m:
        raise ValueError(f"Y must have {m} columns (one per example of X), got {np.shape(Y)}")
    if seed is None:
        seed = int(np.random.randint(0, 2**31))  # noqa: NPY002
    seed = chk.integer(seed, "seed", low=0)
    if seed >= 2**32:
        raise ValueError(f"seed must be < 2**32, got {seed}")
    permutation = _core.numpy_permutation(seed, m)
    shuffled_X = X[:, permutation]
    shuffled_Y = Y[:, permutation].reshape((Y.shape[0], m))
    batches = []
    for k in range(math.ceil(m / mini_batch_size)):
        sl = slice(k * mini_batch_size, min((k + 1) * mini_batch_size, m))
        batches.append((shuffled_X[:, sl], shuffled_Y[:, sl]))
    return batches


def predict(X, y, parameters: dict, hidden_activation: str = "relu"):
    """Labels ``AL > 0.5`` from the core's forward pass, and the accuracy against ``y``."""
    AL, _ = forward_propagation(X, parameters, hidden_activation)
    p = (AL > 0.5).astype(np.int64)
    y = np.asarray(y)
    if y.shape != p.shape:
        raise ValueError(f"y must have shape {p.shape}, got {y.shape}")
    return p, float(np.mean(p == y))


def predict_dec(parameters: dict, X, hidden_activation: str = "relu"):
    """Boolean predictions ``AL > 0.5`` (for decision-boundary plots), on the core."""
    AL, _ = forward_propagation(X, parameters, hidden_activation)
    return AL > 0.5
