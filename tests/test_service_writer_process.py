"""The writer in a child process of its own (the default ``writer_mode``): the same answers as
the writer thread, batches that keep a failing call apart, preparations that cross or are made
there, and a child that dies failing only its batch."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from dedup.collection import Collection, Prepared
from dedup.errors import DocumentNotFoundError, InputError
from dedup.types import Document
from service.ahead import Ahead
from service.app import WAL_BOUND_PAGES, WARM_UP
from service.batches import Batch
from service.keys import WRITER
from service.remote import Packed, Preparation, Reader, RemoteCollection
from service.writer import (
    OutOfStep,
    RemoteWriter,
    WriteCall,
    WriterLost,
    _stream,
    delete_call,
    post_call,
    read_done,
)
from tests.service_support import (
    answers_in_each_mode,
    post,
    post_with_reprints,
    settings,
    start_client,
)
from tests.test_service_reader_processes import children, gone_within

NO_WINDOW: dict[str, Any] = {}
Client = TestClient[Any, Any]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("writer") / "index.db"


@pytest.fixture(scope="module")
def writer(db: Path) -> Iterator[RemoteWriter]:
    remote = RemoteWriter(str(db), None, WARM_UP, WAL_BOUND_PAGES)
    yield remote
    remote.close()


def stored(db: Path, doc_id: str) -> bool:
    """Whether a connection of this process (so: committed data only) sees ``doc_id``."""
    with Collection.open(db, readonly=True) as other:
        return doc_id in other


def fresh(doc: Document, heard: list[str] | None = None) -> Ahead[Reader, Preparation]:
    """``doc``'s preparation, not offered to any reader yet."""
    return Ahead(lambda col: col.prepare(doc), heard.append if heard is not None else None)


def post_of(doc: Document) -> WriteCall[Any]:
    return post_call(doc, fresh(doc), NO_WINDOW)


def test_a_failing_call_fails_alone_and_its_batch_commits(
    writer: RemoteWriter, db: Path, story: str
) -> None:
    """A delete of a missing document between two posts: its error crosses as itself, the
    posts are committed (another connection sees them)."""
    batch = writer.run_batch(
        [
            post_of(Document("wp-a", story)),
            delete_call("wp-missing"),
            post_of(Document("wp-b", story + " And more.")),
        ]
    )
    assert batch.committed
    (ok_a, pending_a), (ok_missing, error), (ok_b, pending_b) = batch.outcomes
    assert ok_a and ok_b and not ok_missing
    assert isinstance(error, DocumentNotFoundError)
    assert pending_a.verdict.status == "new"
    assert pending_b.verdict.duplicate_of == "wp-a"
    assert stored(db, "wp-a") and stored(db, "wp-b")


def test_a_preparation_made_ahead_crosses_with_its_post(
    writer: RemoteWriter, db: Path, story: str
) -> None:
    """The writer's process uses what a reader prepared: one prepared for another document
    makes the post fail there, which it could only do if it crossed."""
    heard: list[str] = []
    with Collection.open(db, readonly=True) as reader:
        ahead: Ahead[Reader, Preparation] = Ahead(
            lambda col: col.prepare(Document("other", story)), heard.append
        )
        ahead.offer(reader)
    batch = writer.run_batch([post_call(Document("wp-c", story), ahead, NO_WINDOW)])
    [(ok, error)] = batch.outcomes
    assert not ok and isinstance(error, InputError)
    assert heard == ["ahead"]
    assert not stored(db, "wp-c")


def test_a_packed_preparation_is_unpacked_in_the_writer_process(
    writer: RemoteWriter, db: Path, story: str
) -> None:
    """A reader's process hands its preparation over packed; the writer's process unpacks
    and uses it (one packed for another document fails the post there)."""
    with Collection.open(db, readonly=True) as reader:
        made = reader.prepare(Document("wp-p", story + " Packed."))
        other = reader.prepare(Document("other", story))
    good: Ahead[Reader, Preparation] = Ahead(lambda col: Packed.of(made))
    bad: Ahead[Reader, Preparation] = Ahead(lambda col: Packed.of(other))
    with Collection.open(db, readonly=True) as reader:
        good.offer(reader)
        bad.offer(reader)
    batch = writer.run_batch(
        [
            post_call(Document("wp-p", story + " Packed."), good, NO_WINDOW),
            post_call(Document("wp-q", story), bad, NO_WINDOW),
        ]
    )
    [(ok, pending), (failed, error)] = batch.outcomes
    assert ok and pending.prepared.doc.id == "wp-p"
    assert not failed and isinstance(error, InputError)
    assert stored(db, "wp-p") and not stored(db, "wp-q")


