"""The optimization assignment's helper module (``opt_utils_v1a``) on nncore.

The notebook's lines ``from opt_utils_v1a import load_params_and_grads,
initialize_parameters, forward_propagation, backward_propagation`` and ``from opt_utils_v1a
import compute_cost, predict, predict_dec, plot_decision_boundary, load_dataset`` work with
``nncore.course_utils.opt_utils`` in its place. Here ``initialize_parameters`` is He's,
``compute_cost`` the minibatch's *sum* and ``backward_propagation`` has lower-case keys (see
:mod:`nncore.course_utils`).
"""

# load_params_and_grads draws from numpy's global generator after seeding it, as the course.
# ruff: noqa: NPY002

from __future__ import annotations

import numpy as np

from .._costs import cross_entropy_sum as compute_cost
from .._mirror import (
    forward_propagation,
    initialize_parameters_he,
    predict,
    predict_dec,
    relu,
    sigmoid,
)
from ..datasets import load_moons
from ._common import plot_decision_boundary, scatter
from .init_utils import backward_propagation
from .reg_utils import load_2D_dataset

__all__ = [
    "backward_propagation",
    "compute_cost",
    "forward_propagation",
    "initialize_parameters",
    "load_2D_dataset",
    "load_dataset",
    "load_params_and_grads",
    "plot_decision_boundary",
    "predict",
    "predict_dec",
    "relu",
    "sigmoid",
]


def initialize_parameters(layer_dims) -> dict[str, np.ndarray]:
    """``opt_utils.initialize_parameters``: He, ``randn(n_l, n_{l-1}) * sqrt(2 / n_{l-1})``
    after ``seed(3)``, biases zero; :func:`nncore.initialize_parameters_he` with seed 3.

    Parameters
    ----------
    layer_dims : list of int
        ``[n_x, n_1, ..., n_L]``.

    Returns
    -------
    dict
        ``{"W1", "b1", ..., "WL", "bL"}``.
    """
    return initialize_parameters_he(layer_dims, seed=3)


def load_params_and_grads(seed: int = 1) -> tuple[np.ndarray, ...]:
    """The module's sample network and gradients: after ``np.random.seed(seed)``, ``randn``
    draws of ``W1`` (2, 3), ``b1`` (2, 1), ``W2`` (3, 3), ``b2`` (3, 1), then ``dW1``, ``db1``,
    ``dW2``, ``db2`` of the same shapes.

    Parameters
    ----------
    seed : int, optional
        Seed of numpy's global generator.

    Returns
    -------
    tuple of numpy.ndarray
        ``W1, b1, W2, b2, dW1, db1, dW2, db2``.
    """
    np.random.seed(seed)
    shapes = [(2, 3), (2, 1), (3, 3), (3, 1)]
    return tuple(np.random.randn(*shape) for shape in shapes + shapes)


def load_dataset() -> tuple[np.ndarray, np.ndarray]:
    """The moons, as ``opt_utils.load_dataset()``: :func:`nncore.datasets.load_moons`, with
    the course's scatter plot.

    Returns
    -------
    train_X, train_Y : numpy.ndarray
        Shapes ``(2, 300)`` and ``(1, 300)``.
    """
    train_X, train_Y = load_moons()
    scatter(train_X, train_Y)
    return train_X, train_Y
