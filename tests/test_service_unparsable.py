"""Requests aiohttp's parser rejects before the app sees them are answered as problems too:
``application/problem+json``, the connection closed, nothing stored, one log line each."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from service import ServiceSettings, create_app
from service.main import runner_options, set_up
from service.unparsable import answer_unparsable_as_problems
from tests.service_support import LOOPBACK, free_port, raw_request, settings

HOST = b"Host: localhost\r\n"
POST_HEAD = b"POST /v1/documents HTTP/1.1\r\n" + HOST + b"Content-Type: application/json\r\n"
BODY = json.dumps({"id": "a", "text": "A short story about the harbour."}).encode()


@asynccontextmanager
async def served(app_settings: ServiceSettings) -> AsyncIterator[int]:
    """A loopback port served the way ``dedup serve`` serves (its runner and its set-up)."""
    runner = web.AppRunner(create_app(app_settings), **runner_options(app_settings))
    await set_up(runner)
    chosen = free_port()
    await web.TCPSite(runner, LOOPBACK, chosen).start()
    try:
        yield chosen
    finally:
        await runner.cleanup()


@pytest.fixture
async def port(tmp_path: Path) -> AsyncIterator[int]:
    async with served(settings(tmp_path)) as chosen:
        yield chosen


async def answer(port: int, request: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Send ``request`` raw; the status, headers (lower-case names) and JSON body. The server
    must close the connection after answering."""
    received, closed = await raw_request(port, request)
    assert closed
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines)}
    return int(status_line.split()[1]), headers, json.loads(body)


async def stored(port: int) -> int:
    _, _, ready = await answer(
        port, b"GET /readyz HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n"
    )
    return int(ready["documents"])


async def test_a_path_over_the_request_line_limit_is_a_400_problem(port: int) -> None:
    status, headers, problem = await answer(
        port, b"GET /v1/documents/" + b"a" * 20_000 + b" HTTP/1.1\r\n" + HOST + b"\r\n"
    )
    assert status == 400
    assert headers["content-type"] == "application/problem+json"
    assert problem["type"] == "urn:dedup:problem:unparsable-request"
    assert problem["status"] == 400
    assert "8190 bytes" in problem["detail"]


async def test_a_raw_byte_outside_ascii_in_the_path_is_a_400_problem(port: int) -> None:
    """An id is sent percent-escaped; a raw 0xFF in the path is not HTTP (``%FF`` is
    ``undecodable-path``, answered by the route)."""
    status, _, problem = await answer(port, b"GET /v1/documents/\xff HTTP/1.1\r\n" + HOST + b"\r\n")
    assert (status, problem["type"]) == (400, "urn:dedup:problem:unparsable-request")


