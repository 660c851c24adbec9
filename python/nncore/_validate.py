"""Argument checks shared by the mirror, ``nncore.model`` and ``nncore.Network``.

Every public entry point checks its inputs here before anything reaches the C++ core (which
re-checks the shapes it relies on, but accepts only C-contiguous arrays of its exact dtype and
never converts). A bad argument raises ``TypeError`` (wrong kind or dtype) or ``ValueError``
(wrong shape or value) with a message that names the argument, the expected and the actual
value. The policy, the same for every function of a face:

dtypes
    *Mirror and* ``model``: the data arrays (``X``, ``AL``, parameters, gradients, optimizer
    state, caches) must be numpy arrays of dtype float64 or float32, all of one dtype (the
    dtype of ``X``, or of ``parameters["W1"]`` where there is no ``X``, picks the kernels);
    anything else, integer arrays and lists included, is refused with ``TypeError``: there is
    no silent promotion. Labels (``Y``, ``y``) and dropout masks may also be integer arrays;
    they are converted once to the compute dtype.
    ``Network``: ``X`` and ``Y`` may be any real array-like (lists, integer or float arrays of
    any width) and are converted once to the network's dtype.
    Both faces refuse bool, complex, object, string and other non-numeric arrays.
layout
    Any memory layout is accepted: Fortran-ordered and non-contiguous (strided) arrays are
    copied once to C order before the core is entered, and give bit-for-bit the result of the
    C-ordered array (tested). C-contiguous arrays of the right dtype are passed without a copy.
values
    ``X``, ``Y``, parameters, gradients, optimizer state and caches must be finite (no NaN or
    inf); ``AL`` must lie in ``[0, 1]`` (exactly 0 or 1 is allowed: the course's cost is then
    ``inf``); labels of a sigmoid output must be 0 or 1; Adam's ``s`` must be ``>= 0``. Data
    must hold at least one example (``m >= 1``) and every layer at least one unit. The pure
    bookkeeping functions (``dictionary_to_vector``, ``vector_to_dictionary``,
    ``gradients_to_vector``) check structure and shapes, not values, so a diverged network's
    parameters can still be read.
dicts
    A parameter dict has exactly the string keys ``W1, b1, ..., WL, bL`` with consistent
    shapes; a missing or extra key (``"W3"`` in a 2-layer dict, ``1``) is refused. Gradient-like
    dicts (``grads``, ``v``, ``s``, ``gradients``) need ``dW1, db1, ..., dWL, dbL`` with the
    parameters' shapes; ``dW``/``db`` keys of a layer beyond ``L`` are refused, other string
    keys (the course's ``dA1``, ``dZ2``, ...) are ignored, as the reference ignores them.
numbers
    Hyperparameters are real numbers (Python or numpy scalars; ``bool`` is refused), finite,
    in their documented range; counts are integers (``bool`` and ``float`` refused).
"""

from __future__ import annotations

import math
import numbers
import re

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))
# Widest layer accepted: keeps every size product the core forms far from overflow.
MAX_WIDTH = 2**31 - 1
# Counts (epochs, steps, Adam's t) reach the core as int64.
MAX_INT64 = 2**63 - 1
# Entries checked for NaN and inf at once (the check's boolean temporary stays this small).
FINITE_BLOCK = 2**18
# The two layouts of the examples: columns (the course's (n_x, m)), rows (scikit-learn's).
LAYOUTS = ("columns", "rows")
_GRAD_KEY = re.compile(r"d[Wb](\d+)\Z")


def float_dtype(dtype, name: str = "dtype") -> np.dtype:
    """``np.float64`` or ``np.float32`` from a dtype-like, else ``TypeError``."""
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError):
        dt = None
    if dt is None or not any(dt == f for f in FLOAT_DTYPES):
        raise TypeError(f"{name} must be float64 or float32, got {dtype!r}")
    return dt


def compute_dtype(X, name: str = "X") -> np.dtype:
    """The dtype the computation runs in: that of ``X``, which must be float32 or float64."""
    dt = getattr(X, "dtype", None)
    if not isinstance(X, np.ndarray) or dt not in FLOAT_DTYPES:
        kind = f"array of dtype {dt}" if isinstance(X, np.ndarray) else type(X).__name__
        raise TypeError(f"{name} must be a numpy array of dtype float64 or float32, got {kind}")
    return dt


def real_array(a, name: str) -> np.ndarray:
    """``a`` as a numpy array of real numbers (integer or float), else ``TypeError``."""
    try:
        arr = np.asarray(a)
    except (TypeError, ValueError) as exc:  # ragged nested lists, for one
        raise TypeError(f"{name} must be an array of real numbers, got {type(a).__name__}") from exc
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers (integer or float), got dtype {arr.dtype}")
    return arr


