"""The writer's jobs as calls that can cross to a process, and the writer's own process.

Every post's serial part runs on the one writer (:class:`service.batches.BatchedPool`). Run by a
thread of the service's process, it took turns for the interpreter lock with the event loop
and the threads that drive the readers, and its CPU a post grew with them: 2.8-3.4 ms a post
under 16 clients (``benchmarks/service_load.py``) against 2.4-2.6 ms alone, and 3.5 ms beside
two busy Python threads of its process (timed by hand). A :class:`RemoteWriter` keeps the
read-write :class:`~dedup.collection.Collection` in a child process of its own
(``writer_mode = "process"``, the default), so its lock is the writer's alone: the writer
thread streams each batch of queued jobs to it and gets every job's outcome back after the
commit. With the reader processes at a lower priority (``reader_nice``), four alternating
pairs against the writer thread gave 207-256 docs/s at 16 clients against 145-201, and a
mixed-load p99 of 152-195 ms against 180-222, lower in three of the pairs
(``docs/performance-log.md``, session 12).

Jobs that cross are :class:`WriteCall` values naming a Collection verb, not closures. A post's
preparation, offered to a reader ahead of the writer (:mod:`service.ahead`), is claimed by the
writer thread when the child comes to the post (:class:`RemoteWriter`): the prepared result
goes along if a reader made it, and otherwise the writer's process prepares the post itself.
What the writer answers a post leaves out its boilerplate entry
(:func:`service.crossing.bare_pending`), which only the writer reads.

A child that dies fails its batch with a 503 and is started again for the next. Its batch was
not committed, unless it died between the commit and the answer: then the posts are stored
though answered 503, and a client that posts them again gets ``unchanged`` (re-posting the
same id and text is idempotent), which loses nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar, cast

from dedup.collection import Collection, Pending
from dedup.config import Config
from dedup.errors import IndexBusyError
from dedup.index import DEFAULT_BUSY_TIMEOUT
from dedup.types import Document
from service.ahead import Ahead
from service.batches import Batch, run_batch
from service.children import Child, ChildError, crossable, open_collection, serve_child
from service.crossing import Preparation, bare_pending, unpacked
from service.lane_ends import LaneServer
from service.problems import MAYBE_STORED, Problem
from service.remote import Reader

T = TypeVar("T")
LOG = logging.getLogger("service")

#: The writer process's name, in Python and in the kernel (:mod:`service.threadnames`).
PROCESS_NAME = "dedup-writer"

#: The Collection verbs a :class:`WriteCall` may name.
VERBS = frozenset({"post_pending", "delete", "join_cluster"})


class WriterLost(Problem):
    """The 503 of the jobs whose writer process died under them (it is restarted); one that
    died after its commit had stored them (see :data:`~service.problems.MAYBE_STORED`)."""

    def __init__(self) -> None:
        message = f"the writer process stopped; retry ({MAYBE_STORED})"
        super().__init__(503, message, kind="overloaded", headers={"Retry-After": "1"})


@dataclass(frozen=True)
class WriteCall(Generic[T]):
    """``collection.<verb>(*args, **kwargs)`` as a writer job, run here or in the writer's
    process; ``ahead`` is a post's preparation offered to the readers, passed as
    ``prepared``."""

    verb: str
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    ahead: Ahead[Reader, Preparation] | None = None

    def __call__(self, collection: Collection) -> T:
        kwargs = dict(self.kwargs)
        if self.ahead is not None:
            kwargs["prepared"] = unpacked(self.ahead.take(collection))
        result: T = getattr(collection, self.verb)(*self.args, **kwargs)
        return result

    def shipped(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        """The call as a message for the writer's process: the preparation goes along if a
        reader made it (waited for, if one is making it), else that process prepares.
        A reader's process sends it packed, and so it goes on (:class:`service.remote.Packed`)."""
        kwargs = dict(self.kwargs)
        if self.ahead is not None:
            made, prepared = self.ahead.claim()
            if made:
                kwargs["prepared"] = prepared
        return self.verb, self.args, kwargs


def post_call(
    doc: Document, ahead: Ahead[Reader, Preparation], window: Mapping[str, Any]
) -> WriteCall[Pending]:
    """A post's writer job: :meth:`Collection.post_pending` within ``window``."""
    return WriteCall("post_pending", (doc,), dict(window), ahead)


