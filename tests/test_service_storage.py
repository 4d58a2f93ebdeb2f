"""The service when its file cannot take a write. While another process writes it (a ``dedup
bulk --db`` run holds SQLite's write lock to its end), writes wait ``write_wait`` seconds,
then answer 503 ``index-busy`` with Retry-After; reads go on, and the service starts all the
same. On a full disk, writes answer 507 ``storage-full``; on a failing disk, 503
``storage-error``; to a file that cannot be written, 503 ``read-only``. Nothing is stored in
any case."""

from __future__ import annotations

import json
import os
import resource
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from dedup.collection import Collection
from dedup.errors import IndexFullError
from dedup.types import Document
from service import ServiceSettings
from service.batches import run_batch
from service.keys import WRITER
from service.writer import WriteCall
from tests.service_support import post, serving, settings
from tests.test_collection_storage import (
    fill_disk,
    free_disk,
    full_disk,
    held_write_lock,
    unwritable,
)
from tests.test_service_lanes import lanes_settings, wait_for_lanes, writer_pid
from tests.test_service_reader_processes import children

Client = TestClient[Any, Any]
WAIT = 0.1  # s: write_wait in these tests
BUSY = "urn:dedup:problem:index-busy"
FULL = "urn:dedup:problem:storage-full"


def storage_settings(tmp_path: Path, **changes: Any) -> ServiceSettings:
    """A service over ``tmp_path / "index.db"`` whose writes wait :data:`WAIT` seconds."""
    app_settings: ServiceSettings = settings(tmp_path, **{"write_wait": WAIT, **changes})
    return app_settings


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[Client, Path]]:
    """A client of a thread-mode service over a fresh file, and the file."""
    app_settings = storage_settings(tmp_path)
    async with serving(app_settings) as client:
        yield client, Path(app_settings.db)


async def test_a_post_is_503_index_busy_with_retry_after_and_stores_nothing(
    served: tuple[Client, Path], article: str
) -> None:
    client, db = served
    with held_write_lock(db):
        response = await client.post("/v1/documents", json={"id": "a", "text": article})
        problem = await response.json(content_type=None)
        assert response.status == 503
        assert response.content_type == "application/problem+json"
        assert (problem["type"], response.headers["Retry-After"]) == (BUSY, "1")
        assert str(db) not in problem["detail"]
        assert (await client.get("/v1/documents/a")).status == 404
    status, body = await post(client, "/v1/documents", {"id": "a", "text": article})
    assert (status, body["status"]) == (201, "new")


async def test_posts_behind_one_that_waited_in_vain_are_answered_soon(
    tmp_path: Path, article: str
) -> None:
    async with serving(storage_settings(tmp_path, write_wait=0.6)) as client:
        with held_write_lock(tmp_path / "index.db"):
            details = []
            for k in range(2):
                response = await client.post("/v1/documents", json={"id": f"p{k}", "text": article})
                details.append((await response.json(content_type=None))["detail"])
        assert "waited 0.6 s" in details[0] and "waited 0.5 s" in details[1]


async def test_a_delete_is_503_index_busy_and_deletes_nothing(
    served: tuple[Client, Path], article: str
) -> None:
    client, db = served
    await post(client, "/v1/documents", {"id": "a", "text": article})
    with held_write_lock(db):
        response = await client.delete("/v1/documents/a")
        assert response.status == 503
        assert (await response.json(content_type=None))["type"] == BUSY
    assert (await client.get("/v1/documents/a")).status == 200


async def test_each_bulk_line_is_answered_503_index_busy(
    served: tuple[Client, Path], article: str
) -> None:
    client, db = served
    lines = [json.dumps({"id": f"b{k}", "text": f"{article}\n\nPart {k}."}) for k in range(3)]
    with held_write_lock(db):
        response = await client.post(
            "/v1/documents/bulk",
            data="\n".join(lines).encode(),
            headers={"Content-Type": "application/x-ndjson"},
        )
        answers = [json.loads(line) for line in (await response.text()).splitlines()]
    assert response.status == 200
    assert [(a["line"], a["error"]["status"], a["error"]["type"]) for a in answers] == [
        (k + 1, 503, BUSY) for k in range(3)
    ]
    assert (await client.get("/v1/documents/b0")).status == 404


async def test_checks_and_strips_go_on(served: tuple[Client, Path], article: str) -> None:
    client, db = served
    await post(client, "/v1/documents", {"id": "a", "text": article})
    with held_write_lock(db):
        status, body = await post(client, "/v1/check", {"id": "b", "text": article})
        assert (status, body["duplicate_of"]) == (200, "a")
        status, _ = await post(client, "/v1/strip", {"text": article})
        assert status == 200


