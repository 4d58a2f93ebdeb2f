"""Helpers of the fuzzing module: hypothesis strategies for bodies, blocking loopback requests,
and the resident memory of a server process."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st


def fuzz(examples: int) -> Any:
    """Hypothesis settings of a fuzz test: ``examples`` bodies, the same ones on every run."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
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
NDJSON_TYPES = ["application/x-ndjson"] * 8 + ["application/json", None]

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


def objects(names: Iterable[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with any of ``names`` (each of any type) and a few unknown keys."""
    return st.fixed_dictionaries({}, optional={name: field_values for name in names}).flatmap(
        lambda doc: st.dictionaries(st.text(max_size=10), json_values, max_size=3).map(
            lambda extra: {**extra, **doc}
        )
    )


def encodings(values: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """``values`` as JSON bytes, ASCII-escaped or raw UTF-8 (lone surrogates passed through)."""
    return values.map(lambda v: json.dumps(v).encode()) | values.map(
        lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8", "surrogatepass")
    )


documents = objects(FIELDS)
bodies = st.one_of(
    st.binary(max_size=2000),
    json_values.map(lambda value: json.dumps(value).encode()),
    encodings(documents),
)
strip_bodies = st.one_of(
    st.binary(max_size=2000),
    json_values.map(lambda value: json.dumps(value).encode()),
    encodings(objects(("text", "source"))),
)


def request(
    url: str, data: bytes | Iterable[bytes] | None = None, content_type: str | None = None
) -> tuple[int, str, bytes]:
    """Status, content type and body of one loopback request (GET without data; an iterable of
    bytes is sent chunked)."""
    req = urllib.request.Request(url, data=data, method="GET" if data is None else "POST")
    if content_type is not None:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=30) as answer:
            return answer.status, answer.headers.get_content_type(), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get_content_type(), error.read()


def stored(url: str) -> int:
    """The number of documents the server at ``url`` holds."""
    status, _, body = request(f"{url}/readyz")
    assert status == 200
    return int(json.loads(body)["documents"])


def decoded(data: bytes) -> Any:
    """The JSON value of ``data`` as the server reads it, or None if it is not JSON."""
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def surely_invalid(data: bytes, content_type: str | None, needs_id: bool = True) -> bool:
    """Whether the body cannot be a document (or a strip request, without ``needs_id``): not
    JSON, or no string text (and no non-empty string or integer id)."""
    if content_type is None or not content_type.startswith("application/json"):
        return True
    value = decoded(data)
    if not isinstance(value, dict) or not isinstance(value.get("text"), str):
        return True
    doc_id = value.get("id")
    valid_id = (isinstance(doc_id, str) and doc_id) or type(doc_id) is int
    return needs_id and not valid_id


def check_answer(
    url: str, path: str, data: bytes, content_type: str | None, needs_id: bool = True
) -> tuple[int, bytes, int]:
    """Post one body; assert the answer's shape; the status, the answer and the change in
    stored documents."""
    before = stored(url)
    status, kind, body = request(f"{url}{path}", data, content_type)
    event(f"status {status}")  # --hypothesis-show-statistics shows the mix
    assert status < 500, body[:300]
    if surely_invalid(data, content_type, needs_id):
        assert 400 <= status < 500, body[:300]
    if status >= 400:
        assert kind == "application/problem+json"
        assert json.loads(body)["status"] == status
    return status, body, stored(url) - before


def rss_kib(pid: int) -> int:
    """The resident set size of process ``pid`` in KiB (VmRSS of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for process {pid}")
