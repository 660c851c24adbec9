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
- No global random state: the initializers and ``forward_propagation_with_dropout`` draw
  from a private ``numpy.random.RandomState`` seeded like the course (same numbers, nothing
  reseeded behind the caller's back); ``forward_propagation_with_dropout`` also takes given
  masks (``masks=``) or the core's Philox masks (``masks="philox"``), and ``nncore.model``
  draws Philox masks unless ``dropout_rng="course"``.
- Every argument is checked before it reaches the core (see ``_validate`` for the policy):
  a ``ValueError`` or ``TypeError`` names the argument, the expected and the actual value.
  Inputs the reference would turn into silently wrong numbers are refused: NaN or inf in
  data or parameters, ``m = 0``, labels other than 0/1, ``AL`` outside ``[0, 1]``, extra
  parameter keys, ``learning_rate <= 0``.
"""

from __future__ import annotations

import math

import numpy as np

from . import _core, _costs
from . import _validate as chk
from ._flat import n_parameters, unflatten
from ._types import (
    LayerCache,
    caches_activation,
    course_caches,
    is_layer_caches,
    split_course_caches,
)
from .datasets import load_2D_dataset

__all__ = ["load_2D_dataset"]  # re-exported; the functions below are listed in nncore.__all__

# Names and codes from the compiled module's tables (cpp/include/nncore/types.hpp): a name the
# core gains is accepted here with no edit.
HIDDEN: dict[str, int] = dict(_core.hidden_activations)
OPTIMIZER_CODES: dict[str, int] = dict(_core.optimizers)
# The optimizer state each optimizer keeps: a subset of ("v", "s"), e.g. adam: ("v", "s").
OPTIMIZER_STATE: dict[str, tuple[str, ...]] = dict(_core.optimizer_state)

# The gradient-checking assignment's network (its vector_to_dictionary(theta) knows no other).
GRADIENT_CHECK_DIMS = [4, 5, 3, 1]
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
    shapes = _parameter_shapes(parameters)
    names = [f"{p}{l}" for l in range(1, len(shapes) // 2 + 1) for p in "Wb"]
    theta = np.concatenate([np.reshape(parameters[k], (-1, 1)) for k in names], axis=0)
    keys = [k for k, shape in zip(names, shapes) for _ in range(shape[0] * shape[1])]
    return theta, keys


def vector_to_dictionary(theta, layers_dims=None) -> dict[str, np.ndarray]:
    """Unflatten ``theta`` into parameters (inverse of :func:`dictionary_to_vector`).

    Parameters
    ----------
    theta : numpy.ndarray
        float64 or float32, any shape with one entry per parameter (typically
        ``(n_parameters, 1)``).
    layers_dims : list of int, optional
        ``[n_x, n_1, ..., n_L]``, giving the shapes; by default the gradient-checking
        assignment's ``[4, 5, 3, 1]`` (the course's ``vector_to_dictionary(theta)``).

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
    dims = chk.layers_dims(GRADIENT_CHECK_DIMS if layers_dims is None else layers_dims)
    chk.compute_dtype(theta, "theta")
    expected = n_parameters(dims)
    if theta.size != expected:
        raise ValueError(
            f"theta has {theta.size} elements, expected {expected} for layers_dims {dims}"
        )
    return unflatten(theta, dims)


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
    keys = [f"d{p}{l}" for l in range(1, L + 1) for p in "Wb"]
    return np.concatenate([np.reshape(gradients[k], (-1, 1)) for k in keys], axis=0)


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
    return float(lr0 / (1 + rate * epoch))


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
    return float(lr0 / (1 + rate * math.floor(epoch / interval)))


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
        W = scale(rng.randn(dims[l], dims[l - 1]), dims, l)
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
    return _initialize(layers_dims, seed, lambda W, d, l: W * 10, dtype)


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
    return _initialize(layers_dims, seed, lambda W, d, l: W * np.sqrt(2.0 / d[l - 1]), dtype)


