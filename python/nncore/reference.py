"""Readable numpy reference of the "Improving Deep Neural Networks" course assignments.

This module is the oracle for nncore: every fast function is checked against the function of
the same name here. It follows the course code closely (initialization, regularization,
gradient checking and optimization assignments, on top of the L-layer network
``[LINEAR -> RELU] * (L-1) -> LINEAR -> SIGMOID``), generalized to any number of layers, to
the hidden activations of :data:`ACTIVATIONS` (``tanh``, and scikit-learn's ``logistic``,
``identity``, plus ``leaky_relu``) and to two more optimizers (RMSprop and scikit-learn's
Nesterov momentum). See ``COURSE.md`` for the specification.

Conventions: one column per example, ``X`` of shape ``(n_x, m)``, ``Y`` of shape ``(1, m)``
with values 0/1; parameters ``{"W1", "b1", ..., "WL", "bL"}`` with ``Wl`` of shape
``(n_l, n_{l-1})`` and ``bl`` of shape ``(n_l, 1)``; gradients ``{"dW1", "db1", ...}``;
float64 throughout.

Randomness: like the course, the seeded functions (initializers, dropout forward pass,
``random_mini_batches``) call ``np.random.seed`` and draw from numpy's *global* generator.
Calling them therefore resets the global random state as a side effect.
"""

# The seeded functions use numpy's legacy global generator on purpose: the course does, and the
# published results depend on its exact stream.
# ruff: noqa: NPY002

from __future__ import annotations

import copy
import math
from typing import Callable

import numpy as np

from . import _costs
from ._types import (
    LayerCache,
    caches_activation,
    course_caches,
    is_layer_caches,
    split_course_caches,
)
from .datasets import load_2D_dataset

__all__ = [
    "ACTIVATIONS",
    "DERIVATIVES",
    "HIDDEN_ACTIVATIONS",
    "OPTIMIZERS",
    "LayerCache",
    "accuracy",
    "backward_propagation",
    "backward_propagation_with_dropout",
    "backward_propagation_with_regularization",
    "compute_cost",
    "compute_cost_with_regularization",
    "compute_loss",
    "dictionary_to_vector",
    "forward_propagation",
    "forward_propagation_with_dropout",
    "gradient_check_n",
    "gradients_to_vector",
    "identity",
    "initialize_adam",
    "initialize_parameters_deep",
    "initialize_parameters_he",
    "initialize_parameters_random",
    "initialize_parameters_xavier",
    "initialize_parameters_zeros",
    "initialize_rmsprop",
    "initialize_velocity",
    "leaky_relu",
    "load_2D_dataset",
    "model",
    "predict",
    "predict_dec",
    "random_mini_batches",
    "relu",
    "schedule_lr_decay",
    "sigmoid",
    "update_lr",
    "update_parameters",
    "update_parameters_with_adam",
    "update_parameters_with_gd",
    "update_parameters_with_momentum",
    "update_parameters_with_nesterov",
    "update_parameters_with_rmsprop",
    "vector_to_dictionary",
]

HIDDEN_ACTIVATIONS = ("relu", "tanh", "logistic", "identity", "leaky_relu")
INITIALIZATIONS = ("zeros", "random", "he", "xavier", "deep")
OPTIMIZERS = ("gd", "momentum", "adam", "rmsprop", "nesterov")
DECAYS = ("update_lr", "schedule_lr_decay")
DROPOUT_RNGS = ("numpy", "course")
# The gradient-checking assignment's network (its vector_to_dictionary(theta) knows no other).
GRADIENT_CHECK_DIMS = [4, 5, 3, 1]
#: Slope of ``leaky_relu`` for ``z <= 0``.
LEAKY_RELU_SLOPE = 0.01


