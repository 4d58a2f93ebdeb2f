"""Threads that own a Collection each, fed from a bounded queue.

SQLite connections belong to the thread that opened them, so every worker thread opens its own
Collection and runs only jobs against it: one writer thread for everything that changes the
index (posts are serialised there, which is what makes check-and-insert atomic across
requests, and where posts are committed in batches: :class:`service.batches.BatchedPool`,
whose thread drives a :class:`service.batches.Writer`, here or in a process of its own), and
a few reader threads with read-only connections that WAL lets read the last committed state
while the writer writes. The event loop never touches a Collection. Waiting jobs run by
priority, then oldest request first (posts and checks say when their request arrived), then
in arrival order.

Capacity is counted on the event loop: at most ``threads + queue_size`` jobs are accepted (running
or waiting). A request that finds the pool full gets a 503 with ``Retry-After`` at once instead of
a growing wait; a bulk request instead waits for room, which pushes back on its sender through
TCP (it stops reading the body).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import itertools
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar, cast

from service.calls import IN_FLIGHT, Call, Channel
from service.problems import Problem
from service.threadnames import name_this_thread

T = TypeVar("T")
LOG = logging.getLogger("service")


class Closable(Protocol):
    def close(self) -> None: ...


R = TypeVar("R", bound=Closable)
C = TypeVar("C")
C_co = TypeVar("C_co", covariant=True)
Job = Callable[[C], T]
_Item = tuple["asyncio.Future[object]", Callable[[C], object]] | None
#: A job's end as a worker hands it to the loop: its future, whether it returned, and what.
_Outcome = tuple["asyncio.Future[object]", bool, object]


#: The priority of the stop marks: after every job.
LAST = 1 << 30
#: The priority of work done ahead for the writer (see :mod:`service.ahead`): before the jobs of
#: requests, because it takes work off the writer, the one thread every post waits for in turn.
AHEAD = -1


class Runner(Protocol[C_co]):
    """A pool as its users see it: :meth:`Pool.run` of jobs that take a ``C_co``."""

    name: str

    async def run(
        self,
        job: Callable[[C_co], T],
        *,
        wait: bool = False,
        priority: int = 0,
        since: float | None = None,
    ) -> T: ...


class Overloaded(Problem):
    """The 503 of a full pool: try again after ``retry_after`` seconds."""

    def __init__(self, pool: str, retry_after: int) -> None:
        super().__init__(
            503,
            f"the {pool} queue is full; retry after {retry_after} s",
            kind="overloaded",
            headers={"Retry-After": str(retry_after)},
        )


class Pool(Generic[R, C]):
    """``threads`` threads, each opening its own ``R`` and running jobs that take a ``C``
    (:class:`CollectionPool`: the same; :class:`service.batches.BatchedPool`: a
    :class:`service.batches.Writer` that runs jobs against its Collection)."""

    def __init__(
        self,
        name: str,
        opener: Callable[[], R],
        *,
        threads: int,
        queue_size: int,
        retry_after: int = 1,
    ) -> None:
        self.name = name
        self.threads = threads
        self.capacity = threads + queue_size
        self.retry_after = retry_after
        self._opener = opener
        # (priority, since, arrival, job): jobs of equal priority run oldest request first,
        # then in arrival order.
        self._queue: queue.PriorityQueue[tuple[int, float, int, _Item[C]]] = queue.PriorityQueue()
        self._arrivals = itertools.count()
        self._workers: list[threading.Thread] = []
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._accepted = 0  # accepted and not finished, counted on the loop
        self._running = 0  # counted by the workers under _lock
        self._finished: list[_Outcome] = []  # jobs done, for the loop to settle (under _lock)
        self._waiting: set[asyncio.Future[object]] = set()  # accepted, not taken (under _lock)
        self._lock = threading.Lock()

    @property
    def depth(self) -> int:
        """Jobs accepted and waiting for a thread."""
        with self._lock:
            return max(self._accepted - self._running, 0)

    @property
    def running(self) -> int:
        """Jobs being run right now."""
        with self._lock:
            return self._running

    @property
    def started(self) -> bool:
        return bool(self._workers) and all(t.is_alive() for t in self._workers)

    async def start(self) -> None:
        """Start the threads and wait until each has opened its Collection (or one failed)."""
        loop = self._loop = asyncio.get_running_loop()
        self._slots = asyncio.Semaphore(self.capacity)
        opened: list[concurrent.futures.Future[None]] = []
        for k in range(self.threads):
            done: concurrent.futures.Future[None] = concurrent.futures.Future()
            thread = threading.Thread(
                target=self._work, args=(done,), name=f"dedup-{self.name}-{k}", daemon=False
            )
            thread.start()
            self._workers.append(thread)
            opened.append(done)
        try:
            await asyncio.gather(*(asyncio.wrap_future(f, loop=loop) for f in opened))
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Let the queued jobs finish, close every Collection and join the threads."""
        for _ in self._workers:
            self._queue.put((LAST, 0.0, next(self._arrivals), None))
        workers, self._workers = self._workers, []
        await asyncio.gather(*(asyncio.to_thread(t.join) for t in workers))

    async def run(
        self,
        job: Job[C, T],
        *,
        wait: bool = False,
        priority: int = 0,
        since: float | None = None,
    ) -> T:
        """``job(collection)`` on one of the threads; 503 at once if full, unless ``wait``.

        Waiting jobs of a lower ``priority`` number run first: work done ahead for posts
        (:mod:`service.ahead`) goes before the jobs of requests, since the writer would
        otherwise do it while every post behind waits. Among equal priorities the job of the
        oldest request runs first: ``since`` is when its request arrived
        (:func:`time.monotonic`; now, if None), so a post's report, queued after the post has
        waited for the writer, goes before the checks that arrived meanwhile rather than
        behind them. Equal ones run in arrival order.
        """
        slots = self._slots
        if slots is None or not self._workers:
            raise Problem(503, f"the {self.name} pool is not running", kind="not-ready")
        if not wait and slots.locked():
            raise Overloaded(self.name, self.retry_after)
        await slots.acquire()
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        with self._lock:
            self._accepted += 1
            self._waiting.add(future)  # type: ignore[arg-type]
        since = time.monotonic() if since is None else since
        if isinstance(job, Call) and job.arrived is None:
            job = dataclasses.replace(job, arrived=since)
        self._queue.put((priority, since, next(self._arrivals), (future, job)))  # type: ignore[arg-type]
        try:
            return await future
        except asyncio.CancelledError:
            self._abandon(future)  # type: ignore[arg-type]
            raise

    def _abandon(self, future: asyncio.Future[object]) -> None:
        """Free the slot of a job whose caller went away, if no thread has taken it yet (on
        the loop).

        A waiting job that will never run gives its place back at once, so a client that
        hangs up does not keep later requests out until a thread reaches its job. A job a
        thread has taken keeps its slot until the thread is done with it: a cancelled request
        must not let more work in than the threads can do.
        """
        with self._lock:
            waiting = future in self._waiting
            if waiting:
                self._waiting.discard(future)
                self._accepted -= 1
        if waiting and self._slots is not None:
            self._slots.release()

    def _deliver(self, outcomes: Sequence[_Outcome]) -> None:
        """Hand jobs' outcomes to the loop (from a worker): one wake-up of the loop for all
        the outcomes that wait for it.

        Each wake-up is a byte written to the loop's self-pipe, and the loop's turn to read
        it. A :class:`concurrent.futures.Future` wrapped for the loop cost two a job (its
        result, and the callback that freed its slot), and a writer's batch of six posts
        twelve. Sampled at 16 clients, over half of the pool threads' busy samples were in
        writing them, though mostly as time spent runnable (the wake-up hands the core to the
        loop): one wake-up lowered the loop's CPU by about 0.06 ms a post, and throughput
        stayed within the box's swings (``docs/performance-log.md``, session 15).
        """
        with self._lock:
            wake = not self._finished  # else a wake-up is on its way and will take these too
            self._finished.extend(outcomes)
        if wake and self._loop is not None:
            self._loop.call_soon_threadsafe(self._settle)

    def _settle(self) -> None:
        """Free the slots of the jobs done and answer their callers (on the loop)."""
        with self._lock:
            finished, self._finished = self._finished, []
            self._accepted -= len(finished)
        for future, ok, value in finished:
            if self._slots is not None:
                self._slots.release()
            if future.cancelled():  # its caller went away
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(cast(BaseException, value))

    def _work(self, opened: concurrent.futures.Future[None]) -> None:
        """A worker: open its resource here (a connection is bound to its thread), run jobs."""
        name_this_thread()
        try:
            collection = self._opener()
        except Exception as exc:
            opened.set_exception(exc)
            return
        opened.set_result(None)
        try:
            self._serve(collection)
        finally:
            try:
                collection.close()
            except Exception:
                LOG.exception("closing the %s collection failed", self.name)

    def _serve(self, resource: R) -> None:
        raise NotImplementedError

    def _take(
        self, limit: int, block: bool = True
    ) -> tuple[list[tuple[asyncio.Future[object], Job[C, object]]], bool]:
        """The next job (waiting for one, if ``block``) and those queued behind it, at most
        ``limit``; and whether the stop mark was met. A job whose caller went away is skipped:
        its slot was freed by :meth:`_abandon`, or is freed here if the caller's leaving has
        not reached the loop's side yet."""
        items: list[tuple[asyncio.Future[object], Job[C, object]]] = []
        try:
            item = self._queue.get(block)[3]
        except queue.Empty:
            return items, False
        while item is not None:
            future, job = item
            with self._lock:
                taken = future in self._waiting
                self._waiting.discard(future)
            if taken and not future.cancelled():  # (read from this thread: a caller that
                items.append((future, job))  # goes away later finds its result dropped)
            elif taken:  # its caller went away, which the loop has not seen yet
                self._deliver([(future, False, None)])
            # else abandoned (_abandon): its slot is free already
            if len(items) >= limit:
                return items, False
            try:
                item = self._queue.get_nowait()[3]
            except queue.Empty:
                return items, False
        return items, True