def test_a_preparation_no_reader_started_is_made_by_the_writer_process(
    writer: RemoteWriter, db: Path, story: str
) -> None:
    heard: list[str] = []
    ahead = fresh(Document("wp-d", story + " Later."), heard)
    batch = writer.run_batch([post_call(Document("wp-d", story + " Later."), ahead, NO_WINDOW)])
    [(ok, pending)] = batch.outcomes
    assert ok and pending.prepared.doc.id == "wp-d"
    assert heard == ["taker"]


def test_a_preparation_that_failed_on_a_reader_fails_its_post_alone(
    writer: RemoteWriter, db: Path, story: str
) -> None:
    def fail(col: Reader) -> Prepared:
        raise InputError("could not prepare")

    failing: Ahead[Reader, Preparation] = Ahead(fail)
    with Collection.open(db, readonly=True) as reader:
        failing.offer(reader)
    batch = writer.run_batch(
        [
            post_call(Document("wp-e", "A lone line."), failing, NO_WINDOW),
            post_of(Document("wp-f", story + " Still later.")),
        ]
    )
    assert [ok for ok, _ in batch.outcomes] == [False, True]
    assert isinstance(batch.outcomes[0][1], InputError)
    assert stored(db, "wp-f") and not stored(db, "wp-e")


def test_only_write_calls_cross_to_the_writer_process(writer: RemoteWriter) -> None:
    with pytest.raises(TypeError):
        writer.run_batch([lambda col: col.delete("x")])


def test_a_dead_writer_child_fails_its_batch_and_is_replaced(tmp_path: Path, story: str) -> None:
    remote = RemoteWriter(str(tmp_path / "index.db"), None, None, WAL_BOUND_PAGES)
    try:
        first = remote.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        assert gone_within({first}, 10)
        with pytest.raises(WriterLost):
            remote.run_batch([delete_call("x")])
        batch = remote.run_batch([post_of(Document("after", story))])
        assert batch.committed and batch.outcomes[0][0]
        assert remote.pid not in (None, first)
    finally:
        remote.close()


def test_a_dead_writer_child_is_reported_once_when_found(tmp_path: Path, story: str) -> None:
    """The ``died`` hook (the service counts it in its metrics) runs once for a dead child,
    when a batch finds it gone, and not for the child started after it."""
    deaths: list[int] = []
    remote = RemoteWriter(
        str(tmp_path / "index.db"), None, None, WAL_BOUND_PAGES, died=lambda: deaths.append(1)
    )
    try:
        first = remote.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        assert gone_within({first}, 10)
        assert deaths == []
        with pytest.raises(WriterLost):
            remote.run_batch([delete_call("x")])
        remote.run_batch([post_of(Document("after", story))])
        assert deaths == [1]
    finally:
        remote.close()


async def test_process_writer_answers_what_thread_writer_answers(
    tmp_path: Path, long_english_articles: list[str]
) -> None:
    """Posts, re-posts, reprints, deletes and lookups get the same bodies in both modes."""
    texts = long_english_articles[:3]

    async def ask(client: Client) -> list[Any]:
        answers = await post_with_reprints(client, texts)
        answers.append(await post(client, "/v1/documents", {"id": "d0", "text": texts[0]}))
        for path in ("/v1/documents/d1", "/v1/documents/missing"):
            response = await client.delete(path)
            answers.append(response.status)
        response = await client.get("/v1/documents/r0")
        answers.append((response.status, await response.json()))
        return answers

    bodies = await answers_in_each_mode(tmp_path, "writer_mode", ask)
    assert bodies["process"] == bodies["thread"]
    assert [status for status, _ in bodies["process"][:6]] == [201] * 6
    assert bodies["process"][1][1]["status"] == "near_duplicate"
    assert bodies["process"][6][1]["stored"] == "unchanged"
    assert bodies["process"][7:9] == [204, 404]


async def test_fifty_concurrent_posts_of_one_article_give_one_new_through_the_process(
    tmp_path: Path, article: str
) -> None:
    client = await start_client(settings(tmp_path, writer_mode="process"))
    try:
        answers = await asyncio.gather(
            *(post(client, "/v1/documents", {"id": f"c{k}", "text": article}) for k in range(50))
        )
        statuses = [body["status"] for _, body in answers]
        assert statuses.count("new") == 1
        first = next(body["id"] for _, body in answers if body["status"] == "new")
        assert {body["duplicate_of"] for _, body in answers} == {None, first}
    finally:
        await client.close()


