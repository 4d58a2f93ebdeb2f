"""A posted excerpt that LSH does not propose is placed in its story's cluster before the post
is answered, on every path a post takes: the pools', the post lanes' and the bulk endpoint's."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from dedup.collection import Collection
from dedup.types import Document
from tests.service_support import post, serving, settings
from tests.test_collection_window_placement import BRIEF, build, copy
from tests.test_service_lanes import lanes_settings, wait_for_lanes

Client = TestClient[Any, Any]


@pytest.fixture(scope="module")
def story_and_excerpt(long_english_articles: list[str]) -> tuple[str, str]:
    """A six-article story and one of its articles, which LSH does not propose for it."""
    story, excerpt = "\n\n".join(long_english_articles[:6]), long_english_articles[2]
    with Collection.open(":memory:") as collection:
        collection.post(Document("story", story))
        assert not collection.index.query(Document("excerpt", excerpt)).matches  # the premise
    return story, excerpt


async def cluster_of(client: Client, doc_id: str) -> tuple[str, list[str]]:
    response = await client.get(f"/v1/documents/{doc_id}")
    assert response.status == 200
    view = await response.json()
    return view["cluster"], view["members"]


async def test_a_posted_excerpt_joins_its_storys_cluster(
    client: Client, story_and_excerpt: tuple[str, str]
) -> None:
    """The pools' path: the answer says contained_in, and the document's view agrees."""
    story, excerpt = story_and_excerpt
    await post(client, "/v1/documents", {"id": "story", "text": story})
    status, body = await post(client, "/v1/documents", {"id": "excerpt", "text": excerpt})
    assert (status, body["status"], body["duplicate_of"]) == (201, "near_duplicate", "story")
    assert await cluster_of(client, "excerpt") == ("story", ["story", "excerpt"])


async def test_an_excerpt_posted_on_a_lane_joins_its_storys_cluster(
    tmp_path: Path, story_and_excerpt: tuple[str, str]
) -> None:
    """The post lanes (reader and writer processes): the reader's report sends the placement."""
    story, excerpt = story_and_excerpt
    async with serving(lanes_settings(tmp_path)) as client:
        await wait_for_lanes(client, 2)
        await post(client, "/v1/documents", {"id": "story", "text": story})
        status, body = await post(client, "/v1/documents", {"id": "excerpt", "text": excerpt})
        assert (status, body["duplicate_of"]) == (201, "story")
        assert await cluster_of(client, "excerpt") == ("story", ["story", "excerpt"])


async def post_from_the_storys_source(client: Client, story: str, excerpt: str) -> None:
    """The story, then the excerpt from the same source with ``exclude_same_source``: its
    answer leaves the story out, as asked, and it still joins the story's cluster."""
    await post(client, "/v1/documents", {"id": "story", "text": story, "source": "Wire"})
    doc = {"id": "excerpt", "text": excerpt, "source": "Wire"}
    status, body = await post(client, "/v1/documents", doc, exclude_same_source="true")
    assert (status, body["status"], body["matches"]) == (201, "new", [])
    assert await cluster_of(client, "excerpt") == ("story", ["story", "excerpt"])


async def test_a_posts_window_narrows_its_answer_not_its_placement(
    client: Client, story_and_excerpt: tuple[str, str]
) -> None:
    """The pools' path: the index places a document by everything stored, whatever the
    window of its post, and so does the post's report."""
    await post_from_the_storys_source(client, *story_and_excerpt)


async def test_a_lane_posts_window_narrows_its_answer_not_its_placement(
    tmp_path: Path, story_and_excerpt: tuple[str, str]
) -> None:
    """The post lanes: the reader's process names the story the window left out."""
    async with serving(lanes_settings(tmp_path)) as client:
        await wait_for_lanes(client, 2)
        await post_from_the_storys_source(client, *story_and_excerpt)


async def test_a_bulk_excerpt_joins_its_storys_cluster(
    tmp_path: Path, story_and_excerpt: tuple[str, str]
) -> None:
    """The bulk endpoint places each line's document before answering the line."""
    story, excerpt = story_and_excerpt
    lines = [{"id": "story", "text": story}, {"id": "excerpt", "text": excerpt}]
    body = "".join(json.dumps(line) + "\n" for line in lines)
    async with serving(settings(tmp_path)) as client:
        headers = {"Content-Type": "application/x-ndjson"}
        response = await client.post("/v1/documents/bulk", data=body, headers=headers)
        answers = [json.loads(line) for line in (await response.text()).splitlines()]
        assert answers[1]["result"]["duplicate_of"] == "story"
        assert await cluster_of(client, "excerpt") == ("story", ["story", "excerpt"])


async def test_a_storys_view_lists_the_excerpt_posted_after_it(
    client: Client, story_and_excerpt: tuple[str, str]
) -> None:
    """GET's matches include what LSH does not propose: the story shows its excerpt."""
    story, excerpt = story_and_excerpt
    await post(client, "/v1/documents", {"id": "story", "text": story})
    await post(client, "/v1/documents", {"id": "excerpt", "text": excerpt})
    view = await (await client.get("/v1/documents/story")).json()
    assert [(m["id"], m["relation"]) for m in view["matches"]] == [("excerpt", "contains")]


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A brief and more aggregator copies of it than a report aligns (test_collection_window_
    placement), dated before the windows below."""
    return build(tmp_path_factory.mktemp("copies") / "base.db")


def a_copy() -> dict[str, str]:
    brief = copy("agg", "2024-01-09")
    return {"id": brief.id, "text": brief.text, "source": "aggregator", "published": "2024-01-09"}


async def test_a_windowed_post_goes_where_it_would_without_the_window(
    tmp_path: Path, copies: Path
) -> None:
    """The pools' path: ``until`` leaves the brief and its copies out of the answer, not out
    of the placement."""
    shutil.copy(copies, tmp_path / "index.db")
    async with serving(settings(tmp_path)) as client:
        status, body = await post(client, "/v1/documents", a_copy(), until="2024-01-04")
        assert (status, body["status"], body["matches"]) == (201, "new", [])
        assert (await cluster_of(client, "agg"))[0] == BRIEF


async def test_a_windowed_bulk_line_goes_where_it_would_without_the_window(
    tmp_path: Path, copies: Path
) -> None:
    """The bulk endpoint: a window keeping the late copy answers it, and places with the brief."""
    shutil.copy(copies, tmp_path / "index.db")
    async with serving(settings(tmp_path)) as client:
        headers = {"Content-Type": "application/x-ndjson"}
        url = "/v1/documents/bulk?since=2024-01-06"
        response = await client.post(url, data=json.dumps(a_copy()) + "\n", headers=headers)
        answer = json.loads(await response.text())["result"]
        assert (answer["duplicate_of"], [m["id"] for m in answer["matches"]]) == ("late", ["late"])
        assert (await cluster_of(client, "agg"))[0] == BRIEF
