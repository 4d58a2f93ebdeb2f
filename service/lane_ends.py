"""The child processes' ends of the post lanes (:mod:`service.lanes`): a reader's
:class:`PostDesk` and the writer's :class:`LaneServer`.

Each runs as :func:`service.children.serve_child`'s ``between``: it does the lanes' work until
the child's own pipe from the service brings a request, which is then answered as before.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from dedup.collection import Collection, Pending, Prepared, Window
from service.batches import run_batch
from service.body import post_answer
from service.children import ChildError, crossable
from service.crossing import Packed
from service.frames import Framed

#: What a reader answers a post whose writer's process was lost (or not there to connect to).
WRITER_LOST = "writer-lost"

_READ, _WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE
#: No request of the pipe held yet (None is one: the parent's word to stop).
_NOTHING = object()
#: Posts a reader prepares together at most (:meth:`PostDesk._prepare`). A batch shares the
#: fixed cost of a preparation's array calls: a news article took 0.65-0.77 of its time alone
#: in fours, 0.64-0.70 in eights (``benchmarks/prepare_batches.py``, session 29). But the first
#: post of a batch reaches the writer only once the whole batch is prepared: past four, the
#: writer would wait longer for little.
PREPARE_BATCH = 4


class _Multiplexed:
    """A child's end of the lanes: one selector for its sockets and the pipe from the
    service, which :func:`~service.children.serve_child` passes to every call."""

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._pipe: Connection | None = None

    def _watch(self, pipe: Connection) -> None:
        """Wait on ``pipe`` too (the same pipe all the child's life)."""
        if self._pipe is None:
            self._pipe = pipe
            self._selector.register(pipe, _READ)


class PostDesk(_Multiplexed):
    """A reader's part of the posts of its lane: it prepares each post
    (:meth:`Collection.prepare`), hands it to the writer's process, and reports the writer's
    answer (:meth:`Collection.report`) to the service as the response's status and body.

    Preparations go first, as the pools' path ran them before every other job: the writer
    may have nothing else to do. Reports and the requests of the service's pipe (checks,
    strips, ...) then go oldest request first, a report's request being its post's: so did
    the pools' path, whose readers took a post's report before the checks that came after
    the post. Under the mixed load of ``benchmarks/service_load.py`` (half posts, half
    checks), a desk that took one preparation, one report and one request in turn left the
    posts' p50 at 83 ms against the checks' 44; one that took every preparation and report
    before a request, the checks' at 104 ms against the posts' 22 (one run each; session
    24 of ``docs/performance-log.md``). What goes to the writer is sent without blocking
    (:meth:`Framed.queue`).
    """

    def __init__(self, posts: socket.socket, writer_path: str) -> None:
        super().__init__()
        self._posts = Framed(posts)
        self._writer_path = writer_path
        self._writer: Framed | None = None
        # Tags handed to the writer: when each post arrived, its window and its preparation.
        self._at_writer: dict[int, tuple[float, dict[str, Any], Prepared]] = {}
        self._todo: deque[Any] = deque()  # posts to prepare
        self._answers: deque[Any] = deque()  # the writer's answers to report
        self._selector.register(self._posts, _READ)

    def serve_until(self, collection: Collection, pipe: Connection) -> object:
        """Work the lane until a request of ``pipe`` is the oldest work, and return it
        (:class:`EOFError` once the pipe is closed)."""
        self._watch(pipe)
        held: object = _NOTHING
        while True:
            busy = bool(self._todo or self._answers)
            for key, mask in self._selector.select(0 if busy else None):
                if key.fileobj is pipe:
                    if held is _NOTHING:
                        held = pipe.recv()
                elif key.fileobj is self._posts:
                    self._take_posts()
                elif mask & _WRITE:
                    self._flush()
                if mask & _READ and key.fileobj is self._writer:
                    self._take_answers()
            while self._todo:
                self._prepare(collection)
            if held is _NOTHING:
                if self._answers:  # one, then look for preparations again
                    self._report(collection, self._answers.popleft())
                continue
            since = _arrived(held)
            while self._answers and self._arrival(self._answers[0]) <= since:
                self._report(collection, self._answers.popleft())
            return held

    def _arrival(self, answer: Any) -> float:
        """When the post of a writer's answer arrived."""
        post = self._at_writer.get(answer[0])
        return float("-inf") if post is None else post[0]

    def _take_posts(self) -> None:
        try:
            self._todo.extend(self._posts.receive())
        except EOFError:  # the service is gone: its pipe says so too
            self._selector.unregister(self._posts)

    def _take_answers(self) -> None:
        if self._writer is None:
            return
        try:
            for batch in self._writer.receive():
                self._answers.extend(batch)
        except EOFError:
            self._lose_writer()

    def _prepare(self, collection: Collection) -> None:
        """Prepare the oldest posts to do, :data:`PREPARE_BATCH` at most, together
        (:meth:`Collection.prepare_many`), and hand them to the writer. Should the batch
        fail, each is prepared alone, so that a post's error is its own answer."""
        todo = self._todo
        posts = [todo.popleft() for _ in range(min(len(todo), PREPARE_BATCH))]
        try:
            made = collection.prepare_many([doc for _, doc, _, _ in posts])
        except Exception:
            made = None
        for k, post in enumerate(posts):
            self._hand_over(collection, post, None if made is None else made[k])

    def _hand_over(self, collection: Collection, post: Any, ready: Prepared | None) -> None:
        tag, doc, window, arrived = post
        try:
            if ready is None:
                ready = collection.prepare(doc)
            prepared = Packed.of(ready)
        except Exception as exc:
            self._answer(tag, False, crossable(exc))
            return
        writer = self._writer or self._connect()
        if writer is None:
            self._answer(tag, False, WRITER_LOST)
            return
        self._at_writer[tag] = (arrived, window, ready)
        try:
            writer.queue((tag, doc, prepared, window))
        except OSError:
            self._lose_writer()
            return
        self._watch_writer()

    def _report(self, collection: Collection, answer: Any) -> None:
        tag, ok, value = answer
        post = self._at_writer.pop(tag, None)
        if not ok or post is None:
            self._answer(tag, False, value if not ok else ChildError("an answer of no post"))
            return
        try:
            _, window, ready = post
            verdict, matches, fingerprint, mark, outside = value
            within = Window(**window)
            pending = Pending(verdict, matches, within, fingerprint, ready, mark, outside=outside)
            answer = post_answer(collection.report_post(pending))
        except Exception as exc:
            self._answer(tag, False, crossable(exc))
        else:
            self._answer(tag, True, answer)

    def _answer(self, tag: int, ok: bool, value: object) -> None:
        with contextlib.suppress(OSError):  # the service is gone: its pipe says so too
            self._posts.send((tag, ok, value))

    def _connect(self) -> Framed | None:
        """A lane to the writer's process, or None if it is not there (being restarted)."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(self._writer_path)
        except OSError:
            sock.close()
            return None
        self._writer = Framed(sock)
        self._selector.register(self._writer, _READ)
        return self._writer

    def _flush(self) -> None:
        if self._writer is None:
            return
        try:
            self._writer.flush()
        except OSError:
            self._lose_writer()
            return
        self._watch_writer()

    def _watch_writer(self) -> None:
        """Wait for room in the writer's socket only while something waits to be sent."""
        writer = self._writer
        if writer is not None:
            self._selector.modify(writer, _READ | _WRITE if writer.pending else _READ)

    def _lose_writer(self) -> None:
        """The writer's process is gone: every post handed to it is answered lost (it may
        have been committed just before: posting it again is idempotent)."""
        writer, self._writer = self._writer, None
        if writer is not None:
            self._selector.unregister(writer)
            writer.close()
        lost, self._at_writer = self._at_writer, {}
        for tag in sorted(lost):
            self._answer(tag, False, WRITER_LOST)


class LaneServer(_Multiplexed):
    """The writer's end: it listens at ``path`` for the readers' lanes and commits the
    posts that come in batches of at most ``batch``, each in a savepoint of its own
    (:func:`service.batches.run_batch`), in the order they came; after the commit it answers
    each lane the outcomes of its posts, in one message. ``committed()`` follows a commit."""

    def __init__(self, path: str, batch: int) -> None:
        super().__init__()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # a writer's process before this one left it
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(path)
        self._listener.listen(64)
        self._batch = batch
        self._waiting: deque[tuple[Framed, Any]] = deque()
        self._selector.register(self._listener, _READ)

    def serve_until(self, collection: Collection, pipe: Connection) -> object:
        """Commit the lanes' posts until ``pipe`` has a request, and return it
        (:class:`EOFError` once the pipe is closed)."""
        self._watch(pipe)
        while True:
            events = self._selector.select(0 if self._waiting else None)
            called = False
            for key, _ in events:
                if key.fileobj is pipe:
                    called = True
                elif key.fileobj is self._listener:
                    self._accept()
                else:
                    self._read(key.fileobj)  # type: ignore[arg-type]
            if self._waiting:
                self._commit(collection)
            if called:
                return pipe.recv()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            sock, _ = self._listener.accept()
            self._selector.register(Framed(sock), _READ)

    def _read(self, lane: Framed) -> None:
        try:
            posts = lane.receive()
        except EOFError:  # its reader's process is gone
            self._drop(lane)
            return
        self._waiting.extend((lane, post) for post in posts)

    def _commit(self, collection: Collection) -> None:
        taken = [self._waiting.popleft() for _ in range(min(self._batch, len(self._waiting)))]
        batch = run_batch(collection, [_job(post) for _, post in taken])
        answers: dict[Framed, list[tuple[int, bool, object]]] = {}
        for (lane, post), (ok, value) in zip(taken, batch.outcomes, strict=True):
            answers.setdefault(lane, []).append((_tag(post), ok, _crossing(ok, value)))
        for lane, outcomes in answers.items():
            try:
                lane.send(outcomes)
            except OSError:
                self._drop(lane)

    def _drop(self, lane: Framed) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(lane)
        lane.close()
        self._waiting = deque((k, post) for k, post in self._waiting if k is not lane)


def _arrived(request: object) -> float:
    """When a request of the pipe arrived (:func:`service.remote._request`); if it does not
    say, it goes first."""
    if isinstance(request, tuple) and len(request) > 3 and isinstance(request[3], float):
        return request[3]
    return float("-inf")


def _tag(post: Any) -> int:
    return post[0] if isinstance(post, tuple) and post and isinstance(post[0], int) else -1


def _job(post: Any) -> Callable[[Collection], Any]:
    """A lane's post as a writer job: :meth:`Collection.post_pending` with its preparation."""

    def job(collection: Collection) -> Any:
        if not (isinstance(post, tuple) and len(post) == 4 and isinstance(post[3], dict)):
            raise ChildError(f"not a post of a lane: {post!r:.80}")
        _, doc, prepared, window = post
        if not isinstance(prepared, Packed):
            raise ChildError(f"not a packed preparation: {prepared!r:.80}")
        return collection.post_pending(doc, prepared=prepared.unpack(), **window)

    return job


def _crossing(ok: bool, value: Any) -> object:
    """An outcome as it crosses back: of a pending post, only what its reader does not hold
    (its verdict, matches, fingerprint, mark, and the matches its window left out, which its
    report leaves out of the reuse candidates): the reader keeps the preparation it made and the
    window it was given. Sent whole (:func:`~service.crossing.bare_pending`), a news
    article's answer was about 9 KB and took the writer 22 us to pickle, against 8.5 us
    (timed by hand: session 24 of ``docs/performance-log.md``)."""
    if not ok:
        return crossable(value)
    if isinstance(value, Pending):
        return value.verdict, value.matches, value.fingerprint, value.mark, value.outside
    return value