def delete_call(doc_id: str) -> WriteCall[None]:
    """A delete's writer job: :meth:`Collection.delete`."""
    return WriteCall("delete", (doc_id,))


def join_call(doc_id: str, related: Sequence[str]) -> WriteCall[str | None]:
    """A posted document's placement with what its report found: :meth:`Collection.join_cluster`."""
    return WriteCall("join_cluster", (doc_id, tuple(related)))


class RemoteWriter(Child):
    """The read-write Collection of ``db`` in a child process, run in batches
    (:func:`service.batches.run_batch` there): a :class:`service.batches.Writer`.

    A batch streams: each job goes as soon as it is claimed, and the child runs it at once.
    A job whose preparation no reader has made yet is claimed only once the child says it is
    done with the jobs before it (asked with :data:`_SYNC`), as the writer thread of
    ``writer_mode = "thread"`` takes it only when it comes to it: the readers get that long
    to make it, and whatever they have not started by then the child makes itself. A first
    version claimed
    every job as its batch left: the child prepared 6-11 % of the posts at 16 clients (five
    runs; the writer thread 0-2 %); streamed, 3-7 % (three runs).
    """

    def __init__(
        self,
        db: str,
        config: Config | None,
        warm_up: Document | None,
        wal_bound_pages: int,
        died: Callable[[], None] | None = None,
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        lanes: tuple[str, int] | None = None,
    ) -> None:
        args = (db, config, warm_up, wal_bound_pages, busy_timeout, lanes)
        super().__init__(_serve, args, PROCESS_NAME, WriterLost, died)

    def run_batch(self, jobs: Sequence[Callable[[Any], object]]) -> Batch:
        """Stream the jobs (:class:`WriteCall` only), then commit; a job whose preparation
        failed on a reader fails alone, without crossing. :data:`REVIVE` jobs only start a
        child if the one there has died (a reader found it gone: :mod:`service.lanes`)."""
        if any(job is REVIVE for job in jobs):
            self._revive()
            rest = [job for job in jobs if job is not REVIVE]
            done = self.run_batch(rest) if rest else Batch([], False)
            outcomes = iter(done.outcomes)
            revived = [(True, None) if job is REVIVE else next(outcomes) for job in jobs]
            return Batch(revived, done.committed)
        for job in jobs:
            if not isinstance(job, WriteCall):
                raise TypeError(f"the writer's process runs WriteCall jobs, not {job!r}")
        calls = cast(Sequence[WriteCall[object]], jobs)
        try:
            return self._exchange(lambda pipe: _stream(pipe, calls))
        except OutOfStep:  # what it did is unknown: a new child starts from the file
            LOG.error("the writer process answered out of step; starting another")
            self._discard()
            raise WriterLost() from None

    def _revive(self) -> None:
        """Start a child if the one there has died (or none runs)."""
        process = self._process
        if process is not None and process.is_alive():
            return
        if process is not None:
            LOG.error("the %s process died; starting another", PROCESS_NAME)
            self._discard()
            if self._died is not None:
                self._died()
        self._start()


def _revive(collection: object) -> None:
    """:data:`REVIVE` as a job of a writer in this process: there is nothing to start."""


#: A writer job that starts a writer's process if it died (see :meth:`RemoteWriter.run_batch`).
REVIVE: Callable[[Any], None] = _revive


def _stream(pipe: Connection, calls: Sequence[WriteCall[object]]) -> Batch:
    """One batch over ``pipe``: see :class:`RemoteWriter`."""
    outcomes: list[tuple[bool, Any] | None] = []
    unsynced = False  # calls sent that the child may not be done with
    for call in calls:
        if unsynced and call.ahead is not None and not call.ahead.made:
            pipe.send(_SYNC)  # the readers get until the child comes to this job
            read_done(pipe)
            unsynced = False
        try:
            shipped = call.shipped()
        except Exception as exc:  # its preparation failed on a reader
            outcomes.append((False, exc))
            continue
        pipe.send(shipped)
        unsynced = True
        outcomes.append(None)
    pipe.send(_COMMIT)
    ok, batch = pipe.recv()
    if not ok:
        raise batch
    answers = iter(batch.outcomes)
    return Batch([next(answers) if o is None else o for o in outcomes], batch.committed)


