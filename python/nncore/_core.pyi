"""Type stubs of nncore._core, the compiled bridge (cpp/bindings/). Private.

The kernels live in two submodules with the same functions, ``f64`` (float64 arrays) and
``f32`` (float32 arrays). A single stub file cannot declare submodules, so their contents are
described by two protocols, ``_F64Kernels`` and ``_F32Kernels``, and ``f64``/``f32`` are
typed as them. Arrays must be C-contiguous and of the submodule's dtype (no conversion).
"""

from collections.abc import Callable, Sequence
from typing import Any, Protocol, SupportsIndex

import numpy as np
import numpy.typing as npt

_F64 = npt.NDArray[np.float64]
_F32 = npt.NDArray[np.float32]
# callback(epochs_done, cost, periodic) -> False to stop (anything else continues), or None.
_Hook = Callable[[int, float, bool], Any] | None

class _Pybind11Type(type):
    """pybind11's metaclass of bound classes (``pybind11_builtins.pybind11_type``)."""

class TrainConfig(metaclass=_Pybind11Type):
    """The training loop's settings, all by keyword (cpp/include/nncore/types.hpp)."""

    optimizer: int
    mini_batch_size: int
    num_epochs: int
    shuffle_seed: int
    lambd: float
    keep_prob: float
    beta: float
    beta1: float
    beta2: float
    epsilon: float
    dropout_seed: int
    callback_every: int
    hook_seconds: float
    on_nonfinite: int
    def __init__(
        self,
        *,
        optimizer: SupportsIndex,
        mini_batch_size: SupportsIndex,
        num_epochs: SupportsIndex,
        shuffle_seed: SupportsIndex,
        lambd: float,
        keep_prob: float,
        beta: float,
        beta1: float,
        beta2: float,
        epsilon: float,
        dropout_seed: SupportsIndex,
        callback_every: SupportsIndex,
        hook_seconds: float,
        on_nonfinite: SupportsIndex,
    ) -> None: ...

class _F64Kernels(Protocol):
    """The float64 kernels (``nncore._core.f64``)."""

    @staticmethod
    def forward(
        X: _F64,
        W: list[_F64],
        b: list[_F64],
        hidden: SupportsIndex,
        output: SupportsIndex,
        keep_prob: float,
        mask_mode: SupportsIndex,
        masks: list[_F64],
        seed: SupportsIndex,
        step: SupportsIndex,
    ) -> tuple[list[_F64], list[_F64], list[_F64], list[_F64]]:
        """Forward pass; returns (Z, A, D, A_dropped) lists."""
    @staticmethod
    def backward(
        Y: _F64,
        W: list[_F64],
        A_prev: list[_F64],
        Z: list[_F64],
        A: list[_F64],
        D: list[_F64],
        hidden: SupportsIndex,
        output: SupportsIndex,
        lambd: float,
        keep_prob: float,
    ) -> tuple[list[_F64], list[_F64]]:
        """Backward pass; returns (dW, db) lists."""
    @staticmethod
    def update(
        optimizer: SupportsIndex,
        P: list[_F64],
        G: list[_F64],
        V: list[_F64],
        S: list[_F64],
        learning_rate: float,
        beta: float,
        beta1: float,
        beta2: float,
        epsilon: float,
        t: SupportsIndex,
    ) -> tuple[list[_F64], list[_F64]] | None:
        """Optimizer step in place on P (and V, S); Adam returns (v_corrected, s_corrected)."""
    @staticmethod
    def dropout_mask(
        seed: SupportsIndex,
        step: SupportsIndex,
        layer: SupportsIndex,
        n: SupportsIndex,
        m: SupportsIndex,
        keep_prob: float,
    ) -> _F64:
        """Philox keep mask (1 kept, 0 dropped)."""
    @staticmethod
    def cost(output: SupportsIndex, AL: _F64, Y: _F64) -> float: ...
    @staticmethod
    def cost_from_logits(output: SupportsIndex, ZL: _F64, Y: _F64) -> float: ...
    @staticmethod
    def sum_squares(x: _F64) -> float: ...
    @staticmethod
    def activation_backward(hidden: SupportsIndex, dA: _F64, A: _F64) -> _F64:
        """dZ = dA * g'(z) of a hidden activation, from its output A = g(z)."""
    @staticmethod
    def train(
        *,
        X: _F64,
        rows: bool,
        Y: _F64,
        dims: Sequence[SupportsIndex],
        hidden: SupportsIndex,
        output: SupportsIndex,
        theta: _F64,
        v: _F64,
        s: _F64,
        learning_rates: npt.NDArray[np.float64],
        costs: npt.NDArray[np.float64],
        state: npt.NDArray[np.int64],
        config: TrainConfig,
        callback: _Hook,
    ) -> int:
        """The whole training loop in one call, in place."""

