"""``POST /v1/documents/bulk``: NDJSON in, one NDJSON answer line per input line, streamed.

The body is read chunk by chunk as it arrives and cut into lines (each at most
``max_body_bytes``; a longer one is answered with a 413 error line and skipped without being
kept). Every non-blank line is parsed and checked like a ``POST /v1/documents`` body and posted
on the writer thread; up to ``bulk_window`` lines are in flight, and answers are written in input
order as soon as they are ready. Memory is bounded by the window, not by the body, and a sender
faster than the writer is slowed down by TCP: while the window is full, nothing more is read.

Answer lines are ``{"line": n, "id": ..., "status": 201|200, "result": verdict}`` or
``{"line": n, "id": ..., "error": problem}`` (Elasticsearch ``_bulk`` style; an error line has
its ``id`` when the line gives one and the problem is not with it); ``n`` counts every line of the
body from 1, blank lines included (they get no answer). A body that stalls for ``body_timeout``
seconds ends the answer with a 408 error line; so does shutdown (SIGTERM), with a 503 line
naming the first line not read, after every line read so far has been answered.

A body with no line but blank ones (an empty body) is a 400 ``empty-body`` problem, as
Elasticsearch answers: the answer starts only once the first line is read, so it can still be
one. A client that meant to send nothing learns nothing was sent; one whose file was empty
learns that, rather than reading an empty 200 as "all stored".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import StreamReader, web

from dedup.collection import PostReport, Window
from dedup.errors import DedupError
from service.ahead import prepare_ahead
from service.body import (
    NDJSON_TYPES,
    Stopped,
    encode,
    parse_json,
    receive,
    require_media_type,
    shutting_down,
)
from service.keys import LIMITS, METRICS, SETTINGS, STATE, WRITER, writer_of
from service.placing import place, report
from service.problems import Problem, from_library, undecodable
from service.writer import post_call

LOG = logging.getLogger("service")
NDJSON = "application/x-ndjson"


async def post_bulk(request: web.Request, window: Window) -> web.StreamResponse:
    """Stream the answers to a bulk body (see the module docstring)."""
    app = request.app
    pool = writer_of(app)  # a read-only service refuses the whole body
    require_media_type(request, NDJSON_TYPES)
    settings = app[SETTINGS]
    if not pool.started:
        raise Problem(503, "the writer is not running", kind="not-ready")
    stopping = app[STATE].stopping
    lines = _documents(
        _lines(request.content, settings.max_body_bytes, settings.body_timeout, stopping)
    )
    first = await anext(lines, None)
    if first is None:
        detail = "the body has no lines: send one JSON document per line"
        raise Problem(400, detail, kind="empty-body")
    response = web.StreamResponse(status=200)
    response.content_type = NDJSON
    await response.prepare(request)
    # Answers in input order, each written as soon as it and those before it are done; the
    # queue's size is the window of lines in flight (reading stops while it is full).
    answers: asyncio.Queue[asyncio.Task[bytes] | None] = asyncio.Queue(settings.bulk_window)
    writer = asyncio.ensure_future(_write_answers(response, answers))
    # From here on the answer has begun: an error can end it, not replace it with another.
    try:
        async for number, line in _chained(first, lines):
            if isinstance(line, Problem) and line.close:
                response.force_close()  # the rest of the body is still on the wire
            task = asyncio.ensure_future(_answer(request, window, number, line))
            await _put(answers, task, writer)
        await _put(answers, None, writer)
        await writer
        await response.write_eof()
    except ConnectionResetError:  # the client went away; lines posted stay stored (idempotent)
        LOG.info("a bulk answer ended early: the client closed the connection")
        response.force_close()
    finally:
        writer.cancel()
        while not answers.empty():
            if (waiting := answers.get_nowait()) is not None:
                waiting.cancel()
    return response


async def _write_answers(
    response: web.StreamResponse, answers: asyncio.Queue[asyncio.Task[bytes] | None]
) -> None:
    while (task := await answers.get()) is not None:
        await response.write(await task)


async def _put(
    answers: asyncio.Queue[asyncio.Task[bytes] | None],
    item: asyncio.Task[bytes] | None,
    writer: asyncio.Future[None],
) -> None:
    """Queue an answer, unless the writer died (the client went away): then raise its error."""
    put = asyncio.ensure_future(answers.put(item))
    await asyncio.wait({put, writer}, return_when=asyncio.FIRST_COMPLETED)
    if not put.done():
        put.cancel()
        if item is not None:
            item.cancel()
        writer.result()
        raise ConnectionResetError("the bulk answer stopped")


def _result(report: PostReport) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A line's verdict as JSON-ready data, and what to place its document with."""
    return report.verdict.to_dict(), report.related


