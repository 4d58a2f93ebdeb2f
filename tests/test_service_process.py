"""The real process and graceful shutdown: `python -m service` / `dedup serve` on a loopback port,
SIGTERM, restart; requests in flight at shutdown are answered."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from dedup.collection import Collection
from dedup.synth import news_corpus
from dedup.types import Document
from service import create_app
from service.main import runner_options, set_up
from tests.conftest import ROOT
from tests.service_support import LOOPBACK, free_port, http_json, running_service, settings
from tests.test_service_reader_processes import children, gone_within


def test_documents_survive_sigterm_and_a_restart(tmp_path: Path, article: str) -> None:
    """A document posted to `python -m service` is there after SIGTERM and `dedup serve`."""
    db = tmp_path / "index.db"
    with running_service(["service"], db) as first:
        status, verdict = http_json(f"{first.url}/v1/documents", {"id": "a1", "text": article})
        assert (status, verdict["stored"]) == (201, "added")
        assert first.stop() == 0
    with running_service(["dedup", "serve"], db) as second:
        status, view = http_json(f"{second.url}/v1/documents/a1")
        assert (status, view["length"]) == (200, len(article))
        status, again = http_json(f"{second.url}/v1/documents", {"id": "a1", "text": article})
        assert (status, again["stored"]) == (200, "unchanged")
        assert second.stop() == 0


def test_sigterm_while_starting_stops_the_service_once_started_and_leaves_no_child(
    tmp_path: Path, article: str
) -> None:
    """SIGTERM while the children open the file: the start completes, the service stops
    without listening, exit code 0, and no child process or socket directory outlives it
    (left to SIGTERM's default action, the parent died at once and its children read on)."""
    db = tmp_path / "index.db"
    with Collection.open(db) as collection:
        collection.post(Document("a", article))
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "service", "--db", str(db), "--port", str(port)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not (spawned := children(process.pid)) and time.monotonic() < deadline:
            time.sleep(0.01)
        process.send_signal(signal.SIGTERM)
        code = process.wait(60)
    finally:
        process.kill()
        _, stderr = process.communicate()
    assert spawned and code == 0, stderr
    assert "a signal came while starting" in stderr and "serving" not in stderr
    assert gone_within(spawned, 10)
    assert not list(Path(tempfile.gettempdir()).glob(f"dedup-lanes-{process.pid}-*"))
    with Collection.open(db, readonly=True) as collection:
        assert list(collection) == ["a"]


async def in_flight(session: aiohttp.ClientSession, url: str) -> float:
    async with session.get(f"{url}/metrics") as response:
        for line in (await response.text()).splitlines():
            if line.startswith("dedup_http_requests_in_flight "):
                return float(line.split()[1]) - 1  # not counting this scrape
    raise AssertionError("no in-flight gauge")


async def test_sigterm_answers_every_request_already_received(tmp_path: Path) -> None:
    """Posts queued on the writer when SIGTERM comes are all answered 201 and stored."""
    db = tmp_path / "index.db"
    docs = list(news_corpus(30, seed=3, dup_rate=0.0))
    with running_service(["service"], db) as served:
        async with aiohttp.ClientSession() as session:

            async def post(doc: Any) -> int:
                body = {"id": doc.id, "text": doc.text, "source": doc.source}
                async with session.post(f"{served.url}/v1/documents", json=body) as response:
                    return response.status

            posts = [asyncio.ensure_future(post(doc)) for doc in docs]
            async with asyncio.timeout(20):
                while (busy := await in_flight(session, served.url)) < 5:
                    await asyncio.sleep(0.01)
            served.process.send_signal(signal.SIGTERM)
            statuses = await asyncio.gather(*posts)
        assert busy >= 5
        assert statuses == [201] * len(docs)
        assert served.process.wait(30) == 0
    with Collection.open(db, readonly=True) as collection:
        assert len(collection) == len(docs)


async def shutdown_during(tmp_path: Path, head: bytes, sent: bytes) -> bytes:
    """Run the app as `dedup serve` does, send ``head + sent`` of a longer request, shut the
    runner down (what SIGTERM does) and return everything answered on that connection."""
    app_settings = settings(tmp_path, shutdown_timeout=20.0)
    runner = web.AppRunner(create_app(app_settings), **runner_options(app_settings))
    await set_up(runner)
    port = free_port()
    await web.TCPSite(runner, LOOPBACK, port).start()
    reader, writer = await asyncio.open_connection(LOOPBACK, port)
    try:
        writer.write(head + sent)
        await writer.drain()
        await asyncio.sleep(0.3)
        async with asyncio.timeout(10):
            _, answer = await asyncio.gather(runner.cleanup(), reader.read())
        return answer
    finally:
        writer.close()


async def test_a_body_still_arriving_at_shutdown_is_answered_503(tmp_path: Path) -> None:
    """A post whose body is half sent when shutdown starts gets a 503 at once, not a hang."""
    head = (
        b"POST /v1/documents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n"
    )
    answer = await shutdown_during(tmp_path, head, b'{"id": "half", "text": "')
    assert answer.startswith(b"HTTP/1.1 503 Service Unavailable")
    assert b"urn:dedup:problem:shutting-down" in answer


async def test_a_bulk_upload_at_shutdown_answers_what_arrived(tmp_path: Path) -> None:
    """Lines received before shutdown are answered; a 503 line names the first line not read."""
    lines = b"".join(
        json.dumps({"id": f"b{k}", "text": f"story {k} about the harbour"}).encode() + b"\n"
        for k in range(3)
    )
    head = (
        b"POST /v1/documents/bulk HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    answer = await shutdown_during(tmp_path, head, b"%x\r\n%s\r\n" % (len(lines), lines))
    head, _, chunked = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    answers = [json.loads(line) for line in _dechunk(chunked).splitlines()]
    assert [a.get("id") for a in answers] == ["b0", "b1", "b2", None]
    assert answers[3]["line"] == 4
    assert answers[3]["error"]["status"] == 503


def _dechunk(data: bytes) -> bytes:
    """The payload of a chunked HTTP body."""
    out = b""
    while data:
        size, _, data = data.partition(b"\r\n")
        if int(size, 16) == 0:
            return out
        out, data = out + data[: int(size, 16)], data[int(size, 16) + 2 :]
    return out
