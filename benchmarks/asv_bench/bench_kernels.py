"""One course function at a time, nncore beside the numpy reference on the same seeded data.

Shapes: ``small`` is W1's network ([2, 10, 5, 1], 300 examples), ``wide`` W4's
([12288, 20, 7, 5, 1], 209 examples), ``large`` one W5 minibatch ([784, 512, 256, 10], 128
examples; sigmoid outputs here, as the course functions have). ``isa`` selects nncore's SIMD
target (``nncore._core.set_isa``); the reference is timed once, at the default ISA, in float64.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

import nncore
import nncore.reference as ref
from nncore import _core

from ._common import DTYPES, ISAS, network, reference_skips, restore_isa, set_isa, skip_for_params

SHAPES = {
    "small": ((2, 10, 5, 1), 300),
    "wide": ((12288, 20, 7, 5, 1), 209),
    "large": ((784, 512, 256, 10), 128),
}
# Dropout masks (hidden units x examples): W2's first hidden layer, and a large layer.
MASKS = {"small": (20, 211), "large": (512, 8192)}
KEEP_PROB = 0.86


class _PerShape:
    params = (list(SHAPES), DTYPES, ISAS)
    param_names: ClassVar[list] = ["shape", "dtype", "isa"]
    teardown = restore_isa

    def data(self, shape, dtype):
        dims, m = SHAPES[shape]
        self.X, self.Y, self.parameters = network(dims, m, dtype)


class Forward(_PerShape):
    def setup(self, shape, dtype, isa):
        self.data(shape, dtype)
        set_isa(isa)

    def time_nncore(self, shape, dtype, isa):
        nncore.forward_propagation(self.X, self.parameters)

    @skip_for_params(reference_skips(SHAPES))
    def time_reference(self, shape, dtype, isa):
        ref.forward_propagation(self.X, self.parameters)


class Backward(_PerShape):
    def setup(self, shape, dtype, isa):
        self.data(shape, dtype)
        set_isa(isa)
        _, self.caches = nncore.forward_propagation(self.X, self.parameters)
        if dtype == "float64":
            _, self.ref_caches = ref.forward_propagation(self.X, self.parameters)

    def time_nncore(self, shape, dtype, isa):
        nncore.backward_propagation(self.X, self.Y, self.caches)

    @skip_for_params(reference_skips(SHAPES))
    def time_reference(self, shape, dtype, isa):
        ref.backward_propagation(self.X, self.Y, self.ref_caches)


class AdamStep(_PerShape):
    """``update_parameters_with_adam`` (step t = 2) on all the network's parameters."""

    def setup(self, shape, dtype, isa):
        self.data(shape, dtype)
        set_isa(isa)
        rng = np.random.default_rng(1)
        self.grads = {
            f"d{k}": rng.standard_normal(p.shape).astype(dtype) for k, p in self.parameters.items()
        }
        self.v = {k: 0.1 * g for k, g in self.grads.items()}
        self.s = {k: 0.01 * g * g for k, g in self.grads.items()}

    def time_nncore(self, shape, dtype, isa):
        nncore.update_parameters_with_adam(self.parameters, self.grads, self.v, self.s, 2)

    @skip_for_params(reference_skips(SHAPES))
    def time_reference(self, shape, dtype, isa):
        ref.update_parameters_with_adam(self.parameters, self.grads, self.v, self.s, 2)


class DropoutMask:
    """A keep mask (keep_prob 0.86): the core's Philox generator
    (``nncore._core.<dtype>.dropout_mask``) against the reference's
    ``np.random.rand(n, m) < keep_prob``."""

    params = (list(MASKS), DTYPES, ISAS)
    param_names: ClassVar[list] = ["shape", "dtype", "isa"]
    teardown = restore_isa

    def setup(self, shape, dtype, isa):
        self.n, self.m = MASKS[shape]
        self.kernels = _core.f64 if dtype == "float64" else _core.f32
        set_isa(isa)

    def time_nncore(self, shape, dtype, isa):
        self.kernels.dropout_mask(1, 0, 1, self.n, self.m, KEEP_PROB)

    @skip_for_params(reference_skips(MASKS))
    def time_reference(self, shape, dtype, isa):
        (np.random.rand(self.n, self.m) < KEEP_PROB).astype(np.float64)  # noqa: NPY002
