"""The initialization assignment's helper module (``init_utils``) on nncore.

The notebook's line ``from init_utils import sigmoid, relu, compute_loss,
forward_propagation, backward_propagation, update_parameters, predict, load_dataset,
plot_decision_boundary, predict_dec`` works with ``nncore.course_utils.init_utils`` in its
place. ``backward_propagation`` gives this module's lower-case keys (see
:mod:`nncore.course_utils`).
"""

from __future__ import annotations

import numpy as np

from .. import _mirror
from .._mirror import (
    compute_loss,
    forward_propagation,
    predict,
    predict_dec,
    relu,
    sigmoid,
    update_parameters,
)
from ..datasets import load_circles
from ._common import lowercase_gradients, plot_decision_boundary, scatter

__all__ = [
    "backward_propagation",
    "compute_loss",
    "forward_propagation",
    "load_dataset",
    "plot_decision_boundary",
    "predict",
    "predict_dec",
    "relu",
    "sigmoid",
    "update_parameters",
]


def backward_propagation(X: np.ndarray, Y: np.ndarray, cache) -> dict[str, np.ndarray]:
    """``init_utils``' backward pass: nncore's gradients under the module's lower-case keys.

    Parameters
    ----------
    X : numpy.ndarray
        Input, shape ``(n_x, m)``.
    Y : numpy.ndarray
        Labels 0/1, shape ``(1, m)``.
    cache : tuple
        From :func:`forward_propagation`.

    Returns
    -------
    dict
        ``{"dz3", "dW3", "db3", "da2", "dz2", ...}``: ``dWl``, ``dbl`` as
        :func:`nncore.backward_propagation`, ``dzl``, ``dal`` its ``dZl``, ``dAl`` divided by
        ``m`` (this module's ``dz3 = (a3 - Y) / m``).
    """
    return lowercase_gradients(_mirror.backward_propagation(X, Y, cache), np.shape(X)[1])


def load_dataset() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The circles, as ``init_utils.load_dataset()``: :func:`nncore.datasets.load_circles`,
    with the course's scatter plot of the training points.

    Returns
    -------
    train_X, train_Y, test_X, test_Y : numpy.ndarray
        Shapes ``(2, 300)``, ``(1, 300)``, ``(2, 100)``, ``(1, 100)``.
    """
    train_X, train_Y, test_X, test_Y = load_circles()
    scatter(train_X, train_Y)
    return train_X, train_Y, test_X, test_Y
