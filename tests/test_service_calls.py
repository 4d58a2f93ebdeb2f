"""A reader thread keeps several calls in its process's pipe, and each answer reaches its own
caller: in order, as errors when the process dies under them, after the calls before it when
a job talks to the process itself."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

from dedup.collection import Collection
from dedup.types import Document
from service.ahead import Ahead, Offer
from service.calls import IN_FLIGHT, Call
from service.pools import CollectionPool
from service.remote import ReaderLost, RemoteCollection
from tests.service_support import hold


class Recording(RemoteCollection):
    """A reader process whose thread notes each call it sends and each answer it reads."""

    def __init__(self, db: str, events: list[str]) -> None:
        super().__init__(db, None)
        self.events = events

    def send(self, call: Call[Any]) -> None:
        self.events.append("send")
        super().send(call)

    def receive(self) -> tuple[bool, Any]:
        self.events.append("receive")
        return super().receive()


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A file with three short documents."""
    path = tmp_path / "c.db"
    with Collection.open(path) as collection:
        for k in range(3):
            collection.post(Document(f"d{k}", f"Document number {k} says something of its own."))
    return str(path)


async def one_reader(db: str, events: list[str]) -> CollectionPool[RemoteCollection]:
    pool: CollectionPool[RemoteCollection] = CollectionPool(
        "reader", lambda: Recording(db, events), threads=1, queue_size=16
    )
    await pool.start()
    return pool


async def queued_behind_a_held_job(
    pool: CollectionPool[Any], jobs: list[Any]
) -> list[asyncio.Future[Any]]:
    """Queue ``jobs`` while the pool's one thread is held, then let it go."""
    release = threading.Event()
    held = hold(pool, release)
    await asyncio.sleep(0.05)
    futures = [asyncio.ensure_future(pool.run(job)) for job in jobs]
    await asyncio.sleep(0.05)
    release.set()
    await held
    return futures


async def test_a_reader_thread_sends_several_calls_before_reading_an_answer(db: str) -> None:
    events: list[str] = []
    pool = await one_reader(db, events)
    try:
        futures = await queued_behind_a_held_job(pool, [Call("__len__")] * (IN_FLIGHT + 2))
        assert await asyncio.gather(*futures) == [3] * (IN_FLIGHT + 2)
    finally:
        await pool.stop()
    in_pipe = most = 0
    for event in events:
        in_pipe += 1 if event == "send" else -1
        most = max(most, in_pipe)
    assert events[:IN_FLIGHT] == ["send"] * IN_FLIGHT
    assert most == IN_FLIGHT


async def test_each_answer_reaches_its_own_caller_finished_on_the_thread(db: str) -> None:
    pool = await one_reader(db, [])
    try:
        calls = [Call("get", (f"d{k}",), finish=lambda view: view.id) for k in (2, 0, 1)]
        futures = await queued_behind_a_held_job(pool, calls)
        assert await asyncio.gather(*futures) == ["d2", "d0", "d1"]
    finally:
        await pool.stop()


async def test_a_job_that_talks_to_the_process_itself_runs_after_the_calls_before_it(
    db: str,
) -> None:
    """The calls' answers are read first, so the job reads its own answer, not theirs."""
    pool = await one_reader(db, [])
    try:
        jobs = [Call("get", ("d0",)), lambda reader: reader.__len__(), Call("get", ("d1",))]
        first, count, last = await asyncio.gather(*await queued_behind_a_held_job(pool, jobs))
        assert (first.id, count, last.id) == ("d0", 3, "d1")
    finally:
        await pool.stop()


async def test_an_error_of_one_call_fails_that_call_alone(db: str) -> None:
    pool = await one_reader(db, [])
    try:
        jobs = [Call("get", ("d0",)), Call("get", ("nowhere",)), Call("__len__")]
        found = await asyncio.gather(
            *await queued_behind_a_held_job(pool, jobs), return_exceptions=True
        )
        assert found[0].id == "d0" and found[2] == 3
        assert isinstance(found[1], Exception) and "nowhere" in str(found[1])
    finally:
        await pool.stop()


async def test_a_call_that_cannot_be_sent_fails_alone_after_those_before_it(db: str) -> None:
    """Its arguments cannot be pickled: nothing crossed, the calls before and after it are
    answered as usual."""
    pool = await one_reader(db, [])
    try:
        jobs = [Call("get", ("d0",)), Call("get", (lambda: "d1",)), Call("__len__")]
        found = await asyncio.gather(
            *await queued_behind_a_held_job(pool, jobs), return_exceptions=True
        )
        assert found[0].id == "d0" and found[2] == 3
        assert isinstance(found[1], Exception)
    finally:
        await pool.stop()


async def test_calls_in_the_pipe_of_a_dead_process_fail_and_the_next_call_starts_another(
    db: str,
) -> None:
    """Each call sent to the dead process fails with ReaderLost, a preparation offered ahead
    among them hands the error to the writer that waits for it, and the next call starts
    another process."""
    events: list[str] = []
    pool = await one_reader(db, events)
    reader_pid = await pool.run(lambda reader: reader.pid)
    ahead: Ahead[Any, Any] = Ahead(lambda reader: reader.prepare(Document("p", "text")))
    try:
        os.kill(reader_pid, signal.SIGSTOP)  # it reads nothing more: what is sent stays
        jobs = [Call("__len__"), Offer("prepare", (Document("p", "text"),), ahead=ahead)]
        futures = [asyncio.ensure_future(pool.run(job)) for job in jobs]
        for _ in range(200):
            if events.count("send") == len(jobs):
                break
            await asyncio.sleep(0.01)
        assert events.count("send") == len(jobs)
        os.kill(reader_pid, signal.SIGKILL)
        found = await asyncio.gather(*futures, return_exceptions=True)
        assert isinstance(found[0], ReaderLost)
        assert found[1] is None  # the offer's job answers nothing; its ahead has the error
        with pytest.raises(ReaderLost):
            ahead.take(None)
        assert await pool.run(Call("__len__")) == 3
        assert await pool.run(lambda reader: reader.pid) != reader_pid
    finally:
        await pool.stop()


async def test_a_call_whose_claim_fails_is_not_sent(db: str) -> None:
    """A preparation the writer took first is skipped: nothing crosses, the job answers None."""
    events: list[str] = []
    pool = await one_reader(db, events)
    ahead: Ahead[Any, Any] = Ahead(lambda reader: "made by the writer")
    try:
        assert ahead.take(None) == "made by the writer"
        assert await pool.run(Offer("prepare", (Document("p", "text"),), ahead=ahead)) is None
        assert events == []
    finally:
        await pool.stop()
