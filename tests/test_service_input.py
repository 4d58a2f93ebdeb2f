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
from tests.service_support import matches_schema, raw_request, settings, start_client

Client = TestClient[Any, Any]
JSON = {"Content-Type": "application/json"}
GOOD = {"id": "ok", "text": "A short story about the harbour on a windy day."}
LIMITS = {"max_body_bytes": 64 * 1024, "max_text_chars": 20_000, "max_token_chars": 1000}


def raw(data: bytes, content_type: str | None = "application/json") -> dict[str, Any]:
    return {"data": data, "headers": {"Content-Type": content_type} if content_type else {}}


def as_json(value: Any) -> dict[str, Any]:
    return raw(json.dumps(value).encode())


def with_field(**fields: Any) -> dict[str, Any]:
    return as_json({**GOOD, **fields})


# (case, request, expected status, the field the problem must name or None)
MALFORMED: list[tuple[str, dict[str, Any], int, str | None]] = [
    ("text/plain content type", raw(json.dumps(GOOD).encode(), "text/plain"), 415, None),
    ("no content type", raw(json.dumps(GOOD).encode(), None), 415, None),
    ("latin-1 charset", raw(b"{}", "application/json; charset=latin-1"), 415, None),
    ("invalid UTF-8", raw(b'{"id": "x", "text": "caf\xe9"}'), 400, None),
    ("byte order mark", raw(b"\xef\xbb\xbf" + json.dumps(GOOD).encode()), 400, None),
    ("empty body", raw(b""), 400, None),
    ("truncated JSON", raw(b'{"id": "x", "text": '), 400, None),
    ("NaN", raw(b'{"id": "x", "text": "t", "title": NaN}'), 400, None),
    ("Infinity", raw(b'{"id": "x", "text": "t", "title": Infinity}'), 400, None),
    ("-Infinity", raw(b'{"id": -Infinity, "text": "t"}'), 400, None),
    ("duplicate key", raw(b'{"id": "x", "text": "a", "text": "b"}'), 400, None),
    ("two JSON texts", raw(b'{"id": "x", "text": "t"} {}'), 400, None),
    ("nesting 30,000 deep", raw(b"[" * 30_000 + b"]" * 30_000), 400, None),
    ("nesting 20 deep", as_json({**GOOD, "extra": json.loads("[" * 19 + "]" * 19)}), 400, None),
    ("integer of 5,000 digits", raw(b'{"id": ' + b"7" * 5000 + b', "text": "t"}'), 400, None),
    ("body over max_body_bytes", with_field(text="word " * 20_000), 413, None),
    ("top-level array", as_json([GOOD]), 422, "(body)"),
    ("top-level string", as_json("hello"), 422, "(body)"),
    ("top-level null", raw(b"null"), 422, "(body)"),
    ("missing text", as_json({"id": "x"}), 422, "text"),
    ("missing id", as_json({"text": "t"}), 422, "id"),
    ("id is a list", with_field(id=["x"]), 422, "id"),
    ("id is empty", with_field(id=""), 422, "id"),
    ("id is a float", with_field(id=1.5), 422, "id"),
    ("id is a boolean", with_field(id=True), 422, "id"),
    ("text is a number", with_field(text=12), 422, "text"),
    ("text is null", with_field(text=None), 422, "text"),
    ("source is a number", with_field(source=3), 422, "source"),
    ("title is an object", with_field(title={"a": 1}), 422, "title"),
    ("published is not a date", with_field(published="last Tuesday"), 422, "published"),
    ("published does not exist", with_field(published="2024-02-30"), 422, "published"),
    ("NUL in text", with_field(text="before\x00after"), 422, "text"),
    ("NUL in id", with_field(id="a\x00b"), 422, "id"),
    ("lone surrogate in text", raw(b'{"id": "x", "text": "broken \\ud800 pair"}'), 422, "text"),
    ("lone surrogate in id", raw(b'{"id": "\\udfff", "text": "t"}'), 422, "id"),
    ("huge single token", with_field(text="a" + "b" * 1000 + " end"), 422, "text"),
    ("text over max_text_chars", with_field(text="word " * 4001), 422, "text"),
]


@pytest.fixture
async def strict(aiohttp_client: Any, tmp_path: Path) -> Client:
    """A service with small limits, so that every limit is cheap to reach."""
    return await aiohttp_client(create_app(settings(tmp_path, **LIMITS)))


@pytest.mark.parametrize("path", ["/v1/documents", "/v1/check"])
@pytest.mark.parametrize(
    ("request_args", "status", "field"),
    [pytest.param(r, s, f, id=case) for case, r, s, f in MALFORMED],
)
async def test_a_malformed_body_is_a_4xx_problem_and_stores_nothing(
    strict: Client, path: str, request_args: dict[str, Any], status: int, field: str | None
) -> None:
    """Each malformed body gets its 4xx problem, naming the bad field; the index stays empty."""
    response = await strict.post(path, **request_args)
    body = await response.json(content_type=None)
    assert response.status == status, body
    assert response.content_type == "application/problem+json"
    assert matches_schema("Problem", body)
    assert body["status"] == status
    if field is not None:
        assert field in {e["field"] for e in body["errors"]}
    ready = await (await strict.get("/readyz")).json()
    assert ready["documents"] == 0


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
