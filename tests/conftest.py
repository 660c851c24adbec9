"""Fixtures shared by the test modules."""

from __future__ import annotations

import pytest

from nncore import _core


@pytest.fixture(params=_core.supported_isas())
def isa(request):
    """Runs the test once per SIMD target this CPU supports, with that target selected."""
    previous = _core.current_isa()
    _core.set_isa(request.param)
    yield request.param
    _core.set_isa(previous)
