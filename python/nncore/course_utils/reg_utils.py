"""The regularization assignment's helper module (``reg_utils``) on nncore.

The notebook's lines ``from reg_utils import sigmoid, relu, plot_decision_boundary,
initialize_parameters, load_2D_dataset, predict_dec`` and ``from reg_utils import
compute_cost, predict, forward_propagation, backward_propagation, update_parameters`` work
with ``nncore.course_utils.reg_utils`` in its place. ``load_2D_dataset`` reads the course's
``datasets/data.mat``, which nncore does not ship.
"""

from __future__ import annotations

import numpy as np

from .._mirror import (
    backward_propagation,
    compute_cost,
    forward_propagation,
    initialize_parameters_xavier,
    predict,
    predict_dec,
    relu,
    sigmoid,
    update_parameters,
)
from ..datasets import load_2D_dataset as _read_2d_dataset
from ._common import plot_decision_boundary, scatter

__all__ = [
    "backward_propagation",
    "compute_cost",
    "forward_propagation",
    "initialize_parameters",
    "load_2D_dataset",
    "plot_decision_boundary",
    "predict",
    "predict_dec",
    "relu",
    "sigmoid",
    "update_parameters",
]


def initialize_parameters(layer_dims) -> dict[str, np.ndarray]:
    """``reg_utils.initialize_parameters``: ``randn(n_l, n_{l-1}) / sqrt(n_{l-1})`` after
    ``seed(3)``, biases zero; :func:`nncore.initialize_parameters_xavier` with seed 3.

    Parameters
    ----------
    layer_dims : list of int
        ``[n_x, n_1, ..., n_L]``.

    Returns
    -------
    dict
        ``{"W1", "b1", ..., "WL", "bL"}``, the course's numbers bit for bit.
    """
    return initialize_parameters_xavier(layer_dims, seed=3)


def load_2D_dataset(path="datasets/data.mat") -> tuple[np.ndarray, ...]:
    """The course's "goalkeeper" set, as ``reg_utils.load_2D_dataset()``: read by
    :func:`nncore.datasets.load_2D_dataset`, with the course's scatter plot.

    Parameters
    ----------
    path : str or os.PathLike, optional
        The course's ``datasets/data.mat`` (nncore does not ship it).

    Returns
    -------
    train_X, train_Y, test_X, test_Y : numpy.ndarray
        The transposes of the file's ``X``, ``y``, ``Xval``, ``yval``.
    """
    train_X, train_Y, test_X, test_Y = _read_2d_dataset(path)
    scatter(train_X, train_Y)
    return train_X, train_Y, test_X, test_Y
