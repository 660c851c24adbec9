"""Whole training runs of the workloads W1-W5 (``benchmarks/compare.py``), shortened so that
each timing stays under about a second, nncore beside the numpy reference from the same
initial parameters on the same data.

``dtype`` is the training dtype (W4 in float32 is ``TrainW4`` with ``dtype="float32"``; the
reference is float64 only, but W5's numpy column, the benchmark's own softmax/Adam loop, runs
both). ``isa`` selects nncore's SIMD target; the reference is timed at the default ISA only.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from ._common import (
    DTYPES,
    ISAS,
    compare,
    reference_skips,
    restore_isa,
    set_isa,
    skip_for_params,
    workload,
    workload_data,
)

# Fraction of each workload's epochs run (W5: of its one epoch's examples).
FRACTIONS = {"W1": 0.1, "W2": 0.1, "W2d": 0.1, "W3": 0.05, "W4": 0.02, "W5": 0.1}


def training_benchmark(key: str, fraction: float):
    base = workload(key)
    reference_dtypes = () if base.output == "softmax" else ("float32",)

    class Training:
        params = (DTYPES, ISAS)
        param_names: ClassVar[list] = ["dtype", "isa"]
        number = 1
        repeat = (1, 5, 20.0)
        timeout = 300
        teardown = restore_isa

        def setup(self, dtype, isa):
            wl = dataclasses.replace(base, dtype=dtype)
            X, Y = workload_data(key)
            init = compare.initial_parameters(wl)
            epochs, X, Y, _ = compare.shortened(wl, X, Y, fraction)
            set_isa(isa)
            self.nncore = compare.prepare_nncore(wl, X, Y, init, epochs)
            self.reference = compare.prepare_reference(wl, X, Y, init, epochs)

        def time_nncore(self, dtype, isa):
            self.nncore()

        @skip_for_params(reference_skips(dtypes=reference_dtypes))
        def time_reference(self, dtype, isa):
            self.reference()

    Training.__name__ = Training.__qualname__ = f"Train{key}"
    Training.__doc__ = f"{base.label}; {fraction:g} of the run."
    return Training


TrainW1 = training_benchmark("W1", FRACTIONS["W1"])
TrainW2 = training_benchmark("W2", FRACTIONS["W2"])
TrainW2d = training_benchmark("W2d", FRACTIONS["W2d"])
TrainW3 = training_benchmark("W3", FRACTIONS["W3"])
TrainW4 = training_benchmark("W4", FRACTIONS["W4"])
TrainW5 = training_benchmark("W5", FRACTIONS["W5"])