async def test_the_service_starts_with_its_writer_process_while_the_file_is_written(
    tmp_path: Path, article: str
) -> None:
    """The writer's process opens the file and skips its warm-up; the busy error crosses back
    from it as itself."""
    async with serving(storage_settings(tmp_path)) as first:
        await post(first, "/v1/documents", {"id": "a", "text": article})
    with held_write_lock(tmp_path / "index.db"):
        async with serving(storage_settings(tmp_path, writer_mode="process")) as client:
            assert (await client.get("/readyz")).status == 200
            response = await client.post("/v1/documents", json={"id": "b", "text": article})
            assert response.status == 503
            assert (await response.json(content_type=None))["type"] == BUSY


async def test_a_post_on_a_full_disk_is_507_storage_full_and_stores_nothing(
    served: tuple[Client, Path], article: str
) -> None:
    client, _ = served
    writer = client.app[WRITER]
    await post(client, "/v1/documents", {"id": "a", "text": article})
    await writer.run(fill_disk)
    response = await client.post("/v1/documents", json={"id": "b", "text": article + " More."})
    problem = await response.json(content_type=None)
    assert (response.status, problem["type"]) == (507, FULL)
    assert response.content_type == "application/problem+json"
    assert (await client.get("/v1/documents/b")).status == 404
    await writer.run(free_disk)
    status, _ = await post(client, "/v1/documents", {"id": "b", "text": article + " More."})
    assert status == 201


async def test_a_post_on_a_failing_disk_is_503_storage_error_and_stores_nothing(
    tmp_path: Path, article: str
) -> None:
    """The writer's own process (as deployed) finds every write failing: a file-size limit of
    0 bytes set on it from here, which SQLite reports as an I/O error. The post is answered,
    not lost in a 500; the writer lives on and stores posts once the disk writes again."""
    own = children(os.getpid())
    async with serving(lanes_settings(tmp_path)) as client:
        await wait_for_lanes(client, 2)
        await post(client, "/v1/documents", {"id": "a", "text": article})
        writer = writer_pid(children(os.getpid()) - own)
        limits = resource.prlimit(writer, resource.RLIMIT_FSIZE)
        resource.prlimit(writer, resource.RLIMIT_FSIZE, (0, limits[1]))
        try:
            response = await client.post(
                "/v1/documents", json={"id": "b", "text": article + " More."}
            )
            problem = await response.json(content_type=None)
        finally:
            resource.prlimit(writer, resource.RLIMIT_FSIZE, limits)
        assert (response.status, problem["type"]) == (503, "urn:dedup:problem:storage-error")
        assert response.headers["Retry-After"] == "5" and str(tmp_path) not in problem["detail"]
        assert (await client.get("/v1/documents/b")).status == 404
        status, body = await post(client, "/v1/documents", {"id": "b", "text": article + " More."})
        assert (status, body["duplicate_of"]) == (201, "a")


def test_every_post_of_a_batch_that_found_the_disk_full_fails_with_it(
    tmp_path: Path, article: str
) -> None:
    """SQLite takes the whole transaction back: a post before the failing one is not stored
    either, and is answered the same error, not a bare lost-transaction one."""
    with Collection.open(tmp_path / "index.db") as collection:
        collection.post(Document("a", article))
        with full_disk(collection):
            batch = run_batch(
                collection,
                [
                    WriteCall("post_pending", (Document("a", article),)),  # unchanged
                    WriteCall("post_pending", (Document("b", article + " More."),)),
                ],
            )
        assert "b" not in collection
    assert not batch.committed
    assert [(ok, type(error)) for ok, error in batch.outcomes] == [(False, IndexFullError)] * 2


async def test_a_post_to_a_file_that_cannot_be_written_is_503_read_only(
    tmp_path: Path, article: str
) -> None:
    """A service deployed on a file it may not write (say, a read-only snapshot) starts and
    answers checks; its writes say why they fail."""
    db = tmp_path / "index.db"
    with Collection.open(db) as collection:
        collection.post(Document("a", article))
    with unwritable(db):
        async with serving(storage_settings(tmp_path)) as client:
            response = await client.post("/v1/documents", json={"id": "b", "text": article})
            problem = await response.json(content_type=None)
            assert (response.status, problem["type"]) == (503, "urn:dedup:problem:read-only")
            status, body = await post(client, "/v1/check", {"id": "c", "text": article})
            assert (status, body["duplicate_of"]) == (200, "a")
