"""The course functions on the fast core: same names, signatures and return structures as
:mod:`nncore.reference`, computed in C++.

Differences from the reference, all deliberate:

- float32 and float64: the dtype of ``X`` (or of the parameters, where there is no ``X``) is
  the dtype of every result. Data arrays (``X``, ``AL``, parameters, gradients, optimizer
  state, caches) of another dtype, integer arrays and lists included, are refused with
  ``TypeError`` in every function of this module (no silent promotion: unlike
  :class:`nncore.Network`, which converts ``X`` and ``Y`` to its dtype). Labels (``Y``, ``y``)
  and masks may be integer or float and are converted to the compute dtype. Bool, complex,
  object and string arrays are refused everywhere.
- Fortran-ordered and non-contiguous arrays are accepted and copied once to C order; the
  results equal those of the C-ordered arrays.
- No global random state: the initializers draw from a private ``numpy.random.RandomState``
  seeded like the course (same numbers, nothing reseeded behind the caller's back), and the
  dropout masks come from the core's Philox generator keyed by ``seed``.
  ``forward_propagation_with_dropout`` also accepts the reference's masks (``masks=``) and then
  reproduces the reference.
- Every argument is checked before it reaches the core (see ``_validate`` for the policy):
  a ``ValueError`` or ``TypeError`` names the argument, the expected and the actual value.
  Inputs the reference would turn into silently wrong numbers are refused: NaN or inf in
  data or parameters, ``m = 0``, labels other than 0/1, ``AL`` outside ``[0, 1]``, extra
  parameter keys, ``learning_rate <= 0``.
"""

from __future__ import annotations

import math

import numpy as np

from . import _core
from . import _validate as chk
from . import reference as _ref
from ._types import LayerCache

# Names and codes from the compiled module's tables (cpp/include/nncore/types.hpp): a name the
# core gains is accepted here with no edit.
HIDDEN: dict[str, int] = dict(_core.hidden_activations)
OPTIMIZER_CODES: dict[str, int] = dict(_core.optimizers)
# The optimizer state each optimizer keeps: a subset of ("v", "s"), e.g. adam: ("v", "s").
OPTIMIZER_STATE: dict[str, tuple[str, ...]] = dict(_core.optimizer_state)

MAX_SEED = 2**32 - 1  # numpy's RandomState and the core's MT19937 take 32-bit seeds
MAX_UINT64 = 2**64 - 1


def core_for(dtype: np.dtype):
    """The core's kernels for ``dtype`` (``_core.f64`` or ``_core.f32``)."""
    return _core.f64 if dtype == np.float64 else _core.f32


def _hidden_code(hidden_activation: str) -> int:
    return HIDDEN[chk.choice(hidden_activation, "hidden_activation", HIDDEN)]


# ---------------------------------------------------------------------------------------------
# Bookkeeping: the reference's code (no arithmetic to speed up), behind the mirror's checks
# ---------------------------------------------------------------------------------------------


def _param_dtype(parameters, name: str = "parameters") -> np.dtype:
    chk.num_layers(parameters, name)
    return chk.compute_dtype(parameters["W1"], f"{name}['W1']")


def _parameter_shapes(parameters, name: str = "parameters") -> list[tuple[int, int]]:
    """Shapes of W1, b1, W2, ... after checking keys, dtype and consistency (not values)."""
    dt = _param_dtype(parameters, name)
    L = chk.num_layers(parameters, name)
    prev = None
    shapes = []
    for l in range(1, L + 1):
        Wl = chk.array2d(parameters[f"W{l}"], f"{name}['W{l}']", dt, cols=prev, finite=False)
        bl = parameters[f"b{l}"]
        chk.array2d(bl, f"{name}['b{l}']", dt, rows=Wl.shape[0], cols=1, finite=False)
        shapes += [Wl.shape, (Wl.shape[0], 1)]
        prev = Wl.shape[0]
    return shapes


def dictionary_to_vector(parameters: dict):
    """Flatten ``W1, b1, W2, ...`` into one column vector, as the reference.

    The parameters' keys, shapes and dtype are checked, not their values.

    Parameters
    ----------
    parameters : dict of numpy.ndarray
        ``{"W1", "b1", ..., "WL", "bL"}``, all float64 or all float32.

    Returns
    -------
    theta : numpy.ndarray
        Shape ``(n_parameters, 1)``, the parameters' dtype (C order within each array).
    keys : list of str
        The name of the parameter each entry of ``theta`` comes from.

    Raises
    ------
    TypeError, ValueError
        If ``parameters`` is not such a dict, or its arrays disagree in dtype or shape.
    """
    _parameter_shapes(parameters)
    return _ref.dictionary_to_vector(parameters)


