"""The package's public names load on first use, so the command line starts without numba."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import dedup

ROOT = Path(__file__).resolve().parents[1]


def test_every_public_name_resolves_to_its_module_s_object() -> None:
    from dedup.fingerprint import Fingerprinter
    from dedup.types import Relation

    assert all(getattr(dedup, name) is not None for name in dedup.__all__)
    assert dedup.Fingerprinter is Fingerprinter
    assert dedup.Relation is Relation


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        dedup.Nothing  # noqa: B018


def test_the_command_line_imports_without_numba() -> None:
    """What ``dedup --help`` imports (the CLI and the settings) leaves numba unloaded: it took
    most of the 0.4 s that help took; the kernels load when a command first needs them."""
    program = "import sys, dedup.cli; print('numba' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=True,
    )
    assert done.stdout.strip() == "False"
