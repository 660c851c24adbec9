"""Which nncore the tests exercise.

CI builds a wheel, installs it into a fresh virtual environment and runs this suite against the
installed package (``NNCORE_TEST_INSTALLED=1``): then nncore must come from site-packages, not
from the checkout, its compiled core beside it. In a development (editable) install that check
is skipped.
"""

from __future__ import annotations

import importlib.metadata
import os
import sysconfig
from pathlib import Path

import pytest

import nncore
from nncore import _core

SOURCE_TREE = Path(__file__).resolve().parents[1]
INSTALLED = os.environ.get("NNCORE_TEST_INSTALLED") == "1"


def test_version_matches_the_installed_metadata():
    """The compiled core was built from the same project version as the installed metadata."""
    assert nncore.__version__ == importlib.metadata.version("nncore")


@pytest.mark.skipif(not INSTALLED, reason="set NNCORE_TEST_INSTALLED=1 to test an installed wheel")
def test_imported_from_site_packages():
    package = Path(nncore.__file__).resolve().parent
    site = {Path(sysconfig.get_paths()[key]).resolve() for key in ("purelib", "platlib")}
    assert package.parent in site, f"nncore imported from {package}, expected site-packages"
    assert SOURCE_TREE not in package.parents, f"nncore imported from the checkout: {package}"
    # The compiled core comes with it (an editable install would load it from a build folder).
    assert Path(_core.__file__).resolve().parent == package
