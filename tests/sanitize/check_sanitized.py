"""Run by .ci/sanitize (named explicitly, so plain pytest never collects it): the tests of this
session use the ASan+UBSan build staged in ``$NNCORE_SANITIZE_STAGE``, in this process and in the
subprocesses that some tests start (tests/test_interrupt.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nncore
from nncore import _core

STAGE = Path(os.environ["NNCORE_SANITIZE_STAGE"]).resolve() / "nncore"


def test_nncore_is_the_staged_sanitized_build():
    assert Path(nncore.__file__).resolve().parent == STAGE
    assert Path(_core.__file__).resolve().parent == STAGE
    mapped = Path("/proc/self/maps").read_text()
    assert "libasan" in mapped
    assert "libubsan" in mapped


def test_subprocesses_load_the_same_build():
    code = "import nncore; print(nncore._core.__file__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert Path(out.stdout.strip()).resolve().parent == STAGE