def initialize_parameters_xavier(layers_dims, seed=3, variant="course", dtype="float64"):
    """Xavier initialization (same draws as the reference): ``randn / sqrt(n_{l-1})``, the
    regularization assignment's expression bit for bit, or with ``variant="glorot"``
    ``randn * sqrt(2 / (n_{l-1} + n_l))``.

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
        return _initialize(layers_dims, seed, lambda W, d, l: W / np.sqrt(d[l - 1]), dtype)
    return _initialize(
        layers_dims, seed, lambda W, d, l: W * np.sqrt(2.0 / (d[l - 1] + d[l])), dtype
    )


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
    return _initialize(layers_dims, seed, lambda W, d, l: W * 0.01, dtype)


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
    return {"d" + k: np.zeros(a.shape, dtype=dt) for k, a in _parameter_arrays(parameters, dt)}


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
    """The core's forward pass as nncore's ``LayerCache`` records (one per layer)."""
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
    return caches


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
    hidden_activation : {"relu", "tanh", "logistic", "identity", "leaky_relu"}, optional
        Activation of the hidden layers.

    Returns
    -------
    AL : numpy.ndarray
        Output probabilities, shape ``(n_L, m)``.
    caches : tuple
        The course's flat cache ``(Z1, A1, W1, b1, ..., ZL, AL, WL, bL)``.
    """
    layers = _forward(X, parameters, hidden_activation, 1.0, 0, [], 0, 0)
    return layers[-1].A, course_caches(layers, dropout=False)


def _mask(D, name, dt, rows, cols):
    """A 0/1 dropout mask (bool, integer or float, as the course's masks come) in ``dt``."""
    if isinstance(D, np.ndarray) and D.dtype == np.bool_:
        D = D.astype(dt)
    D = chk.array2d(D, name, dt, rows=rows, cols=cols, cast=True)
    if not np.isin(D, (0, 1)).all():
        raise ValueError(f"{name} must contain only 0 and 1")
    return D


def numpy_masks(layers_dims, m: int, keep_prob: float, dtype, seed=1) -> list[np.ndarray]:
    """The masks of the course's ``forward_propagation_with_dropout``: ``np.random.seed(seed)``,
    then ``np.random.rand(n_l, m) < keep_prob`` for each hidden layer in order. With a seed
    they come from a private ``RandomState(seed)`` (the same numbers, the global generator
    left alone); ``seed=None`` draws from numpy's global generator, as the course would."""
    rng = np.random if seed is None else np.random.RandomState(seed)
    return [(rng.rand(n, m) < keep_prob).astype(dtype) for n in layers_dims[1:-1]]


def course_masks(layers_dims, m: int, keep_prob: float, dtype) -> list[np.ndarray]:
    """The masks the course's regularization assignment trains with (its seed 1, every time)."""
    return numpy_masks(layers_dims, m, keep_prob, dtype, seed=1)


def forward_propagation_with_dropout(
    X,
    parameters: dict,
    keep_prob: float = 0.5,
    seed: int | None = 1,
    hidden_activation: str = "relu",
    masks: list | str | None = None,
):
    """Forward pass with inverted dropout on the hidden layers, on the core.

    By default the masks are the course's (and the reference's): numpy's legacy generator
    seeded with ``seed``, ``rand(n_l, m) < keep_prob`` layer by layer, drawn from a private
    ``RandomState(seed)`` so that numpy's global generator is not reseeded.

    Parameters
    ----------
    X, parameters, keep_prob, hidden_activation
        As in :func:`nncore.reference.forward_propagation_with_dropout`.
    seed : int or None, optional
        The seed of the masks (the course's 1: every call draws the same masks), ``< 2**32``;
        ``None`` continues numpy's global generator, as the reference does. With
        ``masks="philox"``, the key of the core's generator instead (``< 2**64``; ``None``
        means 0).
    masks : list of numpy.ndarray or "philox", optional
        One 0/1 mask per hidden layer, shape ``(n_l, m)``, bool, integer or float (for
        instance the ``D`` of a cache), used instead of drawing new ones; or ``"philox"`` for
        the core's counter-based masks (the mask of hidden layer ``l`` a pure function of
        ``(seed, l, element)``, as ``nncore.model`` draws them by default).

    Returns
    -------
    AL : numpy.ndarray
        Output probabilities.
    caches : tuple
        The course's flat cache ``(Z1, D1, A1, W1, b1, ..., ZL, AL, WL, bL)``: ``Dl`` the
        0/1 mask in ``X``'s dtype, ``Al`` after dropout.
    """
    kp = chk.keep_prob(keep_prob)
    if isinstance(masks, str):
        chk.choice(masks, "masks", ("philox",))
        key = 0 if seed is None else chk.integer(seed, "seed", low=0, high=MAX_UINT64)
        layers = _forward(X, parameters, hidden_activation, kp, 2, [], key, 0)
        return layers[-1].A, course_caches(layers, dropout=True)
    if seed is not None:
        seed = chk.integer(seed, "seed", low=0, high=MAX_SEED)
    X, W, _ = _data_and_parameters(X, parameters)
    L = len(W)
    if masks is None:
        dims = [X.shape[0]] + [Wl.shape[0] for Wl in W]
        masks = numpy_masks(dims, X.shape[1], kp, X.dtype, seed)
    if not isinstance(masks, (list, tuple)):
        raise TypeError(f"masks must be a list of {L - 1} arrays, got {type(masks).__name__}")
    if len(masks) != L - 1:
        raise ValueError(
            f"masks must be a list of {L - 1} arrays (one per hidden layer), got {len(masks)}"
        )
    checked = [
        _mask(D, f"masks[{l - 1}]", X.dtype, W[l - 1].shape[0], X.shape[1])
        for l, D in enumerate(masks, start=1)
    ]
    layers = _forward(X, parameters, hidden_activation, kp, 1, checked, 0, 0)
    return layers[-1].A, course_caches(layers, dropout=True)


