"""Running the app: listen, wait for SIGTERM/SIGINT, shut down gracefully.

On a signal the listening socket closes first, then aiohttp's runner gives in-flight requests up
to ``shutdown_timeout`` seconds to finish (idle keep-alive connections are closed at once), and
only then does the app's cleanup close the pools: queued writes are done and every Collection is
closed cleanly, so the WAL is checkpointed and the file is whole.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from typing import Any

from aiohttp import web

from dedup.config import Config
from service.app import create_app
from service.config import ServiceSettings
from service.keys import METRICS
from service.unparsable import answer_unparsable_as_problems

LOG = logging.getLogger("service")


def runner_options(settings: ServiceSettings) -> dict[str, Any]:
    """The keyword arguments of the app's runner (also used by the tests' servers)."""
    return {
        "shutdown_timeout": settings.shutdown_timeout,
        # aiohttp starts this timer when a connection opens and closes the connection if no
        # complete request head has arrived when it fires: the slow-header (slowloris) guard.
        "keepalive_timeout": settings.idle_timeout,
        "access_log": None,
    }


async def serve(
    settings: ServiceSettings,
    config: Config | None = None,
    *,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT; ``on_ready`` gets the URL once the index is open.

    The signals are caught from the start: one that comes while the service starts (its
    children read 100,000 documents' indexes for seconds) lets the start finish, then stops
    the service as it would have stopped a running one, without listening. Left to their
    default action, they ended this process at once and left its children reading for tens
    of seconds with no parent.
    """
    app = create_app(settings, config)
    runner = web.AppRunner(app, **runner_options(settings))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await set_up(runner)
    except BaseException:
        _forget_signals(loop)
        raise
    try:
        if stop.is_set():
            LOG.info("stopping: a signal came while starting")
            return
        site = web.TCPSite(runner, settings.host, settings.port, reuse_address=True)
        await site.start()
        host, port = runner.addresses[0][:2]
        url = f"http://{host}:{port}" if ":" not in host else f"http://[{host}]:{port}"
        (on_ready or _announce)(url)
        await stop.wait()
        LOG.info(
            "shutting down: finishing in-flight requests (up to %gs)", settings.shutdown_timeout
        )
    finally:
        _forget_signals(loop)
        await runner.cleanup()


async def set_up(runner: web.AppRunner) -> None:
    """Open the app's resources (its ``cleanup_ctx``: the index, the pools), raising if they
    cannot be opened, and make its server answer unparsable requests as problems."""
    await runner.setup()
    answer_refusals(runner)


def answer_refusals(runner: web.AppRunner) -> None:
    """Make the set-up ``runner``'s server answer the requests aiohttp's parser refuses as
    problems, counted in the app's metrics (:mod:`service.unparsable`)."""
    if runner.server is not None:  # set by setup
        answer_unparsable_as_problems(runner.server, runner.app[METRICS].refused)


def _forget_signals(loop: asyncio.AbstractEventLoop) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.remove_signal_handler(sig)


def _announce(url: str) -> None:
    print(f"dedup: serving on {url}", file=sys.stderr, flush=True)
