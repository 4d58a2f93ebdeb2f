"""A collection opened read-only makes and writes nothing: a missing file is not made, a file
without a collection is not given one, and a snapshot on storage that cannot be written (a
read-only mount) is read as it is: immutable, since SQLite cannot make the shared-memory file a
WAL-mode file is otherwise read through."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dedup import Document
from dedup.collection import Collection
from dedup.errors import InputError, ReadOnlyError
from tests.test_collection_storage import unwritable


@pytest.fixture
def snapshot(tmp_path: Path, article: str) -> Path:
    """A collection of two articles, closed (its WAL moved into the file), in a directory of
    its own."""
    directory = tmp_path / "snapshot"
    directory.mkdir()
    with Collection.open(directory / "articles.db") as collection:
        collection.post(Document("a", article))
        collection.post(Document("b", "A story of its own, told in other words entirely."))
    return directory / "articles.db"


def copied_while_written(snapshot: Path, copy: Path, article: str) -> Path:
    """``copy``, a new directory holding ``snapshot``'s file and WAL copied while a writer had
    it open after a post: its last commits are in the WAL only."""
    copy.mkdir()
    with Collection.open(snapshot) as writer:
        writer.post(Document("e", article + "\n\nA paragraph only this copy has."))
        for suffix in ("", "-wal"):
            shutil.copy(f"{snapshot}{suffix}", copy / f"articles.db{suffix}")
    assert (copy / "articles.db-wal").stat().st_size > 0
    return copy


def test_a_missing_file_is_an_input_error_and_is_not_made(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    with pytest.raises(InputError, match="no such file"):
        Collection.open(path, readonly=True)
    assert not path.exists()


def test_a_file_without_a_collection_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(InputError, match="no dedup index"):
        Collection.open(path, readonly=True)
    assert path.stat().st_size == 0


def test_a_snapshot_in_a_directory_that_cannot_be_written_is_read(
    snapshot: Path, article: str
) -> None:
    with unwritable(snapshot.parent), Collection.open(snapshot, readonly=True) as c:
        assert len(c) == 2
        verdict = c.check(Document("c", article))
        assert (verdict.status, verdict.duplicate_of) == ("duplicate", "a")
        assert c.get("b").length > 0
        with pytest.raises(ReadOnlyError):
            c.post(Document("d", article))
    assert sorted(p.name for p in snapshot.parent.iterdir()) == ["articles.db"]


def test_a_snapshot_whose_wal_holds_commits_is_refused_naming_the_wal(
    snapshot: Path, tmp_path: Path, article: str
) -> None:
    """Copied while a writer had it open: its last commits are in the WAL, which an immutable
    read would leave out, so it is refused rather than read without them."""
    copy = copied_while_written(snapshot, tmp_path / "copy", article)
    with unwritable(copy), pytest.raises(InputError, match="WAL"):
        Collection.open(copy / "articles.db", readonly=True)


def test_opening_it_to_write_there_says_to_open_it_read_only(snapshot: Path) -> None:
    with unwritable(snapshot.parent), pytest.raises(InputError, match="read-only"):
        Collection.open(snapshot)
