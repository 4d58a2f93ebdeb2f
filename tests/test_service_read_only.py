"""A service started ``read_only``: a snapshot or replica that answers checks, strips and
lookups. It runs no writer; posts, deletes and bulk bodies answer 403 ``writes-disabled``
(not a 503: retrying changes nothing), and it never writes the file, which must hold a
collection already."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from click.testing import CliRunner

from dedup.cli import main
from dedup.collection import Collection
from dedup.errors import InputError
from dedup.types import Document
from service import ServiceSettings
from service.keys import WRITER
from service.threadnames import child_pids
from tests.service_support import (
    http_json,
    matches_schema,
    post,
    running_service,
    serving,
    settings,
    start_client,
)
from tests.test_collection_storage import unwritable
from tests.test_service_metrics import labels, scrape

Client = TestClient[Any, Any]
DISABLED = "urn:dedup:problem:writes-disabled"


@pytest.fixture
def stored(tmp_path: Path, article: str) -> Path:
    """A collection file holding the article as "a"."""
    db = tmp_path / "index.db"
    with Collection.open(db) as collection:
        collection.post(Document("a", article))
    return db


def read_only(db: Path, **changes: Any) -> ServiceSettings:
    return settings(db.parent, db=str(db), read_only=True, **changes)


@pytest.fixture
async def client(stored: Path) -> AsyncIterator[Client]:
    async with serving(read_only(stored)) as client:
        yield client


def digest(db: Path) -> str:
    return hashlib.sha256(db.read_bytes()).hexdigest()


async def assert_disabled(response: Any) -> None:
    problem = await response.json(content_type=None)
    assert response.status == 403
    assert response.content_type == "application/problem+json"
    assert problem["type"] == DISABLED
    assert "Retry-After" not in response.headers
    assert matches_schema("Problem", problem)


async def test_a_post_is_403_writes_disabled_and_stores_nothing(
    client: Client, stored: Path, article: str
) -> None:
    before = digest(stored)
    await assert_disabled(await client.post("/v1/documents", json={"id": "b", "text": article}))
    assert (await client.get("/v1/documents/b")).status == 404
    assert digest(stored) == before


async def test_a_post_with_a_bad_body_is_403_too(client: Client) -> None:
    """The operation is refused before its body is read: no 4xx about a body it never takes."""
    await assert_disabled(await client.post("/v1/documents", data=b"{not json"))


async def test_a_delete_is_403_and_the_document_stays(client: Client) -> None:
    await assert_disabled(await client.delete("/v1/documents/a"))
    assert (await client.get("/v1/documents/a")).status == 200


async def test_a_bulk_body_is_refused_whole_with_403(client: Client, article: str) -> None:
    """Not a 200 stream of per-line errors: nothing of the body could ever be stored."""
    body = b'{"id": "b1", "text": "One."}\n{"id": "b2", "text": "Two."}\n'
    headers = {"Content-Type": "application/x-ndjson"}
    await assert_disabled(await client.post("/v1/documents/bulk", data=body, headers=headers))


async def test_checks_strips_and_lookups_are_answered(client: Client, article: str) -> None:
    status, verdict = await post(client, "/v1/check", {"id": "c", "text": article})
    assert (status, verdict["status"], verdict["duplicate_of"]) == (200, "duplicate", "a")
    status, _ = await post(client, "/v1/strip", {"text": article})
    assert status == 200
    assert (await client.get("/v1/documents/a")).status == 200
    ready = await client.get("/readyz")
    assert (ready.status, (await ready.json())["documents"]) == (200, 1)


async def test_it_runs_no_writer(client: Client) -> None:
    assert WRITER not in client.app
    samples = await scrape(client)
    assert ("dedup_queue_depth", labels(pool="reader")) in samples
    assert ("dedup_queue_depth", labels(pool="writer")) not in samples


async def test_it_sees_what_a_writer_commits_meanwhile(
    client: Client, stored: Path, article: str
) -> None:
    """A replica over a file that another process writes (a service, ``dedup bulk --db``)."""
    with Collection.open(stored) as writer:
        writer.post(Document("w", article + "\n\nA paragraph only the writer's copy has."))
    assert (await client.get("/v1/documents/w")).status == 200


async def test_it_serves_a_file_it_cannot_write(stored: Path, article: str) -> None:
    with unwritable(stored):
        async with serving(read_only(stored)) as client:
            status, verdict = await post(client, "/v1/check", {"id": "c", "text": article})
            assert (status, verdict["duplicate_of"]) == (200, "a")
            await assert_disabled(await client.post("/v1/documents", json={"id": "b", "text": "B"}))


async def test_it_serves_a_snapshot_in_a_directory_that_cannot_be_written(
    stored: Path, article: str
) -> None:
    """A read-only mount: no file can be made beside it (the readers open it immutable)."""
    with unwritable(stored.parent):
        async with serving(read_only(stored)) as client:
            status, verdict = await post(client, "/v1/check", {"id": "c", "text": article})
            assert (status, verdict["duplicate_of"]) == (200, "a")


async def test_it_does_not_start_on_a_file_without_a_collection(tmp_path: Path) -> None:
    """A missing file is not made, an empty one not given tables: the start fails, naming it."""
    missing, empty = tmp_path / "missing.db", tmp_path / "empty.db"
    empty.touch()
    for db, message in ((missing, "no such file"), (empty, "no dedup index")):
        with pytest.raises(InputError, match=message) as raised:
            await start_client(read_only(db))
        assert str(db) in str(raised.value)
    assert not missing.exists()
    assert empty.stat().st_size == 0


def test_serve_read_only_on_a_missing_file_exits_2_with_one_line(tmp_path: Path) -> None:
    db = tmp_path / "missing.db"
    result = CliRunner().invoke(main, ["serve", "--db", str(db), "--read-only", "--port", "0"])
    assert result.exit_code == 2
    assert result.output.startswith("dedup: error:") and "no such file" in result.output
    assert not db.exists()


def test_the_service_process_started_read_only_has_reader_processes_and_no_writer(
    stored: Path, article: str
) -> None:
    """``python -m service --read-only``, as deployed: its children are readers (and
    multiprocessing's own helper), no writer."""
    with running_service(["service"], stored, "--read-only") as served:
        names = []
        for pid in child_pids(served.process.pid):
            with open(f"/proc/{pid}/comm") as comm:
                names.append(comm.read().strip())
        status, verdict = http_json(f"{served.url}/v1/check", {"id": "c", "text": article})
        refused, problem = http_json(f"{served.url}/v1/documents", {"id": "b", "text": article})
        assert served.stop() == 0
    assert "dedup-reader" in names and "dedup-writer" not in names
    assert (status, verdict["duplicate_of"]) == (200, "a")
    assert (refused, problem["type"]) == (403, DISABLED)