def vector_to_dictionary(theta, layers_dims) -> dict[str, np.ndarray]:
    """Unflatten ``theta`` into parameters (inverse of :func:`dictionary_to_vector`).

    Parameters
    ----------
    theta : numpy.ndarray
        float64 or float32, any shape with one entry per parameter (typically
        ``(n_parameters, 1)``).
    layers_dims : list of int
        ``[n_x, n_1, ..., n_L]``, giving the shapes.

    Returns
    -------
    dict of numpy.ndarray
        ``{"W1", "b1", ..., "WL", "bL"}``: copies in ``theta``'s dtype.

    Raises
    ------
    TypeError
        If ``theta`` is not a float64 or float32 numpy array, or ``layers_dims`` is not a list
        of positive integers.
    ValueError
        If ``theta`` does not hold exactly one entry per parameter of ``layers_dims``.
    """
    dims = chk.layers_dims(layers_dims)
    chk.compute_dtype(theta, "theta")
    return _ref.vector_to_dictionary(theta, dims)


def gradients_to_vector(gradients: dict) -> np.ndarray:
    """Flatten ``dW1, db1, dW2, ...`` into one column vector, as the reference.

    Parameters
    ----------
    gradients : dict of numpy.ndarray
        ``{"dW1", "db1", ..., "dWL", "dbL"}`` of real arrays; other keys (such as the
        course's ``dA1``, ``dZ1``) are ignored.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_parameters, 1)``, aligned with :func:`dictionary_to_vector`.

    Raises
    ------
    TypeError
        If ``gradients`` is not a dict or holds non-real arrays.
    ValueError
        If a ``dW``/``db`` key is missing or unexpected.
    """
    if not isinstance(gradients, dict):
        kind = type(gradients).__name__
        raise TypeError(f"gradients must be a dict of dW1, db1, ..., got {kind}")
    L = 0
    while f"dW{L + 1}" in gradients:
        L += 1
    chk.gradient_keys(gradients, "gradients", max(L, 1))
    for key in (f"d{p}{l}" for l in range(1, L + 1) for p in "Wb"):
        chk.real_array(gradients[key], f"gradients[{key!r}]")
    return _ref.gradients_to_vector(gradients)


def update_lr(learning_rate0: float, epoch_num: int, decay_rate: float) -> float:
    """Learning-rate decay ``learning_rate0 / (1 + decay_rate * epoch_num)``.

    Parameters
    ----------
    learning_rate0 : float
        Initial learning rate, finite and ``> 0``.
    epoch_num : int
        Epoch number, ``>= 0``.
    decay_rate : float
        Decay rate, finite and ``>= 0``.

    Returns
    -------
    float
        The decayed learning rate.

    Raises
    ------
    TypeError, ValueError
        If an argument is of the wrong kind or out of range.
    """
    lr0 = chk.learning_rate(learning_rate0, "learning_rate0")
    epoch = chk.integer(epoch_num, "epoch_num", low=0)
    rate = chk.real(decay_rate, "decay_rate", low=0.0)
    return _ref.update_lr(lr0, epoch, rate)


def schedule_lr_decay(
    learning_rate0: float, epoch_num: int, decay_rate: float, time_interval: int = 1000
) -> float:
    """Stepwise decay ``learning_rate0 / (1 + decay_rate * floor(epoch_num / time_interval))``.

    Parameters
    ----------
    learning_rate0 : float
        Initial learning rate, finite and ``> 0``.
    epoch_num : int
        Epoch number, ``>= 0``.
    decay_rate : float
        Decay rate, finite and ``>= 0``.
    time_interval : int, optional
        Number of epochs between two decreases, ``>= 1``.

    Returns
    -------
    float
        The decayed learning rate.

    Raises
    ------
    TypeError, ValueError
        If an argument is of the wrong kind or out of range.
    """
    lr0 = chk.learning_rate(learning_rate0, "learning_rate0")
    epoch = chk.integer(epoch_num, "epoch_num", low=0)
    rate = chk.real(decay_rate, "decay_rate", low=0.0)
    interval = chk.integer(time_interval, "time_interval", low=1)
    return _ref.schedule_lr_decay(lr0, epoch, rate, interval)


