"""numba's NumPy support, loaded without its BLAS probe.

The first compiled function a process runs makes numba import ``numba.np.arraymath``, whose
module-level ``_check_blas()`` imports ``scipy.linalg.cython_blas`` only to learn whether
SciPy's BLAS is there. That import pulls in ``scipy.linalg`` and, through SciPy's array-API
layer, ``numpy.f2py``: a fresh process took 0.85 s until the fingerprinting kernels had run
with the probe and 0.67 s without it (``python -m benchmarks.bulk_parts``, part 5). Every
process that runs a kernel pays it: the CLI, the service's readers, and the bulk job on one core
before its workers start.

No kernel of this package uses BLAS, and the probe's answer decides little: only whether
``np.convolve`` and ``np.correlate`` take their inner products from BLAS or from a loop in
jitted code. ``np.dot`` and ``np.linalg`` still import SciPy's BLAS when a function that uses
them is compiled. So for the moment ``numba.np.arraymath`` is imported, the probe's module is
mapped to ``None`` in ``sys.modules``, which makes its import fail at once (before
``scipy.linalg`` itself is imported), and unmapped afterwards. Nothing is done when either
module is loaded already: then the probe costs nothing or has run.
"""

from __future__ import annotations

import importlib
import sys

_PROBED = "scipy.linalg.cython_blas"
_PROBER = "numba.np.arraymath"


def load_numpy_support() -> None:
    """Import numba's NumPy support with the BLAS probe answered "none" (see the module)."""
    if _PROBER in sys.modules or _PROBED in sys.modules:
        return
    sys.modules[_PROBED] = None  # type: ignore[assignment]
    try:
        importlib.import_module(_PROBER)
    finally:
        if sys.modules.get(_PROBED, ...) is None:
            del sys.modules[_PROBED]


load_numpy_support()