def read_done(pipe: Connection) -> None:
    """Read the child's word that it is done with the calls sent before a :data:`_SYNC`."""
    said = pipe.recv()
    if said != _DONE:  # it answered before the stream ended: it does not, unless broken
        raise OutOfStep(f"expected {_DONE!r} from the writer process, got {said!r:.80}")


class OutOfStep(RuntimeError):
    """The writer process said something out of its batch protocol."""


#: The end of a batch's stream of calls.
_COMMIT = "commit"
#: Asks the child to say when it is done with the calls sent before.
_SYNC = "sync"
#: What the child says to a :data:`_SYNC`.
_DONE = "done"


def _serve(
    pipe: Connection,
    db: str,
    config: Config | None,
    warm_up: Document | None,
    wal_bound_pages: int,
    busy_timeout: float,
    lanes: tuple[str, int] | None,
) -> None:
    """The writer's child: :func:`open_writer`, then batches until the pipe closes; with
    ``lanes`` (a socket path and a batch size), the posts of the readers' lanes too
    (:class:`~service.lane_ends.LaneServer`)."""
    between = None if lanes is None else LaneServer(*lanes).serve_until
    serve_child(
        pipe,
        PROCESS_NAME,
        lambda: open_writer(db, config, warm_up, wal_bound_pages, busy_timeout=busy_timeout),
        _run,
        between,
    )


def open_writer(
    db: str,
    config: Config | None,
    warm_up: Document | None,
    wal_bound_pages: int,
    *,
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
) -> Collection:
    """The writer's read-write collection (which creates the file if needed), checkpointing
    itself only past ``wal_bound_pages`` (a thread of the service does it), warmed up with
    ``warm_up`` (:meth:`Collection.warm_up`: it stores nothing), each write waiting up to
    ``busy_timeout`` s while another process writes the file.

    The warm-up takes the write lock: while another process holds it (a ``dedup bulk --db``
    run), the writer starts without, and its first batch pays for it instead. The service then
    answers reads, and writes fail alone with :class:`~dedup.errors.IndexBusyError` (503)."""
    collection = open_collection(db, config, readonly=False, busy_timeout=busy_timeout)
    try:
        collection.defer_checkpoints(wal_bound_pages)
        collection.journal_savepoints_in_memory()  # a savepoint a post: see there
        if warm_up is not None:
            try:
                collection.warm_up(warm_up)
            except IndexBusyError:
                LOG.warning("the index is being written by another process: no warm-up")
    except BaseException:
        collection.close()
        raise
    return collection


def _run(collection: Collection, first: object, pipe: Connection) -> Batch:
    """A batch whose first call is ``first``, the rest read from ``pipe`` as each is run."""
    batch = run_batch(collection, _calls(first, pipe))
    outcomes = [
        (True, bare_pending(value) if isinstance(value, Pending) else value)
        if ok
        else (False, crossable(value))
        for ok, value in batch.outcomes
    ]
    return Batch(outcomes, batch.committed)


def _calls(first: object, pipe: Connection) -> Iterator[Callable[[Collection], Any]]:
    """The stream's calls as jobs, each read once the one before it is done; a
    :data:`_SYNC` is answered :data:`_DONE` then.

    The child used to say it was done with every call, and each word woke the writer thread,
    which mostly had nothing to do with it but read it: at 16 clients, 15 % of the child's
    samples were in sending them (py-spy, session 17), most of it the core taken by the thread
    it woke."""
    call = first
    while call != _COMMIT:
        if call == _SYNC:
            pipe.send(_DONE)
        else:
            yield _job(call)
        call = pipe.recv()


def _job(call: object) -> Callable[[Collection], Any]:
    """The job of a call (``(verb, args, kwargs)``); one that is not fails alone."""

    def job(collection: Collection) -> Any:
        if not (isinstance(call, tuple) and len(call) == 3 and call[0] in VERBS):
            raise ChildError(f"not a writer call: {call!r:.80}")
        verb, args, kwargs = call
        if "prepared" in kwargs:
            kwargs = {**kwargs, "prepared": unpacked(kwargs["prepared"])}
        return getattr(collection, verb)(*args, **kwargs)

    return job
