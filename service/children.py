"""A child process driven over a pipe: the parent's side (:class:`Child`) and the child's
(:func:`serve_child`), shared by the readers' processes (:mod:`service.remote`) and the
writer's (:mod:`service.writer`).

Children use the ``spawn`` start method (a fresh interpreter: forking a process that runs
threads and holds SQLite connections is unsafe), open the file themselves and load the compiled
kernels before they report ready. They ignore SIGINT and SIGTERM, which a terminal or a service
manager sends to the whole process group: the parent decides when they stop (after its
in-flight requests), by closing the pipe, and a child whose parent died sees the pipe close and
exits too. A child that dies fails the job it was running with a 503 and is started again for
the next one. Errors come back as themselves; one that cannot cross (an unpicklable exception)
comes back as :class:`ChildError` with its message.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import pickle
import signal
import socket
import sqlite3
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from dedup._hugepages import collapse_into_huge_pages
from dedup._malloc import release_free_memory
from dedup.collection import Collection
from dedup.config import Config
from dedup.errors import ConfigError
from dedup.index import DEFAULT_BUSY_TIMEOUT
from service.collector import freeze_startup
from service.threadnames import name_this_thread

LOG = logging.getLogger("service")
T = TypeVar("T")

#: Seconds a child gets to close its collection when asked to stop, before it is killed.
STOP_SECONDS = 10.0


class ChildError(RuntimeError):
    """A child process (a reader's or the writer's) failed with an error that could not be
    sent back as itself, could not start, or was sent something it does not run. Not a
    :class:`~dedup.errors.DedupError`: it is a fault of the service, which answers it with a
    500 and a log line, never blamed on the request."""


class Child:
    """A child process (``spawn``) running ``target(pipe, *args)``, driven over the pipe by
    one thread at a time: each call sends a request and waits for ``(ok, value)`` (or sends
    several, whose answers come in order: :meth:`service.remote.RemoteCollection.send`). A child
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

    def _start(self, *extra: object) -> None:
        """Start the child, with ``extra`` arguments after the others (closed here once the
        child has them)."""
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(
            target=self._target, args=(child, *self._args, *extra), name=self._name, daemon=True
        )
        try:
            process.start()
        finally:
            child.close()
            for arg in extra:
                if isinstance(arg, socket.socket):
                    arg.close()
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

    def _exchange(self, talk: Callable[[Connection], T], start: bool = True) -> T:
        """``talk(pipe)``, with a child started if none runs (unless not ``start``: then
        ``lost()``); ``lost()`` if it dies meanwhile."""
        if self._pipe is None and not start:  # what was sent died with its child
            raise self._lost()
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


def open_collection(
    db: str, config: Config | None, *, readonly: bool, busy_timeout: float = DEFAULT_BUSY_TIMEOUT
) -> Collection:
    """The collection in ``db``; a file that cannot be opened is a :class:`ConfigError`.
    ``busy_timeout``: :meth:`Collection.open`'s."""
    try:
        return Collection.open(db, config, readonly=readonly, busy_timeout=busy_timeout)
    except sqlite3.OperationalError as exc:  # a missing directory, no permission, ...
        raise ConfigError(f"{db}: cannot open the database ({exc})") from exc


def serve_child(
    pipe: Connection,
    name: str,
    open_collection: Callable[[], Collection],
    answer: Callable[[Collection, Any, Connection], Any],
    between: Callable[[Collection, Connection], object] | None = None,
) -> None:
    """A child's life: open its collection, say so, then send ``(True, answer(collection,
    request, pipe))`` or ``(False, error)`` for each request until the pipe closes or brings
    None (``answer`` may read more of a request from the pipe). ``between(collection, pipe)``,
    if given, reads each request instead (raising :class:`EOFError` as ``pipe.recv`` does),
    doing the child's other work until one comes (its post lanes: :mod:`service.lanes`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    name_this_thread(name)
    try:
        collection = open_collection()
        freeze_startup()  # a request would wait out every full collection here too
        release_free_memory()  # the temporary arrays of building its indexes
        collapse_into_huge_pages()  # its indexes, looked up at random: see dedup._hugepages
    except Exception as exc:
        _send(pipe, False, exc)
        return
    try:
        pipe.send((True, None))
        while True:
            try:
                request = pipe.recv() if between is None else between(collection, pipe)
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