class _F32Kernels(Protocol):
    """The float32 kernels (``nncore._core.f32``); costs and learning rates stay float64."""

    @staticmethod
    def forward(
        X: _F32,
        W: list[_F32],
        b: list[_F32],
        hidden: SupportsIndex,
        output: SupportsIndex,
        keep_prob: float,
        mask_mode: SupportsIndex,
        masks: list[_F32],
        seed: SupportsIndex,
        step: SupportsIndex,
    ) -> tuple[list[_F32], list[_F32], list[_F32], list[_F32]]:
        """Forward pass; returns (Z, A, D, A_dropped) lists."""
    @staticmethod
    def backward(
        Y: _F32,
        W: list[_F32],
        A_prev: list[_F32],
        Z: list[_F32],
        A: list[_F32],
        D: list[_F32],
        hidden: SupportsIndex,
        output: SupportsIndex,
        lambd: float,
        keep_prob: float,
    ) -> tuple[list[_F32], list[_F32]]:
        """Backward pass; returns (dW, db) lists."""
    @staticmethod
    def update(
        optimizer: SupportsIndex,
        P: list[_F32],
        G: list[_F32],
        V: list[_F32],
        S: list[_F32],
        learning_rate: float,
        beta: float,
        beta1: float,
        beta2: float,
        epsilon: float,
        t: SupportsIndex,
    ) -> tuple[list[_F32], list[_F32]] | None:
        """Optimizer step in place on P (and V, S); Adam returns (v_corrected, s_corrected)."""
    @staticmethod
    def dropout_mask(
        seed: SupportsIndex,
        step: SupportsIndex,
        layer: SupportsIndex,
        n: SupportsIndex,
        m: SupportsIndex,
        keep_prob: float,
    ) -> _F32:
        """Philox keep mask (1 kept, 0 dropped)."""
    @staticmethod
    def cost(output: SupportsIndex, AL: _F32, Y: _F32) -> float: ...
    @staticmethod
    def cost_from_logits(output: SupportsIndex, ZL: _F32, Y: _F32) -> float: ...
    @staticmethod
    def sum_squares(x: _F32) -> float: ...
    @staticmethod
    def activation_backward(hidden: SupportsIndex, dA: _F32, A: _F32) -> _F32:
        """dZ = dA * g'(z) of a hidden activation, from its output A = g(z)."""
    @staticmethod
    def train(
        *,
        X: _F32,
        rows: bool,
        Y: _F32,
        dims: Sequence[SupportsIndex],
        hidden: SupportsIndex,
        output: SupportsIndex,
        theta: _F32,
        v: _F32,
        s: _F32,
        learning_rates: npt.NDArray[np.float64],
        costs: npt.NDArray[np.float64],
        state: npt.NDArray[np.int64],
        config: TrainConfig,
        callback: _Hook,
    ) -> int:
        """The whole training loop in one call, in place."""

f32: _F32Kernels
f64: _F64Kernels

compiler: str
eigen_version: str
version: str
# The core's names and codes (one table each in cpp/include/nncore/types.hpp).
hidden_activations: dict[str, int]
outputs: dict[str, int]
optimizers: dict[str, int]
nonfinite_policies: dict[str, int]
# The optimizer state each optimizer keeps, a subset of ("v", "s").
optimizer_state: dict[str, tuple[str, ...]]

def current_isa() -> str: ...
def set_isa(name: str) -> None: ...
def compiled_isas() -> list[str]: ...
def supported_isas() -> list[str]: ...
def gemm_l1_bytes() -> int: ...
def num_threads() -> int: ...
def set_num_threads(n: int) -> None: ...
def numpy_permutation(seed: SupportsIndex, n: SupportsIndex) -> npt.NDArray[np.int64]:
    """np.random.seed(seed); np.random.permutation(n), in C++."""

def philox4x32_10(
    arg0: SupportsIndex,
    arg1: SupportsIndex,
    arg2: SupportsIndex,
    arg3: SupportsIndex,
    arg4: SupportsIndex,
    arg5: SupportsIndex,
    /,
) -> tuple[int, int, int, int]:
    """One Philox4x32-10 block (for known-answer tests)."""
