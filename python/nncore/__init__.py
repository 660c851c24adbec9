"""nncore: fast, verified training of dense neural networks on the CPU.

The course functions of :mod:`nncore.reference` (readable numpy, the oracle) are available
here under the same names, computed by a C++17/Eigen core; :class:`nncore.Network` is the
object API on top of the same core.
"""

from __future__ import annotations

import numbers

from . import _core, _threads, reference
from ._mirror import (
    accuracy,
    backward_propagation,
    backward_propagation_with_dropout,
    backward_propagation_with_regularization,
    compute_cost,
    compute_cost_with_regularization,
    compute_loss,
    dictionary_to_vector,
    forward_propagation,
    forward_propagation_with_dropout,
    gradient_check_n,
    gradients_to_vector,
    initialize_adam,
    initialize_parameters_deep,
    initialize_parameters_he,
    initialize_parameters_random,
    initialize_parameters_xavier,
    initialize_parameters_zeros,
    initialize_velocity,
    load_2D_dataset,
    predict,
    predict_dec,
    random_mini_batches,
    relu,
    schedule_lr_decay,
    sigmoid,
    update_lr,
    update_parameters,
    update_parameters_with_adam,
    update_parameters_with_gd,
    update_parameters_with_momentum,
    vector_to_dictionary,
)
from ._training import TrainingDiverged, TrainingInterrupted, model
from ._types import LayerCache
from .network import Network

# A joblib worker's share of the machine (OMP_NUM_THREADS and its kin) caps the default pool;
# threadpoolctl can then see and limit it (see _threads.py).
_threads.apply_environment_budget()
_threads.register_threadpoolctl()

__version__ = _core.version

__all__ = [
    "LayerCache",
    "Network",
    "TrainingDiverged",
    "TrainingInterrupted",
    "__version__",
    "accuracy",
    "backward_propagation",
    "backward_propagation_with_dropout",
    "backward_propagation_with_regularization",
    "build_info",
    "compute_cost",
    "compute_cost_with_regularization",
    "compute_loss",
    "dictionary_to_vector",
    "forward_propagation",
    "forward_propagation_with_dropout",
    "get_num_threads",
    "gradient_check_n",
    "gradients_to_vector",
    "initialize_adam",
    "initialize_parameters_deep",
    "initialize_parameters_he",
    "initialize_parameters_random",
    "initialize_parameters_xavier",
    "initialize_parameters_zeros",
    "initialize_velocity",
    "load_2D_dataset",
    "model",
    "predict",
    "predict_dec",
    "random_mini_batches",
    "reference",
    "relu",
    "schedule_lr_decay",
    "set_num_threads",
    "sigmoid",
    "update_lr",
    "update_parameters",
    "update_parameters_with_adam",
    "update_parameters_with_gd",
    "update_parameters_with_momentum",
    "vector_to_dictionary",
]


def build_info() -> dict:
    """How this build was made and what it runs on.

    Returns
    -------
    dict
        ``version``, ``isa`` (the SIMD target in use: ``"generic"``, ``"x86-64-v3"`` or
        ``"x86-64-v4"``, chosen at import as the best one the CPU supports unless the
        environment variable ``NNCORE_ISA`` names another), ``compiled_isas``,
        ``supported_isas``, ``compiler``, ``eigen`` and ``num_threads`` (see
        :func:`get_num_threads`).
    """
    return {
        "version": _core.version,
        "isa": _core.current_isa(),
        "compiled_isas": list(_core.compiled_isas()),
        "supported_isas": list(_core.supported_isas()),
        "compiler": _core.compiler,
        "eigen": _core.eigen_version,
        "num_threads": _core.num_threads(),
    }


def get_num_threads() -> int:
    """Number of threads nncore uses for the matrix products of large layers.

    Returns
    -------
    int
        The value set by :func:`set_num_threads` (or ``threadpoolctl.threadpool_limits``), else
        the environment variable ``NNCORE_NUM_THREADS`` (read at import), else
        ``min(usable CPUs, 4)``, lowered to the budget of ``OMP_NUM_THREADS`` (or the first set
        of ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``, ``BLIS_NUM_THREADS``,
        ``VECLIB_MAXIMUM_THREADS``, ``NUMEXPR_NUM_THREADS``) when one is set, as joblib sets
        them in its workers to ``cpu_count // n_jobs``. Small layers
        always run on the calling thread, and results are bitwise identical for every count.
    """
    return _core.num_threads()


def set_num_threads(n: int) -> None:
    """Set the number of threads used for the matrix products of large layers.

    Parameters
    ----------
    n : int
        From 1 (everything on the calling thread) to 256. Takes effect at the next product; the
        parameters a training run computes do not depend on it.

    Raises
    ------
    TypeError
        If ``n`` is not an integer.
    ValueError
        If ``n`` is outside [1, 256].
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"n: expected an integer, got {type(n).__name__}")
    if not 1 <= int(n) <= 256:
        raise ValueError(f"n: expected an integer from 1 to 256, got {n}")
    _core.set_num_threads(int(n))
