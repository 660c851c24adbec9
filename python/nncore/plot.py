"""Plots of training runs and of 2-D decision boundaries, drawn as the course draws them.

Needs matplotlib (``pip install nncore[plot]``); ``import nncore`` alone never imports it.
Every function draws on ``ax`` (default: the current Axes, ``plt.gca()``) and returns it.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import nncore, nncore.plot
>>> from nncore.datasets import make_synthetic_2d_dataset
>>> X, Y = make_synthetic_2d_dataset()[:2]
>>> net = nncore.Network([2, 5, 1], seed=3).fit(X, Y, num_epochs=20)
>>> ax = nncore.plot.cost_curves({"adam": net.costs})
>>> ax = nncore.plot.decision_boundary(net, X, Y)
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Union

import numpy as np

try:
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "nncore.plot needs matplotlib, which is not installed: pip install nncore[plot] "
        "(or pip install matplotlib)"
    ) from exc

from ._mirror import predict_dec
from .network import Network

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["cost_curves", "decision_boundary"]

#: What :func:`decision_boundary` accepts as the classifier.
Classifier = Union[Network, Mapping[str, np.ndarray], Callable[[np.ndarray], Any]]

_PER = {10: "tens", 100: "hundreds", 1000: "thousands"}
# Largest decision_boundary grid per axis: 2048**2 points take 64 MiB per float64 array.
MAX_RESOLUTION = 2048


def _costs_array(costs: Any, name: str) -> np.ndarray:
    if isinstance(costs, Network):
        costs = costs.costs
    if isinstance(costs, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of costs, got {type(costs).__name__}")
    try:
        arr = np.asarray(costs, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a sequence of real numbers: {exc}") from exc
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one cost per epoch), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: nothing to plot")
    return arr


def _runs(costs: Any, labels: Sequence[str] | None) -> list[tuple[str | None, np.ndarray]]:
    """``[(label, costs), ...]`` from one run, a mapping of runs or a sequence of runs."""
    if isinstance(costs, Mapping):
        if labels is not None:
            raise ValueError("labels must not be given when costs is a mapping (its keys label)")
        if not costs:
            raise ValueError("costs is an empty mapping: nothing to plot")
        return [(str(k), _costs_array(v, f"costs[{k!r}]")) for k, v in costs.items()]
    if isinstance(costs, np.ndarray) and costs.ndim == 2:
        costs = list(costs)  # one run per row
    if isinstance(costs, Sequence) and not isinstance(costs, (str, bytes)) and not costs:
        raise ValueError("costs is empty: nothing to plot")
    single = (
        isinstance(costs, Network)
        or (isinstance(costs, np.ndarray) and costs.ndim <= 1)
        or (
            isinstance(costs, Sequence)
            and not isinstance(costs, (str, bytes))
            and len(costs) > 0
            and all(isinstance(c, numbers.Real) for c in costs)
        )
    )
    if single:
        runs = [_costs_array(costs, "costs")]
    else:
        if isinstance(costs, (str, bytes)) or not isinstance(costs, Sequence):
            raise TypeError(
                "costs must be one run (a 1-D sequence of costs or a Network), a "
                f"sequence of runs or a mapping label -> run, got {type(costs).__name__}"
            )
        runs = [_costs_array(c, f"costs[{i}]") for i, c in enumerate(costs)]
    if labels is None:
        return [(None, r) for r in runs]
    if isinstance(labels, str):
        labels = [labels]
    if len(labels) != len(runs):
        raise ValueError(f"labels has {len(labels)} entries, expected {len(runs)} (one per run)")
    return [(str(label), r) for label, r in zip(labels, runs)]


def cost_curves(
    costs: Any,
    labels: Sequence[str] | None = None,
    *,
    every: int = 1,
    unit: str = "epochs",
    ax: Axes | None = None,
    title: str | None = None,
    yscale: str = "linear",
    linewidth: float = 1.0,
) -> Axes:
    """Cost curves of one or several training runs on one Axes, like the course's.

    Parameters
    ----------
    costs : array_like, Network, sequence or mapping
        One run (a 1-D sequence with one cost per epoch, as returned by :func:`nncore.model`
        and :func:`nncore.reference.model`, or a :class:`nncore.Network`, whose ``costs`` are
        used), a sequence of runs, or a mapping ``label -> run``. ``inf`` and ``NaN`` costs
        are drawn as matplotlib draws them (gaps).
    labels : sequence of str, optional
        One legend label per run (not with a mapping, whose keys are the labels). With labels
        a legend is drawn.
    every : int, optional
        Plot every ``every``-th cost (``costs[::every]``) at x = 0, 1, 2, ..., in units of
        ``every`` epochs: ``every=100`` gives the course's "per hundreds" axis.
    unit : str, optional
        What one cost is counted in, for the x label: ``"epochs"`` (default) or
        ``"iterations"`` (the course's word for full-batch epochs).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default the current one (``plt.gca()``).
    title : str, optional
        Axes title.
    yscale : {"linear", "log"}, optional
        Scale of the cost axis.
    linewidth : float, optional
        Width of the lines.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: one line per run, x label ``"epochs"`` (or
        ``"epochs (per hundreds)"`` and the like), y label ``"cost"``.

    Raises
    ------
    TypeError
        If ``costs`` is not one of the accepted forms.
    ValueError
        If a run is empty or not 1-D, ``labels`` do not match the runs, ``every < 1``, or
        ``yscale`` or ``unit`` is unknown.
    """
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(f"every must be an integer >= 1, got {every!r}")
    if yscale not in ("linear", "log"):
        raise ValueError(f"yscale must be 'linear' or 'log', got {yscale!r}")
    if unit not in ("epochs", "iterations"):
        raise ValueError(f"unit must be 'epochs' or 'iterations', got {unit!r}")
    runs = _runs(costs, labels)
    if ax is None:
        ax = plt.gca()
    for label, run in runs:
        y = run[::every]
        ax.plot(np.arange(y.size), y, label=label, linewidth=linewidth)
    every = int(every)
    per = "" if every == 1 else f" (per {_PER.get(every, str(every))})"
    ax.set_xlabel(unit + per)
    ax.set_ylabel("cost")
    ax.set_yscale(yscale)
    if title is not None:
        ax.set_title(title)
    if any(label is not None for label, _ in runs):
        ax.legend()
    return ax


def _points(X: Any) -> np.ndarray:
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise TypeError(f"X must hold real numbers, got dtype {X.dtype}")
    if X.ndim != 2 or X.shape[0] != 2 or X.shape[1] < 1:
        raise ValueError(f"X must have shape (2, m) with m >= 1 (2-D points), got {X.shape}")
    X = X.astype(np.float64)
    if not np.isfinite(X).all():
        raise ValueError("X contains NaN or inf")
    return X


def _labels(values: Any, name: str, m: int) -> np.ndarray:
    """Integer class labels, shape ``(m,)``, from ``(1, m)``, ``(m,)`` or one-hot ``(k, m)``."""
    a = np.asarray(values)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold class labels (numbers), got dtype {a.dtype}")
    if a.ndim == 2 and a.shape[0] > 1 and a.shape[1] == m:
        a = np.argmax(a, axis=0)  # one-hot columns
    elif a.shape in ((m,), (1, m)):
        a = a.reshape(m)
    else:
        raise ValueError(f"{name} must have shape (1, {m}), ({m},) or (k, {m}), got {a.shape}")
    a = a.astype(np.float64)
    if not np.isfinite(a).all() or (a != np.round(a)).any():
        raise ValueError(
            f"{name} must be integer class labels (0/1 for a sigmoid output); threshold "
            "probabilities first"
        )
    return a


def _predictor(model: Any, hidden_activation: str) -> Callable[[np.ndarray], Any]:
    if isinstance(model, Network):
        return model.predict
    if isinstance(model, Mapping):
        parameters = dict(model)
        W1 = parameters.get("W1")
        dtype = W1.dtype if isinstance(W1, np.ndarray) else np.float64

        def predict(grid: np.ndarray) -> np.ndarray:
            return predict_dec(parameters, grid.astype(dtype), hidden_activation)

        return predict
    if callable(model):
        return model
    raise TypeError(
        "model must be an nncore.Network, a course parameter dict (W1, b1, ...) or a callable "
        f"X (2, m) -> labels (1, m), got {type(model).__name__}"
    )


def decision_boundary(
    model: Classifier,
    X: Any,
    Y: Any,
    *,
    ax: Axes | None = None,
    margin: float = 1.0,
    resolution: int = 200,
    hidden_activation: str = "relu",
    cmap: str = "Spectral",
    alpha: float = 1.0,
    point_size: float | None = None,
    title: str | None = None,
) -> Axes:
    """Decision regions of a 2-D classifier with the data, as the course draws them.

    The classifier's labels over a grid covering the points plus ``margin`` on each side are
    filled with ``contourf``; the points are drawn on top with ``scatter``, coloured by their
    label with the same colour map (class ``k`` has the same colour in both).

    Parameters
    ----------
    model : Network, dict or callable
        An :class:`nncore.Network` (its :meth:`~nncore.Network.predict`), a course parameter
        dict ``{"W1", "b1", ...}`` (classified with :func:`nncore.predict_dec` in the dtype of
        ``W1``), or a callable taking points of shape ``(2, n)`` and returning integer labels
        of shape ``(1, n)`` or ``(n,)`` (booleans are fine; one-hot ``(k, n)`` is reduced
        with ``argmax``).
    X : array_like
        The points, shape ``(2, m)`` (one column per example, as the course).
    Y : array_like
        Their labels: ``(1, m)``, ``(m,)`` or one-hot ``(k, m)``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default the current one (``plt.gca()``).
    margin : float, optional
        Space around the points covered by the grid (the course uses 1).
    resolution : int, optional
        Grid points per axis, from 2 to 2048 (the grid's memory grows with its square).
    hidden_activation : {"relu", "tanh"}, optional
        Hidden activation when ``model`` is a parameter dict.
    cmap : str, optional
        Colour map of regions and points (the course's ``Spectral``).
    alpha : float, optional
        Opacity of the filled regions.
    point_size : float, optional
        Marker size of the points (matplotlib's default if not given).
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: one filled contour set with levels halfway between the classes,
        one scatter of the ``m`` points, x label ``"x1"``, y label ``"x2"``.

    Raises
    ------
    TypeError
        If ``model`` is of none of the accepted kinds, or ``X``, ``Y`` or the predictions do
        not hold numbers.
    ValueError
        If ``X`` is not ``(2, m)`` and finite, ``Y`` or the predictions have the wrong shape
        or are not integer labels, or ``margin`` or ``resolution`` is out of range.
    """
    predict = _predictor(model, hidden_activation)
    X = _points(X)
    m = X.shape[1]
    y = _labels(Y, "Y", m)
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not margin >= 0:
        raise ValueError(f"margin must be a finite number >= 0, got {margin!r}")
    if not np.isfinite(margin):
        raise ValueError(f"margin must be a finite number >= 0, got {margin!r}")
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)):
        raise TypeError(f"resolution must be an integer, got {type(resolution).__name__}")
    if not 2 <= resolution <= MAX_RESOLUTION:
        raise ValueError(
            f"resolution must be in [2, {MAX_RESOLUTION}] (the grid has resolution**2 "
            f"points), got {resolution}"
        )

    xx, yy = np.meshgrid(
        np.linspace(X[0].min() - margin, X[0].max() + margin, resolution),
        np.linspace(X[1].min() - margin, X[1].max() + margin, resolution),
    )
    grid = np.ascontiguousarray(np.vstack([xx.ravel(), yy.ravel()]))
    zz = _labels(predict(grid), "the model's predictions", grid.shape[1]).reshape(xx.shape)

    classes = np.concatenate([np.unique(y), np.unique(zz)])
    low, high = float(classes.min()), float(classes.max())
    # One colour per class: levels halfway between the labels, and a norm shared with the
    # scatter, so that region k and the points of class k get cmap(norm(k)).
    levels = np.arange(low, high + 2) - 0.5
    norm = Normalize(vmin=low, vmax=high if high > low else low + 1)
    if ax is None:
        ax = plt.gca()
    ax.contourf(xx, yy, zz, levels=levels, cmap=cmap, norm=norm, alpha=alpha)
    ax.scatter(X[0], X[1], c=y, cmap=cmap, norm=norm, s=point_size, edgecolors="k",
               linewidths=0.3)  # fmt: skip
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    if title is not None:
        ax.set_title(title)
    return ax