# ---------------------------------------------------------------------------------------------
# Activations
# ---------------------------------------------------------------------------------------------


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-z))``, element-wise.

    Parameters
    ----------
    z : numpy.ndarray
        Pre-activation.

    Returns
    -------
    numpy.ndarray
        ``1 / (1 + exp(-z))``. For ``z < -709`` ``exp(-z)`` overflows to ``inf`` and the result
        is exactly 0, as in the course (the overflow warning is silenced).
    """
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-z))


def relu(z: np.ndarray) -> np.ndarray:
    """Rectified linear unit ``max(0, z)``, element-wise.

    Parameters
    ----------
    z : numpy.ndarray
        Pre-activation.

    Returns
    -------
    numpy.ndarray
        ``np.maximum(0, z)``.
    """
    return np.maximum(0, z)


def identity(z: np.ndarray) -> np.ndarray:
    """Identity ``z`` (no non-linearity).

    Parameters
    ----------
    z : numpy.ndarray
        Pre-activation.

    Returns
    -------
    numpy.ndarray
        ``z`` itself (not a copy).
    """
    return z


def leaky_relu(z: np.ndarray) -> np.ndarray:
    """Leaky rectified linear unit: ``z`` for ``z > 0``, else ``0.01 * z``, element-wise.

    Parameters
    ----------
    z : numpy.ndarray
        Pre-activation.

    Returns
    -------
    numpy.ndarray
        ``np.where(z > 0, z, 0.01 * z)``.
    """
    return np.where(z > 0, z, LEAKY_RELU_SLOPE * z)


# The derivatives are written from the activation's output A = g(Z) (before dropout), as the
# course writes relu's and tanh's and as scikit-learn's DERIVATIVES do: every one of them is a
# function of A alone, so the backward pass needs nothing but what the forward cache holds. Each
# maps the gradient dA with respect to A to dZ = dA * g'(Z). relu and tanh keep the course's
# expressions exactly. At z = 0, relu's derivative is 0 (A > 0 is false) and leaky_relu takes
# the same side (its slope 0.01); leaky_relu's output is positive exactly when z is, so A > 0
# tells the two sides apart.


def _relu_derivative(A: np.ndarray, dA: np.ndarray) -> np.ndarray:
    return dA * (A > 0)


def _tanh_derivative(A: np.ndarray, dA: np.ndarray) -> np.ndarray:
    return dA * (1 - A**2)


def _logistic_derivative(A: np.ndarray, dA: np.ndarray) -> np.ndarray:
    # (dA * A) * (1 - A): scikit-learn's order of the two products.
    return dA * A * (1 - A)


def _identity_derivative(A: np.ndarray, dA: np.ndarray) -> np.ndarray:
    return dA


def _leaky_relu_derivative(A: np.ndarray, dA: np.ndarray) -> np.ndarray:
    return dA * np.where(A > 0, 1.0, LEAKY_RELU_SLOPE)


#: Hidden activations whose derivative reads only whether ``A > 0``.
SIGN_ONLY_DERIVATIVES = ("relu", "leaky_relu", "identity")

#: Activation functions by name: ``ACTIVATIONS[name](Z) -> A``. The hidden activations are the
#: keys of :data:`DERIVATIVES`; ``"sigmoid"`` is the output layer's (the same function as
#: ``"logistic"``).
ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": relu,
    "tanh": np.tanh,
    "logistic": sigmoid,
    "identity": identity,
    "leaky_relu": leaky_relu,
    "sigmoid": sigmoid,
}

#: Derivatives of the hidden activations by name: ``DERIVATIVES[name](A, dA) -> dZ``, with
#: ``A = ACTIVATIONS[name](Z)`` before dropout and ``dZ = dA * g'(Z)``.
DERIVATIVES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "relu": _relu_derivative,
    "tanh": _tanh_derivative,
    "logistic": _logistic_derivative,
    "identity": _identity_derivative,
    "leaky_relu": _leaky_relu_derivative,
}


def _check_hidden_activation(hidden_activation: str) -> None:
    if hidden_activation not in HIDDEN_ACTIVATIONS:
        raise ValueError(
            f"hidden_activation must be one of {HIDDEN_ACTIVATIONS}, got {hidden_activation!r}"
        )


def _num_layers(parameters: dict) -> int:
    """Number of layers L, counted from the keys W1, W2, ... of ``parameters``."""
    L = 0
    while f"W{L + 1}" in parameters:
        L += 1
    if L == 0:
        raise ValueError("parameters holds no weights: expected keys 'W1', 'b1', ...")
    return L


def _parameter_gradient_keys(parameters: dict) -> list[tuple[str, str]]:
    """``[("W1", "dW1"), ("b1", "db1"), ...]``: each parameter's key beside its gradient's
    (and optimizer state's) key, in the course's order."""
    L = _num_layers(parameters)
    return [pair for l in range(1, L + 1) for pair in ((f"W{l}", f"dW{l}"), (f"b{l}", f"db{l}"))]


def _layers_dims_of(parameters: dict) -> list[int]:
    """``layers_dims`` recovered from the weight shapes."""
    L = _num_layers(parameters)
    return [parameters["W1"].shape[1]] + [parameters[f"W{l}"].shape[0] for l in range(1, L + 1)]


# ---------------------------------------------------------------------------------------------
# Initialization
# ---------------------------------------------------------------------------------------------


def initialize_parameters_zeros(layers_dims: list[int]) -> dict[str, np.ndarray]:
    """All-zero weights and biases (fails to break symmetry).

    Parameters
    ----------
    layers_dims : list of int
        ``[n_x, n_1, ..., n_L]``.

    Returns
    -------
    dict
        ``{"W1", "b1", ..., "WL", "bL"}``: ``Wl`` zeros of shape ``(n_l, n_{l-1})``,
        ``bl`` zeros of shape ``(n_l, 1)``.
    """
    parameters = {}
    for l in range(1, len(layers_dims)):
        parameters[f"W{l}"] = np.zeros((layers_dims[l], layers_dims[l - 1]))
        parameters[f"b{l}"] = np.zeros((layers_dims[l], 1))
    return parameters


def _initialize_scaled(layers_dims: list[int], seed: int | None, scale) -> dict:
    """Shared body of the random initializers: ``W = scale(randn(n_l, n_{l-1}), l)``.

    Seeds numpy's global generator, then draws the weights layer by layer in order (biases
    are zeros, so nothing is drawn for them). ``scale`` applies the course's own expression
    (``* 10``, ``* sqrt(2 / n)``, ``/ sqrt(n)``): multiplying by ``sqrt(1 / n)`` instead of
    dividing by ``sqrt(n)`` differs in the last bit, which is enough to change a dropout run.
    """
    if seed is not None:
        np.random.seed(seed)
    parameters = {}
    for l in range(1, len(layers_dims)):
        draw = np.random.randn(layers_dims[l], layers_dims[l - 1])
        parameters[f"W{l}"] = scale(draw, l)
        parameters[f"b{l}"] = np.zeros((layers_dims[l], 1))
    return parameters


def initialize_parameters_random(layers_dims: list[int], seed: int = 3) -> dict[str, np.ndarray]:
    """Large random weights ``randn(n_l, n_{l-1}) * 10``, zero biases.

    Parameters
    ----------
    layers_dims : list of int
        ``[n_x, n_1, ..., n_L]``.
    seed : int, optional
        Seed passed to ``np.random.seed`` (numpy's global generator is reset as a side
        effect). The course uses 3.

    Returns
    -------
    dict
        Parameters ``{"W1", "b1", ..., "WL", "bL"}``.
    """
    return _initialize_scaled(layers_dims, seed, lambda W, l: W * 10)


def initialize_parameters_he(layers_dims: list[int], seed: int = 3) -> dict[str, np.ndarray]:
    """He initialization ``randn(n_l, n_{l-1}) * sqrt(2 / n_{l-1})``, zero biases.

    Parameters
    ----------
    layers_dims : list of int
        ``[n_x, n_1, ..., n_L]``.
    seed : int, optional
        Seed passed to ``np.random.seed`` (numpy's global generator is reset as a side
        effect). The course uses 3.

    Returns
    -------
    dict
        Parameters ``{"W1", "b1", ..., "WL", "bL"}``.
    """
    return _initialize_scaled(layers_dims, seed, lambda W, l: W * np.sqrt(2.0 / layers_dims[l - 1]))


def initialize_parameters_xavier(
    layers_dims: list[int], seed: int = 3, variant: str = "course"
) -> dict[str, np.ndarray]:
    """Xavier initialization, zero biases.

    With ``variant="course"`` the weights are ``randn(n_l, n_{l-1}) / sqrt(n_{l-1})``, the
    regularization assignment's expression (with seed 3 its initializer, bit for bit).
    ``variant="glorot"`` uses ``randn(n_l, n_{l-1}) * sqrt(2 / (n_{l-1} + n_l))``.

    Parameters
    ----------
    layers_dims : list of int
        ``[n_x, n_1, ..., n_L]``.
    seed : int, optional
        Seed passed to ``np.random.seed`` (numpy's global generator is reset as a side
        effect).
    variant : {"course", "glorot"}, optional
        Which scale to use.

    Returns
    -------
    dict
        Parameters ``{"W1", "b1", ..., "WL", "bL"}``.

    Raises
    ------
    ValueError
        If ``variant`` is neither ``"course"`` nor ``"glorot"``.
    """
    if variant == "course":
        return _initialize_scaled(layers_dims, seed, lambda W, l: W / np.sqrt(layers_dims[l - 1]))
    if variant == "glorot":
        return _initialize_scaled(
            layers_dims, seed, lambda W, l: W * np.sqrt(2.0 / (layers_dims[l - 1] + layers_dims[l]))
        )
    raise ValueError(f"variant must be one of ('course', 'glorot'), got {variant!r}")


def initialize_parameters_deep(layers_dims: list[int], seed: int = 3) -> dict[str, np.ndarray]:
    """Small random weights ``randn(n_l, n_{l-1}) * 0.01``, zero biases.

    Parameters
    ----------
    layers_dims : list of int
        ``[n_x, n_1, ..., n_L]``.
    seed : int, optional
        Seed passed to ``np.random.seed`` (numpy's global generator is reset as a side
        effect).

    Returns
    -------
    dict
        Parameters ``{"W1", "b1", ..., "WL", "bL"}``.
    """
    return _initialize_scaled(layers_dims, seed, lambda W, l: W * 0.01)


# ---------------------------------------------------------------------------------------------
# Forward propagation and cost
# ---------------------------------------------------------------------------------------------


def forward_propagation(
    X: np.ndarray, parameters: dict, hidden_activation: str = "relu"
) -> tuple[np.ndarray, tuple]:
    """Forward pass ``[LINEAR -> hidden] * (L-1) -> LINEAR -> SIGMOID``.

    Parameters
    ----------
    X : numpy.ndarray
        Input, shape ``(n_x, m)``.
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}``; L is the number of ``W`` keys.
    hidden_activation : {"relu", "tanh", "logistic", "identity", "leaky_relu"}, optional
        Activation of the hidden layers.

    Returns
    -------
    AL : numpy.ndarray
        Output probabilities, shape ``(1, m)``.
    caches : tuple
        The course's flat cache ``(Z1, A1, W1, b1, ..., ZL, AL, WL, bL)`` (the three-layer
        assignments' 12-tuple for L = 3).

    Raises
    ------
    ValueError
        If ``hidden_activation`` is not one of ``HIDDEN_ACTIVATIONS``, or ``parameters``
        holds no ``W1``.
    """
    layers = _forward(X, parameters, hidden_activation, keep_prob=1.0)
    return layers[-1].A, course_caches(layers, dropout=False)


def forward_propagation_with_dropout(
    X: np.ndarray,
    parameters: dict,
    keep_prob: float = 0.5,
    seed: int | None = 1,
    hidden_activation: str = "relu",
) -> tuple[np.ndarray, tuple]:
    """Forward pass with inverted dropout on the hidden layers.

    For each hidden layer ``l = 1..L-1`` in order, the keep mask is drawn from numpy's global
    generator as ``D = (np.random.rand(*A.shape) < keep_prob).astype(int)`` and the next layer
    receives ``(A * D) / keep_prob``. The input and the output layer are never dropped.

    Parameters
    ----------
    X : numpy.ndarray
        Input, shape ``(n_x, m)``.
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}``.
    keep_prob : float, optional
        Probability of keeping a hidden unit, in ``(0, 1]``.
    seed : int or None, optional
        If not ``None``, ``np.random.seed(seed)`` is called first (the course always uses 1, so
        every call draws the same masks). ``None`` continues the global generator's stream.
    hidden_activation : {"relu", "tanh", "logistic", "identity", "leaky_relu"}, optional
        Activation of the hidden layers.

    Returns
    -------
    AL : numpy.ndarray
        Output probabilities, shape ``(1, m)``.
    caches : tuple
        The course's flat cache: ``(Zl, Dl, Al, Wl, bl)`` for each hidden layer (``Dl`` the
        integer 0/1 mask, ``Al`` after dropout and rescaling), then ``(ZL, AL, WL, bL)``
        (the three-layer assignment's 14-tuple for L = 3).

    Raises
    ------
    ValueError
        If ``keep_prob`` is not in ``(0, 1]`` or ``hidden_activation`` is not one of
        ``HIDDEN_ACTIVATIONS``.
    """
    if not 0 < keep_prob <= 1:
        raise ValueError(f"keep_prob must be in (0, 1], got {keep_prob!r}")
    if seed is not None:
        np.random.seed(seed)
    layers = _forward(X, parameters, hidden_activation, keep_prob=keep_prob, dropout=True)
    return layers[-1].A, course_caches(layers, dropout=True)


def _forward(
    X: np.ndarray,
    parameters: dict,
    hidden_activation: str,
    keep_prob: float,
    dropout: bool = False,
) -> list[LayerCache]:
    _check_hidden_activation(hidden_activation)
    L = _num_layers(parameters)
    caches = []
    A_prev = X
    for l in range(1, L + 1):
        W = parameters[f"W{l}"]
        b = parameters[f"b{l}"]
        activation = hidden_activation if l < L else "sigmoid"
        Z = np.dot(W, A_prev) + b
        A = ACTIVATIONS[activation](Z)
        D = None
        if dropout and l < L:
            D = (np.random.rand(A.shape[0], A.shape[1]) < keep_prob).astype(int)
        caches.append(LayerCache(A_prev, W, b, Z, A, D, activation))
        # The next layer sees the dropped and rescaled activation (inverted dropout).
        A_prev = A if D is None else (A * D) / keep_prob
    return caches


def compute_cost(AL: np.ndarray, Y: np.ndarray) -> np.float64:
    """Mean cross-entropy cost, summed with ``np.nansum`` like the course.

    ``logprobs = -log(AL) * Y - log(1 - AL) * (1 - Y)`` and ``cost = 1 / m * nansum(logprobs)``.
    A saturated output (``AL`` exactly 0 or 1) gives ``inf`` where the label disagrees and
    ``nan`` (ignored by ``nansum``) where it agrees; numpy's divide/invalid warnings are
    silenced.

    Parameters
    ----------
    AL : numpy.ndarray
        Output probabilities, shape ``(1, m)``.
    Y : numpy.ndarray
        Labels 0/1, shape ``(1, m)``.

    Returns
    -------
    numpy.float64
        The cost (may be ``inf``), a numpy scalar as in the course (``.shape == ()``).
    """
    return _costs.cross_entropy(AL, Y)


def compute_cost_with_regularization(
    AL: np.ndarray, Y: np.ndarray, parameters: dict, lambd: float
) -> np.float64:
    """Cross-entropy cost plus the L2 penalty ``(1/m) * (lambd/2) * sum_l ||Wl||_F^2``.

    Parameters
    ----------
    AL : numpy.ndarray
        Output probabilities, shape ``(1, m)``.
    Y : numpy.ndarray
        Labels 0/1, shape ``(1, m)``.
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}``; only the weights are penalized.
    lambd : float
        Regularization strength.

    Returns
    -------
    numpy.float64
        The regularized cost, a numpy scalar as in the course.
    """
    cross_entropy_cost = compute_cost(AL, Y)
    weights = [parameters[f"W{l}"] for l in range(1, _num_layers(parameters) + 1)]
    return np.float64(cross_entropy_cost + _costs.l2_penalty(weights, Y.shape[1], lambd))


def compute_loss(a3: np.ndarray, Y: np.ndarray) -> np.float64:
    """The initialization assignment's name for :func:`compute_cost` (its helper module's).

    Parameters
    ----------
    a3, Y : numpy.ndarray
        The output probabilities and the 0/1 labels, as ``AL`` and ``Y`` of
        :func:`compute_cost`.

    Returns
    -------
    numpy.float64
        ``compute_cost(a3, Y)``: the mean cross-entropy, summed with ``np.nansum``.
    """
    return compute_cost(a3, Y)


# ---------------------------------------------------------------------------------------------
# Backward propagation
# ---------------------------------------------------------------------------------------------


def _backward_layers(X, caches, hidden_activation: str, dropout: bool) -> list[tuple]:
    """Per layer ``(A_prev, W, A, A_before, D)`` from a course tuple or a LayerCache list.

    ``A`` is the cache's activation as the next layer received it (after dropout), ``A_before``
    the activation before dropout, which the derivatives read. The course's dropout tuple keeps
    only the dropped ``A``: the derivatives that read only its sign (relu, as the course's
    ``A2 > 0``; leaky_relu; identity) take it as it is, since dropout's rescaling keeps the
    sign of every kept unit and a dropped unit's ``dA`` is zero already; the others get
    ``g(Z)`` again.
    """
    if is_layer_caches(caches):
        L = len(caches)
        hidden = caches[0].activation if L > 1 else hidden_activation
        _check_hidden_activation(hidden)
        out = []
        for l, c in enumerate(caches):
            A = caches[l + 1].A_prev if l < L - 1 else c.A
            out.append((c.A_prev, c.W, A, c.A, c.D))
        return out
    _check_hidden_activation(hidden_activation)
    out = []
    A_prev = X
    parts = split_course_caches(caches, dropout)
    for Z, D, A, W, _ in parts:
        if D is None or hidden_activation in SIGN_ONLY_DERIVATIVES:
            A_before = A
        else:
            A_before = ACTIVATIONS[hidden_activation](Z)
        out.append((A_prev, W, A, A_before, D))
        A_prev = A
    return out


def _backward(
    X: np.ndarray,
    Y: np.ndarray,
    caches,
    lambd: float = 0.0,
    keep_prob: float = 1.0,
    hidden_activation: str | None = None,
    dropout: bool = False,
) -> dict[str, np.ndarray]:
    """Gradients of the (regularized) cost for the caches of one forward pass.

    ``dZL = AL - Y``; for ``l = L..1``: ``dWl = (1/m) * dZl @ A_prev.T (+ (lambd/m) * Wl)``,
    ``dbl = (1/m) * sum over columns of dZl`` (the course's order: with the zeros
    initialization ``dZL`` is exactly +-0.5, so a balanced ``dbL`` is exactly 0 and the cost
    stays at log 2); below layer 1 the gradient flows on as ``dA = W.T @ dZ``, masked and
    rescaled by the layer's dropout mask if it has one (``dA * D / keep_prob``), then through
    the hidden activation's derivative ``DERIVATIVES[activation](A, dA)`` with ``A`` before
    dropout (relu: ``dA * (A > 0)``; tanh: ``dA * (1 - A**2)``). Returns the course's keys
    from the top down, ``dZL, dWL, dbL, dA{L-1}, dZ{L-1}, ...`` (``dA0``, the gradient of
    ``X``, is not formed).
    """
    if hidden_activation is not None:
        _check_hidden_activation(hidden_activation)  # an unknown name is refused as such first
    hidden_activation = caches_activation(caches, hidden_activation)
    layers = _backward_layers(X, caches, hidden_activation, dropout)
    m = Y.shape[1]
    L = len(layers)
    grads = {}
    dZ = layers[-1][2] - Y
    for l in range(L, 0, -1):
        A_prev, W = layers[l - 1][0], layers[l - 1][1]
        grads[f"dZ{l}"] = dZ
        dW = 1.0 / m * np.dot(dZ, A_prev.T)
        if lambd != 0:
            dW = dW + (lambd / m) * W
        grads[f"dW{l}"] = dW
        grads[f"db{l}"] = 1.0 / m * np.sum(dZ, axis=1, keepdims=True)
        if l > 1:
            _, _, _, A_before, D_below = layers[l - 2]
            dA = np.dot(W.T, dZ)
            if D_below is not None:
                dA = dA * D_below / keep_prob
            grads[f"dA{l - 1}"] = dA
            dZ = DERIVATIVES[hidden_activation](A_before, dA)
    return grads


def backward_propagation(
    X: np.ndarray, Y: np.ndarray, caches, hidden_activation: str | None = None
) -> dict[str, np.ndarray]:
    """Gradients of the cross-entropy cost (no regularization, no dropout).

    Parameters
    ----------
    X : numpy.ndarray
        Input, shape ``(n_x, m)``.
    Y : numpy.ndarray
        Labels 0/1, shape ``(1, m)``.
    caches : tuple
        From :func:`forward_propagation`: the course's ``(Z1, A1, W1, b1, ...)`` (a list of
        :class:`LayerCache` is also accepted).
    hidden_activation : {"relu", "tanh", "logistic", "identity", "leaky_relu"}, optional
        Activation of the hidden layers of the forward pass. By default the one the caches
        were made with (``"relu"`` for a tuple built by hand, as the course's); a name that
        contradicts the caches raises ``ValueError``.

    Returns
    -------
    dict
        ``{"dZL", "dWL", "dbL", "dA{L-1}", "dZ{L-1}", ..., "dZ1", "dW1", "db1"}``, the
        course's keys.

    Raises
    ------
    ValueError
        If the caches do not have the course's layout or hold dropout masks.
    """
    if is_layer_caches(caches) and any(c.D is not None for c in caches):
        raise ValueError("caches hold dropout masks; use backward_propagation_with_dropout")
    return _backward(X, Y, caches, hidden_activation=hidden_activation)


def backward_propagation_with_regularization(
    X: np.ndarray, Y: np.ndarray, caches, lambd: float, hidden_activation: str | None = None
) -> dict[str, np.ndarray]:
    """Gradients of the L2-regularized cost: ``dWl`` gains ``(lambd / m) * Wl``.

    Parameters
    ----------
    X : numpy.ndarray
        Input, shape ``(n_x, m)``.
    Y : numpy.ndarray
        Labels 0/1, shape ``(1, m)``.
    caches : tuple
        From :func:`forward_propagation` (see :func:`backward_propagation`).
    lambd : float
        Regularization strength.
    hidden_activation : {"relu", "tanh", "logistic", "identity", "leaky_relu"}, optional
        Activation of the hidden layers of the forward pass. By default the one the caches
        were made with (``"relu"`` for a tuple built by hand, as the course's); a name that
        contradicts the caches raises ``ValueError``.

    Returns
    -------
    dict
        The course's keys, as :func:`backward_propagation`.

    Raises
    ------
    ValueError
        If the caches do not have the course's layout or hold dropout masks.
    """
    if is_layer_caches(caches) and any(c.D is not None for c in caches):
        raise ValueError("caches hold dropout masks; use backward_propagation_with_dropout")
    return _backward(X, Y, caches, lambd=lambd, hidden_activation=hidden_activation)


def backward_propagation_with_dropout(
    X: np.ndarray, Y: np.ndarray, caches, keep_prob: float, hidden_activation: str | None = None
) -> dict[str, np.ndarray]:
    """Gradients through inverted dropout: ``dA = dA * D / keep_prob`` with the forward masks.

    Parameters
    ----------
    X : numpy.ndarray
        Input, shape ``(n_x, m)``.
    Y : numpy.ndarray
        Labels 0/1, shape ``(1, m)``.
    caches : tuple
        From :func:`forward_propagation_with_dropout` (the same ``keep_prob``): the course's
        ``(Z1, D1, A1, W1, b1, ..., ZL, AL, WL, bL)``; the masks may be 0/1 integers or
        booleans (a list of :class:`LayerCache` is also accepted).
    keep_prob : float
        Probability of keeping a hidden unit, in ``(0, 1]``.
    hidden_activation : {"relu", "tanh", "logistic", "identity", "leaky_relu"}, optional
        Activation of the hidden layers of the forward pass. By default the one the caches
        were made with (``"relu"`` for a tuple built by hand, as the course's); a name that
        contradicts the caches raises ``ValueError``.

    Returns
    -------
    dict
        The course's keys, as :func:`backward_propagation`.

    Raises
    ------
    ValueError
        If ``keep_prob`` is not in ``(0, 1]`` or the caches do not have the course's layout.
    """
    if not 0 < keep_prob <= 1:
        raise ValueError(f"keep_prob must be in (0, 1], got {keep_prob!r}")
    return _backward(
        X, Y, caches, keep_prob=keep_prob, hidden_activation=hidden_activation, dropout=True
    )


# ---------------------------------------------------------------------------------------------
# Gradient checking
# ---------------------------------------------------------------------------------------------


def dictionary_to_vector(parameters: dict) -> tuple[np.ndarray, list[str]]:
    """Flatten the parameters into one column vector, in the order W1, b1, W2, b2, ...

    Each array is flattened in C (row-major) order, as ``np.reshape(W, (-1, 1))`` does.

    Parameters
    ----------
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}``.

    Returns
    -------
    theta : numpy.ndarray
        Shape ``(n_parameters, 1)``.
    keys : list of str
        As in the course, the name of the parameter each entry of ``theta`` comes from
        (``len(keys) == n_parameters``, e.g. ``["W1", "W1", ..., "b1", ...]``).
    """
    L = _num_layers(parameters)
    vectors = []
    keys: list[str] = []
    for l in range(1, L + 1):
        for key in (f"W{l}", f"b{l}"):
            new_vector = np.reshape(parameters[key], (-1, 1))
            keys = keys + [key] * new_vector.shape[0]
            vectors.append(new_vector)
    return np.concatenate(vectors, axis=0), keys


def vector_to_dictionary(
    theta: np.ndarray, layers_dims: list[int] | None = None
) -> dict[str, np.ndarray]:
    """Unflatten a parameter vector (inverse of :func:`dictionary_to_vector`).

    Parameters
    ----------
    theta : numpy.ndarray
        Shape ``(n_parameters, 1)`` (any shape with that many elements is accepted).
    layers_dims : list of int, optional
        ``[n_x, n_1, ..., n_L]``, giving the shapes. The course's ``vector_to_dictionary(theta)``
        takes none: its network is the gradient-checking assignment's ``[4, 5, 3, 1]``, the
        default here.

    Returns
    -------
    dict
        ``{"W1", "b1", ..., "WL", "bL"}`` (copies, not views of ``theta``).

    Raises
    ------
    ValueError
        If ``theta`` does not hold exactly one element per parameter of ``layers_dims``.
    """
    if layers_dims is None:
        layers_dims = GRADIENT_CHECK_DIMS
    theta = np.asarray(theta).reshape(-1)
    expected = sum(
        layers_dims[l] * layers_dims[l - 1] + layers_dims[l] for l in range(1, len(layers_dims))
    )
    if theta.shape[0] != expected:
        raise ValueError(
            f"theta has {theta.shape[0]} elements, expected {expected} for layers_dims "
            f"{list(layers_dims)}"
        )
    parameters = {}
    start = 0
    for l in range(1, len(layers_dims)):
        for key, shape in (
            (f"W{l}", (layers_dims[l], layers_dims[l - 1])),
            (f"b{l}", (layers_dims[l], 1)),
        ):
            size = shape[0] * shape[1]
            parameters[key] = theta[start : start + size].reshape(shape).copy()
            start += size
    return parameters


def gradients_to_vector(gradients: dict) -> np.ndarray:
    """Flatten gradients into one column vector, in the order dW1, db1, dW2, db2, ...

    Parameters
    ----------
    gradients : dict
        ``{"dW1", "db1", ..., "dWL", "dbL"}`` (other keys are ignored).

    Returns
    -------
    numpy.ndarray
        Shape ``(n_parameters, 1)``, aligned with :func:`dictionary_to_vector`.
    """
    L = 0
    while f"dW{L + 1}" in gradients:
        L += 1
    vectors = [
        np.reshape(gradients[key], (-1, 1)) for l in range(1, L + 1) for key in (f"dW{l}", f"db{l}")
    ]
    return np.concatenate(vectors, axis=0)


def gradient_check_n(
    parameters: dict,
    gradients: dict,
    X: np.ndarray,
    Y: np.ndarray,
    epsilon: float = 1e-7,
    print_msg: bool = False,
    hidden_activation: str = "relu",
    lambd: float = 0.0,
) -> float:
    """Compare ``gradients`` with centred finite differences of the cost.

    ``gradapprox[i] = (J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps)`` where ``J`` is
    :func:`compute_cost` (or :func:`compute_cost_with_regularization` if ``lambd > 0``) after
    :func:`forward_propagation` (no dropout).

    Parameters
    ----------
    parameters : dict
        Point at which to check, ``{"W1", "b1", ..., "WL", "bL"}``.
    gradients : dict
        Gradients to check, ``{"dW1", "db1", ...}``.
    X : numpy.ndarray
        Input, shape ``(n_x, m)``.
    Y : numpy.ndarray
        Labels 0/1, shape ``(1, m)``, or ``(m,)`` as the course's test passes them.
    epsilon : float, optional
        Finite-difference step.
    print_msg : bool, optional
        Print the course's verdict (threshold ``2e-7``).
    hidden_activation : {"relu", "tanh", "logistic", "identity", "leaky_relu"}, optional
        Activation of the hidden layers.
    lambd : float, optional
        L2 regularization strength of the cost.

    Returns
    -------
    float
        ``||grad - gradapprox||_2 / (||grad||_2 + ||gradapprox||_2)``.

    Raises
    ------
    ValueError
        If ``gradients`` does not hold one element per parameter.
    """
    layers_dims = _layers_dims_of(parameters)
    if np.ndim(Y) == 1:
        Y = np.reshape(Y, (1, -1))  # the course's test: Y of shape (m,)
    parameters_values, _ = dictionary_to_vector(parameters)
    grad = gradients_to_vector(gradients)
    num_parameters = parameters_values.shape[0]
    if grad.shape[0] != num_parameters:
        raise ValueError(
            f"gradients has {grad.shape[0]} elements, expected {num_parameters} (one per parameter)"
        )

    def cost_at(theta: np.ndarray) -> float:
        params = vector_to_dictionary(theta, layers_dims)
        AL, _ = forward_propagation(X, params, hidden_activation)
        if lambd > 0:
            return compute_cost_with_regularization(AL, Y, params, lambd)
        return compute_cost(AL, Y)

    gradapprox = np.zeros((num_parameters, 1))
    for i in range(num_parameters):
        theta_plus = np.copy(parameters_values)
        theta_plus[i] = theta_plus[i] + epsilon
        J_plus = cost_at(theta_plus)
        theta_minus = np.copy(parameters_values)
        theta_minus[i] = theta_minus[i] - epsilon
        J_minus = cost_at(theta_minus)
        gradapprox[i] = (J_plus - J_minus) / (2 * epsilon)

    numerator = np.linalg.norm(grad - gradapprox)
    denominator = np.linalg.norm(grad) + np.linalg.norm(gradapprox)
    difference = float(numerator / denominator)
    if print_msg:
        if difference > 2e-7:
            print(f"There is a mistake in the backward propagation! difference = {difference}")
        else:
            print(f"Your backward propagation works perfectly fine! difference = {difference}")
    return difference


# ---------------------------------------------------------------------------------------------
# Optimizers
# ---------------------------------------------------------------------------------------------


def update_parameters_with_gd(
    parameters: dict, grads: dict, learning_rate: float
) -> dict[str, np.ndarray]:
    """One gradient-descent step ``W - learning_rate * dW`` (likewise ``b``).

    Parameters
    ----------
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}`` (not modified).
    grads : dict
        ``{"dW1", "db1", ...}``.
    learning_rate : float
        Step size.

    Returns
    -------
    dict
        New parameters.
    """
    L = _num_layers(parameters)
    new = {}
    for l in range(1, L + 1):
        new[f"W{l}"] = parameters[f"W{l}"] - learning_rate * grads[f"dW{l}"]
        new[f"b{l}"] = parameters[f"b{l}"] - learning_rate * grads[f"db{l}"]
    return new


def update_parameters(parameters: dict, grads: dict, learning_rate: float) -> dict:
    """The initialization and regularization assignments' name for
    :func:`update_parameters_with_gd` (their helper modules').

    Parameters
    ----------
    parameters, grads, learning_rate
        As in :func:`update_parameters_with_gd`.

    Returns
    -------
    dict
        The new parameters.
    """
    return update_parameters_with_gd(parameters, grads, learning_rate)


def initialize_velocity(parameters: dict) -> dict[str, np.ndarray]:
    """Zero velocity for momentum.

    Parameters
    ----------
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}``.

    Returns
    -------
    dict
        ``{"dW1", "db1", ...}`` of zeros with the parameters' shapes.
    """
    L = _num_layers(parameters)
    v = {}
    for l in range(1, L + 1):
        v[f"dW{l}"] = np.zeros(parameters[f"W{l}"].shape)
        v[f"db{l}"] = np.zeros(parameters[f"b{l}"].shape)
    return v


def update_parameters_with_momentum(
    parameters: dict, grads: dict, v: dict, beta: float, learning_rate: float
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One momentum step: ``v = beta * v + (1 - beta) * dW``; ``W = W - learning_rate * v``.

    Parameters
    ----------
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}`` (not modified).
    grads : dict
        ``{"dW1", "db1", ...}``.
    v : dict
        Velocity ``{"dW1", "db1", ...}`` (not modified).
    beta : float
        Momentum coefficient.
    learning_rate : float
        Step size.

    Returns
    -------
    parameters : dict
        New parameters.
    v : dict
        New velocity.
    """
    new_parameters = {}
    new_v = {}
    for p, g in _parameter_gradient_keys(parameters):
        new_v[g] = beta * v[g] + (1 - beta) * grads[g]
        new_parameters[p] = parameters[p] - learning_rate * new_v[g]
    return new_parameters, new_v


def initialize_adam(parameters: dict) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Zero first and second moment estimates for Adam.

    Parameters
    ----------
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}``.

    Returns
    -------
    v : dict
        ``{"dW1", "db1", ...}`` of zeros (first moment).
    s : dict
        ``{"dW1", "db1", ...}`` of zeros (second moment).
    """
    return initialize_velocity(parameters), initialize_velocity(parameters)


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
) -> tuple[dict, dict, dict, dict, dict]:
    """One Adam step.

    ``v = beta1 v + (1 - beta1) g``, ``v_corrected = v / (1 - beta1**t)``,
    ``s = beta2 s + (1 - beta2) g**2``, ``s_corrected = s / (1 - beta2**t)``,
    ``W = W - learning_rate * v_corrected / (sqrt(s_corrected) + epsilon)``.

    Parameters
    ----------
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}`` (not modified).
    grads : dict
        ``{"dW1", "db1", ...}``.
    v, s : dict
        Moment estimates ``{"dW1", "db1", ...}`` (not modified).
    t : int
        Step count, already incremented for this step (1 for the first update).
    learning_rate : float, optional
        Step size.
    beta1, beta2 : float, optional
        Decay rates of the moment estimates.
    epsilon : float, optional
        Added to the denominator.

    Returns
    -------
    parameters, v, s, v_corrected, s_corrected : dict
        The new parameters and moments and the bias-corrected moments.

    Raises
    ------
    ValueError
        If ``t < 1``.
    """
    if t < 1:
        raise ValueError(f"t must be >= 1 (incremented before each update), got {t!r}")
    new_parameters, new_v, new_s, v_corrected, s_corrected = {}, {}, {}, {}, {}
    for p, g in _parameter_gradient_keys(parameters):
        new_v[g] = beta1 * v[g] + (1 - beta1) * grads[g]
        v_corrected[g] = new_v[g] / (1 - np.power(beta1, t))
        new_s[g] = beta2 * s[g] + (1 - beta2) * np.power(grads[g], 2)
        s_corrected[g] = new_s[g] / (1 - np.power(beta2, t))
        new_parameters[p] = parameters[p] - learning_rate * v_corrected[g] / (
            np.sqrt(s_corrected[g]) + epsilon
        )
    return new_parameters, new_v, new_s, v_corrected, s_corrected


def initialize_rmsprop(parameters: dict) -> dict[str, np.ndarray]:
    """Zero running average of the squared gradients for RMSprop.

    Parameters
    ----------
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}``.

    Returns
    -------
    dict
        ``s``: ``{"dW1", "db1", ...}`` of zeros with the parameters' shapes.
    """
    return initialize_velocity(parameters)


def update_parameters_with_rmsprop(
    parameters: dict,
    grads: dict,
    s: dict,
    learning_rate: float,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One RMSprop step (no bias correction, no momentum).

    ``s = beta2 s + (1 - beta2) g**2``, ``W = W - learning_rate * g / (sqrt(s) + epsilon)``
    (likewise ``b``); the same form as ``torch.optim.RMSprop`` with ``alpha=beta2`` and
    ``eps=epsilon``, which also adds ``eps`` after the square root.

    Parameters
    ----------
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}`` (not modified).
    grads : dict
        ``{"dW1", "db1", ...}``.
    s : dict
        Running average of the squared gradients ``{"dW1", "db1", ...}`` (not modified).
    learning_rate : float
        Step size.
    beta2 : float, optional
        Decay rate of ``s``.
    epsilon : float, optional
        Added to the denominator.

    Returns
    -------
    parameters : dict
        New parameters.
    s : dict
        New running average.
    """
    new_parameters, new_s = {}, {}
    for p, g in _parameter_gradient_keys(parameters):
        new_s[g] = beta2 * s[g] + (1 - beta2) * np.square(grads[g])
        new_parameters[p] = parameters[p] - learning_rate * grads[g] / (np.sqrt(new_s[g]) + epsilon)
    return new_parameters, new_s