def _labels(Y, dt, rows, cols, name="Y"):
    return chk.labels(Y, name, dt, rows, cols)


def compute_cost(AL, Y) -> np.float64:
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
    numpy.float64
        The cost, a numpy scalar as in the course.
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
    # The course's float bit for bit (it prints its repr), in float64 (see _costs).
    return _costs.cross_entropy(AL.astype(np.float64, copy=False), Y.astype(np.float64, copy=False))


def compute_loss(a3, Y) -> np.float64:
    """The initialization assignment's name for :func:`compute_cost`, on the core.

    Parameters
    ----------
    a3, Y : numpy.ndarray
        As ``AL``, ``Y`` of :func:`compute_cost`.

    Returns
    -------
    numpy.float64
        ``compute_cost(a3, Y)``.
    """
    return compute_cost(a3, Y)


def _checked_weights(parameters, dt, n_out) -> list[np.ndarray]:
    W, _ = chk.parameters_list(parameters, dt)
    if W[-1].shape[0] != n_out:
        L = len(W)
        raise ValueError(
            f"parameters['W{L}'] must have {n_out} rows (one per row of AL), got {W[-1].shape}"
        )
    return W


def compute_cost_with_regularization(AL, Y, parameters: dict, lambd: float) -> np.float64:
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
    numpy.float64
        The regularized cost, a numpy scalar as in the course.
    """
    lambd = chk.real(lambd, "lambd", low=0.0)
    cross_entropy = compute_cost(AL, Y)
    W = _checked_weights(parameters, AL.dtype, AL.shape[0])
    weights = [Wl.astype(np.float64, copy=False) for Wl in W]
    return np.float64(cross_entropy + _costs.l2_penalty(weights, AL.shape[1], lambd))


def _logistic(Z):
    with np.errstate(over="ignore"):  # exp(-z) = inf for z < -709: the result is 0
        return 1 / (1 + np.exp(-Z))


# The hidden activations whose derivative reads A's value, not only its sign, recomputed from Z
# where the course's dropout tuple holds only the dropped A. relu', leaky_relu' and identity'
# read A's sign (or nothing), which dropout's rescaling keeps for every kept unit; a dropped
# unit's dA is 0 already.
_VALUE_BEFORE_DROPOUT = {"tanh": np.tanh, "logistic": _logistic}


def _cache_layers(X, caches, hidden_activation, dropout):
    """Per layer ``(A_prev, W, Z, A, A_before, D)`` from a course tuple or a LayerCache list,
    checked against ``X``'s dtype and number of examples; ``A`` as the next layer received
    it (after dropout), ``A_before`` before dropout (tanh's derivative reads it)."""
    dt = chk.compute_dtype(X)
    X = chk.array2d(X, "X", dt)
    m = chk.examples(X)
    if is_layer_caches(caches):
        L = len(caches)
        for l, c in enumerate(caches):
            if l < L - 1 and c.activation != hidden_activation:
                raise ValueError(
                    f"caches[{l}].activation is {c.activation!r}, expected {hidden_activation!r} "
                    "(one hidden activation for all hidden layers)"
                )
        if caches[-1].activation != "sigmoid":
            raise ValueError(
                f"caches[{L - 1}].activation is {caches[-1].activation!r}, expected 'sigmoid' "
                "(the output layer)"
            )
        if caches[0].A_prev is not X and not np.array_equal(caches[0].A_prev, X):
            raise ValueError("X does not match caches[0].A_prev (the input of the forward pass)")
        raw = [
            (c.Z, c.D, caches[l + 1].A_prev if l < L - 1 else c.A, c.W, c.A)
            for l, c in enumerate(caches)
        ]
        names = [(f"caches[{l}].Z", f"caches[{l}].D", f"caches[{l}].A") for l in range(L)]
    else:
        raw = [(Z, D, A, W, A) for Z, D, A, W, _ in split_course_caches(caches, dropout)]
        names = [(f"Z{l}", f"D{l}", f"A{l}") for l in range(1, len(raw) + 1)]
    L = len(raw)
    out = []
    A_prev = X
    for l, ((Z, D, A, W, A_before), (zname, dname, aname)) in enumerate(zip(raw, names), 1):
        kept_before = A_before is not A  # a LayerCache's activation before dropout
        W = chk.array2d(W, f"W{l} of caches", dt, cols=A_prev.shape[0])
        n = W.shape[0]
        Z = chk.array2d(Z, zname, dt, rows=n, cols=m)
        A = chk.array2d(A, aname, dt, rows=n, cols=m)
        if dropout and l < L:
            if D is None:
                raise ValueError(f"{dname} is None: expected the dropout mask")
            D = _mask(D, dname, dt, n, m)
        else:
            D = None
        if D is not None and hidden_activation in _VALUE_BEFORE_DROPOUT:
            # The course's tuple keeps A after dropout only; tanh' and logistic' need it before.
            A_before = (
                chk.array2d(A_before, aname, dt, rows=n, cols=m)
                if kept_before
                else _VALUE_BEFORE_DROPOUT[hidden_activation](Z)
            )
        else:
            A_before = A
        out.append((A_prev, W, Z, A, A_before, D))
        A_prev = A
    return X, out


def _backward(X, Y, caches, hidden_activation, lambd=0.0, keep_prob=1.0, dropout=False):
    if hidden_activation is not None:
        _hidden_code(hidden_activation)  # an unknown name is refused as such first
    hidden_activation = caches_activation(caches, hidden_activation)
    hidden_code = _hidden_code(hidden_activation)
    X, layers = _cache_layers(X, caches, hidden_activation, dropout)
    dt = X.dtype
    L = len(layers)
    Y = _labels(Y, dt, layers[-1][3].shape[0], X.shape[1])
    W = [layer[1] for layer in layers]
    Aprev = [layer[0] for layer in layers]
    A = [layer[4] for layer in layers]
    D = [layer[5] for layer in layers[:-1]] if dropout else []
    # The course's relu derivative reads the cached activation (A > 0), and the core's reads
    # its Z argument (Z > 0): handing it A gives the course's gradients even for caches whose
    # Z and A disagree (its tests build such tuples by hand). For a real forward pass they
    # coincide, and where dropout zeroed A, dA is zero already.
    Z = [layer[3] if hidden_activation == "relu" else layer[2] for layer in layers]
    dW, db = core_for(dt).backward(Y, W, Aprev, Z, A, D, hidden_code, 0, lambd, keep_prob)
    # The course's dZl and dAl: the core keeps them in scratch only, so they are formed here.
    grads = {}
    dZ = A[-1] - Y
    for l in range(L, 0, -1):
        grads[f"dZ{l}"] = dZ
        grads[f"dW{l}"] = dW[l - 1]
        grads[f"db{l}"] = db[l - 1]
        if l > 1:
            dA = W[l - 1].T @ dZ
            if D:
                dA = dA * D[l - 2] / dt.type(keep_prob)
            grads[f"dA{l - 1}"] = dA
            # g'(z) from the activation's output, by the core's unit (relu: A > 0).
            dZ = core_for(dt).activation_backward(
                hidden_code, np.ascontiguousarray(dA), np.ascontiguousarray(A[l - 2])
            )
    return grads


def backward_propagation(X, Y, caches, hidden_activation: str | None = None):
    """Gradients of the cross-entropy cost on the core (see the reference).

    Parameters
    ----------
    X : numpy.ndarray
        The input of the forward pass, shape ``(n_x, m)``.
    Y : numpy.ndarray
        Labels 0/1, shape ``(n_L, m)``.
    caches : tuple
        From :func:`forward_propagation`: the course's ``(Z1, A1, W1, b1, ...)`` (a list of
        :class:`LayerCache` is also accepted).
    hidden_activation : str, optional
        Activation of the hidden layers of the forward pass. By default the one the caches
        were made with (``"relu"`` for a tuple built by hand, as the course's); a name that
        contradicts the caches raises ``ValueError``.

    Returns
    -------
    dict of numpy.ndarray
        The course's ``dZl``, ``dWl``, ``dbl`` and ``dAl`` (from the top down), in ``X``'s
        dtype.
    """
    if is_layer_caches(caches) and any(c.D is not None for c in caches):
        raise ValueError("caches hold dropout masks; use backward_propagation_with_dropout")
    return _backward(X, Y, caches, hidden_activation)


def backward_propagation_with_regularization(
    X, Y, caches, lambd: float, hidden_activation: str | None = None
):
    """Gradients of the L2-regularized cost on the core: ``dWl`` gains ``(lambd/m) Wl``.

    Parameters
    ----------
    X, Y, caches, hidden_activation
        As in :func:`backward_propagation`.
    lambd : float
        L2 strength (>= 0).

    Returns
    -------
    dict of numpy.ndarray
        The course's keys, as :func:`backward_propagation`.
    """
    lambd = chk.real(lambd, "lambd", low=0.0)
    if is_layer_caches(caches) and any(c.D is not None for c in caches):
        raise ValueError("caches hold dropout masks; use backward_propagation_with_dropout")
    return _backward(X, Y, caches, hidden_activation, lambd=lambd)


def backward_propagation_with_dropout(
    X, Y, caches, keep_prob: float, hidden_activation: str | None = None
):
    """Gradients through inverted dropout with the masks of the caches, on the core.

    Parameters
    ----------
    X, Y : numpy.ndarray
        As in :func:`backward_propagation`.
    caches : tuple
        From :func:`forward_propagation_with_dropout`: the course's
        ``(Z1, D1, A1, W1, b1, ..., ZL, AL, WL, bL)``; masks bool, integer or float 0/1.
    keep_prob : float
        The keep probability of the forward pass, in ``(0, 1]``.
    hidden_activation : str, optional
        Activation of the hidden layers of the forward pass. By default the one the caches
        were made with (``"relu"`` for a tuple built by hand, as the course's); a name that
        contradicts the caches raises ``ValueError``.

    Returns
    -------
    dict of numpy.ndarray
        The course's keys, as :func:`backward_propagation`.
    """
    kp = chk.keep_prob(keep_prob)
    return _backward(X, Y, caches, hidden_activation, keep_prob=kp, dropout=True)


# ---------------------------------------------------------------------------------------------
# Gradient checking
# ---------------------------------------------------------------------------------------------


def gradient_check_n(
    parameters: dict,
    gradients: dict,
    X,
    Y,
    epsilon: float = 1e-7,
    print_msg: bool = False,
    hidden_activation: str = "relu",
    lambd: float = 0.0,
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
        Labels 0/1, shape ``(n_L, m)``, or ``(m,)`` as the course's test passes them.
    epsilon : float, optional
        Finite-difference step, ``> 0``.
    print_msg : bool, optional
        Print the course's verdict (threshold ``2e-7``).
    hidden_activation : {"relu", "tanh", "logistic", "identity", "leaky_relu"}, optional
        Activation of the hidden layers.
    lambd : float, optional
        L2 regularization strength of the cost, ``>= 0``.

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
    if isinstance(Y, np.ndarray) and Y.ndim == 1:
        Y = Y.reshape(1, -1)  # the course's test: Y of shape (m,)
    Y = _labels(Y, dt, W[-1].shape[0], X.shape[1])
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


def _parameter_arrays(parameters, dt, name="parameters"):
    """``[(key, array)]`` for W1, b1, ..., WL, bL, each checked on its own (a real 2-D array of
    ``dt``, finite): an update is per key, so the layers need not chain (the course's
    optimizer tests use W2 of (3, 3) after W1 of (2, 3))."""
    L = chk.num_layers(parameters, name)
    return [
        (k, chk.array2d(parameters[k], f"{name}[{k!r}]", dt))
        for l in range(1, L + 1)
        for k in (f"W{l}", f"b{l}")
    ]


def _optimizer_lists(parameters, grads, states, dt):
    arrays = _parameter_arrays(parameters, dt)
    L = len(arrays) // 2
    chk.gradient_keys(grads, "grads", L)
    for sname, state in states:
        chk.gradient_keys(state, sname, L)
    keys = [(p, "d" + p) for p, _ in arrays]
    P = [a.copy() for _, a in arrays]
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
    core_for(dt).update(OPTIMIZER_CODES["gd"], P, G, [], [], lr, 0.0, 0.0, 0.0, 0.0, 0)
    return {p: arr for (p, _), arr in zip(keys, P)}


def update_parameters(parameters: dict, grads: dict, learning_rate: float):
    """One gradient-descent step on the core under the name the initialization and
    regularization assignments' helper modules give it: :func:`update_parameters_with_gd`.

    Parameters
    ----------
    parameters, grads, learning_rate
        Checked and used exactly as by :func:`update_parameters_with_gd`.

    Returns
    -------
    dict of numpy.ndarray
        New arrays; the inputs are not modified.
    """
    return update_parameters_with_gd(parameters, grads, learning_rate)


def _velocity_step(optimizer: str, parameters, grads, v, beta, learning_rate):
    """One step of an optimizer whose state is a velocity (momentum, Nesterov), on the core."""
    lr = chk.learning_rate(learning_rate)
    beta = chk.real(beta, "beta", 0.0, 1.0, high_open=True)
    dt = _param_dtype(parameters)
    keys, P, G, (V,) = _optimizer_lists(parameters, grads, [("v", v)], dt)
    core_for(dt).update(OPTIMIZER_CODES[optimizer], P, G, V, [], lr, beta, 0.0, 0.0, 0.0, 0)
    return {p: a for (p, _), a in zip(keys, P)}, {g: a for (_, g), a in zip(keys, V)}


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
    return _velocity_step("momentum", parameters, grads, v, beta, learning_rate)


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
    adam = OPTIMIZER_CODES["adam"]
    Vc, Sc = core_for(dt).update(adam, P, G, V, S, lr, 0.0, beta1, beta2, epsilon, t)

    def as_dict(arrays, which):
        return {key[which]: a for key, a in zip(keys, arrays)}

    return as_dict(P, 0), as_dict(V, 1), as_dict(S, 1), as_dict(Vc, 1), as_dict(Sc, 1)


def initialize_rmsprop(parameters: dict) -> dict[str, np.ndarray]:
    """Zero running average of the squared gradients for RMSprop, as the reference.

    Parameters
    ----------
    parameters : dict of numpy.ndarray
        ``{"W1", "b1", ..., "WL", "bL"}`` (float64 or float32).

    Returns
    -------
    dict of numpy.ndarray
        ``s``: ``{"dW1", "db1", ...}``, zeros of the parameters' shapes and dtype.
    """
    return initialize_velocity(parameters)


def update_parameters_with_rmsprop(
    parameters: dict,
    grads: dict,
    s: dict,
    learning_rate: float,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
):
    """One RMSprop step on the core (see the reference); the inputs are not modified.

    ``s = beta2 s + (1 - beta2) g**2``; ``W -= learning_rate * g / (sqrt(s) + epsilon)``.

    Parameters
    ----------
    parameters, grads : dict of numpy.ndarray
        As in :func:`update_parameters_with_gd`.
    s : dict of numpy.ndarray
        Running average of the squared gradients ``{"dW1", "db1", ...}`` (from
        :func:`initialize_rmsprop`), ``>= 0``.
    learning_rate : float
        Step size.
    beta2 : float, optional
        Decay rate of ``s``, in ``[0, 1)``.
    epsilon : float, optional
        Added to the denominator, ``> 0``.

    Returns
    -------
    parameters, s : dict of numpy.ndarray
        The updated parameters and running average (new arrays).
    """
    lr = chk.learning_rate(learning_rate)
    beta2 = chk.real(beta2, "beta2", 0.0, 1.0, high_open=True)
    epsilon = chk.real(epsilon, "epsilon", low=0.0, low_open=True)
    dt = _param_dtype(parameters)
    keys, P, G, (S,) = _optimizer_lists(parameters, grads, [("s", s)], dt)
    core_for(dt).update(OPTIMIZER_CODES["rmsprop"], P, G, [], S, lr, 0.0, 0.0, beta2, epsilon, 0)
    return {p: a for (p, _), a in zip(keys, P)}, {g: a for (_, g), a in zip(keys, S)}


def update_parameters_with_nesterov(
    parameters: dict, grads: dict, v: dict, beta: float, learning_rate: float
):
    """One Nesterov momentum step on the core, in scikit-learn's form (see the reference).

    ``v = beta v - learning_rate g``; ``W += beta v - learning_rate g``. The inputs are not
    modified.

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
    return _velocity_step("nesterov", parameters, grads, v, beta, learning_rate)


# ---------------------------------------------------------------------------------------------
# Minibatches, prediction
# ---------------------------------------------------------------------------------------------


def _shuffled_array(a, name):
    """A finite 2-D numpy array of bool, integer or float (only its columns are permuted)."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(a).__name__}")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold bool, integer or float numbers, got dtype {a.dtype}")
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {a.shape}")
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or inf")
    return a


def random_mini_batches(X, Y, mini_batch_size: int = 64, seed: int | None = 0):
    """The course's shuffled minibatches, with the permutation computed by the core's copy of
    numpy's legacy MT19937 (``np.random.seed(seed); np.random.permutation(m)``), so the global
    generator is left alone. ``seed=None`` draws a fresh seed from numpy's global generator.

    ``X`` is a finite ``(n_x, m)`` array with ``m >= 1``, ``Y`` a finite 2-D array with ``m``
    columns, each of bool, integer or float dtype and returned in its own dtype (as the course:
    its test passes integer ``X`` and boolean ``Y``); only the permutation runs on the core.

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
    X = _shuffled_array(X, "X")
    m = chk.examples(X)
    Y = _shuffled_array(Y, "Y")
    if Y.shape[1] != m:
        raise ValueError(f"Y must have shape (any, {m}), got {Y.shape}")
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


def predict(X, y, parameters: dict, hidden_activation: str = "relu", print_accuracy: bool = True):
    """Labels ``AL > 0.5`` from the core's forward pass; prints the accuracy, as the course.

    Parameters
    ----------
    X : numpy.ndarray
        Input, shape ``(n_x, m)``.
    y : numpy.ndarray
        True labels 0/1, shape ``(n_L, m)``.
    parameters : dict of numpy.ndarray
        ``{"W1", "b1", ...}`` in ``X``'s dtype.
    hidden_activation : {"relu", "tanh", "logistic", "identity", "leaky_relu"}, optional
        Activation of the hidden layers.
    print_accuracy : bool, optional
        Print ``"Accuracy: " + str(mean(p == y))`` (the course always does).

    Returns
    -------
    numpy.ndarray
        Labels 0/1 as integers, shape ``(n_L, m)``.
    """
    chk.flag(print_accuracy, "print_accuracy")
    AL, _ = forward_propagation(X, parameters, hidden_activation)
    p = (AL > 0.5).astype(int)
    y = _labels(y, AL.dtype, p.shape[0], p.shape[1], name="y")
    if print_accuracy:
        print("Accuracy: " + str(np.mean(p == y)))
    return p


def accuracy(X, y, parameters: dict, hidden_activation: str = "relu") -> float:
    """The accuracy :func:`predict` prints, returned instead (nncore's helper, not the course's).

    Parameters
    ----------
    X, y, parameters, hidden_activation
        As in :func:`predict`, checked the same way.

    Returns
    -------
    float
        ``mean(labels == y)`` with the core's labels ``AL > 0.5``.
    """
    labels = predict(X, y, parameters, hidden_activation, print_accuracy=False)
    return float((labels == y).mean())


def predict_dec(parameters: dict, X, hidden_activation: str = "relu"):
    """Boolean predictions ``AL > 0.5`` (for decision-boundary plots), on the core.

    Parameters
    ----------
    parameters : dict of numpy.ndarray
        ``{"W1", "b1", ...}`` in ``X``'s dtype.
    X : numpy.ndarray
        Input, shape ``(n_x, m)``.
    hidden_activation : {"relu", "tanh", "logistic", "identity", "leaky_relu"}, optional
        Activation of the hidden layers.

    Returns
    -------
    numpy.ndarray
        Booleans, shape ``(n_L, m)``.
    """
    AL, _ = forward_propagation(X, parameters, hidden_activation)
    return AL > 0.5
