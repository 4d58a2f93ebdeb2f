"""The HTTP routes: parse and check the request, run one library call on a pool, answer.

Everything that touches the index runs on a pool thread (:mod:`service.pools`): posts and deletes
on the writer, checks, strips and lookups on the readers (whose threads hand the work to child
processes by default: :mod:`service.remote`), and so does the part of a post that
needs no file (on a reader, while the post queues for the writer) and the passages of its
matches (on a reader, once it is committed). Results are turned into JSON
bytes on the thread as well, so the event loop only moves bytes.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import quote, unquote_to_bytes

from aiohttp import web
from prometheus_client.exposition import choose_encoder

from dedup.boilerplate import Stripped
from dedup.collection import DocumentView, Window
from dedup.io import window_bound
from dedup.types import Document
from service import bulk
from service.ahead import prepare_ahead
from service.body import PostAnswer, encode, post_answer, read_json, verdict_body
from service.calls import Call
from service.keys import (
    LANES,
    LIMITS,
    METRICS,
    OPENAPI,
    READERS,
    SETTINGS,
    STATE,
    WRITER,
    writer_of,
)
from service.lanes import PostLanes
from service.placing import place, report
from service.pools import Overloaded, Runner
from service.problems import Problem, field_error
from service.schemas import invalid
from service.writer import delete_call, post_call

T = TypeVar("T")
C = TypeVar("C")
JSON = "application/json"

routes = web.RouteTableDef()


def query_window(request: web.BaseRequest) -> Window:
    """``since``/``until`` (ISO 8601; :func:`~dedup.io.window_bound`) and
    ``exclude_same_source`` (true/false), or a 422.

    An ``until`` not later than ``since`` is an empty window, not a 422: no schema can say
    one parameter must exceed another, so a client built from the OpenAPI document would
    take such a request for a valid one (schemathesis's positive-data check says so)."""
    errors: list[dict[str, str]] = []
    values: dict[str, str | None] = {}
    for name in ("since", "until", "exclude_same_source"):
        given = request.query.getall(name, [])
        values[name] = given[-1] if given else None
        if len(given) > 1:
            errors.append(field_error(name, "is given more than once", where="query"))
    dates: dict[str, str | None] = {}
    for name in ("since", "until"):
        raw = values[name]
        try:
            dates[name] = window_bound(raw) if raw is not None else None
        except ValueError as exc:
            errors.append(field_error(name, str(exc), where="query"))
    exclude = values["exclude_same_source"]
    exclude = "false" if exclude is None else exclude.lower()
    if exclude not in ("true", "false", "1", "0"):
        errors.append(field_error("exclude_same_source", "must be true or false", where="query"))
    if errors:
        raise invalid(errors)
    return Window(dates["since"], dates["until"], exclude in ("true", "1"))


def _segment(doc_id: str) -> str:
    """``doc_id`` as one path segment: percent-encoded, and the dot segments "." and ".."
    (which clients resolve away, RFC 3986 5.2.4) with their dots encoded too."""
    segment = quote(doc_id, safe="")
    return segment.replace(".", "%2E") if segment in (".", "..") else segment


def path_id(request: web.Request) -> str:
    """The id of a ``/v1/documents/{id}`` path, or a 400 if its percent-escapes are not UTF-8.

    aiohttp decodes the escapes it can and leaves the others as they are, so ``%FF`` would look
    up the id "%FF", which is asked for as ``%25FF``: one id would answer at two paths, and a
    client's broken encoding would read as a missing document. The id itself may be anything:
    a lookup only finds what a post stored.
    """
    raw = request.raw_path.partition("?")[0]
    try:
        unquote_to_bytes(raw).decode("utf-8")
    # UnicodeEncodeError too: raw bytes that are not UTF-8 (aiohttp's C parser refuses any
    # byte outside ASCII before this, a 400 unparsable-request (service.unparsable); its
    # Python parser may not).
    except UnicodeError:
        detail = (
            "the path's percent-escapes do not decode to UTF-8: send an id as the escapes of "
            "its UTF-8 bytes, a '%' in it as %25"
        )
        error = field_error("id", "has percent-escapes that are not UTF-8", where="path")
        raise Problem(400, detail, kind="undecodable-path", errors=[error]) from None
    return request.match_info["id"]


def _view_body(view: DocumentView) -> bytes:
    return encode(view.to_dict())


async def run_on(
    request: web.Request,
    pool: Runner[C],
    job: Callable[[C], T],
    since: float | None = None,
) -> T:
    """``job`` on ``pool``, counting the 503s a full queue answers; ``since`` is when the
    request arrived (:func:`time.monotonic`; see :meth:`service.pools.Pool.run`)."""
    try:
        return await pool.run(job, since=since)
    except Overloaded:
        request.app[METRICS].rejected.labels(pool.name).inc()
        raise


async def document_of(request: web.Request) -> Document:
    return request.app[LIMITS].document(await json_body(request))


async def json_body(request: web.Request) -> object:
    settings = request.app[SETTINGS]
    stopping = request.app[STATE].stopping
    return await read_json(request, settings.body_timeout, settings.max_json_depth, stopping)


def json_response(body: bytes, status: int = 200, **headers: str) -> web.Response:
    return web.Response(body=body, status=status, content_type=JSON, headers=headers)


@routes.post("/v1/documents/bulk")
async def post_bulk(request: web.Request) -> web.StreamResponse:
    """NDJSON in, NDJSON out: see :mod:`service.bulk`."""
    return await bulk.post_bulk(request, query_window(request))


@routes.post("/v1/documents")
async def post_document(request: web.Request) -> web.Response:
    """Check and store in one writer job: atomic against every other post.

    The writer, which every post waits for in turn, does only what decides what is stored:
    what the post computes from the text alone (:meth:`Collection.prepare`) is offered to a
    reader meanwhile (:mod:`service.ahead`), and the passages of its matches are aligned on a
    reader after the commit (:meth:`Collection.report`). A post whose report found documents
    related to it whole that LSH had not proposed is placed with them before it is answered
    (:mod:`service.placing`).
    """
    arrived = time.monotonic()
    pool = writer_of(request.app)  # before the body is read: a read-only service refuses it
    window = query_window(request)
    doc = await document_of(request)
    lanes = request.app.get(LANES)
    answer = None if lanes is None else await on_lane(request, lanes, doc, window, arrived)
    if answer is None:
        ahead = prepare_ahead(request.app, doc, arrived)
        pending = await run_on(request, pool, post_call(doc, ahead, window._asdict()), arrived)
        # Stored and committed: the passages are aligned on a reader.
        answer = await report(request.app, pending, post_answer, arrived)
    status, body, related = answer
    await place(request.app, doc.id, related)
    return posted(doc, status, body)


async def on_lane(
    request: web.Request, lanes: PostLanes, doc: Document, window: Window, arrived: float
) -> PostAnswer | None:
    """A post's status and body through a post lane (:mod:`service.lanes`), or None if no
    lane is open; counting the 503s of full lanes as the writer pool's."""
    try:
        return await lanes.post(doc, window._asdict(), arrived)
    except Overloaded:
        request.app[METRICS].rejected.labels("writer").inc()
        raise


def posted(doc: Document, status: int, body: bytes) -> web.Response:
    """A post's response: a new id's has its ``Location``."""
    headers = {"Location": "/v1/documents/" + _segment(doc.id)} if status == 201 else {}
    return json_response(body, status, **headers)


@routes.post("/v1/check")
async def check_document(request: web.Request) -> web.Response:
    """The verdict a post would give, from a reader: nothing is stored."""
    arrived = time.monotonic()
    window = query_window(request)
    doc = await document_of(request)
    pool = request.app[READERS]
    _, body = await run_on(
        request, pool, Call("check", (doc,), window._asdict(), verdict_body), arrived
    )
    return json_response(body)


@routes.post("/v1/strip")
async def strip_text(request: web.Request) -> web.Response:
    """The text without the boilerplate learned so far; ``removed`` spans are in the input."""
    text, source = request.app[LIMITS].strip_request(await json_body(request))

    def body(stripped: Stripped) -> bytes:
        removed = sorted([s, e] for s, e in [*stripped.removed, *stripped.chrome])
        return encode({"text": stripped.text, "removed": removed})

    pool = request.app[READERS]
    return json_response(await run_on(request, pool, Call("strip", (text, source), finish=body)))


# Any id, "bulk" included: the bulk endpoint takes POST only, and a GET or DELETE of its path
# falls through to this resource (a document stored as "bulk" by `dedup bulk --db` is found).
DOCUMENT = "/v1/documents/{id:.+}"


@routes.get(DOCUMENT)
async def get_document(request: web.Request) -> web.Response:
    """A stored document's metadata, cluster and matches within the query's window (404
    problem if absent)."""
    doc_id = path_id(request)
    window = query_window(request)
    pool = request.app[READERS]
    body = await run_on(request, pool, Call("get", (doc_id,), window._asdict(), _view_body))
    return json_response(body)


@routes.delete(DOCUMENT)
async def delete_document(request: web.Request) -> web.Response:
    """Remove a document on the writer: 204, or a 404 problem if absent."""
    pool = writer_of(request.app)
    doc_id = path_id(request)
    await run_on(request, pool, delete_call(doc_id))
    return web.Response(status=204)


@routes.get("/livez")
async def livez(request: web.Request) -> web.Response:
    """The event loop answers; says nothing about the index."""
    return json_response(encode({"status": "ok"}))


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    """Ready when the index is open and a reader thread answers (503 while starting/stopping);
    a read-only service has no writer to wait for."""
    app = request.app
    writing = not app[SETTINGS].read_only
    if not (app[STATE].ready and (not writing or app[WRITER].started) and app[READERS].started):
        raise Problem(503, "the index is not open", kind="not-ready", headers={"Retry-After": "1"})
    readers = app[READERS]
    documents = await run_on(request, readers, Call("__len__", finish=int))
    app[METRICS].documents.set(documents)
    return json_response(encode({"status": "ready", "documents": documents}))


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    """Prometheus exposition (text, or OpenMetrics if asked for), index size refreshed first."""
    app = request.app
    # A busy index keeps its last known size: the scrape itself must not fail.
    with contextlib.suppress(Overloaded):
        app[METRICS].documents.set(await app[READERS].run(Call("__len__", finish=int)))
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return web.Response(body=encoder(app[METRICS].registry), headers={"Content-Type": content_type})


@routes.get("/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 document of this service, with this instance's limits."""
    return json_response(encode(request.app[OPENAPI]))