def update_parameters_with_nesterov(
    parameters: dict, grads: dict, v: dict, beta: float, learning_rate: float
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One Nesterov momentum step in scikit-learn's form.

    ``v = beta * v - learning_rate * dW``; ``W = W + (beta * v - learning_rate * dW)``
    (likewise ``b``), as ``SGDOptimizer(..., nesterov=True)`` of
    ``sklearn.neural_network._stochastic_optimizers``. Unlike the course's momentum, ``v``
    holds the step (it already carries ``-learning_rate``), not an average of gradients.

    Parameters
    ----------
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}`` (not modified).
    grads : dict
        ``{"dW1", "db1", ...}``.
    v : dict
        Velocity ``{"dW1", "db1", ...}`` from :func:`initialize_velocity` (not modified).
    beta : float
        Momentum coefficient.
    learning_rate : float
        Step size.

    Returns
    -------
    parameters : dict
        New parameters.
    v : dict
        New velocity.
    """
    new_parameters, new_v = {}, {}
    for p, g in _parameter_gradient_keys(parameters):
        new_v[g] = beta * v[g] - learning_rate * grads[g]
        new_parameters[p] = parameters[p] + (beta * new_v[g] - learning_rate * grads[g])
    return new_parameters, new_v


def random_mini_batches(
    X: np.ndarray, Y: np.ndarray, mini_batch_size: int = 64, seed: int | None = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Shuffle the examples and cut them into minibatches, as the course does.

    ``np.random.seed(seed)``, ``permutation = list(np.random.permutation(m))``, then
    ``floor(m / mini_batch_size)`` complete batches and, if ``m % mini_batch_size != 0``, a
    last smaller batch.

    Parameters
    ----------
    X : numpy.ndarray
        Input, shape ``(n_x, m)``.
    Y : numpy.ndarray
        Labels, shape ``(n_y, m)`` (``n_y = 1`` in the course).
    mini_batch_size : int, optional
        Examples per batch.
    seed : int or None, optional
        Seed passed to ``np.random.seed`` (numpy's global generator is reset as a side
        effect); ``None`` continues the global stream.

    Returns
    -------
    list of tuple
        ``[(mini_batch_X, mini_batch_Y), ...]``, shapes ``(n_x, size)`` and ``(n_y, size)``.

    Raises
    ------
    ValueError
        If ``mini_batch_size < 1`` or ``X`` and ``Y`` differ in their number of columns.
    """
    if mini_batch_size < 1:
        raise ValueError(f"mini_batch_size must be >= 1, got {mini_batch_size!r}")
    if seed is not None:
        np.random.seed(seed)
    m = X.shape[1]
    if Y.shape[-1] != m:
        raise ValueError(f"Y has {Y.shape[-1]} examples (columns), X has {m}")
    mini_batches = []
    permutation = list(np.random.permutation(m))
    shuffled_X = X[:, permutation]
    shuffled_Y = Y[:, permutation].reshape((Y.shape[0], m))
    num_complete_minibatches = math.floor(m / mini_batch_size)
    for k in range(num_complete_minibatches):
        batch = slice(k * mini_batch_size, (k + 1) * mini_batch_size)
        mini_batches.append((shuffled_X[:, batch], shuffled_Y[:, batch]))
    if m % mini_batch_size != 0:
        batch = slice(num_complete_minibatches * mini_batch_size, m)
        mini_batches.append((shuffled_X[:, batch], shuffled_Y[:, batch]))
    return mini_batches


