"""Post lanes: a post goes from the event loop to a reader's process, from there straight to
the writer's process, and its answer comes back the same way, with no thread of the
service's process on its path.

The pools' path (:mod:`service.ahead`, :mod:`service.batches`) crosses the service's process
three times a post: the loop offers the preparation to a reader thread, the writer thread
streams the post with it to the writer's process, and a reader thread takes the writer's
answer to a reader's process for its report. Each crossing is a wake-up of a thread and of
the loop, and the preparation and the answer are copied through the service's process on
their way. At 16 clients that process spent 0.77 ms of CPU a post, where aiohttp alone spends
0.13-0.16 ms at the same rate (``docs/performance-log.md``, session 23). On a lane the loop
sends the post to a reader's process and gets back the response's status and body: the
reader prepares the post, hands it to the writer's process over a Unix socket of their own
(:class:`~service.lane_ends.PostDesk`), the writer commits the posts of every lane in batches
(:class:`~service.lane_ends.LaneServer`) and answers each reader, which reports.

Lanes run when both the readers and the writer have processes of their own, unless
``post_lanes`` is off. Posts reach the writer in the order their preparations are done, so
among concurrent copies of an article the one prepared first is ``new``; every other sees
it. A reader's process that dies fails the posts in its lane with a 503 (some may have been
committed: posting them again is idempotent) and is started again with the next request its
pool gives it, which the lanes make sure comes (:meth:`PostLanes._probe_until_open`); posts
go to the other lanes meanwhile, or take the pools' path if there is none. A writer's process
that dies fails the posts it holds with a 503 (``Retry-After``); the first such answer has
the writer's pool start another, whose socket the readers connect to for their next posts.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Awaitable, Callable
from typing import Any

from service.body import PostAnswer
from service.frames import FrameProtocol
from service.lane_ends import WRITER_LOST
from service.pools import Overloaded
from service.problems import Problem
from service.remote import ReaderLost
from service.writer import WriterLost

LOG = logging.getLogger("service")

#: Seconds between probes of the readers while a lane is closed, and the probes at most.
PROBE_SECONDS = 0.1
PROBES = 300


#: A lanes directory's name: this prefix, the service's process id, a dash, random letters.
DIRECTORY_PREFIX = "dedup-lanes-"
_DIRECTORY = re.compile(re.escape(DIRECTORY_PREFIX) + r"(\d+)-\w+")
#: The writer's socket in a lanes directory.
SOCKET_NAME = "writer.sock"


def socket_path() -> str:
    """Where the writer's process listens for the lanes: a socket in a new directory of the
    system's temporary one, private to this user (``mkdtemp``: mode 0700, so no other user
    can hand the writer a post) and named after this process.

    A service that stops removes its directory (:func:`remove_socket_dir`); one killed
    (SIGKILL, the OOM killer) cannot, so each start first removes what such services left:
    every lanes directory of this user whose process is gone and whose socket nobody listens
    on. Under a supervisor that restarts a crashing service, they would pile up otherwise.
    """
    _remove_orphans(tempfile.gettempdir())
    directory = tempfile.mkdtemp(prefix=f"{DIRECTORY_PREFIX}{os.getpid()}-")
    return os.path.join(directory, SOCKET_NAME)


def remove_socket_dir(path: str) -> None:
    """Remove the directory of :func:`socket_path`'s ``path``, socket and all."""
    shutil.rmtree(os.path.dirname(path), ignore_errors=True)


