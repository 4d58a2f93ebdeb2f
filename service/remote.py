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
or there. How a child process starts, stops and dies: :mod:`service.children`.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Protocol, TypedDict, TypeVar, Unpack

from dedup.boilerplate import Stripped
from dedup.collection import Collection, DocumentView, Pending, PostReport, Prepared, Verdict
from dedup.config import Config
from dedup.types import Document
from service.calls import Call
from service.children import Child, ChildError, open_collection, serve_child
from service.crossing import Packed, Preparation, bare_pending
from service.lane_ends import PostDesk
from service.problems import MAYBE_STORED, Problem

T = TypeVar("T")

#: A reader process's name, in Python and in the kernel (:mod:`service.threadnames`).
PROCESS_NAME = "dedup-reader"


class WindowArgs(TypedDict, total=False):
    """A check's or a lookup's window, as keyword arguments (:class:`dedup.collection.Window`)."""

    since: str | None
    until: str | None
    exclude_same_source: bool


class Reader(Protocol):
    """What the service asks of a reader: a :class:`Collection` or a :class:`RemoteCollection`."""

    def prepare(self, doc: Document) -> Preparation: ...

    def report_post(self, pending: Pending) -> PostReport: ...

    def check(self, doc: Document, **window: Unpack[WindowArgs]) -> Verdict: ...

    def strip(self, text: str, source: str | None = None) -> Stripped: ...

    def get(self, doc_id: str, **window: Unpack[WindowArgs]) -> DocumentView: ...

    def __len__(self) -> int: ...

    def close(self) -> None: ...


class LaneHook(Protocol):
    """Where a reader's post lanes go (:class:`service.lanes.PostLanes` and its path)."""

    path: str

    def attach(self, key: object, sock: socket.socket) -> None: ...


class ReaderLost(Problem):
    """The 503 of a job whose reader process died under it (it is restarted for the next).

    ``after_write``: the job was part of a post the writer may have committed already (a
    post on a lane, or a stored post's report). The answer then says so, and that a retry is
    safe (a re-post of the same id and text is ``unchanged``); a check's, a strip's or a
    lookup's stored nothing, and its answer does not claim otherwise.
    """

    def __init__(self, *, after_write: bool = False) -> None:
        detail = "a reader process stopped; retry"
        if after_write:
            detail = f"{detail} ({MAYBE_STORED})"
        super().__init__(503, detail, kind="overloaded", headers={"Retry-After": "1"})


class RemoteCollection(Child):
    """A read-only Collection of ``db`` in a child process; one thread at a time calls it.

    ``nice`` lowers the child's CPU priority by that much (``os.nice``): when the cores are
    short, the writer, which every post waits for in turn, and the event loop get them first.
    With ``lanes``, each child started also has a post lane (:mod:`service.lanes`): it
    connects to the writer's process at ``lanes.path``, and the service's end of its socket
    goes to ``lanes.attach(self, sock)``.
    """

    def __init__(
        self,
        db: str,
        config: Config | None,
        warm_up: Document | None = None,
        nice: int = 0,
        died: Callable[[], None] | None = None,
        lanes: LaneHook | None = None,
    ) -> None:
        self._lanes = lanes
        path = None if lanes is None else lanes.path
        args = (db, config, warm_up, nice, path)
        super().__init__(_serve, args, PROCESS_NAME, ReaderLost, died)

    def _start(self, *extra: object) -> None:
        lanes = self._lanes
        if lanes is None:
            super()._start(*extra)
            return
        ours, theirs = socket.socketpair()
        try:
            super()._start(*extra, theirs)
        except BaseException:
            ours.close()
            raise
        lanes.attach(self, ours)

    # --- calls sent ahead of their answers (a service.calls.Channel) -------------------------

    def send(self, call: Call[Any]) -> None:
        """Put ``call`` in the child's pipe (a child is started if none runs)."""
        request = _request(call.verb, call.args, dict(call.kwargs), call.arrived)
        self._exchange(lambda pipe: pipe.send(request))

    def receive(self) -> tuple[bool, Any]:
        """The answer of the oldest call sent; :class:`ReaderLost` if the child died (the
        calls sent to it are lost: a child started since has not seen them). An answer that
        cannot be read ends the child, whose later answers would go to the wrong calls."""
        try:
            answer: tuple[bool, Any] = self._exchange(lambda pipe: pipe.recv(), start=False)
        except ReaderLost:
            raise
        except Exception:
            self._discard()
            raise
        return answer

    # --- the reader verbs ------------------------------------------------------------------

    def prepare(self, doc: Document) -> Packed[Prepared]:
        """``doc``'s preparation, packed: it is for the writer (see :class:`Packed`)."""
        result: Packed[Prepared] = self._call(_request("prepare", (doc,), {}))
        return result

    def report_post(self, pending: Pending) -> PostReport:
        result: PostReport = self._call(_request("report_post", (pending,), {}))
        return result

    def check(self, doc: Document, **window: Unpack[WindowArgs]) -> Verdict:
        result: Verdict = self._call(_request("check", (doc,), dict(window)))
        return result

    def strip(self, text: str, source: str | None = None) -> Stripped:
        result: Stripped = self._call(_request("strip", (text, source), {}))
        return result

    def get(self, doc_id: str, **window: Unpack[WindowArgs]) -> DocumentView:
        result: DocumentView = self._call(_request("get", (doc_id,), dict(window)))
        return result

    def __len__(self) -> int:
        return int(self._call(_request("__len__", (), {})))


_VERBS = frozenset({"prepare", "report_post", "check", "strip", "get", "__len__"})


def _request(
    verb: str, args: tuple[Any, ...], kwargs: dict[str, Any], arrived: float | None = None
) -> tuple[str, tuple[Any, ...], dict[str, Any], float | None]:
    """A reader call as it crosses, with when its request arrived (see
    :class:`~service.lane_ends.PostDesk`): a report's pending post goes without its entry."""
    if verb == "report_post" and args:
        args = (bare_pending(args[0]), *args[1:])
    return verb, args, kwargs, arrived


def _serve(
    pipe: Connection,
    db: str,
    config: Config | None,
    warm_up: Document | None,
    nice: int,
    writer_path: str | None,
    lane: socket.socket | None = None,
) -> None:
    """A reader's child: its read-only collection, warmed up with ``warm_up``, at
    ``nice`` below the service's CPU priority; with a ``lane``, the posts that come on it
    go to the writer's process at ``writer_path`` (:class:`~service.lane_ends.PostDesk`)."""

    def open_reader() -> Collection:
        if nice and hasattr(os, "nice"):
            os.nice(nice)
        collection = open_collection(db, config, readonly=True)
        if warm_up is not None:
            collection.warm_up(warm_up)
        return collection

    between = None
    if lane is not None and writer_path is not None:
        between = PostDesk(lane, writer_path).serve_until
    serve_child(pipe, PROCESS_NAME, open_reader, _answer, between)


def _answer(collection: Collection, call: tuple[Any, ...], _: Connection) -> Any:
    """A request's answer: ``(verb, args, kwargs, arrived)`` (see :func:`_request`)."""
    name, args, kwargs = call[:3]
    if name not in _VERBS:
        raise ChildError(f"not a reader verb: {name}")
    result = getattr(collection, name)(*args, **kwargs)
    return Packed.of(result) if name == "prepare" else result