def update_lr(learning_rate0: float, epoch_num: int, decay_rate: float) -> float:
    """Learning-rate decay ``learning_rate0 / (1 + decay_rate * epoch_num)``.

    Parameters
    ----------
    learning_rate0 : float
        Initial learning rate.
    epoch_num : int
        Epoch number.
    decay_rate : float
        Decay rate.

    Returns
    -------
    float
        The decayed learning rate.
    """
    return float(learning_rate0 / (1 + decay_rate * epoch_num))


def schedule_lr_decay(
    learning_rate0: float, epoch_num: int, decay_rate: float, time_interval: int = 1000
) -> float:
    """Stepwise decay ``learning_rate0 / (1 + decay_rate * floor(epoch_num / time_interval))``.

    Parameters
    ----------
    learning_rate0 : float
        Initial learning rate.
    epoch_num : int
        Epoch number.
    decay_rate : float
        Decay rate.
    time_interval : int, optional
        Number of epochs between two decreases.

    Returns
    -------
    float
        The decayed learning rate.
    """
    return float(learning_rate0 / (1 + decay_rate * np.floor(epoch_num / time_interval)))


# ---------------------------------------------------------------------------------------------
# Prediction and training
# ---------------------------------------------------------------------------------------------


def predict(
    X: np.ndarray,
    y: np.ndarray,
    parameters: dict,
    hidden_activation: str = "relu",
    print_accuracy: bool = True,
) -> np.ndarray:
    """Predict labels (``AL > 0.5``, no dropout) and print the accuracy, as the course does.

    Parameters
    ----------
    X : numpy.ndarray
        Input, shape ``(n_x, m)``.
    y : numpy.ndarray
        Labels 0/1, shape ``(1, m)``.
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}``.
    hidden_activation : {"relu", "tanh", "logistic", "identity", "leaky_relu"}, optional
        Activation of the hidden layers.
    print_accuracy : bool, optional
        Print ``"Accuracy: " + str(mean(p == y))`` (the course always does).

    Returns
    -------
    numpy.ndarray
        Integer 0/1 predictions, shape ``(1, m)``.
    """
    AL, _ = forward_propagation(X, parameters, hidden_activation)
    p = (AL > 0.5).astype(int)
    if print_accuracy:
        print("Accuracy: " + str(np.mean(p == y)))
    return p