class CollectionPool(Pool[R, R]):
    """``threads`` threads, each running jobs ``job(collection)`` against its own Collection;
    a :class:`~service.calls.Call` is claimed first (and skipped if its claim fails), and
    sent ahead of its answer when the collection is a :class:`~service.calls.Channel`."""

    def _serve(self, resource: R) -> None:
        """Run jobs until the stop mark."""
        if isinstance(resource, Channel):
            self._stream(resource)
            return
        while True:
            items, stop = self._take(1)
            for future, job in items:
                self._begin()
                if isinstance(job, Call) and not job.claim():
                    self._end([(future, True, None)])
                    continue
                self._end([_run(future, job, resource)])
            if stop:
                return

    def _stream(self, channel: Channel) -> None:
        """Run jobs with up to :data:`~service.calls.IN_FLIGHT` calls in the channel's pipe
        (see :mod:`service.calls`): take and send while there is room and a job waiting, else
        read the oldest answer (waiting for a job only with none in the pipe). A job that is
        not a :class:`~service.calls.Call` talks to the channel itself: it runs once the
        answers of the calls before it are in."""
        sent: deque[tuple[asyncio.Future[object], Call[object]]] = deque()
        stop = False
        while sent or not stop:
            items: list[tuple[asyncio.Future[object], Job[R, object]]] = []
            if not stop and len(sent) < IN_FLIGHT:
                items, stop = self._take(1, block=not sent)
            for future, job in items:
                self._begin()
                if not isinstance(job, Call):
                    while sent:
                        self._answer(channel, sent)
                    self._end([_run(future, job, cast(R, channel))])
                elif not job.claim():
                    self._end([(future, True, None)])
                else:
                    try:
                        channel.send(job)
                    except Exception as exc:  # not sent: the calls before it are answered
                        while sent:  # first (or lost, if its process is gone)
                            self._answer(channel, sent)
                        self._end([_settled(future, job, False, exc)])
                    else:
                        sent.append((future, job))
            if sent and not items:
                self._answer(channel, sent)

    def _answer(
        self, channel: Channel, sent: deque[tuple[asyncio.Future[object], Call[object]]]
    ) -> None:
        """Read the answer of the oldest call sent and end its job."""
        try:
            ok, answer = channel.receive()
        except Exception as exc:  # the process died: the calls in its pipe died with it
            self._lose(sent, exc)
            return
        future, call = sent.popleft()
        self._end([_settled(future, call, ok, answer)])

    def _lose(
        self, sent: deque[tuple[asyncio.Future[object], Call[object]]], error: Exception
    ) -> None:
        """End every call sent and not answered with ``error`` (each settled with it, so that
        a preparation offered ahead hands the error to the writer waiting for it)."""
        lost = [_settled(future, call, False, error) for future, call in sent]
        sent.clear()
        self._end(lost)

    def _begin(self) -> None:
        with self._lock:
            self._running += 1

    def _end(self, outcomes: list[_Outcome]) -> None:
        with self._lock:
            self._running -= len(outcomes)
        self._deliver(outcomes)


def _run(future: asyncio.Future[object], job: Callable[[T], object], resource: T) -> _Outcome:
    """``job(resource)`` as an outcome: its result, or the error it raised."""
    try:
        return (future, True, job(resource))
    except Exception as exc:
        return (future, False, exc)


def _settled(future: asyncio.Future[object], call: Call[object], ok: bool, answer: Any) -> _Outcome:
    """A call's outcome from its reader's answer (``ok``) or error."""
    try:
        return (future, True, call.settle(ok, answer))
    except Exception as exc:
        return (future, False, exc)
