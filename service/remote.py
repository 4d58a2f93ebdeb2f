"""Readers in processes of their own, so that the writer has the interpreter to itself.

A post spends about a third of its computing on a reader (its preparation before the writer
takes it, the passages of its matches after the commit) and a check all of it. Reader threads
share the interpreter lock with the writer thread and the event loop, which kept the service
on one core however many it had. A :class:`RemoteCollection` is a read-only
:class:`~dedup.collection.Collection` opened in a child process and driven over a pipe by one
reader thread of :class:`service.pools.CollectionPool`: the thread waits on the pipe without the
lock, the child computes on another core. The pool's queue, priorities and 503s stay as they are.

What crosses the pipe is pickled by :mod:`multiprocessing` (documents, prepared posts, verdicts:
values the service built itself; nothing from disk is unpickled). Errors come back as
themselves, so the service answers a missing document with its 404 whether the reader ran here
or there; an error that cannot cross (an unpicklable exception) comes back as
:class:`ChildError` with its message.

Children use the ``spawn`` start method (a fresh interpreter: forking a process that runs
threads and holds SQLite connections is unsafe), open the file themselves and load the compiled
kernels before they report ready. They ignore SIGINT and SIGTERM, which a terminal or a service
manager sends to the whole process group: the parent decides when they stop (after its
in-flight requests), by closing the pipe, and a child whose parent died sees the pipe close and
exits too. A child that dies fails the job it was running with a 503 and is started again for
the next one.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import signal
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import Any, Generic, Protocol, TypeVar

import numpy as np

from dedup._malloc import release_free_memory
from dedup.boilerplate import Stripped
from dedup.boilerplate.store import DocumentEntry
from dedup.collection import Collection, DocumentView, Pending, Prepared, Verdict
from dedup.config import Config
from dedup.errors import ConfigError
from dedup.types import Document
from service.collector import freeze_startup
from service.problems import Problem
from service.threadnames import name_this_thread

LOG = logging.getLogger("service")
T = TypeVar("T")

_NO_SIGNATURE = np.empty(0, dtype=np.uint32)

#: A reader process's name, in Python and in the kernel (:mod:`service.threadnames`).
PROCESS_NAME = "dedup-reader"

#: Seconds a child gets to close its collection when asked to stop, before it is killed.
STOP_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Packed(Generic[T]):
    """A value pickled in the process that made it, unpickled only in the one that uses it.

    A post's preparation is made by a reader's process and used by the writer's; the
    service's own process only hands it on. It used to unpickle the preparation and pickle it
    again (its boilerplate entry is about 12 KB for a news article): ``ForkingPickler.dumps``
    was a fifth of that process's samples holding the interpreter lock at 16 clients (py-spy
    ``--gil``). As bytes it is copied, not rebuilt: at 16 clients the service's writer thread
    and reader threads spent 0.45-0.56 ms of CPU a post with it against 0.63-0.75 ms before
    (four alternating pairs of ``benchmarks/service_load.py``; ``docs/performance-log.md``,
    session 13).
    """

    blob: bytes

    @classmethod
    def of(cls, value: T) -> Packed[T]:
        return cls(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def unpack(self) -> T:
        value: T = pickle.loads(self.blob)
        return value


#: A post's preparation as a reader hands it over: made here, or packed in a reader's process.
Preparation = Prepared | Packed[Prepared]


def unpacked(preparation: Preparation) -> Prepared:
    """The :class:`Prepared` itself, unpacked if it came packed."""
    return preparation.unpack() if isinstance(preparation, Packed) else preparation


class Reader(Protocol):
    """What the service asks of a reader: a :class:`Collection` or a :class:`RemoteCollection`."""

    def prepare(self, doc: Document) -> Preparation: ...

    def report(self, pending: Pending) -> Verdict: ...

    def check(
        self,
        doc: Document,
        *,
        since: str | None = None,
        until: str | None = None,
        exclude_same_source: bool = False,
    ) -> Verdict: ...

    def strip(self, text: str, source: str | None = None) -> Stripped: ...

    def get(self, doc_id: str) -> DocumentView: ...

    def __len__(self) -> int: ...

    def close(self) -> None: ...


class ChildError(RuntimeError):
    """A child process (a reader's or the writer's) failed with an error that could not be
    sent back as itself, could not start, or was sent something it does not run. Not a
    :class:`~dedup.errors.DedupError`: it is a fault of the service, which answers it with a
    500 and a log line, never blamed on the request."""


class ReaderLost(Problem):
    """The 503 of a job whose reader process died under it (it is restarted for the next)."""

    def __init__(self) -> None:
        super().__init__(
            503, "a reader process stopped; retry", kind="overloaded", headers={"Retry-After": "1"}
        )


class Child:
    """A child process (``spawn``) running ``target(pipe, *args)``, driven over the pipe by
    one thread at a time: each call sends a request and waits for ``(ok, value)``. A child
    that dies fails the call it was running with ``lost()``, is counted with ``died()`` (the
    service's ``dedup_child_process_deaths``), and is started again for the next.
    """

    def __init__(
        self,
        target: Callable[..., None],
        args: tuple[object, ...],
        name: str,
        lost: Callable[[], Exception],
        died: Callable[[], None] | None = None,
    ) -> None:
        self._target = target
        self._args = args
        self._name = name
        self._lost = lost
        self._died = died
        self._pipe: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._start()

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(
            target=self._target, args=(child, *self._args), name=self._name, daemon=True
        )
        process.start()
        child.close()
        try:
            ok, value = parent.recv()
        except (EOFError, OSError):
            process.join(STOP_SECONDS)
            raise ChildError(
                f"the {self._name} process exited while opening {self._args[0]}"
            ) from None
        if not ok:
            process.join(STOP_SECONDS)
            raise value
        self._pipe, self._process = parent, process

    def _call(self, request: object) -> Any:
        """Send ``request``, then its answer: the value, or the error raised."""

        def call(pipe: Connection) -> Any:
            pipe.send(request)
            return pipe.recv()

        ok, value = self._exchange(call)
        if ok:
            return value
        raise value

    def _exchange(self, talk: Callable[[Connection], T]) -> T:
        """``talk(pipe)``, with a child started if none runs; ``lost()`` if it dies meanwhile."""
        if self._pipe is None:  # its child died during an earlier job
            self._start()
        pipe = self._pipe
        if pipe is None:  # pragma: no cover - _start sets it or raises
            raise ChildError(f"no {self._name} process")
        try:
            return talk(pipe)
        except (EOFError, OSError):
            LOG.error("the %s process died; starting another", self._name)
            self._discard()
            if self._died is not None:
                self._died()
            raise self._lost() from None

    def _discard(self) -> None:
        if self._pipe is not None:
            self._pipe.close()
        if self._process is not None:
            self._process.join(STOP_SECONDS)
            if self._process.is_alive():  # pragma: no cover - it lost its pipe
                self._process.kill()
        self._pipe = self._process = None

    @property
    def pid(self) -> int | None:
        """The child's process id (None between a death and the next job)."""
        return None if self._process is None else self._process.pid

    def close(self) -> None:
        """Let the child close its collection and exit (killed after :data:`STOP_SECONDS`)."""
        if self._pipe is not None:
            with contextlib.suppress(OSError):  # it is gone already
                self._pipe.send(None)
        self._discard()


class RemoteCollection(Child):
    """A read-only Collection of ``db`` in a child process; one thread at a time calls it.

    ``nice`` lowers the child's CPU priority by that much (``os.nice``): when the cores are
    short, the writer, which every post waits for in turn, and the event loop get them first.
    """

    def __init__(
        self,
        db: str,
        config: Config | None,
        warm_up: Document | None = None,
        nice: int = 0,
        died: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(_serve, (db, config, warm_up, nice), PROCESS_NAME, ReaderLost, died)

    # --- the reader verbs ------------------------------------------------------------------

    def prepare(self, doc: Document) -> Packed[Prepared]:
        """``doc``'s preparation, packed: it is for the writer (see :class:`Packed`)."""
        result: Packed[Prepared] = self._call(("prepare", (doc,), {}))
        return result

    def report(self, pending: Pending) -> Verdict:
        result: Verdict = self._call(("report", (bare_pending(pending),), {}))
        return result

    def check(
        self,
        doc: Document,
        *,
        since: str | None = None,
        until: str | None = None,
        exclude_same_source: bool = False,
    ) -> Verdict:
        window = {"since": since, "until": until, "exclude_same_source": exclude_same_source}
        result: Verdict = self._call(("check", (doc,), window))
        return result

    def strip(self, text: str, source: str | None = None) -> Stripped:
        result: Stripped = self._call(("strip", (text, source), {}))
        return result

    def get(self, doc_id: str) -> DocumentView:
        result: DocumentView = self._call(("get", (doc_id,), {}))
        return result

    def __len__(self) -> int:
        return int(self._call(("__len__", (), {})))


def bare_pending(pending: Pending) -> Pending:
    """``pending`` without its boilerplate entry, which a report does not read: it is the
    costliest part of a pending post to pickle: for a news article about 0.02 ms to pickle
    and 0.03 ms to unpickle as columns (:mod:`dedup._pickling`), 0.08 and 0.07 ms the generic
    way (``python -m benchmarks.crossing``, with and without the entry)."""
    ready = pending.prepared
    bare = DocumentEntry(ready.doc.id, ready.doc.source, _NO_SIGNATURE, ())
    return replace(pending, prepared=replace(ready, entry=bare))


_VERBS = frozenset({"prepare", "report", "check", "strip", "get", "__len__"})


def open_collection(db: str, config: Config | None, *, readonly: bool) -> Collection:
    """The collection in ``db``; a file that cannot be opened is a :class:`ConfigError`."""
    try:
        return Collection.open(db, config, readonly=readonly)
    except sqlite3.OperationalError as exc:  # a missing directory, no permission, ...
        raise ConfigError(f"{db}: cannot open the database ({exc})") from exc


def _serve(
    pipe: Connection, db: str, config: Config | None, warm_up: Document | None, nice: int
) -> None:
    """A reader's child: its read-only collection, warmed up with a check of ``warm_up``, at
    ``nice`` below the service's CPU priority."""

    def open_reader() -> Collection:
        if nice and hasattr(os, "nice"):
            os.nice(nice)
        collection = open_collection(db, config, readonly=True)
        if warm_up is not None:
            collection.check(warm_up)
        return collection

    serve_child(pipe, PROCESS_NAME, open_reader, _answer)


def _answer(
    collection: Collection, call: tuple[str, tuple[Any, ...], dict[str, Any]], _: Connection
) -> Any:
    name, args, kwargs = call
    if name not in _VERBS:
        raise ChildError(f"not a reader verb: {name}")
    result = getattr(collection, name)(*args, **kwargs)
    return Packed.of(result) if name == "prepare" else result


def serve_child(
    pipe: Connection,
    name: str,
    open_collection: Callable[[], Collection],
    answer: Callable[[Collection, Any, Connection], Any],
) -> None:
    """A child's life: open its collection, say so, then send ``(True, answer(collection,
    request, pipe))`` or ``(False, error)`` for each request until the pipe closes or brings
    None (``answer`` may read more of a request from the pipe)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    name_this_thread(name)
    try:
        collection = open_collection()
        freeze_startup()  # a request would wait out every full collection here too
        release_free_memory()  # the temporary arrays of building its indexes
    except Exception as exc:
        _send(pipe, False, exc)
        return
    try:
        pipe.send((True, None))
        while True:
            try:
                request = pipe.recv()
            except EOFError:  # the parent is gone
                return
            if request is None:
                return
            try:
                result = answer(collection, request, pipe)
            except Exception as exc:
                _send(pipe, False, exc)
            else:
                pipe.send((True, result))
    except (BrokenPipeError, ConnectionResetError):  # the parent is gone
        return
    finally:
        collection.close()


def _send(pipe: Connection, ok: bool, error: Exception) -> None:
    pipe.send((ok, crossable(error)))


def crossable(error: Exception) -> Exception:
    """``error`` if it can cross the pipe as itself, else a :class:`ChildError` with its
    message."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return ChildError(f"{type(error).__name__}: {error}")
    return error
