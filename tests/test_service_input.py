"""Hardened input: every malformed request is a 4xx problem naming what is wrong, never a 500,
and nothing is stored; slow clients are cut off."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from service import create_app
from tests.malformed_cases import (
    GOOD,
    LIMITS,
    MALFORMED,
    Body,
    chunked,
    huge_document,
    with_field,
)
from tests.service_support import matches_schema, raw_request, settings, start_client

Client = TestClient[Any, Any]


@pytest.fixture
async def strict(aiohttp_client: Any, tmp_path: Path) -> Client:
    """A service with small limits, so that every limit is cheap to reach."""
    return await aiohttp_client(create_app(settings(tmp_path, **LIMITS)))


@pytest.mark.parametrize("path", ["/v1/documents", "/v1/check"])
@pytest.mark.parametrize(
    ("body", "status", "field"),
    [pytest.param(b, s, f, id=case) for case, b, s, f in MALFORMED],
)
async def test_a_malformed_body_is_a_4xx_problem_and_stores_nothing(
    strict: Client, path: str, body: Body, status: int, field: str | None
) -> None:
    """Each malformed body gets its 4xx problem, naming the bad field; the index stays empty."""
    response = await strict.post(path, **body.aiohttp_args())
    problem = await response.json(content_type=None)
    assert response.status == status, problem
    assert response.content_type == "application/problem+json"
    assert matches_schema("Problem", problem)
    assert problem["status"] == status
    if field is not None:
        assert field in {e["field"] for e in problem["errors"]}
    ready = await (await strict.get("/readyz")).json()
    assert ready["documents"] == 0


async def test_a_chunked_body_within_the_limit_is_stored(strict: Client) -> None:
    """A chunked body (no Content-Length) of several chunks under max_body_bytes is a 201, so the
    table's chunked 413s come from the size, not from the chunking."""
    body = chunked(with_field(id="chunked", text="word " * 3_900))
    assert len(list(body.pieces())) > 1
    response = await strict.post("/v1/documents", **body.aiohttp_args())
    assert response.status == 201, await response.text()


async def test_every_bad_field_is_listed_at_once(strict: Client) -> None:
    """A body with three bad fields gets one 422 listing all three."""
    response = await strict.post("/v1/documents", json={"id": [], "text": 1, "source": 2})
    body = await response.json(content_type=None)
    assert response.status == 422
    assert {e["field"] for e in body["errors"]} == {"id", "text", "source"}


async def test_strip_rejects_the_same_bad_text(strict: Client) -> None:
    """/v1/strip applies the same text rules: a NUL character is a 422 naming text."""
    response = await strict.post("/v1/strip", json={"text": "a\x00b"})
    assert response.status == 422
    assert (await response.json(content_type=None))["errors"][0]["field"] == "text"


async def test_a_long_run_of_cjk_characters_is_not_one_huge_token(strict: Client) -> None:
    """Han characters are a token each, so 3,000 of them without spaces are accepted."""
    response = await strict.post("/v1/documents", json={"id": "zh", "text": "新闻报道" * 750})
    assert response.status == 201


async def test_a_long_url_like_run_of_short_words_is_accepted(strict: Client) -> None:
    """Punctuation separates tokens: a 3,000-character run of short words and dots is fine."""
    response = await strict.post("/v1/documents", json={"id": "u", "text": "ab.cd-" * 500})
    assert response.status == 201


async def test_unknown_fields_are_ignored(strict: Client) -> None:
    """Extra fields (url, lang, ...) are accepted and ignored, as the bulk job's reader does."""
    response = await strict.post("/v1/documents", json={**GOOD, "url": "https://x", "lang": "en"})
    assert response.status == 201


async def test_a_connection_without_a_complete_request_head_is_closed(tmp_path: Path) -> None:
    """A client that sends half a request head is disconnected when the idle timeout fires."""
    client = await start_client(settings(tmp_path, idle_timeout=0.5))
    try:
        started = time.monotonic()
        answer, closed = await raw_request(
            client.port, b"POST /v1/documents HTTP/1.1\r\nHost: localhost\r\nContent-Le"
        )
        assert (answer, closed) == (b"", True)
        assert 0.4 < time.monotonic() - started < 3
    finally:
        await client.close()


async def test_a_body_that_stalls_is_answered_408(aiohttp_client: Any, tmp_path: Path) -> None:
    """A body that does not arrive within body_timeout is a 408 problem, and nothing is stored."""
    client = await aiohttp_client(create_app(settings(tmp_path, body_timeout=0.3)))
    head = (
        b"POST /v1/documents HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
    answer, _ = await raw_request(client.port, head + b'{"id": "slow", ', wait=1.5)
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 408 Request Timeout"
    assert b"Connection: close" in rest
    assert b"application/problem+json" in rest
    assert (await (await client.get("/readyz")).json())["documents"] == 0


async def post_ndjson(client: Client, lines: list[bytes]) -> list[dict[str, Any]]:
    """Send ``lines`` as one chunked NDJSON bulk body; the answer lines, decoded."""
    body = chunked(Body(b"\n".join(lines) + b"\n", "application/x-ndjson"))
    response = await client.post("/v1/documents/bulk", **body.aiohttp_args())
    assert response.status == 200
    return [json.loads(line) for line in (await response.text()).splitlines()]


def ndjson_line(doc_id: str, text: str) -> bytes:
    return json.dumps({"id": doc_id, "text": text}).encode()


async def test_a_chunked_bulk_body_over_the_limit_is_read_line_by_line(strict: Client) -> None:
    """A chunked NDJSON body of 2.5 times max_body_bytes, every line under it, is all stored:
    the limit is per line, not per bulk body."""
    lines = [ndjson_line(f"many-{k}", f"Story {k} about the harbour. " * 64) for k in range(100)]
    assert sum(map(len, lines)) > 2.5 * LIMITS["max_body_bytes"]
    answers = await post_ndjson(strict, lines)
    assert [a.get("status") for a in answers] == [201] * len(lines)
    assert (await (await strict.get("/readyz")).json())["documents"] == len(lines)


async def test_a_chunked_bulk_line_of_8_mib_is_a_413_line(strict: Client) -> None:
    """An 8 MiB line in a chunked NDJSON body is answered with a 413 error line; the lines
    around it are stored, and the server still answers."""
    lines = [
        ndjson_line("before", "A short story about the harbour."),
        huge_document(),
        ndjson_line("after", "Another short story, about the mountains."),
    ]
    answers = await post_ndjson(strict, lines)
    assert [(a["line"], a.get("id")) for a in answers] == [(1, "before"), (2, None), (3, "after")]
    assert answers[1]["error"]["status"] == 413
    assert answers[1]["error"]["type"] == "urn:dedup:problem:body-too-large"
    assert (await (await strict.get("/readyz")).json())["documents"] == 2
    assert (await strict.get("/livez")).status == 200
