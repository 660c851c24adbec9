"""Data structures shared by the numpy reference and the fast core's course mirror."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    "CourseCaches",
    "LayerCache",
    "caches_activation",
    "course_caches",
    "is_layer_caches",
    "split_course_caches",
]


class LayerCache(NamedTuple):
    """What the forward pass of one layer keeps for the backward pass.

    Forward functions return ``caches``: a list of ``LayerCache``, one per layer
    ``l = 1..L`` in order (``caches[0]`` is layer 1, ``caches[-1]`` the output layer).

    Attributes
    ----------
    A_prev : numpy.ndarray
        Input to this layer, shape ``(n_{l-1}, m)``: ``X`` for layer 1, otherwise the previous
        layer's activation after that layer's dropout (``A * D / keep_prob``).
    W : numpy.ndarray
        Weights of this layer, shape ``(n_l, n_{l-1})``.
    b : numpy.ndarray
        Biases of this layer, shape ``(n_l, 1)``.
    Z : numpy.ndarray
        Pre-activation ``W @ A_prev + b``, shape ``(n_l, m)``.
    A : numpy.ndarray
        Activation ``g(Z)`` *before* dropout, shape ``(n_l, m)``.
    D : numpy.ndarray or None
        Dropout keep mask (same shape and dtype as ``A``, values 0 and 1), or ``None`` when the
        layer was not dropped (output layer, or no dropout).
    activation : str
        The hidden activation's name (a key of ``nncore.reference.DERIVATIVES``: ``"relu"``,
        ``"tanh"``, ``"logistic"``, ``"identity"``, ``"leaky_relu"``) for hidden layers,
        ``"sigmoid"`` for the output layer.
    """

    A_prev: np.ndarray
    W: np.ndarray
    b: np.ndarray
    Z: np.ndarray
    A: np.ndarray
    D: np.ndarray | None
    activation: str


# The course's caches: one flat tuple, per layer (Z, A, W, b) in order, and with dropout
# (Z, D, A, W, b) for the hidden layers (the output layer is never dropped). A is what the next
# layer receives: after dropout and rescaling. The three-layer assignments' 12- and 14-tuples
# are L = 3.


class CourseCaches(tuple):
    """The course's flat cache tuple, which also remembers the hidden activation of the forward
    pass that made it.

    The tuple holds only arrays, as the course's does; without the name, a backward pass given
    the caches of a ``tanh`` forward and no ``hidden_activation`` would differentiate relu and
    return wrong gradients without a word. A plain tuple (the course's tests build them by
    hand) means the course's relu.

    Attributes
    ----------
    hidden_activation : str or None
        The hidden layers' activation, or ``None`` for a network without hidden layers.
    """

    hidden_activation: str | None

    def __new__(cls, items=(), hidden_activation: str | None = None):
        obj = super().__new__(cls, items)
        obj.hidden_activation = hidden_activation
        return obj


def caches_activation(caches, hidden_activation: str | None) -> str:
    """The hidden activation a backward pass over ``caches`` differentiates.

    ``hidden_activation=None`` takes the one the caches were made with (``"relu"`` for a plain
    course tuple); a name that contradicts the caches is refused rather than differentiated.
    """
    made = getattr(caches, "hidden_activation", None)
    if is_layer_caches(caches) and len(caches) > 1:
        made = caches[0].activation
    if hidden_activation is None:
        return made if made is not None else "relu"
    if made is not None and hidden_activation != made:
        raise ValueError(
            f"hidden_activation is {hidden_activation!r}, but the caches come from a forward "
            f"pass with {made!r}: pass hidden_activation={made!r} or leave it out"
        )
    return hidden_activation


def course_caches(layers: list[LayerCache], dropout: bool) -> CourseCaches:
    """The course's flat cache tuple of a forward pass kept as ``LayerCache`` records."""
    flat: list = []
    L = len(layers)
    for l, c in enumerate(layers):
        A_out = layers[l + 1].A_prev if l < L - 1 else c.A
        if dropout and l < L - 1:
            flat += [c.Z, c.D, A_out, c.W, c.b]
        else:
            flat += [c.Z, A_out, c.W, c.b]
    return CourseCaches(flat, layers[0].activation if L > 1 else None)


def split_course_caches(caches, dropout: bool, name: str = "caches") -> list[tuple]:
    """``[(Z, D, A, W, b), ...]`` per layer of a course cache tuple (``D`` is ``None`` where the
    layout has none); only the layout is checked here, not the arrays."""
    if not isinstance(caches, (tuple, list)):
        raise TypeError(f"{name} must be the tuple of a forward pass, got {type(caches).__name__}")
    n = len(caches)
    if dropout:
        L, ok = (n + 1) // 5, n >= 4 and (n + 1) % 5 == 0
        layout = "(Z, D, A, W, b) per hidden layer and (Z, A, W, b) for the output layer"
    else:
        L, ok = n // 4, n >= 4 and n % 4 == 0
        layout = "(Z, A, W, b) per layer"
    if not ok:
        raise ValueError(f"{name} has {n} entries, expected the course's layout {layout}")
    layers = []
    i = 0
    for l in range(L):
        if dropout and l < L - 1:
            Z, D, A, W, b = caches[i : i + 5]
            i += 5
        else:
            Z, A, W, b = caches[i : i + 4]
            D = None
            i += 4
        layers.append((Z, D, A, W, b))
    return layers


def is_layer_caches(caches) -> bool:
    """Whether ``caches`` is nncore's list of :class:`LayerCache` rather than a course tuple."""
    return (
        isinstance(caches, (list, tuple))
        and len(caches) > 0
        and all(isinstance(c, LayerCache) for c in caches)
    )
