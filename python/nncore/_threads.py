"""How nncore's thread pool takes a thread budget from outside: the environment variables that
joblib's workers and batch schedulers set, and threadpoolctl.

joblib's loky workers get their share of the machine only through environment variables
(``OMP_NUM_THREADS`` and its kin, set to ``cpu_count // n_jobs``), and threadpoolctl limits the
native thread pools it knows through a controller per library. Without both, two workers on two
cores would each run nncore's full default pool: four busy threads on two cores.
"""

from __future__ import annotations

import os

from . import _core

# The variables joblib (loky) sets in its workers, in the order they are consulted.
BUDGET_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
MAX_THREADS = 256
_registered = False


def environment_budget(environ=None) -> int | None:
    """The thread budget the environment gives, or ``None``.

    The first of :data:`BUDGET_VARIABLES` that is set decides. Its value is another library's
    setting, so a value nncore cannot read (empty, not a positive integer) is skipped rather
    than failing the import; OpenMP's nested form ``"4,2"`` counts its first level.
    """
    environ = os.environ if environ is None else environ
    for name in BUDGET_VARIABLES:
        text = environ.get(name, "").split(",")[0].strip()
        if text.isdigit() and int(text) >= 1:
            return min(int(text), MAX_THREADS)
    return None


def apply_environment_budget(environ=None) -> None:
    """Cap the default thread count by :func:`environment_budget` (at import).

    ``NNCORE_NUM_THREADS`` is nncore's own setting and wins; a budget only lowers the default
    (``min(usable CPUs, 4)``), never raises it, as a budget is a share of the machine.
    """
    environ = os.environ if environ is None else environ
    if environ.get("NNCORE_NUM_THREADS", ""):
        return
    budget = environment_budget(environ)
    if budget is not None and budget < _core.num_threads():
        _core.set_num_threads(budget)


def register_threadpoolctl() -> None:
    """Register nncore's pool with threadpoolctl (>= 3.5) when it is installed.

    Then ``threadpoolctl.threadpool_info()`` lists it (``internal_api="nncore"``) and
    ``threadpool_limits(n)`` sets it and restores it, as for BLAS and OpenMP.
    """
    try:
        import threadpoolctl
    except ImportError:
        return
    global _registered
    register = getattr(threadpoolctl, "register", None)
    if register is None or _registered:
        return

    core_path = os.path.realpath(_core.__file__)

    class NncoreController(threadpoolctl.LibController):
        """threadpoolctl's handle on nncore's pool (the compiled module ``nncore._core``)."""

        user_api = "nncore"
        internal_api = "nncore"
        # The extension's file name; get_version refuses any other package's "_core".
        filename_prefixes = ("_core.",)

        def get_version(self):
            # threadpoolctl skips a library whose controller raises OSError here.
            if os.path.realpath(self.filepath) != core_path:
                raise OSError(f"{self.filepath} is not nncore's compiled module")
            return _core.version

        def get_num_threads(self):
            return _core.num_threads()

        def set_num_threads(self, num_threads):
            _core.set_num_threads(max(1, min(int(num_threads), MAX_THREADS)))

    register(NncoreController)
    _registered = True
