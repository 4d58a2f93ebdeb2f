"""Concurrency: posts are atomic check-and-insert, reads never queue behind writes, and full
queues answer 503 with Retry-After instead of waiting."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from service import create_app
from service.keys import READERS, WRITER
from tests.service_support import hold, settings

Client = TestClient[Any, Any]


async def post_all(
    client: Client, bodies: list[dict[str, Any]]
) -> list[tuple[int, dict[str, Any]]]:
    async def one(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = await client.post("/v1/documents", json=body)
        return response.status, await response.json()

    return await asyncio.gather(*(one(b) for b in bodies))


async def test_fifty_concurrent_posts_of_one_article_give_exactly_one_new(
    client: Client, story: str
) -> None:
    """50 concurrent posts of one new article under 50 ids: one new, 49 duplicates of it."""
    answers = await post_all(client, [{"id": f"c{k:02d}", "text": story} for k in range(50)])
    statuses = Counter(body["status"] for _, body in answers)
    assert statuses == {"new": 1, "duplicate": 49}
    first = next(body["id"] for _, body in answers if body["status"] == "new")
    assert {body["duplicate_of"] for _, body in answers if body["status"] != "new"} == {first}
    assert {status for status, _ in answers} == {201}


async def test_fifty_concurrent_posts_of_one_id_store_it_once(client: Client, article: str) -> None:
    """50 concurrent posts of the same id and text: one 201 added, 49 answers 200 unchanged."""
    answers = await post_all(client, [{"id": "same", "text": article}] * 50)
    assert Counter((s, b["status"], b["stored"]) for s, b in answers) == {
        (201, "new", "added"): 1,
        (200, "duplicate", "unchanged"): 49,
    }
    assert {b["duplicate_of"] for _, b in answers if b["status"] == "duplicate"} == {"same"}
    assert (await (await client.get("/readyz")).json())["documents"] == 1


async def test_reads_answer_while_the_writer_is_busy(client: Client, article: str) -> None:
    """With the writer thread held, checks and lookups still answer: they run on readers."""
    await client.post("/v1/documents", json={"id": "a1", "text": article})
    release = threading.Event()
    held = hold(client.app[WRITER], release)  # type: ignore[index]
    try:
        async with asyncio.timeout(5):
            check = await client.post("/v1/check", json={"id": "q", "text": article})
            lookup = await client.get("/v1/documents/a1")
        assert (check.status, lookup.status) == (200, 200)
        assert (await check.json())["duplicate_of"] == "a1"
    finally:
        release.set()
        await held


async def test_a_full_reader_queue_answers_503_with_retry_after(
    aiohttp_client: Any, tmp_path: Path, article: str
) -> None:
    """One reader and a queue of one, both taken: a check is 503 with Retry-After at once."""
    client = await aiohttp_client(create_app(settings(tmp_path, readers=1, queue_size=1)))
    readers = client.app[READERS]
    release = threading.Event()
    held = [hold(readers, release), hold(readers, release)]
    await asyncio.sleep(0.05)
    try:
        response = await client.post("/v1/check", json={"id": "q", "text": article})
        assert response.status == 503
        assert response.headers["Retry-After"] == "1"
        assert (await response.json(content_type=None))["type"] == "urn:dedup:problem:overloaded"
    finally:
        release.set()
        await asyncio.gather(*held)
    again = await client.post("/v1/check", json={"id": "q", "text": article})
    assert again.status == 200


async def test_a_full_writer_queue_answers_503_and_stores_nothing(
    aiohttp_client: Any, tmp_path: Path, article: str
) -> None:
    """With the writer and its queue of one taken, a post is 503 and the article is not stored."""
    client = await aiohttp_client(create_app(settings(tmp_path, queue_size=1)))
    release = threading.Event()
    held = [hold(client.app[WRITER], release), hold(client.app[WRITER], release)]
    await asyncio.sleep(0.05)
    try:
        response = await client.post("/v1/documents", json={"id": "p", "text": article})
        assert response.status == 503
        assert "Retry-After" in response.headers
    finally:
        release.set()
        await asyncio.gather(*held)
    assert (await client.get("/v1/documents/p")).status == 404


async def test_bulk_waits_for_room_instead_of_failing_lines(
    aiohttp_client: Any, tmp_path: Path, article: str
) -> None:
    """With a writer queue of one, a 20-line bulk body is stored whole: bulk lines wait, not 503."""
    client = await aiohttp_client(create_app(settings(tmp_path, queue_size=1, bulk_window=8)))
    lines = "\n".join(
        f'{{"id": "b{k}", "text": "story number {k} about the harbour"}}' for k in range(20)
    )
    response = await client.post(
        "/v1/documents/bulk", data=lines, headers={"Content-Type": "application/x-ndjson"}
    )
    answers = (await response.text()).splitlines()
    assert len(answers) == 20
    assert all('"status":201' in line for line in answers)


async def test_each_reader_thread_has_its_own_collection(client: Client) -> None:
    """Reader threads hold distinct read-only Collections (SQLite connections are per thread)."""
    readers = client.app[READERS]  # type: ignore[index]
    gate = threading.Barrier(readers.threads, timeout=5)

    def which(collection: Any) -> int:
        gate.wait()  # every thread takes one job: no thread answers twice
        return id(collection)

    seen = await asyncio.gather(*(readers.run(which) for _ in range(readers.threads)))
    assert len(set(seen)) == readers.threads == 2
