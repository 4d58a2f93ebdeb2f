"""The package's public names load on first use (the command line starts without numba:
tests/test_numba_start.py)."""

from __future__ import annotations

import pytest

import dedup


def test_every_public_name_resolves_to_its_module_s_object() -> None:
    from dedup.fingerprint import Fingerprinter
    from dedup.types import Relation

    assert all(getattr(dedup, name) is not None for name in dedup.__all__)
    assert dedup.Fingerprinter is Fingerprinter
    assert dedup.Relation is Relation


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        dedup.Nothing  # noqa: B018
