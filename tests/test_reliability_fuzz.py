"""Fuzzed bodies against one real service process: whatever arrives on any body-taking route,
the answer is never a 5xx, a bad body is a 4xx problem that stores nothing, a bulk body's bad
lines each get their own error while its good lines are stored; afterwards the process is live
and its resident memory grew by no more than a stated bound."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from tests.fuzz_support import (
    CONTENT_TYPES,
    NDJSON_TYPES,
    bodies,
    check_answer,
    decoded,
    fuzz,
    request,
    rss_kib,
    stored,
    strip_bodies,
    surely_invalid,
)
from tests.malformed_cases import LIMITS, MALFORMED, Body, chunked, huge_document
from tests.service_support import Served, matches_schema, running_service

# Examples per route: 600 + 600 + 300 bodies, and 150 bulk bodies of up to 8 lines each; five
# times as many in the long tier (`make soak`), under the same memory bound.
SCALE = 5 if os.environ.get("DEDUP_SOAK") else 1
DOCUMENTS, CHECKS, STRIPS, BULKS = (SCALE * n for n in (600, 600, 300, 150))
# The bound on the process's RSS growth over the whole module, from the start (after one
# request of each kind) to the end. Measured here: 7.0, 7.4, 8.0, 8.4, 7.0 MiB in five runs of
# this module; 11.4 and 16.4 MiB with five times the bodies (`make soak`): growth (caches, the
# stored documents' SQLite pages) is far slower than the number of bodies. 32 MiB is four times
# the usual figure, and half of what the eight 8 MiB bodies would take if any were kept.
RSS_BOUND_MIB = 32
GOOD_TEXT = "Line {n}: the harbour council met on a windy day to talk about the ferry timetable."


@dataclass
class Server:
    """The module's service process, its RSS once warm, and how many bodies it was sent."""

    served: Served
    baseline_kib: int
    sent: int = 0

    @property
    def url(self) -> str:
        return self.served.url