async def test_the_writer_process_carries_its_name_and_ends_with_the_app(tmp_path: Path) -> None:
    own = children(os.getpid())
    client = await start_client(settings(tmp_path, writer_mode="process"))
    try:
        assert client.app[WRITER].started
        started = children(os.getpid()) - own
        assert len(started) == 1
        [child] = started
        with open(f"/proc/{child}/comm") as handle:  # the child's main thread
            assert handle.read().strip() == "dedup-writer"
    finally:
        await client.close()
    assert gone_within(started, 15)


def test_reader_processes_give_up_the_cpu_priority_they_are_told(tmp_path: Path) -> None:
    Collection.open(tmp_path / "index.db").close()
    reader = RemoteCollection(str(tmp_path / "index.db"), None, nice=3)
    try:
        assert reader.pid is not None
        own = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, reader.pid) == min(own + 3, 19)
    finally:
        reader.close()


def test_write_calls_run_here_as_they_would_there(tmp_path: Path, story: str) -> None:
    """In ``writer_mode = "thread"`` the same call runs against the writer thread's own
    collection, its preparation taken (or made) here."""
    with Collection.open(tmp_path / "index.db") as collection:
        call: WriteCall[Any] = post_of(Document("here", story))
        with collection.transaction():
            pending = call(collection)
        assert pending.verdict.status == "new"
        assert "here" in collection


def test_a_packed_preparation_is_unpacked_by_the_writer_thread(tmp_path: Path, story: str) -> None:
    """In ``writer_mode = "thread"`` a preparation packed by a reader's process is unpacked
    here and used."""
    doc = Document("here", story)
    with Collection.open(tmp_path / "index.db") as collection:
        made = collection.prepare(doc)
        packed: Ahead[Reader, Preparation] = Ahead(lambda col: Packed.of(made))
        packed.offer(collection)
        with collection.transaction():
            pending = post_call(doc, packed, NO_WINDOW)(collection)
        assert pending.prepared is not made and pending.prepared.doc == doc
        assert "here" in collection


def test_the_child_is_asked_if_done_only_before_a_job_no_reader_prepared(story: str) -> None:
    """A batch's calls go one after the other without waiting for the child; only before a
    job whose preparation no reader has made does the thread ask the child whether it is done
    with those before (and wait for its word), so that the readers get that long."""
    ours, theirs = multiprocessing.Pipe()
    made: Ahead[Reader, Preparation] = Ahead(lambda col: col.prepare(Document("a", story)))
    with Collection.open(":memory:") as collection:
        made.offer(collection)
    not_made: Ahead[Reader, Preparation] = Ahead(lambda col: col.prepare(Document("b", story)))
    calls = [
        post_call(Document("a", story), made, NO_WINDOW),
        delete_call("x"),
        post_call(Document("b", story), not_made, NO_WINDOW),
    ]
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(_stream(ours, calls)), daemon=True)
    thread.start()

    def hear() -> Any:
        assert theirs.poll(10), "the thread sent nothing more"
        return theirs.recv()

    try:
        heard = [hear() for _ in range(3)]
        assert [word if isinstance(word, str) else word[0] for word in heard] == [
            "post_pending",
            "delete",
            "sync",
        ]
        assert "prepared" in heard[0][2]
        theirs.send("done")
        verb, _, kwargs = hear()
        assert verb == "post_pending" and "prepared" not in kwargs  # the child prepares it
        assert hear() == "commit"
        theirs.send((True, Batch([(True, 1), (True, 2), (True, 3)], True)))
        thread.join(10)
        assert result[0].outcomes == [(True, 1), (True, 2), (True, 3)]
    finally:
        ours.close()
        theirs.close()


def test_a_word_out_of_the_batch_protocol_is_refused() -> None:
    """While a batch streams, the child only says it is done with a call; anything else
    means the two sides are out of step (the writer thread then replaces the child)."""
    ours, theirs = multiprocessing.Pipe()
    try:
        theirs.send("done")
        theirs.send((True, "an answer too early"))
        read_done(ours)
        with pytest.raises(OutOfStep):
            read_done(ours)
    finally:
        ours.close()
        theirs.close()