# ---------------------------------------------------------------------------------------------
# Activations and initializers
# ---------------------------------------------------------------------------------------------


def sigmoid(z):
    """Logistic sigmoid ``1 / (1 + exp(-z))``, element-wise (numpy only, no core call).

    Parameters
    ----------
    z : array_like
        Real numbers (integer or float).

    Returns
    -------
    numpy.ndarray
        ``1 / (1 + exp(-z))``, float input's dtype preserved; exactly 0 where ``exp(-z)``
        overflows, as in the reference (the overflow warning is silenced).

    Raises
    ------
    TypeError
        If ``z`` is bool, complex, object or string.
    """
    z = chk.real_array(z, "z")
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-z))


def relu(z):
    """Rectified linear unit ``max(0, z)``, element-wise (numpy only, no core call).

    Parameters
    ----------
    z : array_like
        Real numbers (integer or float).

    Returns
    -------
    numpy.ndarray
        ``np.maximum(0, z)``, dtype preserved.

    Raises
    ------
    TypeError
        If ``z`` is bool, complex, object or string.
    """
    return np.maximum(0, chk.real_array(z, "z"))


def _initialize(layers_dims, seed, scale, dtype) -> dict[str, np.ndarray]:
    dims = chk.layers_dims(layers_dims)
    dt = chk.float_dtype(dtype)
    rng = None
    if seed is not None:
        rng = np.random.RandomState(chk.integer(seed, "seed", low=0, high=MAX_SEED))
    if rng is None:
        rng = np.random.RandomState()
    parameters = {}
    for l in range(1, len(dims)):
        W = rng.randn(dims[l], dims[l - 1]) * scale(dims, l)
        parameters[f"W{l}"] = W.astype(dt, copy=False)
        parameters[f"b{l}"] = np.zeros((dims[l], 1), dtype=dt)
    return parameters


def initialize_parameters_zeros(layers_dims, dtype="float64") -> dict[str, np.ndarray]:
    """All weights and biases zero (the course's symmetric initialization).

    Parameters
    ----------
    layers_dims : list of int
        ``[n_x, n_1, ..., n_L]``.
    dtype : {"float64", "float32"}, optional
        Dtype of the arrays.

    Returns
    -------
    dict of numpy.ndarray
        ``{"W1": (n_1, n_x), "b1": (n_1, 1), ..., "WL", "bL"}``, all zero.
    """
    dims = chk.layers_dims(layers_dims)
    dt = chk.float_dtype(dtype)
    parameters = {}
    for l in range(1, len(dims)):
        parameters[f"W{l}"] = np.zeros((dims[l], dims[l - 1]), dtype=dt)
        parameters[f"b{l}"] = np.zeros((dims[l], 1), dtype=dt)
    return parameters


def initialize_parameters_random(layers_dims, seed=3, dtype="float64"):
    """``randn * 10`` weights, zero biases (same draws as the reference, no global state).

    Parameters
    ----------
    layers_dims : list of int
        ``[n_x, n_1, ..., n_L]``.
    seed : int or None, optional
        Seed of a private ``numpy.random.RandomState`` (the course's 3); ``None`` draws fresh.
    dtype : {"float64", "float32"}, optional
        Dtype of the arrays (float32 casts the float64 draws).

    Returns
    -------
    dict of numpy.ndarray
        ``{"W1": (n_1, n_x), "b1": (n_1, 1), ..., "WL", "bL"}``.
    """
    return _initialize(layers_dims, seed, lambda d, l: 10, dtype)


def initialize_parameters_he(layers_dims, seed=3, dtype="float64"):
    """He initialization ``randn * sqrt(2 / n_{l-1})`` (same draws as the reference).

    Parameters
    ----------
    layers_dims : list of int
        ``[n_x, n_1, ..., n_L]``.
    seed : int or None, optional
        Seed of a private ``numpy.random.RandomState`` (the course's 3); ``None`` draws fresh.
    dtype : {"float64", "float32"}, optional
        Dtype of the arrays (float32 casts the float64 draws).

    Returns
    -------
    dict of numpy.ndarray
        ``{"W1": (n_1, n_x), "b1": (n_1, 1), ..., "WL", "bL"}``.
    """
    return _initialize(layers_dims, seed, lambda d, l: np.sqrt(2.0 / d[l - 1]), dtype)


