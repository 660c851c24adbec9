"""Datasets of the course assignments, in the ``(n_x, m)`` layout.

``load_circles`` and ``load_moons`` rebuild the course's data with scikit-learn's generators;
``load_2D_dataset`` reads the regularization assignment's own file (``datasets/data.mat``,
which learners have and nncore does not ship) with scipy (both optional dependencies:
``pip install nncore[datasets]``). ``make_synthetic_2d_dataset`` is a seeded synthetic stand-in
for that file and needs numpy only.
"""

# scikit-learn's generators draw from numpy's legacy global generator, seeded as in the course.
# ruff: noqa: NPY002

from __future__ import annotations

import numpy as np

__all__ = ["load_2D_dataset", "load_circles", "load_moons", "make_synthetic_2d_dataset"]


def _sklearn_datasets(caller: str):
    try:
        import sklearn.datasets
    except ImportError as exc:
        raise ImportError(f"{caller} needs scikit-learn: pip install nncore[datasets]") from exc
    return sklearn.datasets


def load_circles() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The initialization assignment's two concentric circles.

    ``np.random.seed(1)``; ``make_circles(n_samples=300, noise=.05)`` for training;
    ``np.random.seed(2)``; ``make_circles(n_samples=100, noise=.05)`` for testing.
    scikit-learn draws from numpy's global generator here, which is therefore reseeded as a
    side effect.

    Returns
    -------
    train_X : numpy.ndarray
        Shape ``(2, 300)``, float64.
    train_Y : numpy.ndarray
        Labels 0/1, shape ``(1, 300)``, float64.
    test_X : numpy.ndarray
        Shape ``(2, 100)``, float64.
    test_Y : numpy.ndarray
        Labels 0/1, shape ``(1, 100)``, float64.

    Raises
    ------
    ImportError
        If scikit-learn is not installed.
    """
    datasets = _sklearn_datasets("load_circles")
    np.random.seed(1)
    train_X, train_Y = datasets.make_circles(n_samples=300, noise=0.05)
    np.random.seed(2)
    test_X, test_Y = datasets.make_circles(n_samples=100, noise=0.05)
    return (
        np.ascontiguousarray(train_X.T, dtype=np.float64),
        train_Y.reshape((1, train_Y.shape[0])).astype(np.float64),
        np.ascontiguousarray(test_X.T, dtype=np.float64),
        test_Y.reshape((1, test_Y.shape[0])).astype(np.float64),
    )


def load_moons() -> tuple[np.ndarray, np.ndarray]:
    """The optimization assignment's two interleaved moons.

    ``np.random.seed(3)``; ``make_moons(n_samples=300, noise=.2)``. numpy's global generator
    is reseeded as a side effect.

    Returns
    -------
    train_X : numpy.ndarray
        Shape ``(2, 300)``, float64.
    train_Y : numpy.ndarray
        Labels 0/1, shape ``(1, 300)``, float64.

    Raises
    ------
    ImportError
        If scikit-learn is not installed.
    """
    datasets = _sklearn_datasets("load_moons")
    np.random.seed(3)
    train_X, train_Y = datasets.make_moons(n_samples=300, noise=0.2)
    return (
        np.ascontiguousarray(train_X.T, dtype=np.float64),
        train_Y.reshape((1, train_Y.shape[0])).astype(np.float64),
    )


def make_synthetic_2d_dataset(
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Seeded synthetic stand-in for the regularization assignment's "goalkeeper" set.

    Not the course's data (that is :func:`load_2D_dataset`, from the course's file). The
    course's set has 211 training and 200 test points in 2-D, two classes separated by a
    curved boundary, with noisy labels. This generator draws a set of the same
    sizes from a local ``np.random.RandomState(seed)`` (numpy's global generator is left
    untouched), in this order:

    1. ``X = uniform(-0.75, 0.75, size=(2, 411))``;
    2. soft labels around the wavy boundary ``x2 = 0.3 * sin(1.5 * pi * x1)``:
       ``d = x2 - 0.3 * sin(1.5 * pi * x1)``, ``y = uniform(size=411) < sigmoid(d / 0.03)``;
    3. label noise: each label is flipped if ``uniform(size=411) < 0.05``;

    then the first 211 columns are the training set and the other 200 the test set.

    With the default seed and the course's regularization settings (layers ``[2, 20, 3, 1]``,
    ReLU, ``initialization="xavier"`` i.e. ``randn / sqrt(n_{l-1})`` after seed 3,
    ``learning_rate=0.3``, 30000 full-batch iterations), the reference model gives
    (train / test accuracy):

    ==========================  =========  =========
    regularization              train      test
    ==========================  =========  =========
    none                        0.943      0.885
    L2, ``lambd=0.7``           0.919      0.905
    dropout, ``keep_prob=0.86`` 0.938      0.890
    ==========================  =========  =========

    so, as in the course, the unregularized network overfits and both L2 and dropout narrow
    the train/test gap and improve the test accuracy (dropout with fresh masks at every step,
    as ``nncore.reference.model`` draws them). Other seeds give the same kind of data but not
    necessarily the same ordering.

    Parameters
    ----------
    seed : int, optional
        Seed of the local generator.

    Returns
    -------
    train_X : numpy.ndarray
        Shape ``(2, 211)``, float64.
    train_Y : numpy.ndarray
        Labels 0/1, shape ``(1, 211)``, float64.
    test_X : numpy.ndarray
        Shape ``(2, 200)``, float64.
    test_Y : numpy.ndarray
        Labels 0/1, shape ``(1, 200)``, float64.
    """
    n_train, n_test = 211, 200
    n = n_train + n_test
    rng = np.random.RandomState(seed)
    X = rng.uniform(-0.75, 0.75, size=(2, n))
    d = X[1] - 0.3 * np.sin(1.5 * np.pi * X[0])
    p1 = 1 / (1 + np.exp(-d / 0.03))
    y = (rng.uniform(size=n) < p1).astype(np.float64)
    flip = rng.uniform(size=n) < 0.05
    y[flip] = 1 - y[flip]
    Y = y.reshape(1, n)
    return (
        np.ascontiguousarray(X[:, :n_train]),
        np.ascontiguousarray(Y[:, :n_train]),
        np.ascontiguousarray(X[:, n_train:]),
        np.ascontiguousarray(Y[:, n_train:]),
    )


