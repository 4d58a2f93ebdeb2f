"""A bounded slowloris on loopback: a hundred connections trickle a request head byte by byte;
normal clients are still served, and the server closes the slow ones at its idle timeout."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from tests.service_support import LOOPBACK, settings, start_client

SLOW = 100  # connections
NORMAL = 8  # normal requests made while the slow connections are open
IDLE_TIMEOUT = 1.5  # s, the server's idle_timeout
TRICKLE = 0.1  # s between two bytes of a slow head
GIVE_UP = IDLE_TIMEOUT + 4.0  # s a slow client trickles before it stops waiting to be closed
HEAD = (
    b"POST /v1/documents HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nX-Pad: "
)


@dataclass
class Outcome:
    """What one slowloris run saw."""

    closed_after: list[float | None]  # per slow connection: s until the server closed it
    normal: list[tuple[int, float]]  # per normal request: status and latency
    normal_done: float  # s from the start until the last normal request was answered


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


async def normal_requests(client: TestClient[Any, Any], count: int) -> list[tuple[int, float]]:
    """``count`` posts and gets, one after another, spread over the slowloris; status, latency."""
    seen: list[tuple[int, float]] = []
    for k in range(count):
        await asyncio.sleep(0.1)
        started = time.monotonic()
        if k % 2:
            response = await client.get(f"/v1/documents/n{k - 1}")
        else:
            text = f"Story {k}: the harbour council met on a windy day to talk about the ferry."
            response = await client.post("/v1/documents", json={"id": f"n{k}", "text": text})
        await response.read()
        seen.append((response.status, time.monotonic() - started))
    return seen


async def slowloris(tmp_path: Path) -> Outcome:
    client = await start_client(settings(tmp_path, idle_timeout=IDLE_TIMEOUT))
    try:
        port = client.port
        assert port is not None
        started = time.monotonic()
        slow = [asyncio.ensure_future(slow_connection(port)) for _ in range(SLOW)]
        await asyncio.sleep(0.2)  # every slow connection is open and trickling
        normal = await normal_requests(client, NORMAL)
        done = time.monotonic() - started
        return Outcome(list(await asyncio.gather(*slow)), normal, done)
    finally:
        await client.close()


async def test_normal_clients_are_served_during_a_slowloris(tmp_path: Path) -> None:
    """While a hundred connections trickle request heads, posts and gets answer 2xx at once."""
    outcome = await slowloris(tmp_path)
    assert [status for status, _ in outcome.normal] == [201, 200] * (NORMAL // 2)
    assert max(latency for _, latency in outcome.normal) < 0.5
    open_until = [after for after in outcome.closed_after if after is not None]
    assert outcome.normal_done < min(open_until, default=outcome.normal_done + 1)


async def test_slow_connections_are_closed_at_the_idle_timeout(tmp_path: Path) -> None:
    """Each trickling connection is closed by the server soon after idle_timeout, though it
    keeps sending bytes."""
    outcome = await slowloris(tmp_path)
    closed = outcome.closed_after
    assert None not in closed, f"{closed.count(None)} of {SLOW} slow connections still open"
    times = [after for after in closed if after is not None]
    assert all(IDLE_TIMEOUT * 0.9 < after < IDLE_TIMEOUT + 2.0 for after in times), times
