"""Put first on PYTHONPATH by .ci/sanitize (with the staging folder): ``import nncore`` must load
the sanitized build staged in ``$NNCORE_SANITIZE_STAGE``, in pytest and in every subprocess the
tests start. A plain install is already shadowed by PYTHONPATH; an editable install is not (its
import hook sits in ``sys.meta_path`` ahead of the path search), so any finder that would supply
``nncore`` from somewhere else is dropped here.
"""

import os
import sys

_stage = os.environ.get("NNCORE_SANITIZE_STAGE")


def _supplies_other_nncore(finder) -> bool:
    find_spec = getattr(finder, "find_spec", None)
    if find_spec is None:
        return False
    try:
        spec = find_spec("nncore", None)
    except Exception:  # a finder that cannot answer for this name does not supply it
        return False
    origin = getattr(spec, "origin", None) if spec is not None else None
    return origin is not None and not os.path.realpath(origin).startswith(_stage + os.sep)


if _stage:
    _stage = os.path.realpath(_stage)
    sys.meta_path[:] = [f for f in sys.meta_path if not _supplies_other_nncore(f)]