def warm_up(url: str) -> None:
    """One request of each kind, so that the baseline includes what any first request loads."""
    doc = json.dumps({"id": "warm", "text": GOOD_TEXT.format(n=0)}).encode()
    for path in ("/v1/documents", "/v1/check", "/v1/strip"):
        assert request(f"{url}{path}", doc, "application/json")[0] in (200, 201)
    assert request(f"{url}/v1/documents/bulk", doc, "application/x-ndjson")[0] == 200
    assert request(f"{url}/v1/documents/warm")[0] == 200


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One `python -m service` process with small limits, for every body of the module."""
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    flags = [f"--{name.replace('_', '-')}={value}" for name, value in LIMITS.items()]
    with running_service(["service"], tmp / "index.db", "--readers=2", *flags) as served:
        warm_up(served.url)
        yield Server(served, rss_kib(served.process.pid))


@fuzz(DOCUMENTS)
@given(data=bodies, content_type=st.sampled_from(CONTENT_TYPES))
def test_a_fuzzed_post_is_never_a_5xx_and_a_4xx_stores_nothing(
    server: Server, data: bytes, content_type: str | None
) -> None:
    """POST /v1/documents: never a 5xx; a bad body is a 4xx problem and stores nothing."""
    server.sent += 1
    status, _, added = check_answer(server.url, "/v1/documents", data, content_type)
    assert added == (0 if status >= 400 else int(status == 201))


@fuzz(CHECKS)
@given(data=bodies, content_type=st.sampled_from(CONTENT_TYPES))
def test_a_fuzzed_check_is_never_a_5xx_and_stores_nothing(
    server: Server, data: bytes, content_type: str | None
) -> None:
    """POST /v1/check: never a 5xx; a bad body is a 4xx problem; nothing is ever stored."""
    server.sent += 1
    _, _, added = check_answer(server.url, "/v1/check", data, content_type)
    assert added == 0


@fuzz(STRIPS)
@given(data=strip_bodies, content_type=st.sampled_from(CONTENT_TYPES))
def test_a_fuzzed_strip_is_never_a_5xx_and_answers_spans_inside_the_text(
    server: Server, data: bytes, content_type: str | None
) -> None:
    """POST /v1/strip: never a 5xx; a bad body is a 4xx problem; a 200 answers removed spans
    that lie inside the text sent; nothing is ever stored."""
    server.sent += 1
    status, body, added = check_answer(server.url, "/v1/strip", data, content_type, False)
    assert added == 0
    if status == 200:
        length = len(decoded(data)["text"])
        assert all(0 <= start <= end <= length for start, end in json.loads(body)["removed"])


@dataclass(frozen=True)
class Bulk:
    """A bulk body: its physical lines (as the server splits them) and which are good."""

    lines: list[bytes]
    good: dict[int, str]  # line number -> id of a line that is a valid document
    separator: bytes
    trailing: bool

    @property
    def data(self) -> bytes:
        return self.separator.join(self.lines) + (self.separator if self.trailing else b"")


def bulk_of(items: list[bytes | int], separator: bytes, trailing: bool) -> Bulk:
    """Fuzzed lines (which may hold newlines of their own) and good documents (ints)."""
    lines: list[bytes] = []
    good: dict[int, str] = {}
    for item in items:
        if isinstance(item, int):
            doc_id = f"good-{item}"
            lines.append(json.dumps({"id": doc_id, "text": GOOD_TEXT.format(n=item)}).encode())
            good[len(lines)] = doc_id
        else:
            lines.extend(item.split(b"\n"))
    return Bulk(lines, good, separator, trailing)


bulks = st.builds(
    bulk_of,
    st.lists(bodies | st.integers(min_value=1, max_value=10_000), min_size=1, max_size=8),
    st.sampled_from([b"\n", b"\r\n"]),
    st.booleans(),
)


@fuzz(BULKS)
@given(bulk=bulks, content_type=st.sampled_from(NDJSON_TYPES))
def test_a_fuzzed_bulk_answers_each_line_and_stores_the_good_ones(
    server: Server, bulk: Bulk, content_type: str | None
) -> None:
    """POST /v1/documents/bulk: one answer per non-blank line, in order; a bad line gets its own
    4xx error, never a 5xx; every good line is stored; only 201 lines add documents."""
    server.sent += 1
    before = stored(server.url)
    status, kind, body = request(f"{server.url}/v1/documents/bulk", bulk.data, content_type)
    if content_type != "application/x-ndjson":
        assert (status, kind) == (415, "application/problem+json")
        assert stored(server.url) == before
        return
    numbered = [n for n, line in enumerate(bulk.lines, 1) if line.strip()]
    if not numbered:  # nothing but blank lines: refused whole
        assert (status, kind) == (400, "application/problem+json")
        assert stored(server.url) == before
        return
    assert status == 200
    answers = [json.loads(line) for line in body.splitlines()]
    assert [a["line"] for a in answers] == numbered
    for line, answer in zip(numbered, answers, strict=True):
        assert matches_schema("BulkLine", answer), answer
        event("error line" if "error" in answer else "stored line")
        if "error" in answer:
            assert 400 <= answer["error"]["status"] < 500, answer
            assert line not in bulk.good, answer
        else:
            assert answer["status"] in (200, 201)
            assert not surely_invalid(bulk.lines[line - 1], "application/json"), answer
    assert stored(server.url) - before == sum(a.get("status") == 201 for a in answers)
    for doc_id in bulk.good.values():
        assert request(f"{server.url}/v1/documents/{doc_id}")[0] == 200, doc_id


def send(url: str, body: Body) -> tuple[int, str, bytes]:
    return request(url, body.pieces() if body.chunked else body.data, body.content_type)


@pytest.mark.parametrize("path", ["/v1/documents", "/v1/check"])
@pytest.mark.parametrize(
    ("body", "status"), [pytest.param(b, s, id=case) for case, b, s, _ in MALFORMED]
)
def test_the_malformed_table_is_answered_the_same_by_the_process(
    server: Server, path: str, body: Body, status: int
) -> None:
    """Each malformed body of the input table, huge and chunked ones included, gets its 4xx
    problem from the real process too, and stores nothing."""
    server.sent += 1
    before = stored(server.url)
    answer = send(f"{server.url}{path}", body)
    assert answer[:2] == (status, "application/problem+json"), answer[2][:300]
    assert stored(server.url) == before


@pytest.mark.parametrize("repeat", range(4))
def test_a_chunked_bulk_line_of_8_mib_is_a_413_line_of_the_process(
    server: Server, repeat: int
) -> None:
    """An 8 MiB line in a chunked bulk body is a 413 error line, the good line after it stored."""
    server.sent += 1
    good = json.dumps({"id": f"after-huge-{repeat}", "text": GOOD_TEXT.format(n=repeat)})
    body = chunked(Body(huge_document() + b"\n" + good.encode(), "application/x-ndjson"))
    status, _, answer = send(f"{server.url}/v1/documents/bulk", body)
    lines = [json.loads(line) for line in answer.splitlines()]
    assert status == 200
    assert [line.get("error", {}).get("status") for line in lines] == [413, None]
    assert lines[1]["id"] == f"after-huge-{repeat}"


def test_the_process_is_live_after_the_fuzzing(server: Server) -> None:
    """After every fuzzed and malformed body, /livez still answers 200."""
    assert request(f"{server.url}/livez")[0] == 200


def test_memory_growth_is_bounded(server: Server) -> None:
    """Over the module's bodies (at least 1,000 fuzzed ones, the malformed table with its 8 MiB
    bodies, the 8 MiB bulk lines) the process's RSS grows by at most RSS_BOUND_MIB (32 MiB; see
    its comment for the measurements behind it): no body is held past the size limit."""
    assert server.sent >= 1_000, "run the whole module: this test measures what the others sent"
    growth_mib = (rss_kib(server.served.process.pid) - server.baseline_kib) / 1024
    print(f"RSS {server.baseline_kib / 1024:.1f} MiB warm, grew {growth_mib:.1f} MiB")
    assert growth_mib <= RSS_BOUND_MIB
