"""The course's cost expressions, in numpy, shared by the reference and the mirror.

The notebooks print the cost's ``repr`` ("Cost after iteration 0: 0.6931471805599453"), so
the float must be the course's bit for bit: only numpy's own ``log`` and pairwise sum give it
(the core's SIMD lanes add in another order, a few ulp away). These are O(m) and O(#weights),
negligible beside a forward pass.
"""

from __future__ import annotations

import numpy as np


def logprobs(AL: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Per-example cross-entropy ``-log(AL) * Y - log(1 - AL) * (1 - Y)``, as the course
    writes it (``nan`` for ``0 * log 0``, ``inf`` for a saturated output that is wrong)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.multiply(-np.log(AL), Y) + np.multiply(-np.log(1 - AL), 1 - Y)


def cross_entropy(AL: np.ndarray, Y: np.ndarray) -> np.float64:
    """The mean cost ``1 / m * nansum(logprobs)`` of the initialization and regularization
    assignments (``nansum`` drops the ``0 * log 0`` terms)."""
    m = Y.shape[1]
    return np.float64(1.0 / m * np.nansum(logprobs(AL, Y)))


def cross_entropy_sum(AL: np.ndarray, Y: np.ndarray) -> np.float64:
    """The optimization assignment's cost: ``np.sum(logprobs)`` over the minibatch (its
    training loop adds these over an epoch and divides by ``m``)."""
    return np.float64(np.sum(logprobs(AL, Y)))


def l2_penalty(weights, m: int, lambd: float) -> np.float64:
    """``(1/m) * (lambd/2) * sum_l ||Wl||_F^2``, each ``np.sum(np.square(Wl))`` added in layer
    order as the course's ``compute_cost_with_regularization`` adds them."""
    squares = sum(np.sum(np.square(W)) for W in weights)
    return np.float64((1 / m) * (lambd / 2) * squares)
