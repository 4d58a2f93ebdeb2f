"""Helpers of the service tests: app settings, raw HTTP on loopback, the real process."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from service import ServiceSettings, create_app
from service.main import answer_refusals, runner_options, set_up
from service.pools import Pool
from service.schemas import components, validate

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"


async def start_client(app_settings: ServiceSettings) -> TestClient[Any, Any]:
    """A client of a real loopback server run with the runner options ``dedup serve`` uses."""
    server = TestServer(create_app(app_settings))
    await server.start_server(**runner_options(app_settings))
    if isinstance(server.runner, web.AppRunner):  # started just now
        answer_refusals(server.runner)
    client: TestClient[Any, Any] = TestClient(server)
    await client.start_server()
    return client


@asynccontextmanager
async def serving(app_settings: ServiceSettings) -> AsyncIterator[TestClient[Any, Any]]:
    """:func:`start_client` for the block, closed when it ends."""
    client = await start_client(app_settings)
    try:
        yield client
    finally:
        await client.close()


def settings(tmp_path: Path, **changes: Any) -> ServiceSettings:
    """Settings of a test app: a real SQLite file in ``tmp_path``, two readers.

    Readers and the writer are threads here (each child process costs a second to start, and
    most tests start an app of their own); the process transports have their own tests
    (``test_service_reader_processes.py``, ``test_service_writer_process.py``), and the
    real-process tests run the defaults."""
    defaults = {
        "db": str(tmp_path / "index.db"),
        "readers": 2,
        "reader_mode": "thread",
        "writer_mode": "thread",
    }
    return ServiceSettings(**{**defaults, **changes})


def matches_schema(name: str, value: Any, app_settings: ServiceSettings | None = None) -> bool:
    """Whether ``value`` is valid against the component schema ``name`` of the OpenAPI document."""
    defs = components(app_settings or ServiceSettings(db="x.db"))
    return not validate(defs[name], value, defs)


async def post(
    client: TestClient[Any, Any], path: str, body: Any, **params: str
) -> tuple[int, dict[str, Any]]:
    """POST ``body`` as JSON; the status and decoded JSON answer."""
    response = await client.post(path, json=body, params=params)
    return response.status, await response.json(content_type=None)


async def raw_request(port: int, data: bytes, *, wait: float = 5.0) -> tuple[bytes, bool]:
    """Send raw bytes on a fresh loopback connection; what came back within ``wait`` seconds,
    and whether the server closed the connection by then."""
    reader, writer = await asyncio.open_connection(LOOPBACK, port)
    received = bytearray()
    try:
        writer.write(data)
        await writer.drain()
        async with asyncio.timeout(wait):
            while chunk := await reader.read(65536):
                received += chunk
            return bytes(received), True
    except TimeoutError:
        return bytes(received), False
    finally:
        writer.close()


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    """A service process started by :func:`running_service`."""

    process: subprocess.Popen[str]
    port: int

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, then wait for the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)


@contextmanager
def running_service(
    command: Sequence[str], db: Path, *args: str, prefix: Sequence[str] = ()
) -> Iterator[Served]:
    """Start ``command --db db --port P`` on loopback (run under ``prefix``, as ``setpriv``)
    and wait until it is ready (≤ 60 s); killed with whatever it started if still there."""
    import urllib.request

    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [*prefix, sys.executable, "-m", *command, "--db", str(db), "--port", str(port), *args],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    served = Served(process, port)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"the service exited: {process.stderr.read() if process.stderr else ''}"
                )
            try:
                with urllib.request.urlopen(f"{served.url}/readyz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield served
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        if process.stderr:
            process.stderr.close()


def http_json(url: str, body: Any | None = None, method: str | None = None) -> tuple[int, Any]:
    """A blocking JSON request to a loopback URL (for tests that drive a real process)."""
    import urllib.error
    import urllib.request

    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            text = answer.read()
            return answer.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@contextmanager
def threaded_service(app_settings: ServiceSettings) -> Iterator[str]:
    """The app served on a loopback port by an event loop in a background thread (for clients
    that block, like schemathesis); yields its base URL, shuts down gracefully on exit."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(create_app(app_settings), **runner_options(app_settings))
    port = free_port()

    async def start() -> None:
        await set_up(runner)
        await web.TCPSite(runner, LOOPBACK, port).start()

    thread = threading.Thread(target=loop.run_forever, name="test-service", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(start(), loop).result(60)
        yield f"http://{LOOPBACK}:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def hold(pool: Pool[Any, Any], release: threading.Event) -> asyncio.Future[Any]:
    """Occupy one of the pool's threads until ``release`` is set."""
    return asyncio.ensure_future(pool.run(lambda _: release.wait(10)))


async def answers_in_each_mode(
    tmp_path: Path, setting: str, ask: Callable[[TestClient[Any, Any]], Awaitable[list[Any]]]
) -> dict[str, list[Any]]:
    """``ask(client)`` of a fresh app with ``setting`` (``reader_mode``, ``writer_mode``) at
    "process" and at "thread", by mode."""
    answers: dict[str, list[Any]] = {}
    for mode in ("process", "thread"):
        (tmp_path / mode).mkdir()
        client = await start_client(settings(tmp_path / mode, **{setting: mode}))
        try:
            answers[mode] = await ask(client)
        finally:
            await client.close()
    return answers


async def post_with_reprints(client: TestClient[Any, Any], texts: list[str]) -> list[Any]:
    """Post each text as ``d<k>``, then its first half from another source as ``r<k>``."""
    answers: list[Any] = []
    for k, text in enumerate(texts):
        answers.append(await post(client, "/v1/documents", {"id": f"d{k}", "text": text}))
        reprint = {"id": f"r{k}", "text": text[: len(text) // 2], "source": "other"}
        answers.append(await post(client, "/v1/documents", reprint))
    return answers
