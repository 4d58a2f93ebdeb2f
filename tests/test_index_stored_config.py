"""dedup.index.stored_config: the settings an index file was built with, read before opening it."""

from __future__ import annotations

from pathlib import Path

from dedup.config import Config
from dedup.index import SQLiteIndex, stored_config


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
