"""What the asv benchmarks share: the parameter values (dtype, ISA), seeded data, and the
workloads W1-W5 of ``benchmarks/compare.py`` (imported from there, so the suite and the
comparison script time the same runs)."""

from __future__ import annotations

import functools
import os
import sys

import numpy as np

import nncore
from nncore import _core

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import compare

try:
    from asv_runner.benchmarks.mark import skip_for_params
except ImportError:  # outside asv: nothing is skipped

    def skip_for_params(combinations):
        return lambda f: f


DTYPES = ["float64", "float32"]
# The SIMD targets this CPU runs; the one chosen at import is the default the reference is
# paired with.
ISAS = list(_core.supported_isas())
DEFAULT_ISA = _core.current_isa()


def set_isa(isa: str) -> None:
    _core.set_isa(isa)


def restore_isa(*_) -> None:
    _core.set_isa(DEFAULT_ISA)


def reference_skips(*other_params, dtypes=("float32",)):
    """Parameter combinations ``(*other, dtype, isa)`` the reference does not run: the ISA is
    nncore's (the reference is timed once, beside nncore's default ISA) and the reference is
    float64 only."""
    combos = [()]
    for values in other_params:
        combos = [(*c, v) for c in combos for v in values]
    return [
        (*c, dtype, isa)
        for c in combos
        for dtype in DTYPES
        for isa in ISAS
        if isa != DEFAULT_ISA or dtype in dtypes
    ]


@functools.cache
def network(dims: tuple, m: int, dtype: str, seed: int = 0):
    """Seeded ``(X, Y, parameters)``: X uniform [0, 1) of shape ``(dims[0], m)``, Y random
    0/1 of shape ``(dims[-1], m)``, He-initialized parameters (course seed 3)."""
    rng = np.random.default_rng(seed)
    X = rng.random((dims[0], m)).astype(dtype)
    Y = (rng.random((dims[-1], m)) < 0.5).astype(dtype)
    return X, Y, nncore.initialize_parameters_he(list(dims), 3, dtype=dtype)


@functools.cache
def workload_data(key: str):
    wl = workload(key)
    return wl.data()


def workload(key: str) -> compare.Workload:
    return next(wl for wl in compare.WORKLOADS if wl.key == key)
