"""Peak extra memory of one call, as the kernel counts it (Linux): the peak resident set
(``VmHWM``, which counts numpy's arrays and C++ buffers alike), reset through
``/proc/self/clear_refs`` just before the call, minus the resident set before it.

Used by ``benchmarks/sklearn_layout.py`` and by the memory tests of ``tests/test_layouts.py``
(in child processes, so that nothing else the process did counts).
"""

from __future__ import annotations

import os
import time

CLEAR_REFS = "/proc/self/clear_refs"


def available() -> bool:
    """Whether this system can reset the peak resident set."""
    return os.access(CLEAR_REFS, os.W_OK)


def _status() -> dict[str, int]:
    fields = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) * 1024
    return fields


def measured(call):
    """``(call(), seconds, peak extra bytes)``."""
    with open(CLEAR_REFS, "w") as f:
        f.write("5")  # the peak resident set starts again from the current one
    before = _status()["VmRSS"]
    start = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - start
    return result, seconds, _status()["VmHWM"] - before