COURSE_DATA_KEYS = {"X": "train_X", "y": "train_Y", "Xval": "test_X", "yval": "test_Y"}


def load_2D_dataset(path="datasets/data.mat") -> tuple[np.ndarray, ...]:
    """The regularization assignment's "goalkeeper" set, read from the course's own file.

    As the course's ``load_2D_dataset()``: ``scipy.io.loadmat(path)``, then the transposes of
    its arrays ``X`` (211, 2), ``y`` (211, 1), ``Xval`` (200, 2) and ``yval`` (200, 1), so one
    column per example. nncore does not ship the file: the course has it in the assignment's
    folder, as ``datasets/data.mat`` next to the notebook. Without it,
    :func:`make_synthetic_2d_dataset` gives a stand-in.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Where the file is (the course's relative path by default).

    Returns
    -------
    train_X : numpy.ndarray
        ``data["X"].T``, shape ``(2, 211)`` for the course's file.
    train_Y : numpy.ndarray
        ``data["y"].T``, labels 0/1, shape ``(1, 211)``.
    test_X : numpy.ndarray
        ``data["Xval"].T``, shape ``(2, 200)``.
    test_Y : numpy.ndarray
        ``data["yval"].T``, shape ``(1, 200)``.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path`` (the message says what the file is and where the
        course keeps it).
    ValueError
        If the file lacks one of the keys or its arrays are not 2-D with matching rows.
    ImportError
        If scipy is not installed.
    """
    import os

    try:
        import scipy.io
    except ImportError as exc:
        raise ImportError("load_2D_dataset needs scipy: pip install nncore[datasets]") from exc
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"load_2D_dataset: no file at {os.fspath(path)!r} (looked in "
            f"{os.path.abspath(path)!r}). It reads the course's regularization data set, the "
            "MATLAB file datasets/data.mat of the regularization assignment (course 2, week 1: "
            "keys X, y, Xval, yval; 211 training and 200 test points), found in the "
            "assignment's folder beside the notebook. nncore does not ship it: pass "
            "path=... where you have it, or use nncore.datasets.make_synthetic_2d_dataset() "
            "for a synthetic stand-in."
        )
    data = scipy.io.loadmat(path)
    missing = [key for key in COURSE_DATA_KEYS if key not in data]
    if missing:
        raise ValueError(
            f"{os.fspath(path)!r} lacks the key(s) {missing}: expected the course's "
            "X, y, Xval, yval"
        )
    for features, labels in (("X", "y"), ("Xval", "yval")):
        a, b = data[features], data[labels]
        if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[0]:
            raise ValueError(
                f"{os.fspath(path)!r}: {features} has shape {a.shape} and {labels} {b.shape}; "
                "expected 2-D arrays with one row per example"
            )
    return data["X"].T, data["y"].T, data["Xval"].T, data["yval"].T
