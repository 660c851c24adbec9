"""nncore: fast, verified training of dense neural networks on the CPU.

The course functions of :mod:`nncore.reference` (readable numpy, the oracle) are available
here under the same names, computed by a C++17/Eigen core; :class:`nncore.Network` is the
object API on top of the same core.
"""

from __future__ import annotations

from . import _core, reference
from ._mirror import (
    backward_propagation,
    backward_propagation_with_dropout,
    backward_propagation_with_regularization,
    compute_cost,
    compute_cost_with_regularization,
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
    predict,
    predict_dec,
    random_mini_batches,
    relu,
    schedule_lr_decay,
    sigmoid,
    update_lr,
    update_parameters_with_adam,
    update_parameters_with_gd,
    update_parameters_with_momentum,
    vector_to_dictionary,
)
from ._training import TrainingDiverged, TrainingInterrupted, model
from ._types import LayerCache
from .network import Network

__version__ = _core.version

__all__ = [
    "LayerCache",
    "Network",
    "TrainingDiverged",
    "TrainingInterrupted",
    "__version__",
    "backward_propagation",
    "backward_propagation_with_dropout",
    "backward_propagation_with_regularization",
    "build_info",
    "compute_cost",
    "compute_cost_with_regularization",
    "dictionary_to_vector",
    "forward_propagation",
    "forward_propagation_with_dropout",
    "gradient_check_n",
    "gradients_to_vector",
    "initialize_adam",
    "initialize_parameters_deep",
    "initialize_parameters_he",
    "initialize_parameters_random",
    "initialize_parameters_xavier",
    "initialize_parameters_zeros",
    "initialize_velocity",
    "model",
    "predict",
    "predict_dec",
    "random_mini_batches",
    "reference",
    "relu",
    "schedule_lr_decay",
    "sigmoid",
    "update_lr",
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
        ``supported_isas``, ``compiler`` and ``eigen``.
    """
    return {
        "version": _core.version,
        "isa": _core.current_isa(),
        "compiled_isas": list(_core.compiled_isas()),
        "supported_isas": list(_core.supported_isas()),
        "compiler": _core.compiler,
        "eigen": _core.eigen_version,
    }