def initialize_parameters_xavier(layers_dims, seed=3, variant="course", dtype="float64"):
    """Xavier initialization (same draws as the reference): ``randn * sqrt(1 / n_{l-1})``, or
    with ``variant="glorot"`` ``randn * sqrt(2 / (n_{l-1} + n_l))``.

    Parameters
    ----------
    layers_dims : list of int
        ``[n_x, n_1, ..., n_L]``.
    seed : int or None, optional
        Seed of a private ``numpy.random.RandomState`` (the course's 3); ``None`` draws fresh.
    variant : {"course", "glorot"}, optional
        Scale of the weights (see above).
    dtype : {"float64", "float32"}, optional
        Dtype of the arrays (float32 casts the float64 draws).

    Returns
    -------
    dict of numpy.ndarray
        ``{"W1": (n_1, n_x), "b1": (n_1, 1), ..., "WL", "bL"}``.
    """
    chk.choice(variant, "variant", ("course", "glorot"))
    if variant == "course":
        return _initialize(layers_dims, seed, lambda d, l: np.sqrt(1.0 / d[l - 1]), dtype)
    return _initialize(layers_dims, seed, lambda d, l: np.sqrt(2.0 / (d[l - 1] + d[l])), dtype)


def initialize_parameters_deep(layers_dims, seed=3, dtype="float64"):
    """Small random weights ``randn * 0.01`` (same draws as the reference).

    Parameters
    ----------
    layers_dims : list of int
        ``[n_x, n_1, ..., n_L]``.
    seed : int or None, optional
        Seed of a private ``numpy.random.RandomState`` (the course's 3); ``None`` draws fresh.
    dtype : {"float64", "float32"}, optional
        Dtype of the arrays (float32 casts the float64 draws).

    Returns
    -------
    dict of numpy.ndarray
        ``{"W1": (n_1, n_x), "b1": (n_1, 1), ..., "WL", "bL"}``.
    """
    return _initialize(layers_dims, seed, lambda d, l: 0.01, dtype)


def initialize_velocity(parameters: dict) -> dict[str, np.ndarray]:
    """Zero velocity for momentum, as the reference.

    Parameters
    ----------
    parameters : dict of numpy.ndarray
        ``{"W1", "b1", ..., "WL", "bL"}`` (float64 or float32).

    Returns
    -------
    dict of numpy.ndarray
        ``{"dW1", "db1", ...}``: zeros of the parameters' shapes and dtype.
    """
    dt = _param_dtype(parameters)
    W, _ = chk.parameters_list(parameters, dt)
    out = {}
    for l, Wl in enumerate(W, start=1):
        out[f"dW{l}"] = np.zeros(Wl.shape, dtype=dt)
        out[f"db{l}"] = np.zeros((Wl.shape[0], 1), dtype=dt)
    return out


def initialize_adam(parameters: dict) -> tuple[dict, dict]:
    """Zero first and second moments for Adam, as the reference.

    Parameters
    ----------
    parameters : dict of numpy.ndarray
        ``{"W1", "b1", ..., "WL", "bL"}`` (float64 or float32).

    Returns
    -------
    v, s : dict of numpy.ndarray
        ``{"dW1", "db1", ...}`` each: zeros of the parameters' shapes and dtype.
    """
    return initialize_velocity(parameters), initialize_velocity(parameters)


# ---------------------------------------------------------------------------------------------
# Forward, cost, backward
# ---------------------------------------------------------------------------------------------


def _data_and_parameters(X, parameters):
    """Checked ``X`` (float, finite, ``m >= 1``) and the parameters in its dtype."""
    dt = chk.compute_dtype(X)
    X = chk.array2d(X, "X", dt)
    chk.examples(X)
    W, b = chk.parameters_list(parameters, dt, n_x=X.shape[0])
    return X, W, b


