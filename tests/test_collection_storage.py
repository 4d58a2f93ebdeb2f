"""Writes the file cannot take: while another process writes it (a ``dedup bulk --db`` run holds
SQLite's write lock to its end), a write waits ``busy_timeout``, then fails alone with
IndexBusyError; on a full disk, with IndexFullError; on a failing disk, with IndexIOError; on a
file that cannot be written, with ReadOnlyError. Nothing is written in any case, and reads go
on."""

from __future__ import annotations

import math
import os
import pickle
import resource
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dedup import ConfigError, Document
from dedup.collection import Collection
from dedup.errors import IndexBusyError, IndexFullError, IndexIOError, ReadOnlyError
from dedup.index._connect import RETRY_WAIT

WAIT = 0.05  # s: how long a write waits for the lock in these tests


@contextmanager
def held_write_lock(path: Path) -> Iterator[None]:
    """The file's write lock, held by a connection of its own as another process holds it."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


def fill_disk(collection: Collection) -> None:
    """No page more for the file, as on a full disk (SQLite answers SQLITE_FULL either way)."""
    pages = collection.connection.execute("PRAGMA page_count").fetchone()[0]
    collection.connection.execute(f"PRAGMA max_page_count = {pages}")


def free_disk(collection: Collection) -> None:
    """Room for the file again."""
    collection.connection.execute("PRAGMA max_page_count = 4294967294")


@contextmanager
def full_disk(collection: Collection) -> Iterator[None]:
    """:func:`fill_disk` inside the block."""
    fill_disk(collection)
    yield
    free_disk(collection)


@contextmanager
def failing_disk() -> Iterator[None]:
    """Every write of this process to a file fails inside the block, as on a failing disk: a
    file-size limit of 0 bytes (``RLIMIT_FSIZE``; Python ignores the SIGXFSZ that comes with
    it), which SQLite reports as an I/O error (``SQLITE_IOERR_WRITE``). Nothing may print in
    the block: pytest's captured output is a file too."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


@contextmanager
def unwritable(path: Path) -> Iterator[None]:
    """The file made impossible to write, as by its permissions (a directory: no file can be
    made in it, as on a read-only mount); for root, whom permissions do not stop, immutable
    (``chattr +i``)."""
    if os.geteuid() != 0:
        directory = path.is_dir()
        path.chmod(0o555 if directory else 0o444)
        try:
            yield
        finally:
            path.chmod(0o755 if directory else 0o644)
        return
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here to make a file read-only for root")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.fixture
def path(tmp_path: Path, sample: list[Document]) -> Path:
    """A collection file holding the sample's first article."""
    path = tmp_path / "articles.db"
    with Collection.open(path) as collection:
        collection.post(sample[0])
    return path


def test_a_post_while_another_process_writes_is_busy_and_stores_nothing(
    path: Path, sample: list[Document]
) -> None:
    with Collection.open(path, busy_timeout=WAIT) as collection:
        with held_write_lock(path), pytest.raises(IndexBusyError) as raised:
            collection.post(sample[1])
        assert sample[1].id not in collection
        assert collection.post(sample[1]).stored == "added"  # once the lock is free
    assert raised.value.waited == WAIT
    assert str(path) in str(raised.value)


def test_after_a_wait_in_vain_the_next_writes_wait_briefly_until_one_gets_the_lock(
    path: Path, sample: list[Document]
) -> None:
    """A bulk load holds the lock for minutes: the writes behind the first that waited for it
    are told so soon, not each after the whole wait."""
    with Collection.open(path, busy_timeout=0.6) as collection:
        waits = []
        with held_write_lock(path):
            for doc in sample[1:3]:
                with pytest.raises(IndexBusyError) as raised:
                    collection.post(doc)
                waits.append(raised.value.waited)
            pragma = collection.connection.execute("PRAGMA busy_timeout").fetchone()[0]
        collection.post(sample[1])
        assert collection.connection.execute("PRAGMA busy_timeout").fetchone()[0] == 600
    assert waits == [0.6, RETRY_WAIT] and pragma == RETRY_WAIT * 1000


