"""Fixtures shared by the test modules."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import settings

from nncore import _core

# CI (CI=true) replays one fixed set of Hypothesis examples, so that a run's outcome depends
# on the code alone and a clean clone passes or fails the same way every time; local runs keep
# exploring new examples (and keep the ones that failed in .hypothesis/).
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(params=_core.supported_isas())
def isa(request):
    """Runs the test once per SIMD target this CPU supports, with that target selected."""
    previous = _core.current_isa()
    _core.set_isa(request.param)
    yield request.param
    _core.set_isa(previous)


@pytest.fixture
def central_differences():
    """``fd(cost, params, h)``: the central-difference gradient of ``cost(params)`` with respect
    to every element of every array of the dict ``params`` (float64), as a dict like it."""

    def fd(cost, params, h):
        grads = {}
        for key, value in params.items():
            g = np.zeros_like(value)
            for idx in np.ndindex(value.shape):
                plus = {k: v.copy() for k, v in params.items()}
                minus = {k: v.copy() for k, v in params.items()}
                plus[key][idx] += h
                minus[key][idx] -= h
                g[idx] = (cost(plus) - cost(minus)) / (2 * h)
            grads[key] = g
        return grads

    return fd
