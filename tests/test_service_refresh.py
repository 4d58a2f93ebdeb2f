"""Through the service: a new outlet's first posts are fingerprinted anew once its footer is
learned, so a reprint without the footer finds them (a real server on loopback)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests._collection_support import outlet_post, short_story

Client = TestClient[Any, Any]


async def post_outlet(client: Client, n: int) -> dict[str, Any]:
    doc = outlet_post(n)
    body = {"id": doc.id, "text": doc.text, "source": doc.source}
    response = await client.post("/v1/documents", json=body)
    assert response.status == 201
    answer: dict[str, Any] = await response.json()
    return answer


async def test_a_reprint_without_the_footer_finds_an_early_post(client: Client) -> None:
    """Once the fourth post strips the footer, the first post's reprint is its duplicate."""
    for n in range(3):
        assert (await post_outlet(client, n))["boilerplate"] == []
    assert (await post_outlet(client, 3))["boilerplate"] != []
    response = await client.post("/v1/check", json={"id": "reprint", "text": short_story(0)})
    answer = await response.json()
    assert (answer["status"], answer["duplicate_of"]) == ("duplicate", "new-outlet-0")
