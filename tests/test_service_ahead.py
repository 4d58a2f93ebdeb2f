"""Work done ahead: computed once, by the reader that offers it or by the writer that takes it."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from dedup.collection import Collection
from dedup.errors import InputError
from dedup.types import Document
from service import create_app
from service.ahead import Ahead, prepare_ahead
from service.keys import READERS
from service.pools import AHEAD, CollectionPool
from service.remote import Reader
from tests.service_support import hold, settings


def counting() -> tuple[Ahead[str, str], list[str]]:
    calls: list[str] = []

    def compute(collection: str) -> str:
        calls.append(collection)
        return f"computed on {collection}"

    return Ahead(compute), calls


def test_a_result_computed_ahead_is_taken_without_computing_again() -> None:
    """Offered first: the reader computes it, the writer takes that result."""
    ahead, calls = counting()
    ahead.offer("reader")
    assert ahead.take("writer") == "computed on reader"
    assert calls == ["reader"]


def test_a_taker_that_comes_first_computes_and_the_late_offer_skips() -> None:
    """Taken first: the writer computes it; the reader job that runs later does nothing."""
    ahead, calls = counting()
    assert ahead.take("writer") == "computed on writer"
    ahead.offer("reader")
    assert calls == ["writer"]


def test_an_error_computed_ahead_reaches_the_taker() -> None:
    """A preparation that fails on the reader fails the post that takes it, with its error."""

    def fail(collection: str) -> str:
        raise InputError("bad text")

    ahead: Ahead[str, str] = Ahead(fail)
    ahead.offer("reader")
    with pytest.raises(InputError, match="bad text"):
        ahead.take("writer")


def test_the_taker_says_who_computed_the_result() -> None:
    """The ``taken`` callback hears "ahead", "taker" or "waited", once, when it is taken."""
    heard: list[str] = []
    first: Ahead[str, str] = Ahead(str.upper, heard.append)
    first.offer("reader")
    first.take("writer")
    second: Ahead[str, str] = Ahead(str.upper, heard.append)
    second.take("writer")
    second.offer("reader")
    started, release = threading.Event(), threading.Event()

    def slow(collection: str) -> str:
        started.set()
        release.wait(5)
        return collection

    third: Ahead[str, str] = Ahead(slow, heard.append)
    offering = threading.Thread(target=third.offer, args=("reader",))
    offering.start()
    started.wait(5)
    threading.Timer(0.05, release.set).start()
    assert third.take("writer") == "reader"
    offering.join(5)
    assert heard == ["ahead", "taker", "waited"]


def test_a_claim_takes_a_result_made_ahead() -> None:
    """A taker that computes elsewhere (the writer's process) gets what a reader made."""
    heard: list[str] = []
    ahead: Ahead[str, str] = Ahead(str.upper, heard.append)
    ahead.offer("reader")
    assert ahead.made
    assert ahead.claim() == (True, "READER")
    assert heard == ["ahead"]


def test_a_claim_before_any_reader_leaves_the_work_to_the_claimer() -> None:
    """Claimed before a reader started it: nothing is computed here, and no reader will."""
    ahead, calls = counting()
    assert not ahead.made
    assert ahead.claim() == (False, None)
    ahead.offer("reader")
    assert calls == []


async def busy_reader(
    aiohttp_client: Any, tmp_path: Path
) -> tuple[CollectionPool[Reader], threading.Event, asyncio.Future[Any]]:
    """An app's only reader, held busy until the event is set; jobs queue meanwhile."""
    client = await aiohttp_client(create_app(settings(tmp_path, readers=1)))
    readers = client.app[READERS]
    release = threading.Event()
    held = hold(readers, release)
    await asyncio.sleep(0.05)
    return readers, release, held


async def test_work_done_ahead_goes_before_waiting_requests(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    """On a busy reader, a job queued with the AHEAD priority runs before a request's job
    queued earlier, whose request arrived earlier too."""
    readers, release, held = await busy_reader(aiohttp_client, tmp_path)
    order: list[str] = []
    request = asyncio.ensure_future(readers.run(lambda _: order.append("request")))
    await asyncio.sleep(0.01)
    ahead = asyncio.ensure_future(readers.run(lambda _: order.append("ahead"), priority=AHEAD))
    await asyncio.sleep(0.05)
    release.set()
    await asyncio.gather(held, ahead, request)
    assert order == ["ahead", "request"]


async def test_the_job_of_the_oldest_request_runs_first(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    """A post's report, queued after the post waited for the writer, runs before a check
    that arrived later but was queued first; jobs of requests of the same moment keep their
    queueing order."""
    readers, release, held = await busy_reader(aiohttp_client, tmp_path)
    order: list[str] = []
    post_arrived = time.monotonic() - 0.5
    jobs = [
        ("check", None),
        ("report", post_arrived),
        ("other check", None),
        ("second report", post_arrived),
    ]
    queued = []
    for name, since in jobs:

        def note(_: Reader, name: str = name) -> None:
            order.append(name)

        queued.append(asyncio.ensure_future(readers.run(note, since=since)))
        await asyncio.sleep(0.01)
    release.set()
    await asyncio.gather(held, *queued)
    assert order == ["report", "second report", "check", "other check"]


async def test_no_work_is_offered_ahead_while_the_readers_queue_is_half_full(
    aiohttp_client: Any, tmp_path: Path, story: str
) -> None:
    """With half the readers' places taken, a post's preparation is not queued: it would take
    a place that a request needs, and the writer prepares the post itself."""
    client = await aiohttp_client(create_app(settings(tmp_path, readers=1, queue_size=4)))
    readers = client.app[READERS]
    assert readers.capacity == 5
    release = threading.Event()
    held = hold(readers, release)
    waiting = [asyncio.ensure_future(readers.run(lambda _: None)) for _ in range(2)]
    await asyncio.sleep(0.05)
    assert readers.depth == 2
    try:
        ahead = prepare_ahead(client.app, Document("p", story))
        await asyncio.sleep(0.05)
        assert readers.depth == 2  # nothing more was queued
    finally:
        release.set()
        await asyncio.gather(held, *waiting)
    with Collection.open(":memory:") as writer:
        assert ahead.take(writer).doc.id == "p"  # the taker computes it


async def test_work_is_offered_ahead_while_the_readers_queue_has_room(
    aiohttp_client: Any, tmp_path: Path, story: str
) -> None:
    client = await aiohttp_client(create_app(settings(tmp_path, readers=1, queue_size=4)))
    readers = client.app[READERS]
    release = threading.Event()
    held = hold(readers, release)
    await asyncio.sleep(0.05)
    try:
        prepare_ahead(client.app, Document("p", story))
        await asyncio.sleep(0.05)
        assert readers.depth == 1  # the offer waits behind the held job
    finally:
        release.set()
        await held
