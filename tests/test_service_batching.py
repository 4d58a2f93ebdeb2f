"""Group commit: the writer runs the posts waiting for it in one transaction, answers them only
after its commit, and keeps a failing post from taking its neighbours down."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from dedup.collection import Collection
from dedup.errors import InputError
from dedup.types import Document
from service.batches import TransactionLost, run_batch
from service.keys import SETTINGS, WRITER
from service.writer import open_writer

Client = TestClient[Any, Any]


def stored_elsewhere(client: Client, doc_id: str) -> bool:
    """Whether a fresh connection of its own (so: committed data only) sees ``doc_id``."""
    with Collection.open(client.app[SETTINGS].db, readonly=True) as other:
        return doc_id in other


async def queued_behind_held_writer(
    client: Client, jobs: list[Any]
) -> tuple[list[asyncio.Future[Any]], threading.Event, asyncio.Future[Any]]:
    """Hold the writer on one job, queue ``jobs`` behind it; returns their futures."""
    writer = client.app[WRITER]
    release = threading.Event()
    held = asyncio.ensure_future(writer.run(lambda _: release.wait(10)))
    await asyncio.sleep(0.05)  # the held job is running: the rest queue up behind it
    futures = []
    for job in jobs:
        futures.append(asyncio.ensure_future(writer.run(job)))
        await asyncio.sleep(0)
    await asyncio.sleep(0.05)
    return futures, release, held


async def test_a_failing_post_in_a_batch_keeps_its_neighbours(
    client: Client, long_english_articles: list[str]
) -> None:
    """Posts queued around one that fails are stored; the failing one gets its own error."""
    article, other = long_english_articles[:2]
    paragraphs = article.split("\n\n")

    def bad(col: Collection) -> None:
        col.post(_doc("ok-1", paragraphs[0]))  # its writes go with it
        raise InputError("a bad post")

    jobs = [
        lambda col: col.post(_doc("a", article)).status,
        bad,
        lambda col: col.post(_doc("b", other)).status,
    ]
    futures, release, held = await queued_behind_held_writer(client, jobs)
    release.set()
    await held
    results = await asyncio.gather(*futures, return_exceptions=True)
    assert results[0] == "new" and results[2] == "new"
    assert isinstance(results[1], InputError)
    assert stored_elsewhere(client, "a") and stored_elsewhere(client, "b")
    assert not stored_elsewhere(client, "ok-1")


async def test_posts_of_a_batch_are_answered_after_their_commit(
    client: Client, article: str
) -> None:
    """A later post of a batch sees an earlier one (same transaction) before any other
    connection can; each answer arrives only once a fresh connection sees its document."""
    seen_during_batch: list[tuple[bool, bool]] = []

    def second(col: Collection) -> str:
        verdict = col.post(_doc("copy", article))
        seen_during_batch.append(
            (verdict.duplicate_of == "first", stored_elsewhere(client, "first"))
        )
        return verdict.status

    jobs = [lambda col: col.post(_doc("first", article)).status, second]
    futures, release, held = await queued_behind_held_writer(client, jobs)
    release.set()
    await held
    for future, doc_id in zip(futures, ["first", "copy"], strict=True):
        await future
        assert stored_elsewhere(client, doc_id)
    assert [f.result() for f in futures] == ["new", "duplicate"]
    # Within the batch the copy saw "first", which no other connection could see yet.
    assert seen_during_batch == [(True, False)]
    assert stored_elsewhere(client, "first") and stored_elsewhere(client, "copy")


async def test_a_lost_transaction_fails_its_whole_batch_and_the_next_one_works(
    client: Client, article: str
) -> None:
    """A job that ends the batch's transaction (as an I/O error would) fails every job of the
    batch, none of which is stored; the writer goes on with the next batch."""

    def lose(col: Collection) -> None:
        col.connection.execute("ROLLBACK")

    jobs = [lambda col: col.post(_doc("lost", article)).status, lose]
    futures, release, held = await queued_behind_held_writer(client, jobs)
    release.set()
    await held
    results = await asyncio.gather(*futures, return_exceptions=True)
    assert isinstance(results[0], TransactionLost)
    assert isinstance(results[1], Exception)  # its own error: its savepoint was gone
    assert not stored_elsewhere(client, "lost")
    response = await client.post("/v1/documents", json={"id": "after", "text": article})
    assert response.status == 201
    assert stored_elsewhere(client, "after")


def test_a_lost_batch_reads_its_stream_of_jobs_to_the_end(tmp_path: Path, article: str) -> None:
    """The jobs after a lost transaction are still taken from their stream (the writer's
    process reads them from its pipe), each failing with the batch's error."""
    taken: list[str] = []

    def lose(col: Collection) -> None:
        col.connection.execute("ROLLBACK")

    def stream() -> Iterator[Callable[[Collection], object]]:
        for name, job in [
            ("post", lambda col: col.post(_doc("gone", article)).status),
            ("lose", lose),
            ("after", lambda col: col.post(_doc("never", article)).status),
            ("last", lambda col: None),
        ]:
            taken.append(name)
            yield job

    with Collection.open(tmp_path / "index.db") as collection:
        batch = run_batch(collection, stream())
        assert "gone" not in collection and "never" not in collection
    assert not batch.committed
    assert taken == ["post", "lose", "after", "last"]
    assert [ok for ok, _ in batch.outcomes] == [False] * 4
    assert isinstance(batch.outcomes[0][1], TransactionLost)
    assert all(error is batch.outcomes[0][1] for _, error in batch.outcomes[2:])


