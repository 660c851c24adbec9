"""Data structures shared by the numpy reference and the fast core's course mirror."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["LayerCache"]


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
