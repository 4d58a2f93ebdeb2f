"""Compressed bodies: ``Content-Encoding: gzip`` is decoded, and a body that its coding does not
decode is a 400 problem (``undecodable-body``), never a 500, with nothing stored; in a bulk body
it ends a well-formed answer with that error line."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from service import create_app
from tests.service_support import matches_schema, settings

Client = TestClient[Any, Any]
UNDECODABLE = "urn:dedup:problem:undecodable-body"
ARTICLE = {"id": "gz", "text": "A short story about the harbour, sent compressed."}


@pytest.fixture
async def client(aiohttp_client: Any, tmp_path: Path) -> Client:
    return await aiohttp_client(create_app(settings(tmp_path)))


def gzip_headers(content_type: str = "application/json") -> dict[str, str]:
    return {"Content-Type": content_type, "Content-Encoding": "gzip"}


async def stored(client: Client) -> int:
    """Documents stored, asked on a connection of its own: a body that does not decode closes
    its connection once answered (where the next request would start is not known)."""
    async with aiohttp.ClientSession() as session, session.get(client.make_url("/readyz")) as ready:
        return int((await ready.json())["documents"])


async def test_a_gzip_body_is_decoded_and_stored(client: Client) -> None:
    body = gzip.compress(json.dumps(ARTICLE).encode())
    response = await client.post("/v1/documents", data=body, headers=gzip_headers())
    assert response.status == 201, await response.text()
    assert await stored(client) == 1


@pytest.mark.parametrize("path", ["/v1/documents", "/v1/check", "/v1/strip"])
async def test_a_body_that_is_not_the_gzip_it_claims_is_a_400_problem(
    client: Client, path: str
) -> None:
    response = await client.post(path, data=b'{"id": "x", "text": "plain"}', headers=gzip_headers())
    problem = await response.json(content_type=None)
    assert (response.status, response.content_type) == (400, "application/problem+json")
    assert problem["type"] == UNDECODABLE and matches_schema("Problem", problem)
    assert "gzip" in problem["detail"]
    assert await stored(client) == 0


async def test_a_gzip_bulk_body_is_decoded_line_by_line(client: Client) -> None:
    lines = [json.dumps({"id": f"b{k}", "text": f"Story {k} of the harbour."}) for k in range(3)]
    body = gzip.compress("\n".join(lines).encode())
    response = await client.post(
        "/v1/documents/bulk", data=body, headers=gzip_headers("application/x-ndjson")
    )
    answers = [json.loads(line) for line in (await response.text()).splitlines()]
    assert [a.get("status") for a in answers] == [201, 201, 201]
    assert await stored(client) == 3


async def test_an_undecodable_bulk_body_ends_its_answer_with_a_400_line(client: Client) -> None:
    body = json.dumps(ARTICLE).encode() + b"\n"  # not gzip
    response = await client.post(
        "/v1/documents/bulk", data=body, headers=gzip_headers("application/x-ndjson")
    )
    assert response.status == 200
    answers = [json.loads(line) for line in (await response.text()).splitlines()]
    assert len(answers) == 1 and answers[0]["line"] == 1
    assert answers[0]["error"]["status"] == 400
    assert answers[0]["error"]["type"] == UNDECODABLE
    assert await stored(client) == 0