async def _answer(
    request: web.Request, window: Window, number: int, line: bytes | Problem
) -> bytes:
    """The answer line for input line ``number``: its verdict, or the problem with it (with
    the line's id, when the problem is not with that; counted as the problem answers are)."""
    app = request.app
    body: Any = None
    try:
        if isinstance(line, Problem):
            raise line
        settings = app[SETTINGS]
        body = parse_json(line, settings.max_json_depth)
        doc = app[LIMITS].document(body)

        ahead = prepare_ahead(app, doc)
        pending = await app[WRITER].run(post_call(doc, ahead, window._asdict()), wait=True)
        verdict, related = await report(app, pending, _result)
        await place(app, doc.id, related)
        app[METRICS].bulk_lines.labels("stored").inc()
        status = 201 if verdict.get("stored") == "added" else 200
        return encode({"line": number, "id": doc.id, "status": status, "result": verdict}) + b"\n"
    except Exception as exc:
        app[METRICS].bulk_lines.labels("error").inc()
        problem = _problem_of(exc)
        app[METRICS].problems.labels(problem.kind or "about:blank").inc()
        answer: dict[str, Any] = {"line": number}
        if (doc_id := _line_id(body, problem)) is not None:
            answer["id"] = doc_id
        return encode({**answer, "error": problem.to_dict(request.path)}) + b"\n"


def _line_id(body: Any, problem: Problem) -> str | None:
    """The id a line's JSON object gives, as stored, unless it is missing or the problem is
    with it (then the line number alone tells the line)."""
    if not isinstance(body, dict) or any(e.get("field") == "id" for e in problem.errors):
        return None
    doc_id = body.get("id")
    if isinstance(doc_id, str):
        return doc_id
    if isinstance(doc_id, int | float) and not isinstance(doc_id, bool):
        return str(int(doc_id))  # valid ids only: the problem names a bad one
    return None


def _problem_of(exc: Exception) -> Problem:
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, DedupError):
        return from_library(exc)
    LOG.exception("unhandled error in a bulk line", exc_info=exc)
    return Problem(500, "the server failed to answer this line; the error is logged")


async def _documents(
    lines: AsyncIterator[tuple[int, bytes | Problem]],
) -> AsyncIterator[tuple[int, bytes | Problem]]:
    """The lines that get an answer: all but the blank ones."""
    async for number, line in lines:
        if isinstance(line, Problem) or line.strip():
            yield number, line


async def _chained(
    first: tuple[int, bytes | Problem], rest: AsyncIterator[tuple[int, bytes | Problem]]
) -> AsyncIterator[tuple[int, bytes | Problem]]:
    yield first
    async for item in rest:
        yield item


async def _lines(
    stream: StreamReader, max_bytes: int, timeout: float, stopping: asyncio.Event
) -> AsyncIterator[tuple[int, bytes | Problem]]:
    """``(line number, bytes)`` per line as the body arrives; a problem for a line too long."""
    buffer = bytearray()
    too_long = False  # the current line went over max_bytes: drop the rest of it

    def add(piece: bytes) -> None:
        nonlocal too_long
        if too_long or len(buffer) + len(piece) > max_bytes:
            buffer.clear()
            too_long = True
        else:
            buffer.extend(piece)

    def finish() -> bytes | Problem:
        nonlocal too_long
        line: bytes | Problem = bytes(buffer).removesuffix(b"\r")
        if too_long:
            line = Problem(413, f"the line is longer than {max_bytes} bytes", kind="body-too-large")
        buffer.clear()
        too_long = False
        return line

    number = 0
    while True:
        try:
            chunk = await receive(stream.readany(), timeout, stopping)
        except TimeoutError:
            detail = f"the body stalled for {timeout:g} s; the rest is not read"
            yield number + 1, Problem(408, detail, kind="body-timeout")
            return
        except Stopped:
            problem = shutting_down()
            problem.detail = (
                f"the service is shutting down; lines from {number + 1} on are not read"
            )
            yield number + 1, problem
            return
        except web.RequestPayloadError as exc:
            problem = undecodable(exc)
            problem.detail += f"; lines from {number + 1} on are not read"
            yield number + 1, problem
            return
        if not chunk:
            break
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            add(chunk[start:end])
            number += 1
            yield number, finish()
            start = end + 1
        add(chunk[start:])
    if buffer or too_long:
        yield number + 1, finish()
