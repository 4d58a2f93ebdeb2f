"""dedup.index.stored_config: the settings an index file was built with, read before opening it."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from dedup.config import Config
from dedup.errors import ConfigMismatchError
from dedup.index import SQLiteIndex, stored_config
from dedup.types import Document, Relation


def test_it_is_the_config_the_index_was_built_with(tmp_path: Path) -> None:
    """Every setting, the threshold too, as given when the file was made."""
    built = Config(ngram=3, threshold=0.9)
    SQLiteIndex(tmp_path / "index.db", built).close()
    assert stored_config(tmp_path / "index.db") == built


def test_reading_it_makes_nothing(tmp_path: Path) -> None:
    """A missing file has none, and is not made by asking."""
    assert stored_config(tmp_path / "index.db") is None
    assert list(tmp_path.iterdir()) == []


def test_a_file_with_no_index_yet_has_none(tmp_path: Path) -> None:
    """An empty file is one an index is made in, with the settings given."""
    (tmp_path / "index.db").touch()
    assert stored_config(tmp_path / "index.db") is None


def test_a_file_that_is_no_database_has_none(tmp_path: Path) -> None:
    """Not an error here: opening the file says what is wrong with it."""
    (tmp_path / "index.db").write_text("not a database\n" * 100, encoding="utf-8")
    assert stored_config(tmp_path / "index.db") is None


# An index made before ``fold_variants`` existed: its meta as that code wrote it (no
# fold_variants key), a text with a soft hyphen in it, and the content hash that code gave it.
OLD_CONFIG_JSON = (
    '{"bands": 32, "casefold": true, "lsh_threshold": 0.4, "nfkc": true, "ngram": 5, '
    '"num_perm": 128, "rows": 4, "seed": 1, "shingle": "word", "threshold": 0.7}'
)
OLD_CONFIG_ID = "v1-word5-p128-s1-b32r4-nfkc+casefold-xxh64"
HYPHENATED = (
    "Die Bundes\u00adregierung hat am Montag ein neues Gesetz zur Stärkung der Wirtschaft "
    "beschlossen."
)
OLD_CONTENT_HASH = 2386770760092205875


def old_index(path: Path) -> Path:
    """An index file as the code before ``fold_variants`` left it, holding HYPHENATED."""
    with SQLiteIndex(path, Config(fold_variants=False)) as index:
        index.add(Document("a", HYPHENATED))
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'config'", (OLD_CONFIG_JSON,))
        stored_id = conn.execute("SELECT value FROM meta WHERE key = 'config_id'").fetchone()
    assert stored_id == (OLD_CONFIG_ID,)
    return path


def test_an_index_from_before_fold_variants_keeps_its_normalisation(tmp_path: Path) -> None:
    """Its stored config reads as made: without fold_variants, under the old id."""
    path = old_index(tmp_path / "old.db")
    assert stored_config(path) == Config(fold_variants=False)
    with SQLiteIndex(path) as index:
        assert index.config.id == OLD_CONFIG_ID
        assert index.fingerprint_of("a").content_hash == OLD_CONTENT_HASH


def test_an_index_from_before_fold_variants_matches_as_before(tmp_path: Path) -> None:
    """The stored text matches itself; its copy without the soft hyphen does not match it
    whole, as under the old code (tokens "bundes regierung" against "bundesregierung")."""
    with SQLiteIndex(old_index(tmp_path / "old.db")) as index:
        same = index.query(HYPHENATED).matches
        assert [(m.id, m.relation) for m in same] == [("a", Relation.DUPLICATE)]
        plain = index.query(HYPHENATED.replace("\u00ad", "")).matches
        assert all(m.relation != Relation.DUPLICATE for m in plain)


def test_an_index_from_before_fold_variants_refuses_the_new_default(tmp_path: Path) -> None:
    """Opened with today's defaults it is refused, naming both ids, like any other mismatch:
    its fingerprints were made without the new step."""
    path = old_index(tmp_path / "old.db")
    with pytest.raises(ConfigMismatchError, match="variants") as raised:
        SQLiteIndex(path, Config())
    assert OLD_CONFIG_ID in str(raised.value)
