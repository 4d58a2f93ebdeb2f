"""A thread that checkpoints the WAL, so that the writer's commits do not have to.

A commit appends the pages it wrote to the WAL; a checkpoint copies them into the database
file and syncs it. SQLite runs one inside whichever commit pushes the WAL past 1,000 pages, and
a post wrote about 300 (band rows, reuse postings and paragraph keys landed on pages all over
their B-trees), so with the default most posts paid for a checkpoint: measured at 20,000
stored documents, a post's commit took 18.8 ms with checkpoints and 5.0 ms without. (Reuse
postings are now one appended row per document, so a post writes fewer pages.) Here the
writer only appends (its own automatic checkpoint is kept as a bound on the WAL, far above what
this thread lets build up) and this thread, with a connection of its own, checkpoints after
commits. It waits on the disk while the writer computes the next posts.

It checkpoints at most every :data:`INTERVAL` seconds. A page that several batches change
(B-tree interior pages, busy leaves) is copied once per checkpoint, so rarer checkpoints copy
less: at 16 clients posting into 100,000 stored documents, this thread used 0.34-0.35 ms of
CPU a post every 0.5 s against 0.80-0.84 ms every 0.05 s (two alternating service runs each,
timed by hand from /proc), about 4 % of the service's CPU. Committed pages wait up to half a
second longer to reach the database file; the WAL file's size does not change with it: under
that load it grew to the writer's bound (about 200 MB) with either interval: SQLite starts
the WAL over only when a checkpoint has copied all of it and no reader still reads from it,
which continuous reads and writes seldom allow.

Durability is that of any WAL commit: a post is acknowledged once its commit is in the WAL, as
before; a checkpoint only moves committed pages.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from dedup.collection import Collection
from service.threadnames import name_this_thread

LOG = logging.getLogger("service")

#: Seconds between checkpoints at most (see the module docstring).
INTERVAL = 0.5


class Checkpointer:
    """Checkpoints after commits (:meth:`poke`), at most every ``interval`` seconds."""

    def __init__(self, opener: Callable[[], Collection], interval: float = INTERVAL) -> None:
        self.interval = interval
        self._opener = opener
        self._poked = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def poke(self) -> None:
        """Something was committed (called from the writer thread)."""
        self._poked.set()

    async def start(self) -> None:
        """Open the connection on the thread and start checkpointing."""
        opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        loop = asyncio.get_running_loop()

        def report(error: BaseException | None) -> None:
            if not opened.done():
                if error is None:
                    opened.set_result(None)
                else:
                    opened.set_exception(error)

        def run() -> None:
            name_this_thread()
            try:
                collection = self._opener()
            except Exception as exc:
                loop.call_soon_threadsafe(report, exc)
                return
            loop.call_soon_threadsafe(report, None)
            try:
                self._loop(collection)
            finally:
                collection.close()

        self._thread = threading.Thread(target=run, name="dedup-checkpoint", daemon=False)
        self._thread.start()
        await opened

    async def stop(self) -> None:
        """Checkpoint once more and join the thread."""
        self._stopping.set()
        self._poked.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)
            self._thread = None

    def _loop(self, collection: Collection) -> None:
        while not self._stopping.is_set():
            self._poked.wait()
            self._poked.clear()
            if self._checkpoint(collection):
                # Pages behind the snapshot of a reader that was still reading: once it is
                # done they can be copied, so try again without waiting for another commit
                # (the last commits of a service that goes quiet would stay in the WAL).
                self._poked.set()
            self._stopping.wait(self.interval)  # commits in the meantime wait for the next
        self._checkpoint(collection)

    @staticmethod
    def _checkpoint(collection: Collection) -> bool:
        """Checkpoint; whether committed pages were left in the WAL for a later one."""
        try:
            wal, copied = collection.checkpoint()
        except Exception:  # a busy or failing checkpoint is retried after the next commit
            LOG.exception("checkpointing the WAL failed")
            return False
        return copied < wal
