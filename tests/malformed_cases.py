"""The table of hand-written malformed request bodies, shared by the in-process input tests and
the fuzzing module that replays it against the real process."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

GOOD = {"id": "ok", "text": "A short story about the harbour on a windy day."}
LIMITS = {"max_body_bytes": 64 * 1024, "max_text_chars": 20_000, "max_token_chars": 1000}
PIECE = 16 * 1024  # bytes per chunk of a chunked body
HUGE = 8 << 20  # bytes of the huge bodies, 128 times max_body_bytes


@dataclass(frozen=True)
class Body:
    """A request body as sent: its bytes, declared type, and whether it is sent chunked
    (``Transfer-Encoding: chunked``, no ``Content-Length``)."""

    data: bytes
    content_type: str | None = "application/json"
    chunked: bool = False

    def headers(self) -> dict[str, str]:
        return {"Content-Type": self.content_type} if self.content_type else {}

    def pieces(self) -> Iterator[bytes]:
        """The bytes in PIECE-sized chunks."""
        for start in range(0, len(self.data), PIECE):
            yield self.data[start : start + PIECE]

    def aiohttp_args(self) -> dict[str, Any]:
        """Keyword arguments of an aiohttp client request sending this body."""
        if not self.chunked:
            return {"data": self.data, "headers": self.headers()}

        async def stream() -> AsyncIterator[bytes]:
            for piece in self.pieces():
                yield piece

        return {"data": stream(), "headers": self.headers()}


def raw(data: bytes, content_type: str | None = "application/json") -> Body:
    return Body(data, content_type)


def as_json(value: Any) -> Body:
    return raw(json.dumps(value).encode())


def with_field(**fields: Any) -> Body:
    return as_json({**GOOD, **fields})


def chunked(body: Body) -> Body:
    return Body(body.data, body.content_type, chunked=True)


def huge_document() -> bytes:
    """A JSON document of HUGE bytes (valid, but far over max_body_bytes)."""
    head = b'{"id": "huge", "text": "'
    return head + b"word " * ((HUGE - len(head) - 2) // 5) + b'"}'


OVER_LIMIT = with_field(text="word " * 20_000)  # about 100 kB against a 64 KiB limit

# (case, body, expected status, the field the problem must name or None)
MALFORMED: list[tuple[str, Body, int, str | None]] = [
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
    ("body over max_body_bytes", OVER_LIMIT, 413, None),
    ("chunked body over max_body_bytes", chunked(OVER_LIMIT), 413, None),
    ("body of 8 MiB", raw(huge_document()), 413, None),
    ("chunked body of 8 MiB", chunked(raw(huge_document())), 413, None),
    ("top-level array", as_json([GOOD]), 422, "(body)"),
    ("top-level string", as_json("hello"), 422, "(body)"),
    ("top-level null", raw(b"null"), 422, "(body)"),
    ("missing text", as_json({"id": "x"}), 422, "text"),
    ("missing id", as_json({"text": "t"}), 422, "id"),
    ("id is a list", with_field(id=["x"]), 422, "id"),
    ("id is empty", with_field(id=""), 422, "id"),
    ("id is only spaces", with_field(id="   "), 422, "id"),
    ("id is an ideographic space", with_field(id="\u3000"), 422, "id"),
    ("id holds a tab", with_field(id="a\tb"), 422, "id"),
    ("id ends in a newline", with_field(id="a\n"), 422, "id"),
    ("id holds U+0007", with_field(id="ring\x07"), 422, "id"),
    ("id holds DEL", with_field(id="a\x7f"), 422, "id"),
    ("id holds a C1 control", with_field(id="a\x9b"), 422, "id"),
    ("id is a number with a fraction", with_field(id=1.5), 422, "id"),
    ("id is a boolean", with_field(id=True), 422, "id"),
    ("id is an integer over 2^53 - 1", with_field(id=2**53), 422, "id"),
    (
        "id is an integer of 2,000 digits",
        raw(b'{"id": ' + b"7" * 2000 + b', "text": "t"}'),
        422,
        "id",
    ),
    ("text is a number", with_field(text=12), 422, "text"),
    ("text is null", with_field(text=None), 422, "text"),
    ("text is empty", with_field(text=""), 422, "text"),
    ("text is only white space", with_field(text=" \n\t\u3000 "), 422, "text"),
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