def accuracy(
    X: np.ndarray, y: np.ndarray, parameters: dict, hidden_activation: str = "relu"
) -> float:
    """``mean(predict(X, y, parameters) == y)``, without printing (nncore's, not the course's).

    Parameters
    ----------
    X, y, parameters, hidden_activation
        As in :func:`predict`.

    Returns
    -------
    float
        The fraction of correct predictions.
    """
    p = predict(X, y, parameters, hidden_activation, print_accuracy=False)
    return float(np.mean(p == y))


def predict_dec(parameters: dict, X: np.ndarray, hidden_activation: str = "relu") -> np.ndarray:
    """Boolean predictions ``AL > 0.5`` (for decision-boundary plots).

    Parameters
    ----------
    parameters : dict
        ``{"W1", "b1", ..., "WL", "bL"}``.
    X : numpy.ndarray
        Input, shape ``(n_x, m)``.
    hidden_activation : {"relu", "tanh", "logistic", "identity", "leaky_relu"}, optional
        Activation of the hidden layers.

    Returns
    -------
    numpy.ndarray
        Boolean array, shape ``(1, m)``.
    """
    AL, _ = forward_propagation(X, parameters, hidden_activation)
    return AL > 0.5


_INITIALIZERS = {
    "zeros": lambda dims: initialize_parameters_zeros(dims),
    "random": lambda dims: initialize_parameters_random(dims, seed=3),
    "he": lambda dims: initialize_parameters_he(dims, seed=3),
    "xavier": lambda dims: initialize_parameters_xavier(dims, seed=3),
    "deep": lambda dims: initialize_parameters_deep(dims, seed=3),
}

