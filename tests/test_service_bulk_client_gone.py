"""Clients that leave early: what they posted stays, and the service goes on.

A client that leaves a bulk answer half read: the answer has begun (200, streamed), so the
handler cannot turn a dead connection into a problem answer; it must end quietly, not as a
500 in the logs and in ``/metrics``. A client that leaves while its body is being read, before
any answer: counted as 499 (nginx's "client closed request"), not as a 500. The service runs
with its own runner options here: aiohttp's test server cancels a handler whose client leaves
(``handler_cancellation=True``), which the service's runner does not.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.service_support import raw_request, settings, threaded_service


async def bulk_statuses(
    session: aiohttp.ClientSession, url: str, route: str = "/v1/documents/bulk"
) -> dict[str, float]:
    """``status -> count`` of a route's requests, read from ``/metrics``."""
    async with session.get(f"{url}/metrics") as response:
        text = await response.text()
    counts: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("dedup_http_requests_total{") and f'route="{route}"' in line:
            labels, value = line.rsplit(" ", 1)
            status = labels.split('status="', 1)[1].split('"', 1)[0]
            counts[status] = counts.get(status, 0.0) + float(value)
    return counts


async def test_a_client_gone_mid_body_leaves_its_posts_stored_and_no_500(
    tmp_path: Path, article: str
) -> None:
    never = asyncio.Event()  # the second line is never sent: the client leaves first

    async def body() -> AsyncIterator[bytes]:
        yield (json.dumps({"id": "left-1", "text": article}) + "\n").encode()
        await never.wait()
        yield b""

    with threaded_service(settings(tmp_path)) as url:
        async with aiohttp.ClientSession() as session, asyncio.timeout(30):
            response = await session.post(
                f"{url}/v1/documents/bulk",
                data=body(),
                headers={"Content-Type": "application/x-ndjson"},
            )
            first = json.loads(await response.content.readline())
            response.close()  # drops the connection with the body unfinished
            while not await bulk_statuses(session, url):  # counted once the handler returned
                await asyncio.sleep(0.05)

            assert first["id"] == "left-1"
            assert await bulk_statuses(session, url) == {"200": 1.0}
            async with session.get(f"{url}/v1/documents/left-1") as stored:
                assert stored.status == 200


@pytest.mark.parametrize(
    ("route", "media_type"),
    [("/v1/documents", "application/json"), ("/v1/documents/bulk", "application/x-ndjson")],
)
async def test_a_client_gone_before_its_body_ends_is_counted_499_and_stores_nothing(
    tmp_path: Path, route: str, media_type: str
) -> None:
    """The body promised 500 bytes; the client sends a few and closes the connection."""
    head = f"POST {route} HTTP/1.1\r\nHost: x\r\nContent-Type: {media_type}\r\n"
    with threaded_service(settings(tmp_path)) as url:
        port = url.rsplit(":", 1)[1]
        async with aiohttp.ClientSession() as session, asyncio.timeout(30):
            body = f"{head}Content-Length: 500\r\n\r\n".encode() + b'{"id": "x", "te'
            # closed after 0.2 s with the body unfinished, while the handler reads it
            await raw_request(int(port), body, wait=0.2)
            while not await bulk_statuses(session, url, route):
                await asyncio.sleep(0.05)
            assert await bulk_statuses(session, url, route) == {"499": 1.0}
            async with session.get(f"{url}/v1/documents/x") as stored:
                assert stored.status == 404