def matrix(a: np.ndarray, name: str, rows: int | None = None, cols: int | None = None) -> None:
    """Check that ``a`` is 2-D of shape ``(rows, cols)`` (``None``: any)."""
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {a.shape}")
    if (rows is not None and a.shape[0] != rows) or (cols is not None and a.shape[1] != cols):
        want = f"({'any' if rows is None else rows}, {'any' if cols is None else cols})"
        raise ValueError(f"{name} must have shape {want}, got {a.shape}")


def all_finite(a: np.ndarray) -> bool:
    """``np.isfinite(a).all()`` of a 2-D array in blocks of at most ``FINITE_BLOCK`` entries, so
    that checking a large ``X`` takes no array of its size."""
    if a.size <= FINITE_BLOCK:
        return bool(np.isfinite(a).all())
    n_rows, n_cols = a.shape
    row_step, col_step = max(1, FINITE_BLOCK // n_cols), min(n_cols, FINITE_BLOCK)
    return all(
        np.isfinite(a[i : i + row_step, j : j + col_step]).all()
        for i in range(0, n_rows, row_step)
        for j in range(0, n_cols, col_step)
    )


def array2d(
    a,
    name: str,
    dtype: np.dtype,
    rows: int | None = None,
    cols: int | None = None,
    finite: bool = True,
    cast: bool = False,
) -> np.ndarray:
    """A C-contiguous 2-D array of ``dtype`` (no copy when it already is one, else one copy).

    ``cast=True`` converts real numbers of another dtype (labels given as integers, say);
    otherwise the dtype must already be ``dtype``. Bool, complex, object and string arrays are
    refused either way.
    """
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(a).__name__}")
    if a.dtype != dtype and (not cast or a.dtype.kind not in "iuf"):
        raise TypeError(f"{name} must have dtype {dtype}, got {a.dtype}")
    matrix(a, name, rows, cols)
    a = np.ascontiguousarray(a, dtype=dtype)
    if finite and not all_finite(a):
        raise ValueError(f"{name} contains NaN or inf")
    return a


def examples(a: np.ndarray, name: str = "X", rows: bool = False) -> int:
    """Number of examples ``m`` of a checked 2-D array (its columns, or its rows with
    ``rows=True``): at least one."""
    m = a.shape[0 if rows else 1]
    if m < 1:
        what = "row" if rows else "column"
        raise ValueError(f"{name} must hold at least one example ({what}), got shape {a.shape}")
    return m


def binary(Y: np.ndarray, name: str = "Y") -> np.ndarray:
    """``Y`` itself, after checking that every label is 0 or 1 (a sigmoid output's targets)."""
    bad = (Y != 0) & (Y != 1)
    if bad.any():
        raise ValueError(
            f"{name} must hold labels 0 or 1 (sigmoid output), got {Y[bad].flat[0].item()!r} "
            f"({int(bad.sum())} of {Y.size} entries)"
        )
    return Y


def distributions(Y: np.ndarray, name: str = "Y") -> np.ndarray:
    """``Y`` itself, after checking that every column is a probability distribution (a softmax
    output's targets: one-hot or soft labels): entries ``>= 0``, each column summing to 1
    within ``max(1e-6, 4 n eps)`` (``n`` rows, ``eps`` of ``Y``'s dtype: the rounding of a sum
    of ``n`` terms, and float32 data carried in a float64 network)."""
    if (Y < 0).any():
        raise ValueError(
            f"{name} must hold non-negative targets (softmax output: one-hot or probabilities), "
            f"got {Y[Y < 0].flat[0].item()!r} ({int((Y < 0).sum())} of {Y.size} entries)"
        )
    sums = Y.sum(axis=0, dtype=np.float64)
    tol = max(1e-6, 4 * Y.shape[0] * float(np.finfo(Y.dtype).eps))
    bad = np.abs(sums - 1) > tol
    if bad.any():
        j = int(np.argmax(bad))
        raise ValueError(
            f"{name}: each column must sum to 1 (softmax output: one-hot or probabilities, "
            f"within {tol:.1e}), column {j} sums to {float(sums[j])!r} "
            f"({int(bad.sum())} of {Y.shape[1]} columns)"
        )
    return Y


def labels(Y, name: str, dtype: np.dtype, rows, cols, sigmoid: bool = True) -> np.ndarray:
    """Checked targets: integer or float array, finite, 0/1 when ``sigmoid``, in ``dtype``."""
    Y = array2d(Y, name, dtype, rows=rows, cols=cols, cast=True)
    return binary(Y, name) if sigmoid else Y


