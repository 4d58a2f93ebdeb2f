"""The aiohttp application: typed state, its resources' lifetimes, middlewares and routes.

:func:`create_app` only builds; nothing is opened until the app starts, when ``cleanup_ctx``
opens, in order, the writer (one thread driving the read-write Collection, which creates the
file if needed, in a child process of its own unless ``writer_mode`` is "thread":
:mod:`service.writer`) and the readers (one read-only Collection per thread, opened in a child
process of the thread's own unless ``reader_mode`` is "thread": :mod:`service.remote`), and
marks the app ready.
On shutdown the same contexts close them in reverse, after aiohttp has let in-flight requests
finish.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from dedup.collection import Collection
from dedup.config import Config
from dedup.types import Document
from service.checkpoint import Checkpointer
from service.collector import freeze_startup, watch_pauses
from service.config import ServiceSettings
from service.keys import CONFIG, LIMITS, METRICS, OPENAPI, READERS, SETTINGS, STATE, WRITER, State
from service.metrics import Metrics
from service.openapi import openapi_document
from service.pools import BatchedPool, CollectionPool, LocalWriter, Writer
from service.problems import problem_middleware
from service.remote import PROCESS_NAME as READER_PROCESS
from service.remote import Reader, RemoteCollection, open_collection
from service.routes import routes
from service.schemas import Limits
from service.writer import PROCESS_NAME as WRITER_PROCESS
from service.writer import RemoteWriter, open_writer


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
    app.cleanup_ctx.extend([_writer, _readers, _readiness])
    app.on_shutdown.append(_not_ready)
    return app


# A check of this text loads every compiled kernel a request needs (numba loads them from its
# cache on first call, ~1 s in all), so that the first client does not pay for it.
WARM_UP = Document(
    "service-warm-up",
    "Leaders met at the summit on Monday to talk about trade and security.\n\n"
    "The talks went on late into the night, officials said on Tuesday.",
)


def _reader_opener(app: web.Application) -> Callable[[], Collection]:
    settings, config = app[SETTINGS], app.get(CONFIG)
    return lambda: open_collection(settings.db, config, readonly=True)


#: Jobs the writer commits together at most (see :class:`service.pools.BatchedPool`).
WRITE_BATCH = 64
#: The WAL pages at which the writer checkpoints itself, should the checkpoint thread fall
#: behind (about 200 MB; the thread normally keeps it to a few batches).
WAL_BOUND_PAGES = 50_000


async def _writer(app: web.Application) -> AsyncIterator[None]:
    """The single writer thread: every post, delete and bulk line runs there (or in the
    writer's process it drives), in order, in batches of one commit each; and the thread that
    checkpoints the WAL for it."""
    settings = app[SETTINGS]
    checkpointer = Checkpointer(_reader_opener(app))
    where = (settings.db, app.get(CONFIG), WARM_UP, WAL_BOUND_PAGES)
    died = app[METRICS].child_died("writer")

    def writer() -> Writer:
        if settings.writer_mode == "process":
            return RemoteWriter(*where, died=died)
        return LocalWriter(open_writer(*where))

    pool: BatchedPool[Collection] = BatchedPool(
        "writer",
        writer,
        queue_size=settings.queue_size,
        batch=WRITE_BATCH,
        retry_after=settings.retry_after,
        committed=checkpointer.poke,
    )
    await pool.start()
    try:
        await checkpointer.start()
    except BaseException:
        await pool.stop()
        raise
    app[WRITER] = pool
    app[METRICS].watch_pool("writer", lambda: pool.depth, lambda: pool.running)
    if settings.writer_mode == "process":
        app[METRICS].watch_children("writer", WRITER_PROCESS)
    try:
        yield
    finally:
        await pool.stop()
        await checkpointer.stop()


async def _readers(app: web.Application) -> AsyncIterator[None]:
    """Reader threads, one read-only Collection each (in a child process of its own, unless
    ``reader_mode`` is "thread"), for checks, strips, lookups and the readers' part of posts."""
    settings = app[SETTINGS]
    opener: Callable[[], Reader] = _reader_opener(app)
    if settings.reader_mode == "process":
        db, config = settings.db, app.get(CONFIG)
        died = app[METRICS].child_died("reader")

        def opener() -> Reader:
            nice = settings.reader_nice
            return RemoteCollection(db, config, warm_up=WARM_UP, nice=nice, died=died)

    pool: CollectionPool[Reader] = CollectionPool(
        "reader",
        opener,
        threads=settings.reader_threads,
        queue_size=settings.queue_size,
        retry_after=settings.retry_after,
    )
    await pool.start()
    app[READERS] = pool
    app[METRICS].watch_pool("reader", lambda: pool.depth, lambda: pool.running)
    if settings.reader_mode == "process":
        app[METRICS].watch_children("reader", READER_PROCESS)
    try:
        yield
    finally:
        await pool.stop()


async def _readiness(app: web.Application) -> AsyncIterator[None]:
    """Mark the app ready once everything is open, after taking what startup made out of the
    garbage collector's reach (:mod:`service.collector`); on shutdown, give it back."""
    freeze_startup()
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
