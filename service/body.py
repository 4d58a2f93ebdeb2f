"""Reading request bodies defensively: media type, deadline, size, encoding, JSON, depth.

Every way a body can be unreadable is answered here with a 4xx problem, before any field is
looked at: a wrong media type is 415, a body over ``max_body_bytes`` 413 (aiohttp's
``client_max_size``), a body that does not arrive within ``body_timeout`` 408, and bytes that
are not one strict UTF-8 JSON text (BOM, invalid UTF-8, NaN/Infinity, duplicate keys, trailing
garbage, nesting deeper than ``max_json_depth``) 400. Whether the JSON has the right fields is
the schemas' business (422).
"""

from __future__ import annotations

import asyncio
import json
from asyncio import FIRST_COMPLETED
from collections.abc import Awaitable
from typing import Any, NoReturn, TypeVar

import orjson
from aiohttp import web

from dedup.collection import PostReport, Verdict
from service.problems import Problem

T = TypeVar("T")
JSON_TYPES = frozenset({"application/json"})
NDJSON_TYPES = frozenset({"application/x-ndjson", "application/ndjson", "application/jsonl"})
_BOM = b"\xef\xbb\xbf"


def encode(data: Any) -> bytes:
    """Compact UTF-8 JSON (inputs are checked for lone surrogates, so this cannot fail).

    orjson rather than :mod:`json`: a post's answer is encoded on a reader thread of the
    service's process, which every other thread of it waits for while it holds the
    interpreter lock."""
    return orjson.dumps(data)


def verdict_body(verdict: Verdict) -> tuple[int, bytes]:
    """A post's or a check's status (201 for a post that added its id, else 200) and body."""
    data = verdict.to_dict()
    return (201 if data.get("stored") == "added" else 200), encode(data)


#: A post's answer from a reader: its status and body, and the documents its report found
#: related whole beyond the writer's matches (where the post is then placed).
PostAnswer = tuple[int, bytes, tuple[str, ...]]


def post_answer(report: PostReport) -> PostAnswer:
    """A post's :func:`verdict_body` and the documents to place it with
    (:meth:`dedup.collection.Collection.report_post`)."""
    return (*verdict_body(report.verdict), report.related)


def require_media_type(request: web.BaseRequest, allowed: frozenset[str]) -> None:
    """415 unless the body is declared as one of ``allowed`` (and UTF-8, if a charset is given)."""
    charset = (request.charset or "utf-8").lower()
    if request.content_type not in allowed or charset not in ("utf-8", "utf8"):
        given = request.headers.get("Content-Type", "nothing")
        raise Problem(
            415,
            f"send {' or '.join(sorted(allowed))} in UTF-8, not {given}",
            kind="unsupported-media-type",
            headers={"Accept-Post": ", ".join(sorted(allowed))},
        )


class Stopped(Exception):
    """The app began shutting down while a request still waited for body bytes."""


def shutting_down() -> Problem:
    """The 503 of a request whose body was still arriving when shutdown began."""
    return Problem(
        503,
        "the service is shutting down; the body was not read in full",
        kind="shutting-down",
        headers={"Retry-After": "1"},
        close=True,
    )


async def receive(aw: Awaitable[T], timeout: float, stopping: asyncio.Event) -> T:
    """``aw``'s result, unless ``timeout`` seconds pass first (:class:`TimeoutError`) or the app
    starts shutting down (:class:`Stopped`): aiohttp stops reading sockets then, so a read
    still waiting would wait until the shutdown timeout for bytes that never come."""
    work = asyncio.ensure_future(aw)
    stop = asyncio.ensure_future(stopping.wait())
    try:
        done, _ = await asyncio.wait({work, stop}, timeout=timeout, return_when=FIRST_COMPLETED)
    finally:
        stop.cancel()
        if not work.done():
            work.cancel()
    if work in done:
        return work.result()
    if stop in done:
        raise Stopped
    raise TimeoutError


async def read_json(
    request: web.Request, timeout: float, max_depth: int, stopping: asyncio.Event
) -> Any:
    """The request's JSON body, checked as described in the module docstring."""
    require_media_type(request, JSON_TYPES)
    if request.content.is_eof():
        # The whole body came with the head (a news article does): nothing to wait for, and
        # the deadline's two tasks would cost the event loop 18 us a request (by hand).
        return parse_json(await request.read(), max_depth)
    try:
        raw = await receive(request.read(), timeout, stopping)
    except TimeoutError:
        raise Problem(
            408, f"the body did not arrive within {timeout:g} s", kind="body-timeout"
        ) from None
    except Stopped:
        raise shutting_down() from None
    return parse_json(raw, max_depth)


def parse_json(raw: bytes, max_depth: int) -> Any:
    """One strict JSON text from UTF-8 bytes, or a 400 saying what is wrong with it."""
    if not raw.strip():
        _bad("the body is empty; send one JSON object")
    if raw.startswith(_BOM):
        _bad("the body starts with a byte order mark; send UTF-8 without one")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        _bad(f"the body is not valid UTF-8 (byte {exc.start})", kind="invalid-encoding")
    try:
        value = json.loads(text, parse_constant=_no_constant, object_pairs_hook=_no_duplicates)
    except RecursionError:
        _bad(f"JSON nested deeper than {max_depth} levels")
    except json.JSONDecodeError as exc:
        _bad(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    except ValueError as exc:  # NaN/Infinity, duplicate keys, integers over 4300 digits
        _bad(f"invalid JSON: {exc}")
    if _depth(value) > max_depth:
        _bad(f"JSON nested deeper than {max_depth} levels")
    return value


def _bad(detail: str, kind: str = "invalid-json") -> NoReturn:
    raise Problem(400, detail, kind=kind)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (send numbers, or null)")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object, unless a key repeats: which of two values counts is not defined by JSON."""
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r}")
            seen.add(key)
    return result


def _depth(value: Any) -> int:
    """Nesting depth of arrays and objects (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            level += 1
            deepest = max(deepest, level)
            stack.extend((child, level) for child in item if isinstance(child, dict | list))
    return deepest