def _check_keys(d: dict, name: str) -> None:
    for key in d:
        if not isinstance(key, str):
            raise TypeError(f"{name} keys must be strings, got {key!r} ({type(key).__name__})")


def num_layers(parameters, name: str = "parameters") -> int:
    """Number of layers L of a course parameter dict: exactly the keys W1, b1, ..., WL, bL."""
    if not isinstance(parameters, dict):
        raise TypeError(
            f"{name} must be a dict of W1, b1, ..., WL, bL, got {type(parameters).__name__}"
        )
    _check_keys(parameters, name)
    L = 0
    while f"W{L + 1}" in parameters:
        L += 1
    if L == 0:
        raise ValueError(f"{name} is missing 'W1' (keys: {sorted(parameters)})")
    for l in range(1, L + 1):
        if f"b{l}" not in parameters:
            raise ValueError(f"{name} is missing 'b{l}' (it has W1..W{L})")
    extra = sorted(set(parameters) - {f"{p}{l}" for l in range(1, L + 1) for p in "Wb"})
    if extra:
        raise ValueError(f"{name} has unexpected keys {extra}: expected exactly W1..W{L}, b1..b{L}")
    return L


def gradient_keys(d, name: str, L: int) -> None:
    """A dict holding ``dW1, db1, ..., dWL, dbL`` and no ``dW``/``db`` key beyond layer L."""
    if not isinstance(d, dict):
        raise TypeError(f"{name} must be a dict of dW1, db1, ..., got {type(d).__name__}")
    _check_keys(d, name)
    for l in range(1, L + 1):
        for key in (f"dW{l}", f"db{l}"):
            if key not in d:
                raise ValueError(f"{name} is missing {key!r}")
    for key in d:
        match = _GRAD_KEY.match(key)
        if match and not 1 <= int(match.group(1)) <= L:
            raise ValueError(f"{name} has unexpected key {key!r}: the parameters have {L} layer(s)")


def parameters_list(
    parameters, dtype: np.dtype, n_x: int | None = None, name: str = "parameters"
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Checked ``[W1..WL]``, ``[b1..bL]``: consistent shapes, ``dtype``, finite values."""
    L = num_layers(parameters, name)
    W, b = [], []
    prev = n_x
    for l in range(1, L + 1):
        Wl = array2d(parameters[f"W{l}"], f"{name}['W{l}']", dtype, rows=None, cols=prev)
        if min(Wl.shape) < 1:
            raise ValueError(
                f"{name}['W{l}'] must have at least one row and column, got {Wl.shape}"
            )
        bl = array2d(parameters[f"b{l}"], f"{name}['b{l}']", dtype, rows=Wl.shape[0], cols=1)
        W.append(Wl)
        b.append(bl)
        prev = Wl.shape[0]
    return W, b


def real(value, name: str, low=None, high=None, low_open=False, high_open=False) -> float:
    """A finite real number in the given range (``bool`` refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
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


def integer(value, name: str, low: int | None = None, high: int | None = None) -> int:
    """An integer (Python or numpy; ``bool`` refused) in ``[low, high]``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    v = int(value)
    if low is not None and v < low:
        raise ValueError(f"{name} must be >= {low}, got {v}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be <= {high}, got {v}")
    return v


def flag(value, name: str) -> bool:
    """A bool (Python or numpy)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def batch_size(value, m: int, name: str = "mini_batch_size") -> int:
    """The core's minibatch size: ``0`` for ``None`` (full batch), else an integer ``>= 1``
    clipped to ``m`` (sizes ``>= m`` all mean one batch of everything; clipping keeps the
    core's ``long`` in range)."""
    if value is None:
        return 0
    return min(integer(value, name, low=1), m)


def learning_rate(value, name: str = "learning_rate") -> float:
    return real(value, name, low=0.0, low_open=True)


def keep_prob(value) -> float:
    return real(value, "keep_prob", 0.0, 1.0, low_open=True)


def choice(value, name: str, options) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {tuple(options)}, got {value!r}")
    if value not in options:
        raise ValueError(f"{name} must be one of {tuple(options)}, got {value!r}")
    return value


def layers_dims(value, name: str = "layers_dims") -> list[int]:
    """``[n_x, n_1, ..., n_L]``: at least two integers in ``[1, MAX_WIDTH]``."""
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
        raise TypeError(f"{name} must be a list of positive integers, got {value!r}")
    if isinstance(value, np.ndarray) and value.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got an array of shape {value.shape}")
    dims = [integer(d, f"{name}[{i}]", low=1, high=MAX_WIDTH) for i, d in enumerate(value)]
    if len(dims) < 2:
        raise ValueError(f"{name} must have at least 2 entries [n_x, ..., n_L], got {value!r}")
    return dims