def test_a_delete_while_another_process_writes_is_busy_and_deletes_nothing(
    path: Path, sample: list[Document]
) -> None:
    with Collection.open(path, busy_timeout=WAIT) as collection:
        with held_write_lock(path), pytest.raises(IndexBusyError):
            collection.delete(sample[0].id)
        assert sample[0].id in collection


def test_a_complete_file_opens_for_writing_and_reads_while_another_process_writes(
    path: Path, sample: list[Document]
) -> None:
    """Opening takes no write lock when the tables are there: a service can start its writer
    during a bulk load, and answer checks and lookups."""
    with held_write_lock(path), Collection.open(path, busy_timeout=WAIT) as collection:
        copy = Document("copy", sample[0].text)
        assert collection.check(copy).duplicate_of == sample[0].id
        assert collection.get(sample[0].id).id == sample[0].id


def test_the_busy_error_crosses_a_pipe_as_itself() -> None:
    """The service's writer process sends it back to be answered by its type."""
    crossed = pickle.loads(pickle.dumps(IndexBusyError("/data/index.db", 2.5)))
    assert isinstance(crossed, IndexBusyError)
    assert (crossed.path, crossed.waited) == ("/data/index.db", 2.5)


@pytest.mark.parametrize("wait", [-1, math.nan, 86401, True, "10"])
def test_busy_timeout_is_a_number_of_seconds_up_to_a_day(tmp_path: Path, wait: object) -> None:
    with pytest.raises(ConfigError, match="busy_timeout"):
        Collection.open(tmp_path / "articles.db", busy_timeout=wait)  # type: ignore[arg-type]


def test_a_post_on_a_full_disk_is_index_full_and_stores_nothing(
    path: Path, sample: list[Document]
) -> None:
    with Collection.open(path) as collection:
        with full_disk(collection), pytest.raises(IndexFullError) as raised:
            collection.post(sample[1])
        assert sample[1].id not in collection and not collection.in_transaction
        assert collection.post(sample[1]).stored == "added"  # once there is room again
    assert str(path) in str(raised.value)


def test_a_full_disk_inside_a_transaction_takes_all_of_it_back(
    path: Path, sample: list[Document]
) -> None:
    """SQLite rolls the whole transaction back: the posts before the one that found the disk
    full are gone too, and the error says so however deep the savepoint was."""
    with Collection.open(path) as collection:
        with full_disk(collection), pytest.raises(IndexFullError), collection.transaction():
            collection.post(sample[0])  # unchanged: it writes nothing
            with collection.transaction():
                collection.post(sample[1])
        assert len(collection) == 1 and sample[1].id not in collection


def test_the_full_disk_error_crosses_a_pipe_as_itself() -> None:
    crossed = pickle.loads(pickle.dumps(IndexFullError("/data/index.db")))
    assert isinstance(crossed, IndexFullError) and crossed.path == "/data/index.db"


def test_a_post_on_a_failing_disk_is_an_io_error_and_stores_nothing(
    path: Path, sample: list[Document]
) -> None:
    with Collection.open(path) as collection:
        with failing_disk(), pytest.raises(IndexIOError) as raised:
            collection.post(sample[1])
        assert sample[1].id not in collection and not collection.in_transaction
        assert collection.check(Document("copy", sample[0].text)).duplicate_of == sample[0].id
        assert collection.post(sample[1]).stored == "added"  # once the disk writes again
    assert raised.value.code.startswith("SQLITE_IOERR") and str(path) in str(raised.value)


def test_the_io_error_crosses_a_pipe_as_itself() -> None:
    crossed = pickle.loads(pickle.dumps(IndexIOError("/data/index.db", "SQLITE_IOERR_WRITE")))
    assert isinstance(crossed, IndexIOError)
    assert (crossed.path, crossed.code) == ("/data/index.db", "SQLITE_IOERR_WRITE")


def test_a_post_to_a_file_that_cannot_be_written_is_read_only_and_checks_go_on(
    path: Path, sample: list[Document]
) -> None:
    with unwritable(path), Collection.open(path) as collection:
        with pytest.raises(ReadOnlyError, match="cannot be written"):
            collection.post(sample[1])
        assert collection.check(Document("copy", sample[0].text)).duplicate_of == sample[0].id
        assert sample[1].id not in collection