def _remove_orphans(parent: str) -> None:
    """Remove the lanes directories in ``parent`` that a killed service left (see
    :func:`socket_path`). A directory stays if its process id is in use (a service still
    running, or another process reusing the number) or its socket accepts a connection (a
    service whose process ids the kernel shows this one under other numbers)."""
    with contextlib.suppress(OSError), os.scandir(parent) as entries:
        for entry in entries:
            named = _DIRECTORY.fullmatch(entry.name)
            if named is None or not entry.is_dir(follow_symlinks=False):
                continue
            with contextlib.suppress(OSError):
                if entry.stat(follow_symlinks=False).st_uid != os.getuid():
                    continue
                if _running(int(named.group(1))) or _listening(entry.path):
                    continue
                shutil.rmtree(entry.path)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _listening(directory: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(os.path.join(directory, SOCKET_NAME))
        except OSError:  # no socket, or nobody accepting on it
            return False
    return True


def _nothing() -> None:
    pass


class _Lane:
    """The loop's end of one reader process's lane."""

    def __init__(self, key: object) -> None:
        self.key = key
        self.protocol: FrameProtocol | None = None
        self.waiting: set[int] = set()  # tags sent and not answered


class PostLanes:
    """The post lanes of the readers' processes, as the event loop drives them.

    The writer's process listens at ``path``. At most ``capacity`` posts are on the lanes at
    once (the writer pool's: threads and queue); more get a 503 with ``Retry-After`` at
    once. ``revive()`` is called when a reader found the writer's process gone,
    :attr:`committed` when an answer says something was committed (the checkpoint thread's
    poke), ``prepared()`` for each post a lane takes (the ``dedup_post_preparations`` count:
    a reader prepared it).

    A lane lost while its reader's pool has no job for that reader would stay closed (posts
    take the other lanes): until ``readers`` lanes are open again, ``probe()`` (a cheap reader
    job) runs every :data:`PROBE_SECONDS`, which a reader thread whose process died fails,
    then answers by starting another.
    """

    def __init__(
        self,
        path: str,
        *,
        capacity: int,
        retry_after: int,
        revive: Callable[[], None],
        prepared: Callable[[], None],
        readers: int = 0,
        probe: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self.path = path
        self.readers = readers
        self._probe = probe
        self._probing: asyncio.Task[None] | None = None
        self.capacity = capacity
        self.retry_after = retry_after
        self._revive = revive
        self.committed: Callable[[], None] = _nothing
        self._prepared = prepared
        self._lanes: dict[object, _Lane] = {}
        self._futures: dict[int, asyncio.Future[PostAnswer]] = {}
        self._tags = itertools.count()
        self._turns = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connecting: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        """Take lanes from now on (on the loop: :meth:`attach` hands them to it)."""
        self._loop = asyncio.get_running_loop()

    @property
    def depth(self) -> int:
        """Posts on the lanes, not yet answered."""
        return len(self._futures)

    @property
    def open(self) -> int:
        """Lanes that take posts."""
        return sum(lane.protocol is not None for lane in self._lanes.values())

    def attach(self, key: object, sock: socket.socket) -> None:
        """A reader's process (``key``: its driver) started with ``sock`` as its lane; called
        from any thread. The lane before it, if any, is gone with its process."""
        loop = self._loop
        if loop is None or loop.is_closed():
            sock.close()
            return
        loop.call_soon_threadsafe(self._attach, key, sock)

    def _attach(self, key: object, sock: socket.socket) -> None:
        old = self._lanes.pop(key, None)
        if old is not None:
            self._end(old)
        lane = self._lanes[key] = _Lane(key)
        task = asyncio.ensure_future(self._connect(lane, sock))
        self._connecting.add(task)
        task.add_done_callback(self._connecting.discard)

    async def _connect(self, lane: _Lane, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()

        def protocol() -> FrameProtocol:
            return FrameProtocol(lambda m: self._received(lane, m), lambda _: self._lost(lane))

        try:
            _, made = await loop.create_unix_connection(protocol, sock=sock)
        except OSError:
            LOG.exception("a reader's post lane could not be opened")
            sock.close()
            return
        if self._lanes.get(lane.key) is lane:
            lane.protocol = made
        elif made.transport is not None:  # its process was replaced meanwhile
            made.transport.close()

    async def post(self, doc: Any, window: dict[str, Any], arrived: float) -> PostAnswer | None:
        """The status and body of ``doc``'s post (and what to place it with,
        :mod:`service.placing`), whose request ``arrived`` then
        (:func:`time.monotonic`), or None if no lane is open (the caller takes the pools'
        path)."""
        open_lanes = [lane for lane in self._lanes.values() if lane.protocol is not None]
        if not open_lanes:
            return None
        if len(self._futures) >= self.capacity:
            raise Overloaded("writer", self.retry_after)
        # The least loaded; among equals, each in turn: one client posting one article at a
        # time would otherwise keep one reader busy and the other cold (at the start of a
        # 16-client level after such posts, half its first posts took 74-99 ms, the other
        # half 10-40).
        turn = next(self._turns) % len(open_lanes)
        lane = min(open_lanes[turn:] + open_lanes[:turn], key=lambda k: len(k.waiting))
        tag = next(self._tags)
        future: asyncio.Future[PostAnswer] = asyncio.get_running_loop().create_future()
        protocol = lane.protocol
        if protocol is None or not protocol.send((tag, doc, window, arrived)):
            return None
        future.add_done_callback(_retrieved)
        self._futures[tag] = future
        lane.waiting.add(tag)
        self._prepared()
        # A post whose caller goes away keeps its place until its answer comes: the writer
        # may be storing it, and the lanes must not take more than they can do.
        return await asyncio.shield(future)

    def _received(self, lane: _Lane, message: Any) -> None:
        tag, ok, value = message
        lane.waiting.discard(tag)
        future = self._futures.pop(tag, None)
        if future is None or future.done():
            return
        if ok:
            self.committed()
            future.set_result(value)
        elif value == WRITER_LOST:
            self._revive()
            future.set_exception(WriterLost())
        elif isinstance(value, BaseException):
            future.set_exception(value)
        else:
            future.set_exception(Problem(500, "a reader answered a post out of protocol"))

    def _lost(self, lane: _Lane) -> None:
        """A lane's connection ended: its reader's process is gone (or the service stops)."""
        if self._lanes.get(lane.key) is lane:
            del self._lanes[lane.key]
        self._end(lane)
        idle = self._probing is None or self._probing.done()
        if self._probe is not None and self._loop is not None and idle:
            self._probing = asyncio.ensure_future(self._probe_until_open(self._probe))

    async def _probe_until_open(self, probe: Callable[[], Awaitable[object]]) -> None:
        for _ in range(PROBES):
            if self.open >= self.readers:
                return
            with contextlib.suppress(Exception):  # a dead process's thread fails it, then
                await probe()  # starts another with the next
            await asyncio.sleep(PROBE_SECONDS)

    def _end(self, lane: _Lane) -> None:
        protocol, lane.protocol = lane.protocol, None
        if protocol is not None and protocol.transport is not None:
            protocol.transport.close()
        waiting, lane.waiting = lane.waiting, set()
        for tag in waiting:
            future = self._futures.pop(tag, None)
            if future is not None and not future.done():
                future.set_exception(ReaderLost(after_write=True))

    async def stop(self) -> None:
        """Close every lane (after the requests have finished)."""
        if self._probing is not None:
            self._probing.cancel()
        for task in list(self._connecting):
            task.cancel()
        for lane in list(self._lanes.values()):
            self._end(lane)
        self._lanes.clear()
        self._loop = None


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Mark the error of a post whose caller went away as seen (asyncio logs it otherwise)."""
    if not future.cancelled():
        future.exception()
