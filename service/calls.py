"""Reader jobs as calls, so that a reader thread can keep its process's pipe full.

A reader thread that sends one job to its process and waits for the answer leaves the process
with nothing to do between jobs: the process sleeps on its pipe while the thread hands the
answer to the event loop and takes the next job, and other processes fill the core's caches
meanwhile. The same preparations and reports ran 1.3-1.5 times slower in a reader process of
the service than one after another in a process alone; alone, reading 32 MB between jobs made
them 25-40 % slower (both timed by hand: ``docs/performance-log.md``, session 17). So a
reader's job is a :class:`Call`: a verb of the reader and its arguments, which a thread can
send to its process before the answer of the call before it has come back
(:meth:`service.pools.CollectionPool` keeps up to :data:`IN_FLIGHT` in a process's pipe). The
process then goes from one call to the next without sleeping. A reader in the service's own
process (``reader_mode = "thread"``) simply runs the call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

T = TypeVar("T")

#: Calls a reader thread keeps in its process's pipe at most. In a prototype, two were not
#: enough to keep the process busy: at 16 clients the readers' processes took 1.61-1.64 ms of
#: CPU a post against 1.67-1.73 sending one at a time; four and eight, 1.54-1.56
#: (``benchmarks/service_load.py``, alternating runs, session 17). A call in the pipe is this
#: reader's, however soon another reader is free, and a preparation in it keeps the writer
#: waiting until it is done: under the mixed load the writer waited for 29 % of the posts'
#: preparations against 18 % before. Four keeps that short (a call takes a reader about
#: 0.5-0.8 ms, a check a few).
IN_FLIGHT = 4


@dataclass(frozen=True)
class Call(Generic[T]):
    """``finish(reader.<verb>(*args, **kwargs))`` as a reader job: run by the thread on its own
    reader, or sent to the reader's process and finished on the thread when the answer comes
    (:class:`Channel`). ``finish`` turns the reader's answer into the job's result on the
    thread (into JSON bytes, say); by default the answer is the result."""

    verb: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    finish: Callable[[Any], T] | None = None
    #: When its request arrived (:func:`time.monotonic`), set by the pool: a reader's process
    #: that also serves a post lane puts its work in that order (:mod:`service.lane_ends`).
    arrived: float | None = None

    def claim(self) -> bool:
        """Whether to run the call at all, asked by the pool's thread as it takes the job (the
        job then answers None without running): :class:`Call` always runs (see
        :class:`service.ahead.Offer`)."""
        return True

    def settle(self, ok: bool, answer: Any) -> T:
        """The job's result from the reader's answer (``ok``) or error (not ``ok``: raised)."""
        if not ok:
            raise answer
        return answer if self.finish is None else self.finish(answer)

    def __call__(self, reader: Any) -> T:
        """Run on ``reader`` here (once claimed): a pool's job whose reader is not a
        :class:`Channel`."""
        try:
            answer = getattr(reader, self.verb)(*self.args, **self.kwargs)
        except Exception as exc:
            return self.settle(False, exc)
        return self.settle(True, answer)


@runtime_checkable
class Channel(Protocol):
    """A reader in another process that takes calls ahead of their answers: answers come
    back in the order the calls were sent, one :meth:`receive` each."""

    def send(self, call: Call[Any]) -> None:
        """Put the call in the process's pipe; if it raises, the call was not sent (the
        calls sent before are answered as usual, or lost: :meth:`receive` says)."""

    def receive(self) -> tuple[bool, Any]:
        """The answer of the oldest call sent and not received: ``(True, answer)`` or
        ``(False, error)``. It raises if the process died, or if the answer could not be read
        (then the process is replaced: the answers behind it would reach the wrong calls);
        either way the calls still in its pipe are lost, and it starts no process."""
