"""Argument checks shared by the mirror and the Network API.

Every public entry point checks its inputs here before anything reaches the C++ core, and
raises ``TypeError`` (wrong kind or dtype) or ``ValueError`` (wrong shape or value) with a
message naming the argument, what was expected and what was given.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


def float_dtype(dtype, name: str = "dtype") -> np.dtype:
    """``np.float64`` or ``np.float32`` from a dtype-like, else ``TypeError``."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be float64 or float32, got {dtype!r}")
    return dt


def compute_dtype(X, name: str = "X") -> np.dtype:
    """The dtype the computation runs in: that of ``X``, which must be float32 or float64."""
    dt = getattr(X, "dtype", None)
    if not isinstance(X, np.ndarray) or dt not in FLOAT_DTYPES:
        kind = f"array of dtype {dt}" if dt is not None else type(X).__name__
        raise TypeError(f"{name} must be a numpy array of dtype float64 or float32, got {kind}")
    return dt


def array2d(
    a,
    name: str,
    dtype: np.dtype,
    rows: int | None = None,
    cols: int | None = None,
    finite: bool = True,
    cast: bool = False,
) -> np.ndarray:
    """A C-contiguous 2-D array of ``dtype`` (no copy when it already is one).

    ``cast=True`` converts real numbers of another dtype (labels given as integers, say);
    otherwise the dtype must already be ``dtype``.
    """
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(a).__name__}")
    if a.dtype != dtype:
        if not cast or a.dtype.kind not in "biuf":
            raise TypeError(f"{name} must have dtype {dtype}, got {a.dtype}")
        a = a.astype(dtype)
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {a.shape}")
    if (rows is not None and a.shape[0] != rows) or (cols is not None and a.shape[1] != cols):
        want = f"({'any' if rows is None else rows}, {'any' if cols is None else cols})"
        raise ValueError(f"{name} must have shape {want}, got {a.shape}")
    if finite and not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or inf")
    return np.ascontiguousarray(a)


def num_layers(parameters, name: str = "parameters") -> int:
    """Number of layers L of a course parameter dict (keys W1, b1, ..., WL, bL)."""
    if not isinstance(parameters, dict):
        raise TypeError(f"{name} must be a dict of W1, b1, ..., WL, bL, got {type(parameters)}")
    L = 0
    while f"W{L + 1}" in parameters:
        L += 1
    if L == 0:
        raise ValueError(f"{name} is missing 'W1' (keys: {sorted(parameters)})")
    for l in range(1, L + 1):
        if f"b{l}" not in parameters:
            raise ValueError(f"{name} is missing 'b{l}' (it has W1..W{L})")
    return L


def parameters_list(
    parameters, dtype: np.dtype, n_x: int | None = None, name: str = "parameters"
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Checked ``[W1..WL]``, ``[b1..bL]``: consistent shapes, ``dtype``, finite values."""
    L = num_layers(parameters, name)
    W, b = [], []
    prev = n_x
    for l in range(1, L + 1):
        Wl = array2d(parameters[f"W{l}"], f"{name}['W{l}']", dtype, rows=None, cols=prev)
        bl = array2d(parameters[f"b{l}"], f"{name}['b{l}']", dtype, rows=Wl.shape[0], cols=1)
        W.append(Wl)
        b.append(bl)
        prev = Wl.shape[0]
    return W, b


def real(value, name: str, low=None, high=None, low_open=False, high_open=False) -> float:
    """A finite real number in the given range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    v = float(value)
    bad = not math.isfinite(v)
    if low is not None:
        bad = bad or (v <= low if low_open else v < low)
    if high is not None:
        bad = bad or (v >= high if high_open else v > high)
    if bad:
        lo = "(-inf" if low is None else ("(" if low_open else "[") + str(low)
        hi = "inf)" if high is None else str(high) + (")" if high_open else "]")
        raise ValueError(f"{name} must be a finite number in {lo}, {hi}, got {value!r}")
    return v


def integer(value, name: str, low: int | None = None) -> int:
    """An integer (Python or numpy) ``>= low``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    v = int(value)
    if low is not None and v < low:
        raise ValueError(f"{name} must be >= {low}, got {v}")
    return v


def keep_prob(value) -> float:
    return real(value, "keep_prob", 0.0, 1.0, low_open=True)


def choice(value, name: str, options) -> str:
    if value not in options:
        raise ValueError(f"{name} must be one of {tuple(options)}, got {value!r}")
    return value


def layers_dims(value, name: str = "layers_dims") -> list[int]:
    """``[n_x, n_1, ..., n_L]``: at least two positive integers."""
    try:
        dims = [integer(d, f"{name}[{i}]", low=1) for i, d in enumerate(value)]
    except TypeError as exc:
        if not hasattr(value, "__iter__"):
            raise TypeError(f"{name} must be a list of positive integers, got {value!r}") from exc
        raise
    if len(dims) < 2:
        raise ValueError(f"{name} must have at least 2 entries [n_x, ..., n_L], got {value!r}")
    return dims
