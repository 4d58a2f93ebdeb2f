"""The HTTP API, endpoint by endpoint, through a real server on loopback over a real SQLite file."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient

from tests.service_support import matches_schema, post, raw_request

Client = TestClient[Any, Any]


async def documents(client: Client) -> int:
    response = await client.get("/readyz")
    return int((await response.json())["documents"])


async def test_post_of_a_new_document_answers_201_new_and_added(
    client: Client, article: str
) -> None:
    """A new id is stored: 201, status new, stored added, a Location, and a valid Verdict."""
    response = await client.post("/v1/documents", json={"id": "a1", "text": article})
    body = await response.json()
    assert response.status == 201
    assert response.headers["Location"] == "/v1/documents/a1"
    assert body["id"] == "a1"
    assert body["status"] == "new"
    assert body["duplicate_of"] is None
    assert body["stored"] == "added"
    assert body["matches"] == []
    assert matches_schema("Verdict", body)


async def test_reposting_the_same_id_and_text_is_idempotent(client: Client, article: str) -> None:
    """Posting the same id and text again answers 200 unchanged and stores nothing new."""
    await post(client, "/v1/documents", {"id": "a1", "text": article})
    status, body = await post(client, "/v1/documents", {"id": "a1", "text": article})
    assert status == 200
    assert body["stored"] == "unchanged"
    assert body["status"] == "duplicate"
    assert body["duplicate_of"] == "a1"
    assert await documents(client) == 1


async def test_the_same_text_under_another_id_is_a_stored_duplicate(
    client: Client, article: str
) -> None:
    """A copy under a new id is stored (201) and reported as a duplicate of the first."""
    await post(client, "/v1/documents", {"id": "a1", "text": article})
    status, body = await post(client, "/v1/documents", {"id": "a2", "text": article})
    assert status == 201
    assert body["status"] == "duplicate"
    assert body["duplicate_of"] == "a1"
    assert [(m["id"], m["relation"]) for m in body["matches"]] == [("a1", "duplicate")]
    assert matches_schema("Verdict", body)


async def test_a_lightly_edited_copy_is_a_near_duplicate(client: Client, article: str) -> None:
    """A reprint with a new ending sentence is a near_duplicate of the original."""
    await post(client, "/v1/documents", {"id": "a1", "text": article})
    edited = article + "\n\nThis story was updated with reporting from our correspondent."
    status, body = await post(client, "/v1/documents", {"id": "a2", "text": edited})
    assert status == 201
    assert body["status"] == "near_duplicate"
    assert body["duplicate_of"] == "a1"
    assert body["matches"][0]["jaccard"] >= 0.7


async def test_a_new_text_for_a_stored_id_updates_it(client: Client, article: str) -> None:
    """Posting another text under a stored id answers 200 with stored updated."""
    await post(client, "/v1/documents", {"id": "a1", "text": article})
    status, body = await post(client, "/v1/documents", {"id": "a1", "text": "Something else."})
    assert status == 200
    assert body["stored"] == "updated"
    assert await documents(client) == 1


async def test_an_integer_id_is_stored_as_its_decimal_string(client: Client, article: str) -> None:
    """An integer id (as the bulk job's JSONL allows) becomes the string id "42"."""
    status, body = await post(client, "/v1/documents", {"id": 42, "text": article})
    assert (status, body["id"]) == (201, "42")
    assert (await client.get("/v1/documents/42")).status == 200


async def test_an_integral_number_is_the_integer_id_it_equals(client: Client, article: str) -> None:
    """JSON does not tell 42 from 42.0: both are the integer JSON Schema's ``integer`` means."""
    status, body = await post(client, "/v1/documents", {"id": 43.0, "text": article})
    assert (status, body["id"]) == (201, "43")


async def test_check_answers_the_verdict_and_stores_nothing(client: Client, article: str) -> None:
    """/v1/check reports the duplicate a post would, with stored null, and stores nothing."""
    await post(client, "/v1/documents", {"id": "a1", "text": article})
    status, body = await post(client, "/v1/check", {"id": "q", "text": article})
    assert status == 200
    assert (body["status"], body["duplicate_of"], body["stored"]) == ("duplicate", "a1", None)
    assert matches_schema("Verdict", body)
    assert (await client.get("/v1/documents/q")).status == 404
    assert await documents(client) == 1


async def test_since_leaves_out_documents_published_before_it(client: Client, article: str) -> None:
    """A copy checked with since after the original's date does not match the original."""
    await post(client, "/v1/documents", {"id": "a1", "text": article, "published": "2024-01-01"})
    _, inside = await post(client, "/v1/check", {"id": "q", "text": article}, since="2023-12-31")
    _, outside = await post(client, "/v1/check", {"id": "q", "text": article}, since="2024-06-01")
    assert inside["status"] == "duplicate"
    assert outside["status"] == "new"


async def test_a_window_bounds_fraction_of_a_second_rounds_up(client: Client, article: str) -> None:
    """Stored dates keep whole seconds: since=12:00:00.6 leaves 12:00:00 out, until=12:00:00.5
    keeps it in, as the instants compare."""
    published = "2024-06-10T12:00:00Z"
    await post(client, "/v1/documents", {"id": "a1", "text": article, "published": published})
    _, after = await post(
        client, "/v1/check", {"id": "q", "text": article}, since="2024-06-10T12:00:00.6Z"
    )
    _, before = await post(
        client, "/v1/check", {"id": "q", "text": article}, until="2024-06-10T12:00:00.5Z"
    )
    assert (after["status"], before["status"]) == ("new", "duplicate")


async def test_exclude_same_source_ignores_the_posted_documents_outlet(
    client: Client, article: str
) -> None:
    """With exclude_same_source=true a copy from the same outlet is new."""
    await post(client, "/v1/documents", {"id": "a1", "text": article, "source": "wire"})
    body = {"id": "q", "text": article, "source": "wire"}
    _, same = await post(client, "/v1/check", body, exclude_same_source="true")
    _, other = await post(
        client, "/v1/check", {**body, "source": "daily"}, exclude_same_source="true"
    )
    assert same["status"] == "new"
    assert other["status"] == "duplicate"


async def test_get_takes_the_window_for_its_matches(client: Client, article: str) -> None:
    """GET's since, until and exclude_same_source filter a stored document's matches."""
    await post(client, "/v1/documents", {"id": "a1", "text": article, "source": "wire"})
    await post(client, "/v1/documents", {"id": "a2", "text": article, "source": "wire"})
    views = [
        await (await client.get("/v1/documents/a2", params=params)).json()
        for params in ({}, {"exclude_same_source": "true"})
    ]
    assert [[m["id"] for m in view["matches"]] for view in views] == [["a1"], []]
    assert views[1]["members"] == ["a1", "a2"]
    response = await client.get("/v1/documents/a2", params={"since": "someday"})
    assert response.status == 422


async def test_a_bad_window_parameter_is_a_422_naming_it(client: Client, article: str) -> None:
    """An unparsable since and a non-boolean exclude_same_source are both listed in errors."""
    status, body = await post(
        client,
        "/v1/check",
        {"id": "q", "text": article},
        since="yesterday",
        exclude_same_source="maybe",
    )
    assert status == 422
    assert {(e["field"], e["in"]) for e in body["errors"]} == {
        ("since", "query"),
        ("exclude_same_source", "query"),
    }


async def test_an_empty_exclude_same_source_is_a_422(client: Client, article: str) -> None:
    status, body = await post(
        client, "/v1/check", {"id": "q", "text": article}, exclude_same_source=""
    )
    assert status == 422
    assert [(e["field"], e["in"]) for e in body["errors"]] == [("exclude_same_source", "query")]


async def test_strip_answers_the_text_and_the_removed_spans(client: Client, article: str) -> None:
    """/v1/strip answers the text and sorted spans that index into the input."""
    status, body = await post(client, "/v1/strip", {"text": article, "source": "wire"})
    assert status == 200
    assert matches_schema("Stripped", body)
    assert all(0 <= s < e <= len(article) for s, e in body["removed"])
    assert body["removed"] == sorted(body["removed"])


async def test_get_answers_metadata_cluster_and_members(client: Client, article: str) -> None:
    """A stored document's view names its metadata, its cluster and the cluster's members."""
    first = {"id": "a1", "text": article, "source": "wire", "title": "T", "published": "2024-01-02"}
    await post(client, "/v1/documents", first)
    await post(client, "/v1/documents", {"id": "a2", "text": article})
    response = await client.get("/v1/documents/a2")
    view = await response.json()
    assert response.status == 200
    assert matches_schema("DocumentView", view)
    assert view["cluster"] == "a1"
    assert set(view["members"]) == {"a1", "a2"}
    original = await (await client.get("/v1/documents/a1")).json()
    assert (original["source"], original["title"], original["length"]) == (
        "wire",
        "T",
        len(article),
    )
    assert original["published"].startswith("2024-01-02")


async def test_ids_with_slashes_and_unicode_work_in_the_path(client: Client, article: str) -> None:
    """An id like a relative path with non-ASCII letters is reachable percent-encoded."""
    doc_id = "feeds/2024/Zürich nachrichten.txt"
    await post(client, "/v1/documents", {"id": doc_id, "text": article})
    response = await client.get("/v1/documents/" + quote(doc_id, safe=""))
    assert response.status == 200
    assert (await response.json())["id"] == doc_id


async def test_the_id_bulk_is_a_document_like_any_other(client: Client, article: str) -> None:
    """The bulk endpoint takes POST only: a document with the id "bulk" (which `dedup bulk
    --db` stores as any) is posted, looked up and deleted at its path."""
    response = await client.post("/v1/documents", json={"id": "bulk", "text": article})
    assert (response.status, response.headers["Location"]) == (201, "/v1/documents/bulk")
    found = await client.get("/v1/documents/bulk")
    assert (found.status, (await found.json())["id"]) == (200, "bulk")
    assert (await client.delete("/v1/documents/bulk")).status == 204
    assert (await client.get("/v1/documents/bulk")).status == 404


@pytest.mark.parametrize("doc_id", [".", ".."])
async def test_a_dot_segment_id_has_a_location_clients_keep(
    client: Client, article: str, doc_id: str
) -> None:
    """Clients resolve "." and ".." path segments away: the Location encodes their dots, and
    the document is there, as sent on the wire."""
    response = await client.post("/v1/documents", json={"id": doc_id, "text": article})
    location = response.headers["Location"]
    assert location == "/v1/documents/" + "%2E" * len(doc_id)
    head = f"GET {location} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    answer, _ = await raw_request(client.port, head)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]


async def test_get_of_an_absent_id_is_a_404_problem(client: Client) -> None:
    """An unknown id answers 404 application/problem+json."""
    response = await client.get("/v1/documents/nope")
    assert response.status == 404
    assert response.content_type == "application/problem+json"
    assert matches_schema("Problem", await response.json(content_type=None))


async def test_delete_answers_204_and_the_document_is_gone(client: Client, article: str) -> None:
    """DELETE removes the document (204) and a second DELETE is a 404 problem."""
    await post(client, "/v1/documents", {"id": "a1", "text": article})
    assert (await client.delete("/v1/documents/a1")).status == 204
    assert (await client.get("/v1/documents/a1")).status == 404
    again = await client.delete("/v1/documents/a1")
    assert again.status == 404
    assert again.content_type == "application/problem+json"


async def test_bulk_answers_one_line_per_input_line_in_order(client: Client, article: str) -> None:
    """Bulk answers results and per-line errors in input order; blank lines get no answer."""
    lines = [
        json.dumps({"id": "b1", "text": article}),
        "",
        "{not json",
        json.dumps({"id": "b2", "text": article}),
        json.dumps({"id": "b3"}),
        json.dumps({"id": "b1", "text": article}),
    ]
    response = await client.post(
        "/v1/documents/bulk",
        data="\n".join(lines).encode(),
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert response.status == 200
    assert response.content_type == "application/x-ndjson"
    answers = [json.loads(line) for line in (await response.text()).splitlines()]
    assert [a["line"] for a in answers] == [1, 3, 4, 5, 6]
    assert all(matches_schema("BulkLine", a) for a in answers)
    assert (answers[0]["status"], answers[0]["result"]["status"]) == (201, "new")
    assert answers[1]["error"]["status"] == 400
    assert answers[2]["result"]["duplicate_of"] == "b1"
    assert answers[3]["error"]["errors"][0]["field"] == "text"
    assert (answers[4]["status"], answers[4]["result"]["stored"]) == (200, "unchanged")
    assert await documents(client) == 2


async def test_bulk_answers_a_line_before_the_body_has_ended(client: Client, article: str) -> None:
    """The first answer line arrives while the client is still holding back the second line."""
    second_line = asyncio.Event()

    async def body() -> Any:
        yield (json.dumps({"id": "s1", "text": article}) + "\n").encode()
        await second_line.wait()
        yield (json.dumps({"id": "s2", "text": "Another story entirely."}) + "\n").encode()

    response = await client.post(
        "/v1/documents/bulk", data=body(), headers={"Content-Type": "application/x-ndjson"}
    )
    async with asyncio.timeout(10):
        first = json.loads(await response.content.readline())
    second_line.set()
    rest = [json.loads(line) for line in (await response.text()).splitlines()]
    assert first["id"] == "s1"
    assert [a["id"] for a in rest] == ["s2"]


async def test_bulk_skips_a_line_over_the_size_limit(aiohttp_client: Any, tmp_path: Any) -> None:
    """A line longer than max_body_bytes is a 413 error line; the lines around it are stored."""
    from service import create_app
    from tests.service_support import settings

    small = await aiohttp_client(create_app(settings(tmp_path, max_body_bytes=4096)))
    lines = [
        json.dumps({"id": "x1", "text": "A short story about the harbour."}),
        json.dumps({"id": "x2", "text": "word " * 2000}),
        json.dumps({"id": "x3", "text": "Another short story about the mountains."}),
    ]
    response = await small.post(
        "/v1/documents/bulk",
        data="\n".join(lines),
        headers={"Content-Type": "application/x-ndjson"},
    )
    answers = [json.loads(line) for line in (await response.text()).splitlines()]
    assert [a.get("id") for a in answers] == ["x1", None, "x3"]
    assert answers[1]["error"]["status"] == 413


@pytest.mark.parametrize("body", [b"", b"\n\r\n  \n"])
async def test_a_bulk_body_with_no_lines_is_a_400_problem(client: Client, body: bytes) -> None:
    """An empty body, or one of blank lines only, is refused whole: nothing was sent to post."""
    headers = {"Content-Type": "application/x-ndjson"}
    response = await client.post("/v1/documents/bulk", data=body, headers=headers)
    assert (response.status, response.content_type) == (400, "application/problem+json")
    assert (await response.json())["type"] == "urn:dedup:problem:empty-body"


async def test_bulk_wants_ndjson(client: Client) -> None:
    """A bulk body sent as application/json is a 415 problem."""
    response = await client.post("/v1/documents/bulk", json={"id": "x", "text": "y"})
    assert response.status == 415
    assert response.content_type == "application/problem+json"


async def test_livez_answers_ok(client: Client) -> None:
    """/livez answers 200 while the process runs."""
    response = await client.get("/livez")
    assert (response.status, await response.json()) == (200, {"status": "ok"})


async def test_readyz_answers_ready_with_the_index_size(client: Client, article: str) -> None:
    """/readyz answers 200 ready with the number of stored documents."""
    await post(client, "/v1/documents", {"id": "a1", "text": article})
    response = await client.get("/readyz")
    assert (response.status, await response.json()) == (200, {"status": "ready", "documents": 1})


async def test_openapi_document_lists_every_route(client: Client) -> None:
    """/openapi.json is an OpenAPI 3.1 document naming every path the service routes."""
    response = await client.get("/openapi.json")
    document = await response.json()
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {
        "/v1/documents",
        "/v1/documents/bulk",
        "/v1/documents/{id}",
        "/v1/check",
        "/v1/strip",
        "/livez",
        "/readyz",
        "/metrics",
        "/openapi.json",
    }
    limit = document["components"]["schemas"]["DocumentIn"]["properties"]["text"]["maxLength"]
    assert limit == 1_000_000


async def test_an_unknown_path_is_a_404_problem(client: Client) -> None:
    """A path the service does not route answers 404 application/problem+json."""
    response = await client.get("/v2/nothing")
    assert response.status == 404
    assert response.content_type == "application/problem+json"


async def test_a_wrong_method_is_a_405_problem_with_allow(client: Client) -> None:
    """PUT on /v1/check answers 405 problem with an Allow header naming POST."""
    response = await client.put("/v1/check", json={})
    assert response.status == 405
    assert "POST" in response.headers["Allow"]
    assert (await response.json(content_type=None))["status"] == 405