async def test_a_chunk_broken_after_the_head_is_a_408_once_the_body_timeout_passes(
    tmp_path: Path,
) -> None:
    """aiohttp's C parser drops a body whose chunking breaks after the handler has started
    reading it, without an error: the read waits, and ``body_timeout`` ends it (a 400
    ``undecodable-body`` would be right; aiohttp gives no sign to answer it from)."""
    async with served(settings(tmp_path, body_timeout=0.5)) as chosen:
        reader, writer = await asyncio.open_connection(LOOPBACK, chosen)
        writer.write(POST_HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(0.2)  # the handler starts reading the body
        writer.write(b"zz\r\n{}\r\n0\r\n\r\n")
        async with asyncio.timeout(10):  # the answer; the connection lingers after it
            received = await reader.readuntil(b"\r\n\r\n")
        writer.close()
        assert received.startswith(b"HTTP/1.1 408 ")
        assert b"Connection: close" in received
        assert await stored(chosen) == 0


async def test_a_header_over_the_limit_stores_nothing(port: int) -> None:
    request = POST_HEAD + b"X-Note: " + b"n" * 9000 + b"\r\n"
    request += b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY
    status, headers, problem = await answer(port, request)
    assert (status, headers["content-type"]) == (400, "application/problem+json")
    assert problem["type"] == "urn:dedup:problem:unparsable-request"
    assert await stored(port) == 0


async def test_a_content_coding_without_a_decoder_is_a_415_naming_the_accepted_ones(
    port: int,
) -> None:
    request = POST_HEAD + b"Content-Encoding: br\r\nContent-Length: %d\r\n\r\n" % len(BODY)
    status, headers, problem = await answer(port, request + BODY)
    assert status == 415
    assert headers["accept-encoding"] == "gzip, deflate"
    assert problem["type"] == "urn:dedup:problem:unsupported-encoding"
    assert "(br)" in problem["detail"] and "gzip, deflate" in problem["detail"]
    assert "install" not in problem["detail"]
    assert await stored(port) == 0


async def test_bytes_that_are_not_http_are_a_400_problem(port: int) -> None:
    status, headers, problem = await answer(port, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
    assert (status, headers["content-type"]) == (400, "application/problem+json")
    assert problem["title"] == "Bad Request"


async def test_the_problem_body_is_ascii_json_with_the_message_on_one_line(port: int) -> None:
    """aiohttp's message spans lines and quotes the request's bytes; the detail does neither
    raw: one line, JSON-escaped."""
    received, _ = await raw_request(port, b"GET / HTTP/9.9\r\n\r\n")
    body = received.partition(b"\r\n\r\n")[2]
    detail = json.loads(body.decode("ascii"))["detail"]
    assert detail.startswith("the request could not be parsed as HTTP/1.1: ")
    assert "\n" not in detail and "HTTP/9.9" in detail


async def test_refused_requests_are_counted_by_status_and_problem_type(port: int) -> None:
    await answer(port, b"GET / HTTP/9.9\r\n\r\n")
    await answer(port, POST_HEAD + b"Content-Encoding: br\r\nContent-Length: 2\r\n\r\n{}")
    received, _ = await raw_request(
        port, b"GET /metrics HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n"
    )
    lines = received.decode().splitlines()
    for counted in (
        'dedup_http_requests_total{method="-",route="unparsable",status="400"} 1.0',
        'dedup_http_requests_total{method="-",route="unparsable",status="415"} 1.0',
        'dedup_http_problems_total{type="unparsable-request"} 1.0',
        'dedup_http_problems_total{type="unsupported-encoding"} 1.0',
    ):
        assert counted in lines


async def test_a_refused_request_is_logged_in_one_line_without_a_traceback(
    port: int, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        await answer(port, b"GET /livez HTTP/1.1\r\n" + HOST + b"X-A: " + b"a" * 9000 + b"\r\n\r\n")
    refused = [
        r
        for r in caplog.records
        if r.levelno >= logging.INFO and r.name.startswith(("service", "aiohttp"))
    ]
    assert [r.getMessage().partition(":")[0] for r in refused] == [
        "refused an unparsable request from 127.0.0.1"
    ]
    assert all(r.exc_info is None for r in caplog.records)


async def test_an_error_past_the_middleware_is_a_500_problem_logged_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The service's middleware answers every error a handler raises, so aiohttp's own 500
    comes only from past it: shown here by an app without that middleware."""

    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("a bug")

    app = web.Application()
    app.router.add_get("/broken", broken)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    assert runner.server is not None
    answer_unparsable_as_problems(runner.server)
    chosen = free_port()
    await web.TCPSite(runner, LOOPBACK, chosen).start()
    try:
        with caplog.at_level(logging.ERROR):
            status, headers, problem = await answer(
                chosen, b"GET /broken HTTP/1.1\r\n" + HOST + b"\r\n"
            )
    finally:
        await runner.cleanup()
    assert (status, headers["content-type"]) == (500, "application/problem+json")
    assert problem["detail"] == "the server failed to answer; the error is logged"
    logged = [r.exc_info[1] for r in caplog.records if r.exc_info]
    assert [(type(e), str(e)) for e in logged] == [(RuntimeError, "a bug")]
