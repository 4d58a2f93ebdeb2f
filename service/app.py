"""The aiohttp application: typed state, its resources' lifetimes, middlewares and routes.

:func:`create_app` only builds; nothing is opened until the app starts, when ``cleanup_ctx``
creates the file's tables if it has none, then opens together the writer (one thread driving
the read-write Collection, in a child process of its own unless ``writer_mode`` is "thread":
:mod:`service.writer`) and the readers (one read-only Collection per thread, opened in a child
process of the thread's own unless ``reader_mode`` is "thread": :mod:`service.remote`), and
marks the app ready. A ``read_only`` service opens only the readers.
On shutdown the same contexts close them in reverse, after aiohttp has let in-flight requests
finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from dedup._hugepages import collapse_into_huge_pages
from dedup.collection import Collection
from dedup.config import Config
from dedup.types import Document
from service.batches import BatchedPool, LocalWriter, Writer
from service.calls import Call
from service.checkpoint import Checkpointer
from service.children import open_collection
from service.collector import freeze_startup, watch_pauses
from service.config import ServiceSettings
from service.keys import (
    CONFIG,
    LANES,
    LIMITS,
    METRICS,
    OPENAPI,
    READERS,
    SETTINGS,
    STATE,
    WRITER,
    State,
)
from service.lanes import PostLanes, remove_socket_dir, socket_path
from service.metrics import Metrics
from service.openapi import openapi_document
from service.pools import CollectionPool, Pool
from service.problems import problem_middleware
from service.remote import PROCESS_NAME as READER_PROCESS
from service.remote import Reader, RemoteCollection
from service.routes import routes
from service.schemas import Limits
from service.writer import PROCESS_NAME as WRITER_PROCESS
from service.writer import REVIVE, RemoteWriter, open_writer

LOG = logging.getLogger("service")


def create_app(settings: ServiceSettings, config: Config | None = None) -> web.Application:
    """The service over ``settings.db``; ``config`` None serves the settings stored in it."""
    metrics = Metrics()
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[metrics.middleware(), problem_middleware],  # type: ignore[list-item]
    )
    app[SETTINGS] = settings
    if config is not None:
        app[CONFIG] = config
    app[LIMITS] = Limits(settings)
    app[METRICS] = metrics
    app[STATE] = State()
    app[OPENAPI] = openapi_document(settings)
    app.add_routes(routes)
    app.cleanup_ctx.extend([_pools, _readiness])
    app.on_shutdown.append(_not_ready)
    return app


# What each child process reads first, once every compiled kernel is loaded
# (Collection.warm_up), so that the first clients do not pay for either.
WARM_UP = Document(
    "service-warm-up",
    "Leaders met at the summit on Monday to talk about trade and security.\n\n"
    "The talks went on late into the night, officials said on Tuesday.",
)


def _reader_opener(app: web.Application) -> Callable[[], Collection]:
    settings, config = app[SETTINGS], app.get(CONFIG)
    return lambda: open_collection(settings.db, config, readonly=True)


#: Jobs the writer commits together at most (see :class:`service.batches.BatchedPool`).
WRITE_BATCH = 64
#: The WAL pages at which the writer checkpoints itself, should the checkpoint thread fall
#: behind (about 200 MB; the thread normally keeps it to a few batches).
WAL_BOUND_PAGES = 50_000


async def _pools(app: web.Application) -> AsyncIterator[None]:
    """The writer and the readers, started together once the file has its tables (the
    readers open it read-only), and the thread that checkpoints the WAL for the writer; a
    ``read_only`` service starts the readers alone, and never writes the file (it must be a
    collection already).

    Each child process spends seconds reading the stored rows into memory before it answers.
    Started one pool after the other, the readers waited for the writer's child: a service of
    100,000 documents stored with their model was ready after 6.9-7.2 s, against 5.5-6.0 s
    started together (four alternating pairs, by hand)."""
    settings = app[SETTINGS]
    writing = not settings.read_only
    config, wait = app.get(CONFIG), settings.write_wait
    await asyncio.to_thread(_tables, settings.db, config, wait, create=writing)
    lanes = _lanes(app) if writing else None
    writer, checkpointer = _writer(app, lanes) if writing else (None, None)
    if lanes is not None and checkpointer is not None:
        lanes.committed = checkpointer.poke
    readers = _readers(app, lanes)
    pools: list[Pool[Any, Any]] = [readers] if writer is None else [writer, readers]
    started = await asyncio.gather(*(p.start() for p in pools), return_exceptions=True)
    failed = [error for error in started if isinstance(error, BaseException)]
    if checkpointer is not None and not failed:
        try:
            await checkpointer.start()
        except BaseException as error:
            failed.append(error)
    if failed:
        # A pool whose start failed has stopped already; stopping it again does nothing.
        await asyncio.gather(*(p.stop() for p in reversed(pools)))
        if lanes is not None:
            await lanes.stop()
            remove_socket_dir(lanes.path)
        raise failed[0]
    app[READERS] = readers
    metrics = app[METRICS]
    metrics.watch_pool("reader", lambda: readers.depth, lambda: readers.running)
    if settings.reader_mode == "process":
        metrics.watch_children("reader", READER_PROCESS)
    if writer is not None:
        app[WRITER] = written = writer
        metrics.watch_pool("writer", lambda: written.depth, lambda: written.running)
        if settings.writer_mode == "process":
            metrics.watch_children("writer", WRITER_PROCESS)
    if lanes is not None:
        app[LANES] = lanes
        metrics.watch_lanes(lambda: lanes.depth, lambda: lanes.open)
    try:
        yield
    finally:
        for started_pool in reversed(pools):  # the readers first, then the writer
            await started_pool.stop()
        if checkpointer is not None:
            await checkpointer.stop()
        if lanes is not None:
            await lanes.stop()
            remove_socket_dir(lanes.path)


def _tables(db: str, config: Config | None, busy_timeout: float, *, create: bool) -> None:
    """Create the file's tables unless it has them, by opening it read-write (which checks
    ``config`` against a stored one as well); without ``create`` (a read-only service), open it
    as the readers will, which checks that it holds a collection and makes or writes nothing."""
    if not create:
        open_collection(db, config, readonly=True).close()
        return
    found = 0
    if os.path.isfile(db):
        try:
            with contextlib.closing(sqlite3.connect(db)) as conn:
                found = conn.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
                ).fetchone()[0]
        except sqlite3.Error:  # not a database: the read-write open says so
            pass
    if not found:
        open_collection(db, config, readonly=False, busy_timeout=busy_timeout).close()


def _lanes(app: web.Application) -> PostLanes | None:
    """The post lanes (:mod:`service.lanes`), if ``post_lanes`` and both the readers and
    the writer run in processes: their socket goes in a directory of the service's own."""
    settings = app[SETTINGS]
    if not (settings.post_lanes and settings.reader_mode == settings.writer_mode == "process"):
        return None
    path = socket_path()
    reviving: set[asyncio.Task[None]] = set()

    def revive() -> None:  # one at a time: a dead writer is found by every lane at once
        if not reviving and WRITER in app:
            task = asyncio.ensure_future(app[WRITER].run(REVIVE, wait=True))
            reviving.add(task)
            task.add_done_callback(revived)

    def revived(task: asyncio.Task[None]) -> None:
        reviving.discard(task)
        if not task.cancelled() and task.exception() is not None:  # the lanes answer 503
            LOG.error("starting the writer's process again failed: %s", task.exception())

    metrics = app[METRICS]
    lanes = PostLanes(
        path,
        capacity=1 + settings.queue_size,  # as many posts as the writer pool takes
        retry_after=settings.retry_after,
        revive=revive,
        prepared=lambda: metrics.prepared("ahead"),
        readers=settings.reader_threads,
        probe=lambda: app[READERS].run(Call("__len__"), wait=True),
    )
    lanes.start()
    return lanes