def _forward(X, parameters, hidden_activation, keep_prob, mask_mode, masks, seed, step):
    X, W, b = _data_and_parameters(X, parameters)
    hidden = _hidden_code(hidden_activation)
    L = len(W)
    Z, A, D, Adrop = core_for(X.dtype).forward(
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

    Parameters
    ----------
    X : numpy.ndarray
        Input, shape ``(n_x, m)``.
    parameters : dict of numpy.ndarray
        ``{"W1", "b1", ..., "WL", "bL"}``.
    hidden_activation : {"relu", "tanh"}, optional
        Activation of the hidden layers.

    Returns
    -------
    AL : numpy.ndarray
        Output probabilities, shape ``(n_L, m)``.
    caches : list of LayerCache
        One per layer, for the backward functions.
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
    seed = 0 if seed is None else chk.integer(seed, "seed", low=0, high=MAX_UINT64)
    if masks is None:
        return _forward(X, parameters, hidden_activation, kp, 2, [], seed, 0)
    X, W, _ = _data_and_parameters(X, parameters)
    L = len(W)
    if not isinstance(masks, (list, tuple)):
        raise TypeError(f"masks must be a list of {L - 1} arrays, got {type(masks).__name__}")
    if len(masks) != L - 1:
        raise ValueError(
            f"masks must be a list of {L - 1} arrays (one per hidden layer), got {len(masks)}"
        )
    checked = []
    for l, D in enumerate(masks, start=1):
        name = f"masks[{l - 1}]"
        D = chk.array2d(D, name, X.dtype, rows=W[l - 1].shape[0], cols=X.shape[1], cast=True)
        if not np.isin(D, (0, 1)).all():
            raise ValueError(f"{name} must contain only 0 and 1")
        checked.append(D)
    return _forward(X, parameters, hidden_activation, kp, 1, checked, seed, 0)


def _labels(Y, dt, rows, cols, name="Y"):
    return chk.labels(Y, name, dt, rows, cols)


def compute_cost(AL, Y) -> float:
    """Mean cross-entropy ``-(1/m) nansum(Y log AL + (1 - Y) log(1 - AL))`` on the core.

    As the reference: a saturated output gives ``inf`` where the label disagrees; terms
    ``0 * log 0`` are skipped like ``np.nansum`` does.

    Parameters
    ----------
    AL : numpy.ndarray
        Probabilities in ``[0, 1]``, shape ``(n_L, m)``, float64 or float32.
    Y : numpy.ndarray
        Labels 0/1 of the same shape.

    Returns
    -------
    float
        The cost.
    """
    dt = chk.compute_dtype(AL, "AL")
    AL = chk.array2d(AL, "AL", dt, finite=False)
    chk.examples(AL, "AL")
    if np.isnan(AL).any():
        raise ValueError("AL contains NaN")
    if (AL < 0).any() or (AL > 1).any():
        raise ValueError(
            f"AL must hold probabilities in [0, 1], got values in [{AL.min()}, {AL.max()}]"
        )
    Y = _labels(Y, dt, AL.shape[0], AL.shape[1])
    return core_for(dt).cost(0, AL, Y)


def _sum_squared_weights(parameters, dt, n_out) -> float:
    W, _ = chk.parameters_list(parameters, dt)
    if W[-1].shape[0] != n_out:
        L = len(W)
        raise ValueError(
            f"parameters['W{L}'] must have {n_out} rows (one per row of AL), got {W[-1].shape}"
        )
    kernels = core_for(dt)
    return sum(kernels.sum_squares(Wl) for Wl in W)


def compute_cost_with_regularization(AL, Y, parameters: dict, lambd: float) -> float:
    """Cross-entropy plus ``(1/m) (lambd/2) sum_l ||Wl||_F^2``, on the core (see the reference).

    Parameters
    ----------
    AL, Y : numpy.ndarray
        As in :func:`compute_cost`.
    parameters : dict of numpy.ndarray
        The weights ``W1..WL`` (in ``AL``'s dtype) that are penalized; biases are not.
    lambd : float
        L2 strength (>= 0).

    Returns
    -------
    float
        The regularized cost.
    """
    lambd = chk.real(lambd, "lambd", low=0.0)
    cross_entropy = compute_cost(AL, Y)
    m = AL.shape[1]
    squares = _sum_squared_weights(parameters, AL.dtype, AL.shape[0])
    return cross_entropy + (1 / m) * (lambd / 2) * squares


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
    m = chk.examples(X)
    hidden = caches[0].activation if L > 1 else "relu"
    hidden_code = _hidden_code(hidden)
    W, Aprev, Z, A, D = [], [], [], [], []
    for l, c in enumerate(caches, start=1):
        W.append(chk.array2d(c.W, f"caches[{l - 1}].W", dt))
        n = W[-1].shape[0]
        Aprev.append(chk.array2d(c.A_prev, f"caches[{l - 1}].A_prev", dt, cols=m))
        Z.append(chk.array2d(c.Z, f"caches[{l - 1}].Z", dt, rows=n, cols=m))
        A.append(chk.array2d(c.A, f"caches[{l - 1}].A", dt, rows=n, cols=m))
        if use_masks and l < L:
            if c.D is None:
                raise ValueError(f"caches[{l - 1}].D is None: expected the dropout mask")
            D.append(chk.array2d(c.D, f"caches[{l - 1}].D", dt, rows=n, cols=m, cast=True))
        if l < L and c.activation != hidden:
            raise ValueError(
                f"caches[{l - 1}].activation is {c.activation!r}, expected {hidden!r} "
                "(one hidden activation for all hidden layers)"
            )
    if caches[-1].activation != "sigmoid":
        raise ValueError(
            f"caches[{L - 1}].activation is {caches[-1].activation!r}, expected 'sigmoid' "
            "(the output layer)"
        )
    if Aprev[0] is not X and not np.array_equal(Aprev[0], X):
        raise ValueError("X does not match caches[0].A_prev (the input of the forward pass)")
    Y = _labels(Y, dt, A[-1].shape[0], m)
    dW, db = core_for(dt).backward(Y, W, Aprev, Z, A, D, hidden_code, 0, lambd, keep_prob)
    return {key: g for l in range(L) for key, g in ((f"dW{l + 1}", dW[l]), (f"db{l + 1}", db[l]))}


def backward_propagation(X, Y, caches) -> dict[str, np.ndarray]:
    """Gradients of the cross-entropy cost on the core (see the reference).

    Parameters
    ----------
    X : numpy.ndarray
        The input of the forward pass, shape ``(n_x, m)``.
    Y : numpy.ndarray
        Labels 0/1, shape ``(n_L, m)``.
    caches : list of LayerCache
        From :func:`forward_propagation`.

    Returns
    -------
    dict of numpy.ndarray
        ``{"dW1", "db1", ..., "dWL", "dbL"}`` in ``X``'s dtype.
    """
    return _backward(X, Y, caches)


def backward_propagation_with_regularization(X, Y, caches, lambd: float):
    """Gradients of the L2-regularized cost on the core: ``dWl`` gains ``(lambd/m) Wl``.

    Parameters
    ----------
    X, Y, caches
        As in :func:`backward_propagation`.
    lambd : float
        L2 strength (>= 0).

    Returns
    -------
    dict of numpy.ndarray
        ``{"dW1", "db1", ...}``.
    """
    return _backward(X, Y, caches, lambd=chk.real(lambd, "lambd", low=0.0))


def backward_propagation_with_dropout(X, Y, caches, keep_prob: float):
    """Gradients through inverted dropout with the masks of the caches, on the core.

    Parameters
    ----------
    X, Y : numpy.ndarray
        As in :func:`backward_propagation`.
    caches : list of LayerCache
        From :func:`forward_propagation_with_dropout`: the hidden layers carry their mask ``D``.
    keep_prob : float
        The keep probability of the forward pass, in ``(0, 1]``.

    Returns
    -------
    dict of numpy.ndarray
        ``{"dW1", "db1", ...}``.
    """
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
    """Compare ``gradients`` with centred finite differences of the core's cost.

    As :func:`nncore.reference.gradient_check_n`: ``J`` is :func:`compute_cost` (or
    :func:`compute_cost_with_regularization` if ``lambd > 0``) after
    :func:`forward_propagation`. In float32 the differences are dominated by rounding; check
    gradients in float64.

    Parameters
    ----------
    parameters : dict of numpy.ndarray
        Point at which to check, ``{"W1", "b1", ..., "WL", "bL"}``, in the dtype of ``X``.
    gradients : dict of numpy.ndarray
        Gradients to check, ``{"dW1", "db1", ...}``, each of its parameter's shape and the
        dtype of ``X``.
    X : numpy.ndarray
        Input, shape ``(n_x, m)``, float64 or float32, finite.
    Y : numpy.ndarray
        Labels 0/1, shape ``(n_L, m)``.
    epsilon : float, optional
        Finite-difference step, ``> 0``.
    hidden_activation : {"relu", "tanh"}, optional
        Activation of the hidden layers.
    lambd : float, optional
        L2 regularization strength of the cost, ``>= 0``.
    print_msg : bool, optional
        Print the course's verdict (threshold ``2e-7``).

    Returns
    -------
    float
        ``||grad - gradapprox||_2 / (||grad||_2 + ||gradapprox||_2)``.

    Raises
    ------
    TypeError, ValueError
        On bad input, naming the argument.
    """
    epsilon = chk.real(epsilon, "epsilon", low=0.0, low_open=True)
    lambd = chk.real(lambd, "lambd", low=0.0)
    chk.flag(print_msg, "print_msg")
    _hidden_code(hidden_activation)
    X, W, _ = _data_and_parameters(X, parameters)
    dt = X.dtype
    _labels(Y, dt, W[-1].shape[0], X.shape[1])
    L = len(W)
    dims = [X.shape[0]] + [Wl.shape[0] for Wl in W]
    chk.gradient_keys(gradients, "gradients", L)
    for key in (f"d{p}{l}" for l in range(1, L + 1) for p in "Wb"):
        target = np.shape(parameters[key[1:]])
        g = chk.array2d(gradients[key], f"gradients[{key!r}]", dt)
        if g.shape != target:
            raise ValueError(
                f"gradients has {key!r} of shape {g.shape}, expected {target} (the shape of "
                f"parameters[{key[1:]!r}])"
            )
    theta, _ = dictionary_to_vector(parameters)
    theta = theta.astype(dt)
    grad = gradients_to_vector(gradients)

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
    W, b = chk.parameters_list(parameters, dt)
    L = len(W)
    chk.gradient_keys(grads, "grads", L)
    for sname, state in states:
        chk.gradient_keys(state, sname, L)
    keys = [k for l in range(1, L + 1) for k in ((f"W{l}", f"dW{l}"), (f"b{l}", f"db{l}"))]
    P = [a.copy() for pair in zip(W, b) for a in pair]
    G = []
    S = [[] for _ in states]
    for (_, g), Pk in zip(keys, P):
        rows, cols = Pk.shape
        G.append(chk.array2d(grads[g], f"grads[{g!r}]", dt, rows=rows, cols=cols))
        for (sname, state), out in zip(states, S):
            Sk = chk.array2d(state[g], f"{sname}[{g!r}]", dt, rows=rows, cols=cols).copy()
            if sname == "s" and (Sk < 0).any():
                raise ValueError(f"s[{g!r}] must be >= 0 (a running mean of squares)")
            out.append(Sk)
    return keys, P, G, S


def update_parameters_with_gd(parameters: dict, grads: dict, learning_rate: float):
    """One gradient-descent step ``W -= learning_rate * dW`` on the core (see the reference).

    Parameters
    ----------
    parameters : dict of numpy.ndarray
        ``{"W1", "b1", ...}`` (float64 or float32); not modified.
    grads : dict of numpy.ndarray
        ``{"dW1", "db1", ...}`` of the same shapes and dtype.
    learning_rate : float
        Step size.

    Returns
    -------
    dict of numpy.ndarray
        The updated parameters (new arrays).
    """
    lr = chk.learning_rate(learning_rate)
    dt = _param_dtype(parameters)
    keys, P, G, _ = _optimizer_lists(parameters, grads, [], dt)
    core_for(dt).update(0, P, G, [], [], lr, 0.0, 0.0, 0.0, 0.0, 0)
    return {p: arr for (p, _), arr in zip(keys, P)}


def update_parameters_with_momentum(
    parameters: dict, grads: dict, v: dict, beta: float, learning_rate: float
):
    """One momentum step on the core (see the reference); the inputs are not modified.

    Parameters
    ----------
    parameters, grads : dict of numpy.ndarray
        As in :func:`update_parameters_with_gd`.
    v : dict of numpy.ndarray
        Velocity ``{"dW1", "db1", ...}`` (from :func:`initialize_velocity`).
    beta : float
        Momentum coefficient, in ``[0, 1)``.
    learning_rate : float
        Step size.

    Returns
    -------
    parameters, v : dict of numpy.ndarray
        The updated parameters and velocity (new arrays).
    """
    lr = chk.learning_rate(learning_rate)
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
    """One Adam step on the core (see the reference); the inputs are not modified.

    Parameters
    ----------
    parameters, grads : dict of numpy.ndarray
        As in :func:`update_parameters_with_gd`.
    v, s : dict of numpy.ndarray
        First and second moments ``{"dW1", "db1", ...}`` (from :func:`initialize_adam`).
    t : int
        Adam's step count after incrementing for this step (>= 1), for the bias correction.
    learning_rate, beta1, beta2, epsilon : float, optional
        Adam's hyperparameters.

    Returns
    -------
    parameters, v, s, v_corrected, s_corrected : dict of numpy.ndarray
        The updated parameters and moments, and the bias-corrected moments of this step.
    """
    t = chk.integer(t, "t", low=1, high=chk.MAX_INT64)
    lr = chk.learning_rate(learning_rate)
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

    ``X`` is a finite float64/float32 ``(n_x, m)`` array with ``m >= 1``; ``Y`` any finite
    real 2-D array with ``m`` columns, returned in its own dtype (as the reference).

    Parameters
    ----------
    X : numpy.ndarray
        Input, shape ``(n_x, m)``.
    Y : numpy.ndarray
        Labels, ``m`` columns.
    mini_batch_size : int, optional
        Examples per minibatch; the last one holds the ``m % mini_batch_size`` left over.
    seed : int or None, optional
        Shuffle seed, ``< 2**32``.

    Returns
    -------
    list of tuple of numpy.ndarray
        ``[(mini_batch_X, mini_batch_Y), ...]``, the columns in shuffled order.
    """
    mini_batch_size = chk.integer(mini_batch_size, "mini_batch_size", low=1)
    X = chk.array2d(X, "X", chk.compute_dtype(X))
    m = chk.examples(X)
    if not isinstance(Y, np.ndarray):
        raise TypeError(f"Y must be a numpy array, got {type(Y).__name__}")
    chk.array2d(Y, "Y", np.dtype(np.float64), cols=m, cast=True)
    if seed is None:
        seed = int(np.random.randint(0, 2**31))  # noqa: NPY002
    seed = chk.integer(seed, "seed", low=0, high=MAX_SEED)
    permutation = _core.numpy_permutation(seed, m)
    shuffled_X = X[:, permutation]
    shuffled_Y = Y[:, permutation].reshape((Y.shape[0], m))
    batches = []
    for k in range(math.ceil(m / mini_batch_size)):
        sl = slice(k * mini_batch_size, min((k + 1) * mini_batch_size, m))
        batches.append((shuffled_X[:, sl], shuffled_Y[:, sl]))
    return batches


def predict(X, y, parameters: dict, hidden_activation: str = "relu"):
    """Labels ``AL > 0.5`` from the core's forward pass, and the accuracy against ``y``.

    Parameters
    ----------
    X : numpy.ndarray
        Input, shape ``(n_x, m)``.
    y : numpy.ndarray
        True labels 0/1, shape ``(n_L, m)``.
    parameters : dict of numpy.ndarray
        ``{"W1", "b1", ...}`` in ``X``'s dtype.
    hidden_activation : {"relu", "tanh"}, optional
        Activation of the hidden layers.

    Returns
    -------
    predictions : numpy.ndarray
        Labels 0/1 as int64, shape ``(n_L, m)``.
    accuracy : float
        ``mean(predictions == y)``.
    """
    AL, _ = forward_propagation(X, parameters, hidden_activation)
    p = (AL > 0.5).astype(np.int64)
    y = _labels(y, AL.dtype, p.shape[0], p.shape[1], name="y")
    return p, float(np.mean(p == y))


def predict_dec(parameters: dict, X, hidden_activation: str = "relu"):
    """Boolean predictions ``AL > 0.5`` (for decision-boundary plots), on the core.

    Parameters
    ----------
    parameters : dict of numpy.ndarray
        ``{"W1", "b1", ...}`` in ``X``'s dtype.
    X : numpy.ndarray
        Input, shape ``(n_x, m)``.
    hidden_activation : {"relu", "tanh"}, optional
        Activation of the hidden layers.

    Returns
    -------
    numpy.ndarray
        Booleans, shape ``(n_L, m)``.
    """
    AL, _ = forward_propagation(X, parameters, hidden_activation)
    return AL > 0.5
