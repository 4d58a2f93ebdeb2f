"""Kernels load numba's NumPy support without its BLAS probe (dedup._numba_start), and the command
line loads no numba at all."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_PROGRAM = """
import json, sys
import numpy as np
from numba import njit
from dedup import Config, Fingerprinter

Fingerprinter(Config()).fingerprint(["kernels run without scipy.linalg", "here"])
after_kernels = "scipy.linalg" in sys.modules

@njit
def dot(a, b):
    return np.dot(a, b)

value = float(dot(np.array([1.0, 2.0]), np.array([3.0, 4.0])))
print(json.dumps({"after_kernels": after_kernels, "dot": value,
                  "mapped": "scipy.linalg.cython_blas" in sys.modules}))
"""


def _last_line(program: str) -> str:
    """What a fresh interpreter running ``program`` printed last."""
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=True,
    )
    return done.stdout.splitlines()[-1]


def _fresh_process() -> dict[str, object]:
    return dict(json.loads(_last_line(_PROGRAM)))


def test_kernels_run_without_importing_scipy_linalg_and_np_dot_still_compiles() -> None:
    seen = _fresh_process()
    assert seen["after_kernels"] is False  # the probe found nothing and imported nothing
    assert seen["dot"] == 11.0  # numba's linear algebra still works: it imports BLAS itself
    assert seen["mapped"] is True  # ... as a real module, not the None of the probe


def test_the_command_line_imports_without_numba() -> None:
    """What ``dedup --help`` imports (the CLI and the settings) leaves numba unloaded: it took
    most of the 0.4 s that help took; the kernels load when a command first needs them."""
    assert _last_line("import sys, dedup.cli; print('numba' in sys.modules)") == "False"
