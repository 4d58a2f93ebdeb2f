"""Work done ahead on a spare thread, or by the thread that needs it, whichever comes first.

A post's preparation (:meth:`dedup.collection.Collection.prepare`: its paragraph keys and
signatures) needs no file, so it can run on a reader while the post waits for the writer. The post
must still queue for the writer as it arrives: posts reach the writer in arrival order, which
is what decides which of fifty concurrent copies of an article is the ``new`` one and what the
others are duplicates of. So the post is queued at once and its preparation offered to a reader
beside it (as an :class:`Offer`, a reader call: :mod:`service.calls`); when the writer comes
to the post, it takes the prepared result if it is there, waits for it if a reader thread has
claimed it (computing it, or sent to its process behind at most
:data:`~service.calls.IN_FLIGHT` - 1 other calls), and computes it itself if no reader thread
took it yet (the reader then skips it).

Readers take these preparations before the jobs of requests (checks, reports; :data:`AHEAD`):
every preparation the writer makes itself delays every post behind it. Under the mixed load of
``benchmarks/service_load.py`` (32 clients, half posts, half checks, 100,000 stored
documents), readers that took them last prepared 30-37 % of the posts (the writer 62-68 %);
taking them by their post's arrival among the requests, 47-52 %; taking them first, 79-83 %,
and the load's p99 fell from 234.5-256.5 ms to 166.3-168.5 ms (three alternating runs each,
checks' p99 rising from 108-121 to 141-156 ms). ``dedup_post_preparations`` in /metrics
counts where each post's preparation ran.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiohttp import web

from dedup.types import Document
from service.calls import Call
from service.crossing import Preparation
from service.keys import METRICS, READERS
from service.pools import AHEAD
from service.remote import Reader

C = TypeVar("C")
T = TypeVar("T")

_WAITING, _COMPUTING, _DONE, _TAKEN = range(4)


class Ahead(Generic[C, T]):
    """``compute(collection)``, run once, by :meth:`offer` or by :meth:`take`."""

    def __init__(
        self, compute: Callable[[C], T], taken: Callable[[str], None] | None = None
    ) -> None:
        self._compute = compute
        self._taken = taken
        self._lock = threading.Lock()
        self._state = _WAITING
        self._done = threading.Event()
        self._result: T | None = None
        self._error: Exception | None = None

    def offer(self, collection: C) -> None:
        """Compute the result ahead, unless the taker came first (a reader job)."""
        if not self.start():
            return
        try:
            result = self._compute(collection)
        except Exception as exc:  # the taker sees it
            self.done(False, exc)
        else:
            self.done(True, result)

    def start(self) -> bool:
        """Mark the result as being computed ahead, unless the taker came first (then False:
        the taker computes it)."""
        with self._lock:
            if self._state != _WAITING:
                return False
            self._state = _COMPUTING
            return True

    def done(self, ok: bool, value: Any) -> None:
        """The result computed ahead after :meth:`start` (``ok``), or the error it raised."""
        if ok:
            self._result = value
        else:
            self._error = value
        with self._lock:
            self._state = _DONE
        self._done.set()

    def take(self, collection: C) -> T:
        """The result: computed ahead, being computed (then waited for), or computed now."""
        if self._claim():
            return self._compute(collection)
        return self._wait()

    @property
    def made(self) -> bool:
        """Whether the result is there (made ahead, or failed)."""
        return self._done.is_set()

    def claim(self) -> tuple[bool, T | None]:
        """:meth:`take` for a taker that computes elsewhere: ``(True, result)`` if it was
        computed ahead (or is being computed: then waited for), ``(False, None)`` if no reader
        started it, which then never will (the taker computes it its own way)."""
        if self._claim():
            return False, None
        return True, self._wait()

    def _claim(self) -> bool:
        """Mark the result taken; whether nobody had started it (the taker computes it)."""
        with self._lock:
            state = self._state
            if state == _WAITING:
                self._state = _TAKEN
        if self._taken is not None:  # who computes it: see Metrics.prepared
            self._taken({_WAITING: "taker", _DONE: "ahead"}.get(state, "waited"))
        return state == _WAITING

    def _wait(self) -> T:
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._result  # type: ignore[return-value]


@dataclass(frozen=True, kw_only=True)
class Offer(Call[None]):
    """A post's preparation offered to a reader, as a reader call (:mod:`service.calls`):
    claimed as a reader thread takes it (skipped if the writer came first), its answer (or
    error) kept in ``ahead`` for the writer; the job itself answers None."""

    ahead: Ahead[Reader, Preparation]

    def claim(self) -> bool:
        return self.ahead.start()

    def settle(self, ok: bool, answer: Any) -> None:
        self.ahead.done(ok, answer)


def prepare_ahead(
    app: web.Application, doc: Document, since: float | None = None
) -> Ahead[Reader, Preparation]:
    """``doc``'s preparation, offered to a reader now: unless the readers' queue is half
    full, since an offer takes a place in it, which requests that must be answered need more
    (a full queue answers them 503); the writer then prepares the post itself. Reports come
    in bursts (a batch's commit releases them all at once), so a tighter bound left the
    writer preparing most posts itself under load. ``since``: when the post arrived."""
    ahead: Ahead[Reader, Preparation] = Ahead(lambda col: col.prepare(doc), app[METRICS].prepared)
    readers = app[READERS]
    if readers.depth < readers.capacity // 2:
        offer = Offer("prepare", (doc,), ahead=ahead)
        task = asyncio.ensure_future(readers.run(offer, priority=AHEAD, since=since))
        task.add_done_callback(_ignore)
    return ahead


def _ignore(task: asyncio.Future[None]) -> None:
    """A preparation that did not run ahead (readers full or stopping) runs on the writer."""
    if not task.cancelled():
        task.exception()
