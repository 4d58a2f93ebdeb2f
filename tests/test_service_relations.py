"""Relations as the service answers them: a noisy whole copy is a copy, an article that only
contains a stored one is new (a real server on loopback over a real SQLite file)."""

from __future__ import annotations

import random
from typing import Any

from aiohttp.test_utils import TestClient

from dedup.synth import char_noise
from tests._collection_support import outlet_post
from tests.service_support import post

Client = TestClient[Any, Any]


async def test_an_ocr_noised_whole_copy_is_a_near_duplicate(client: Client, article: str) -> None:
    """A whole copy with 1 % of its characters changed is a near_duplicate, not contained_in:
    most of each text's shingles are in the other (its Jaccard is under the threshold)."""
    await post(client, "/v1/documents", {"id": "a1", "text": article})
    noisy = char_noise(article, random.Random(1), 0.01)
    status, body = await post(client, "/v1/documents", {"id": "a2", "text": noisy})
    assert (status, body["status"], body["duplicate_of"]) == (201, "near_duplicate", "a1")
    match = body["matches"][0]
    assert match["jaccard"] < 0.7
    assert match["relation"] == "near_duplicate"


async def test_an_article_quoting_a_stored_brief_is_new(client: Client, article: str) -> None:
    """A long article that contains a stored brief is new content: it answers ``new`` with
    the brief listed as a ``contains`` match, and is not placed in the brief's cluster."""
    brief = " ".join(article.split()[:40])
    await post(client, "/v1/documents", {"id": "brief", "text": brief})
    status, body = await post(client, "/v1/documents", {"id": "story", "text": article})
    assert (status, body["status"], body["duplicate_of"]) == (201, "new", None)
    assert [(m["id"], m["relation"]) for m in body["matches"]] == [("brief", "contains")]
    response = await client.get("/v1/documents/story")
    assert (await response.json())["cluster"] == "story"


async def test_the_same_text_under_another_source_is_a_duplicate(client: Client) -> None:
    """Four posts of an outlet make its footer boilerplate there; the fourth's text, footer
    included, posted by an aggregator is a duplicate of it, in its cluster (compared like for
    like: :mod:`dedup.collection.like_for_like`)."""
    for n in range(4):
        doc = outlet_post(n)
        await post(client, "/v1/documents", {"id": doc.id, "text": doc.text, "source": doc.source})
    text = outlet_post(3).text
    status, body = await post(
        client, "/v1/documents", {"id": "agg", "text": text, "source": "aggregator"}
    )
    assert (status, body["status"], body["duplicate_of"]) == (201, "duplicate", "new-outlet-3")
    response = await client.get("/v1/documents/agg")
    assert (await response.json())["cluster"] == "new-outlet-3"