def _writer(
    app: web.Application, lanes: PostLanes | None
) -> tuple[BatchedPool[Collection], Checkpointer]:
    """The single writer thread: every post, delete and bulk line runs there (or in the
    writer's process it drives), in order, in batches of one commit each; and the thread that
    checkpoints the WAL for it. With ``lanes``, the writer's process also takes posts from
    the readers' processes directly."""
    settings = app[SETTINGS]
    checkpointer = Checkpointer(_reader_opener(app))
    where = (settings.db, app.get(CONFIG), WARM_UP, WAL_BOUND_PAGES)
    died, wait = app[METRICS].child_died("writer"), settings.write_wait
    lanes_at = None if lanes is None else (lanes.path, WRITE_BATCH)

    def writer() -> Writer:
        if settings.writer_mode == "process":
            return RemoteWriter(*where, died=died, busy_timeout=wait, lanes=lanes_at)
        return LocalWriter(open_writer(*where, busy_timeout=wait))

    pool: BatchedPool[Collection] = BatchedPool(
        "writer",
        writer,
        queue_size=settings.queue_size,
        batch=WRITE_BATCH,
        retry_after=settings.retry_after,
        committed=checkpointer.poke,
    )
    return pool, checkpointer


def _readers(app: web.Application, lanes: PostLanes | None) -> CollectionPool[Reader]:
    """Reader threads, one read-only Collection each (in a child process of its own, unless
    ``reader_mode`` is "thread"), for checks, strips, lookups and the readers' part of posts."""
    settings = app[SETTINGS]
    db, config = settings.db, app.get(CONFIG)
    open_reader = _reader_opener(app)

    def opener() -> Reader:  # a reader thread's own collection, warmed up as a child's is
        collection = open_reader()
        try:
            collection.warm_up(WARM_UP)
        except BaseException:
            collection.close()
            raise
        return collection

    if settings.reader_mode == "process":
        died = app[METRICS].child_died("reader")

        def opener() -> Reader:
            nice = settings.reader_nice
            return RemoteCollection(db, config, warm_up=WARM_UP, nice=nice, died=died, lanes=lanes)

    return CollectionPool(
        "reader",
        opener,
        threads=settings.reader_threads,
        queue_size=settings.queue_size,
        retry_after=settings.retry_after,
    )


async def _readiness(app: web.Application) -> AsyncIterator[None]:
    """Mark the app ready once everything is open, after taking what startup made out of the
    garbage collector's reach (:mod:`service.collector`) and moving the indexes that reader or
    writer threads hold in this process onto huge pages (:mod:`dedup._hugepages`, as each
    child does); on shutdown, give the objects back."""
    freeze_startup()
    settings = app[SETTINGS]
    if "thread" in (settings.reader_mode, settings.writer_mode):  # else it holds no index
        await asyncio.to_thread(collapse_into_huge_pages)
    unwatch = watch_pauses(app[METRICS].gc_pause)
    app[STATE].ready = True
    yield
    app[STATE].ready = False
    unwatch()
    gc.unfreeze()


async def _not_ready(app: web.Application) -> None:
    """On SIGTERM, fail readiness (a balancer stops sending while requests drain) and tell the
    requests still waiting for body bytes that no more will come."""
    app[STATE].ready = False
    app[STATE].stopping.set()
