"""Fuzzed bodies against one real server: whatever arrives, the answer is never a 5xx, a bad
body is a 4xx problem that stores nothing, and the server stays live."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.service_support import settings as service_settings
from tests.service_support import threaded_service

LIMITS = {"max_body_bytes": 64 * 1024, "max_text_chars": 20_000, "max_token_chars": 1000}
EXAMPLES = 600  # per route: 1,200 bodies in all
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same bodies on every run
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FIELDS = ("id", "text", "source", "published", "title")
CONTENT_TYPES = ["application/json"] * 6 + [
    "application/json; charset=utf-8",
    "text/plain",
    "application/x-ndjson",
    None,
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
# long strings built cheaply: a few characters repeated up to past the body and text limits
huge_strings = st.builds(
    lambda piece, times: piece * times,
    st.text(min_size=1, max_size=6),
    st.integers(min_value=1, max_value=15_000),
)
field_values = st.one_of(json_values, huge_strings, st.text(max_size=200))
documents = st.fixed_dictionaries(
    {},
    optional={name: field_values for name in FIELDS},
).flatmap(
    lambda doc: st.dictionaries(st.text(max_size=10), json_values, max_size=3).map(
        lambda extra: {**extra, **doc}
    )
)
bodies = st.one_of(
    st.binary(max_size=2000),
    json_values.map(lambda value: json.dumps(value).encode()),
    documents.map(lambda doc: json.dumps(doc).encode()),
    documents.map(lambda doc: json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")),
)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real server with small limits, for every fuzzed body of the module."""
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    with threaded_service(service_settings(tmp, **LIMITS)) as base:
        yield base


def request(
    url: str, data: bytes | None = None, content_type: str | None = None
) -> tuple[int, str, bytes]:
    """Status, content type and body of one loopback request (GET without data)."""
    req = urllib.request.Request(url, data=data, method="GET" if data is None else "POST")
    if content_type is not None:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=30) as answer:
            return answer.status, answer.headers.get_content_type(), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get_content_type(), error.read()


def stored(url: str) -> int:
    status, _, body = request(f"{url}/readyz")
    assert status == 200
    return int(json.loads(body)["documents"])


def surely_invalid(data: bytes, content_type: str | None) -> bool:
    """Whether the body cannot be a document: not JSON, or no string id and text."""
    if content_type is None or not content_type.startswith("application/json"):
        return True
    try:
        value: Any = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return True
    return not (
        isinstance(value, dict)
        and isinstance(value.get("id"), str)
        and value["id"]
        and isinstance(value.get("text"), str)
    )


def check_answer(url: str, path: str, data: bytes, content_type: str | None) -> tuple[int, int]:
    """Post one body; assert the answer's shape; the status and the change in stored documents."""
    before = stored(url)
    status, kind, body = request(f"{url}{path}", data, content_type)
    event(f"status {status}")  # --hypothesis-show-statistics shows the mix
    assert status < 500, body[:300]
    if surely_invalid(data, content_type):
        assert 400 <= status < 500, body[:300]
    if status >= 400:
        assert kind == "application/problem+json"
        assert json.loads(body)["status"] == status
    return status, stored(url) - before


@FUZZ
@given(data=bodies, content_type=st.sampled_from(CONTENT_TYPES))
def test_a_fuzzed_post_is_never_a_5xx_and_a_4xx_stores_nothing(
    url: str, data: bytes, content_type: str | None
) -> None:
    """POST /v1/documents: never a 5xx; a bad body is a 4xx problem and stores nothing."""
    status, added = check_answer(url, "/v1/documents", data, content_type)
    if status >= 400:
        assert added == 0
    else:
        assert added in (0, 1)


@FUZZ
@given(data=bodies, content_type=st.sampled_from(CONTENT_TYPES))
def test_a_fuzzed_check_is_never_a_5xx_and_stores_nothing(
    url: str, data: bytes, content_type: str | None
) -> None:
    """POST /v1/check: never a 5xx; a bad body is a 4xx problem; nothing is ever stored."""
    _, added = check_answer(url, "/v1/check", data, content_type)
    assert added == 0


def test_the_server_is_live_after_the_fuzzing(url: str) -> None:
    """After every fuzzed body, /livez still answers 200."""
    status, _, _ = request(f"{url}/livez")
    assert status == 200
