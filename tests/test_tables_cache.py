"""The Unicode lookup tables are cached on disk, and a damaged cache is never used."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dedup import unicode_tables as normalize


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private cache directory, with the in-process memo cleared around the test."""
    monkeypatch.setenv("DEDUP_CACHE_DIR", str(tmp_path))
    normalize.tables.cache_clear()
    yield tmp_path
    normalize.tables.cache_clear()


def _same(a: normalize.Tables, b: normalize.Tables) -> bool:
    return all(
        np.array_equal(getattr(a, f), getattr(b, f)) for f in normalize.Tables.__dataclass_fields__
    )


def test_first_use_writes_the_cache(cache_dir: Path) -> None:
    """Building the tables leaves a cache file named after the Unicode version."""
    normalize.tables()
    files = list(cache_dir.glob("unicode-tables-*.npz"))
    assert len(files) == 1


def test_cached_tables_equal_freshly_built_ones(cache_dir: Path) -> None:
    """Tables loaded from the cache are identical to a fresh build."""
    normalize.tables()
    normalize.tables.cache_clear()
    loaded = normalize._load_cached(next(cache_dir.glob("*.npz")))
    assert loaded is not None and _same(loaded, normalize._build_tables())


def test_damaged_cache_is_rebuilt(cache_dir: Path) -> None:
    """A cache file whose contents do not match its checksum is ignored and replaced."""
    normalize.tables()
    path = next(cache_dir.glob("*.npz"))
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["expansion"] = np.zeros_like(arrays["expansion"])  # would under-size buffers
    np.savez(path, **arrays)
    assert normalize._load_cached(path) is None
    normalize.tables.cache_clear()
    assert int(normalize.tables().expansion.max()) > 0


def test_garbage_cache_file_is_ignored(cache_dir: Path) -> None:
    """A cache file that is not a valid archive is ignored."""
    normalize.tables()
    path = next(cache_dir.glob("*.npz"))
    path.write_bytes(b"not a zip file")
    assert normalize._load_cached(path) is None


def test_empty_setting_disables_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """DEDUP_CACHE_DIR set to an empty string turns the cache off."""
    monkeypatch.setenv("DEDUP_CACHE_DIR", "")
    assert normalize._cache_file() is None