async def test_the_wal_is_checkpointed_off_the_writer(
    client: Client, article: str, tmp_path: Path
) -> None:
    """Soon after a post, the database file alone (its WAL left behind) holds it: the
    checkpoint thread copied it there, though the writer no longer checkpoints every 1,000
    pages."""
    response = await client.post("/v1/documents", json={"id": "d1", "text": article})
    assert response.status == 201
    db = Path(client.app[SETTINGS].db)
    assert await reaches_the_file(db, "d1", tmp_path / "snapshot.db")


async def reaches_the_file(db: Path, doc_id: str, snapshot: Path) -> bool:
    """Whether, within 5 s, a copy of the database file alone (its WAL left behind) holds
    ``doc_id``."""
    for _ in range(100):
        shutil.copyfile(db, snapshot)
        with Collection.open(snapshot, readonly=True) as alone:
            if doc_id in alone:
                return True
        snapshot.unlink()
        await asyncio.sleep(0.05)
    return False


async def test_pages_a_reader_held_back_are_checkpointed_without_another_commit(
    client: Client, article: str, tmp_path: Path
) -> None:
    """A reader still reading an older snapshot when the post commits stops the checkpoint
    short of the post's pages; once it is done they reach the file, though nothing else is
    committed."""
    db = Path(client.app[SETTINGS].db)
    reader = sqlite3.connect(db, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM documents").fetchone()  # holds this snapshot
        response = await client.post("/v1/documents", json={"id": "d1", "text": article})
        assert response.status == 201
        await asyncio.sleep(0.3)  # the commit's checkpoint runs while the snapshot is held
        reader.execute("COMMIT")
    finally:
        reader.close()
    assert await reaches_the_file(db, "d1", tmp_path / "snapshot.db")


def _doc(doc_id: str, text: str) -> Document:
    return Document(doc_id, text)


def test_the_writer_keeps_its_savepoint_journal_in_memory(tmp_path: Path) -> None:
    """Each post of a batch runs in a savepoint: the writer's journal of them stays in memory
    (``Collection.journal_savepoints_in_memory``), not in a temporary file."""
    collection = open_writer(str(tmp_path / "articles.db"), None, None, 1000)
    try:
        assert collection.connection.execute("PRAGMA temp_store").fetchone()[0] == 2
    finally:
        collection.close()