_DECAYS = {"update_lr": update_lr, "schedule_lr_decay": schedule_lr_decay}


def model(
    X: np.ndarray,
    Y: np.ndarray,
    layers_dims: list[int],
    optimizer: str = "gd",
    learning_rate: float = 0.0007,
    mini_batch_size: int | None = 64,
    beta: float = 0.9,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
    num_epochs: int = 10000,
    initialization: str | dict = "he",
    lambd: float = 0.0,
    keep_prob: float = 1.0,
    decay: str | Callable[[float, int, float], float] | None = None,
    decay_rate: float = 1.0,
    hidden_activation: str = "relu",
    print_cost: bool = False,
    dropout_rng: str = "numpy",
) -> tuple[dict[str, np.ndarray], list[float]]:
    """Train the network: the course's three ``model`` functions in one.

    Per epoch ``i``: unless ``mini_batch_size`` is ``None`` (full batch), ``seed`` (starting
    at 10) is incremented and the data reshuffled with ``random_mini_batches(X, Y,
    mini_batch_size, seed)``. For each minibatch: forward pass (with dropout if
    ``keep_prob < 1``), cost, backward pass, then the optimizer update (Adam's ``t`` is
    incremented before each update). The dropout masks are drawn by
    :func:`forward_propagation_with_dropout` seeded with the global step count
    (``dropout_rng="numpy"``: fresh masks at every step), or with 1 as the course does
    (``dropout_rng="course"``: the same masks at every step, which reproduces the course's
    dropout run). After the epoch, the learning rate is recomputed from the initial
    rate with ``decay(learning_rate0, i, decay_rate)`` if ``decay`` is set.

    Parameters
    ----------
    X : numpy.ndarray
        Input, shape ``(n_x, m)``.
    Y : numpy.ndarray
        Labels 0/1, shape ``(1, m)``.
    layers_dims : list of int
        ``[n_x, n_1, ..., n_L]``.
    optimizer : {"gd", "momentum", "adam", "rmsprop", "nesterov"}, optional
        Update rule.
    learning_rate : float, optional
        Initial learning rate.
    mini_batch_size : int or None, optional
        Minibatch size; ``None`` for full-batch gradient descent (one step per epoch).
    beta : float, optional
        Momentum coefficient (momentum and Nesterov).
    beta1, beta2, epsilon : float, optional
        Adam hyperparameters; RMSprop uses ``beta2`` and ``epsilon``.
    num_epochs : int, optional
        Number of epochs (iterations when full batch).
    initialization : {"zeros", "random", "he", "xavier", "deep"} or dict, optional
        Initializer (each with seed 3), or starting parameters (deep-copied).
    lambd : float, optional
        L2 regularization strength (0 for none).
    keep_prob : float, optional
        Dropout keep probability of the hidden layers (1 for no dropout).
    decay : {None, "update_lr", "schedule_lr_decay"} or callable, optional
        Learning-rate decay ``decay(learning_rate0, epoch_num, decay_rate)``.
    decay_rate : float, optional
        Passed to ``decay``.
    hidden_activation : {"relu", "tanh", "logistic", "identity", "leaky_relu"}, optional
        Activation of the hidden layers.
    print_cost : bool, optional
        Print the cost every 1000 epochs.
    dropout_rng : {"numpy", "course"}, optional
        Which masks dropout uses (see above). ``nncore.model`` draws its own by default
        (``"philox"``) and takes ``"course"`` too.

    Returns
    -------
    parameters : dict
        Trained parameters.
    costs : list of float
        One cost per epoch: the cost of the step for full batch, otherwise the epoch's summed
        cost divided by ``m`` (``costs[i]`` is the course's "cost after iteration i").

    Raises
    ------
    ValueError
        If ``optimizer``, ``decay``, ``initialization``, ``hidden_activation``,
        ``keep_prob`` or ``mini_batch_size`` is invalid, or the ``initialization`` dict does not
        match ``layers_dims``.

    Notes
    -----
    The global numpy generator is reseeded by the initializer, by every shuffle and by every
    dropout forward pass.
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    _check_hidden_activation(hidden_activation)
    decay_fn: Callable[[float, int, float], float] | None
    if isinstance(decay, str):
        if decay not in _DECAYS:
            raise ValueError(f"decay must be None, one of {DECAYS} or a callable, got {decay!r}")
        decay_fn = _DECAYS[decay]
    elif decay is None or callable(decay):
        decay_fn = decay
    else:
        raise ValueError(f"decay must be None, one of {DECAYS} or a callable, got {decay!r}")
    if not 0 < keep_prob <= 1:
        raise ValueError(f"keep_prob must be in (0, 1], got {keep_prob!r}")
    if dropout_rng not in DROPOUT_RNGS:
        raise ValueError(f"dropout_rng must be one of {DROPOUT_RNGS}, got {dropout_rng!r}")
    if mini_batch_size is not None and mini_batch_size < 1:
        raise ValueError(f"mini_batch_size must be None or >= 1, got {mini_batch_size!r}")

    if isinstance(initialization, dict):
        parameters = copy.deepcopy(initialization)
        if _layers_dims_of(parameters) != list(layers_dims):
            raise ValueError(
                f"initialization parameters have layers_dims {_layers_dims_of(parameters)}, "
                f"expected {list(layers_dims)}"
            )
    elif initialization in _INITIALIZERS:
        parameters = _INITIALIZERS[initialization](layers_dims)
    else:
        raise ValueError(
            f"initialization must be one of {INITIALIZATIONS} or a parameters dict, "
            f"got {initialization!r}"
        )

    if optimizer in ("momentum", "nesterov"):
        v = initialize_velocity(parameters)
    elif optimizer == "adam":
        v, s = initialize_adam(parameters)
    elif optimizer == "rmsprop":
        s = initialize_rmsprop(parameters)

    m = X.shape[1]
    costs = []
    t = 0
    seed = 10
    step = 0
    learning_rate0 = learning_rate
    for i in range(num_epochs):
        if mini_batch_size is None:
            minibatches = [(X, Y)]
        else:
            seed = seed + 1
            minibatches = random_mini_batches(X, Y, mini_batch_size, seed)
        cost_total = 0.0
        for minibatch_X, minibatch_Y in minibatches:
            if keep_prob < 1:
                AL, caches = forward_propagation_with_dropout(
                    minibatch_X,
                    parameters,
                    keep_prob,
                    seed=1 if dropout_rng == "course" else step,
                    hidden_activation=hidden_activation,
                )
            else:
                AL, caches = forward_propagation(minibatch_X, parameters, hidden_activation)
            if lambd == 0:
                cost = compute_cost(AL, minibatch_Y)
            else:
                cost = compute_cost_with_regularization(AL, minibatch_Y, parameters, lambd)
            cost_total += cost * minibatch_X.shape[1]
            grads = _backward(
                minibatch_X, minibatch_Y, caches, lambd, keep_prob, hidden_activation,
                dropout=keep_prob < 1,
            )  # fmt: skip
            step += 1
            if optimizer == "gd":
                parameters = update_parameters_with_gd(parameters, grads, learning_rate)
            elif optimizer == "momentum":
                parameters, v = update_parameters_with_momentum(
                    parameters, grads, v, beta, learning_rate
                )
            elif optimizer == "nesterov":
                parameters, v = update_parameters_with_nesterov(
                    parameters, grads, v, beta, learning_rate
                )
            elif optimizer == "rmsprop":
                parameters, s = update_parameters_with_rmsprop(
                    parameters, grads, s, learning_rate, beta2, epsilon
                )
            else:
                t = t + 1
                parameters, v, s, _, _ = update_parameters_with_adam(
                    parameters, grads, v, s, t, learning_rate, beta1, beta2, epsilon
                )
        costs.append(cost if mini_batch_size is None else cost_total / m)
        if decay_fn is not None:
            learning_rate = decay_fn(learning_rate0, i, decay_rate)
        if print_cost and i % 1000 == 0:
            print(f"Cost after epoch {i}: {costs[-1]:f}")
    return parameters, costs
