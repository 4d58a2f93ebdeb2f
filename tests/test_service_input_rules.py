"""What the service takes as a document's id and text, and as a document's path: the library's
rules (dedup.fields) answered as 4xx problems, with nothing stored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.malformed_cases import chunked
from tests.malformed_cases import raw as raw_body
from tests.service_support import post, raw_request
from tests.test_service_metrics import labels, scrape

Client = TestClient[Any, Any]
TEXT = "A short story about the harbour on a windy day."
NDJSON = {"Content-Type": "application/x-ndjson"}


async def stored(client: Client) -> int:
    return int((await (await client.get("/readyz")).json())["documents"])


def only(field: str, detail: str) -> list[dict[str, str]]:
    """A 422's ``errors`` when ``field`` alone is wrong, for ``detail``."""
    return [{"field": field, "pointer": f"#/{field}", "detail": detail}]


async def send(client: Client, method: str, path: str) -> tuple[int, str, dict[str, Any]]:
    """``method path`` with the path's bytes on the wire exactly as given (no client's
    quoting); the status, the content type and the JSON body ({} if none)."""
    head = f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    answer, _ = await raw_request(client.port, head.encode("ascii"))
    status_line, _, rest = answer.partition(b"\r\n")
    headers, _, body = rest.partition(b"\r\n\r\n")
    types = [h for h in headers.split(b"\r\n") if h.lower().startswith(b"content-type:")]
    content_type = types[0].partition(b":")[2].split(b";")[0].strip().decode() if types else ""
    return int(status_line.split()[1]), content_type, json.loads(body) if body else {}


@pytest.mark.parametrize("route", ["/v1/documents", "/v1/check"])
async def test_a_control_character_in_an_id_is_named_with_its_place(
    client: Client, route: str
) -> None:
    """The 422 says which control character the id holds and where, in the library's words."""
    status, problem = await post(client, route, {"id": "ab\tc", "text": TEXT})
    assert status == 422
    assert problem["errors"] == only("id", "contains a control character (U+0009 at character 2)")


async def test_an_id_of_only_white_space_is_refused_in_those_words(client: Client) -> None:
    """An ideographic space alone is no id: 422 "is only whitespace", nothing stored."""
    status, problem = await post(client, "/v1/documents", {"id": "\u3000", "text": TEXT})
    assert (status, problem["errors"][0]["detail"]) == (422, "is only whitespace")
    assert await stored(client) == 0


async def test_an_id_with_spaces_around_other_characters_is_stored_as_given(
    client: Client,
) -> None:
    """Leading and trailing spaces are part of the id: stored, and found at its encoded path."""
    status, verdict = await post(client, "/v1/documents", {"id": " a1 ", "text": TEXT})
    assert (status, verdict["id"]) == (201, " a1 ")
    status, _, view = await send(client, "GET", "/v1/documents/%20a1%20")
    assert (status, view["id"]) == (200, " a1 ")


@pytest.mark.parametrize("route", ["/v1/documents", "/v1/check"])
@pytest.mark.parametrize("text", ["", "  \n\t\u3000"])
async def test_a_text_with_no_words_is_a_422_naming_text(
    client: Client, route: str, text: str
) -> None:
    """An empty or blank text is a client's bug: 422 on text, saying there is no text."""
    status, problem = await post(client, route, {"id": "blank", "text": text})
    assert status == 422
    assert problem["errors"] == only("text", "is empty or only white space: there is no text")
    assert await stored(client) == 0


async def test_a_text_with_no_word_is_stored_and_matches_nothing(client: Client) -> None:
    """Punctuation or emoji only is a text, taken as the bulk job takes it: it has no shingle,
    so even its exact copy is new."""
    for doc_id in ("first", "copy"):
        status, verdict = await post(client, "/v1/documents", {"id": doc_id, "text": "😀😀 🎉 !!!"})
        assert (status, verdict["status"], verdict["matches"]) == (201, "new", [])


async def test_a_bulk_line_with_no_words_or_a_blank_id_is_an_error_line(client: Client) -> None:
    """In a bulk body, those lines answer 422 error lines; the good line around them is stored."""
    lines = [
        {"id": "empty", "text": ""},
        {"id": "good", "text": TEXT},
        {"id": " ", "text": TEXT},
    ]
    body = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    response = await client.post(
        "/v1/documents/bulk", **chunked(raw_body(body, "application/x-ndjson")).aiohttp_args()
    )
    answers = [json.loads(line) for line in (await response.text()).splitlines()]
    assert [a.get("status") or a["error"]["status"] for a in answers] == [422, 201, 422]
    assert [a["error"]["errors"][0]["field"] for a in (answers[0], answers[2])] == ["text", "id"]
    assert await stored(client) == 1


async def test_a_bulk_error_line_names_its_id_unless_the_problem_is_the_id(client: Client) -> None:
    """An error line carries the line's id when the id itself is good, as a result line
    does, so a client can tell which document failed without counting lines."""
    lines = [{"id": "no-text"}, {"id": " ", "text": TEXT}, {"id": 7, "text": ""}]
    body = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    response = await client.post("/v1/documents/bulk", data=body, headers=NDJSON)
    answers = [json.loads(line) for line in (await response.text()).splitlines()]
    assert [(a["line"], a.get("id")) for a in answers] == [(1, "no-text"), (2, None), (3, "7")]


async def test_bulk_error_lines_are_counted_as_problem_answers(client: Client) -> None:
    """dedup_http_problems_total{type} counts each bulk error line by its problem type."""
    before = (await scrape(client)).get(("dedup_http_problems_total", labels(type="validation")), 0)
    body = b'{"id": "a"}\n{"id": "b", "text": ""}\n'
    await (await client.post("/v1/documents/bulk", data=body, headers=NDJSON)).read()
    after = (await scrape(client))[("dedup_http_problems_total", labels(type="validation"))]
    assert after - before == 2


async def test_stripping_an_empty_text_answers_it_back(client: Client) -> None:
    """/v1/strip takes an empty text: there is nothing to remove, and nothing is stored."""
    assert await post(client, "/v1/strip", {"text": ""}) == (200, {"text": "", "removed": []})


@pytest.mark.parametrize("method", ["GET", "DELETE"])
@pytest.mark.parametrize("escapes", ["%FF", "%C3", "ok%E9", "%ED%A0%80"])
async def test_a_path_whose_escapes_are_not_utf8_is_a_400(
    client: Client, method: str, escapes: str
) -> None:
    """A document path whose percent-escapes do not decode to UTF-8 (a stray byte, a cut
    sequence, an encoded surrogate) is a 400 ``undecodable-path`` naming the id, not a lookup."""
    status, content_type, problem = await send(client, method, f"/v1/documents/{escapes}")
    assert (status, content_type) == (400, "application/problem+json")
    assert problem["type"] == "urn:dedup:problem:undecodable-path"
    assert [(e["field"], e["in"]) for e in problem["errors"]] == [("id", "path")]


async def test_an_id_holding_a_percent_sign_is_found_at_its_encoded_path(client: Client) -> None:
    """The id "%FF" lives at %25FF, and only there: %FF is refused, and deletes nothing."""
    assert (await post(client, "/v1/documents", {"id": "%FF", "text": TEXT}))[0] == 201
    assert (await send(client, "DELETE", "/v1/documents/%FF"))[0] == 400
    status, _, view = await send(client, "GET", "/v1/documents/%25FF")
    assert (status, view["id"]) == (200, "%FF")
    assert (await send(client, "DELETE", "/v1/documents/%25FF"))[0] == 204
    assert await stored(client) == 0
