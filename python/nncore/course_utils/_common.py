"""What the course's helper modules share: the boundary plot, the loaders' scatter, and the
gradients with lower-case keys of ``init_utils`` and ``opt_utils``."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

# The course's boundary grid: a step of 0.01 between the points plus 1 on each side.
GRID_STEP = 0.01


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("the course's plots need matplotlib: pip install nncore[plot]") from exc
    return plt


def plot_decision_boundary(
    model: Callable[[np.ndarray], Any], X: np.ndarray, y: np.ndarray
) -> None:
    """The course's ``plot_decision_boundary(model, X, y)``: regions and points, then show.

    Parameters
    ----------
    model : callable
        Takes points as rows, shape ``(n, 2)``, and returns their labels (the course passes
        ``lambda x: predict_dec(parameters, x.T)``).
    X : numpy.ndarray
        The points, shape ``(2, m)``.
    y : numpy.ndarray
        Their labels, shape ``(1, m)``.

    Notes
    -----
    Drawn by :func:`nncore.plot.decision_boundary` on a grid as fine as the course's (a step of
    0.01, at most 2048 points per axis), then ``plt.show()``.
    """
    from ..plot import MAX_RESOLUTION, decision_boundary

    plt = _pyplot()
    X = np.asarray(X)
    span = max(float(np.ptp(X[0])), float(np.ptp(X[1]))) + 2.0
    resolution = min(MAX_RESOLUTION, max(2, math.ceil(span / GRID_STEP)))
    decision_boundary(lambda grid: model(grid.T), X, y, resolution=resolution)
    plt.show()


def scatter(X: np.ndarray, Y: np.ndarray) -> None:
    """The loaders' plot of the training points, coloured by label (as the course's)."""
    plt = _pyplot()
    plt.scatter(X[0, :], X[1, :], c=np.ravel(Y), s=40, cmap=plt.cm.Spectral)


def lowercase_gradients(grads: dict, m: int) -> dict:
    """``init_utils``' and ``opt_utils``' gradient dict from nncore's.

    Those modules put ``1/m`` into ``dz3 = (a3 - Y) / m``, so their ``dzl`` and ``dal`` are
    nncore's ``dZl`` and ``dAl`` divided by ``m``; ``dWl`` and ``dbl`` are the same.
    """
    out = {}
    for key, value in grads.items():
        if key[:2] in ("dZ", "dA"):
            out["d" + key[1].lower() + key[2:]] = value / m
        else:
            out[key] = value
    return out
