"""Ctrl-C (and SIGTERM) and the bulk job's worker pools (ingest's and learning's).

A terminal's Ctrl-C sends SIGINT to the whole process group, the workers included. Only the
job's process answers it (the command line ends the run, see :mod:`dedup.cli`):

* workers ignore it (:func:`ignore_interrupts`, the first step of their initializer), else an
  idle worker, waiting on its task queue, prints a traceback of its own;
* the job's process holds it back while a pool starts (:func:`interrupts_deferred`): a
  ``ProcessPoolExecutor`` interrupted between forking its workers and starting its manager
  thread fails again on shutdown, with an error of its own instead of the interrupt. A
  worker forked meanwhile inherits the deferring handler, so it cannot be interrupted before
  its initializer either;
* and while it loads the compiled kernels ahead of their use (ingest's ``load_kernels`` and
  ``meanwhile``): interrupted inside llvmlite's object-cache callback, which ignores the
  exception and goes on with a buffer it never got, the process died of SIGSEGV (once in a
  full test run). A kernel loaded on its first call elsewhere is still exposed, for the
  milliseconds its loading takes.

SIGTERM is held back the same way, for a program that answers it by unwinding too (the
command line does); workers keep its default action, with which the pool itself ends the
workers of a broken pool.

The interrupted job's process then leaves its pool as on any error: the tasks not begun are
cancelled, and the workers finish those they hold (a range of ingest, up to a couple of
seconds) before they leave. Letting them go at once instead (closing their lifeline) was
tried: a worker that exits while it writes its result leaves the pool's manager thread
waiting for the rest of the message, and the job hangs.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

#: The signals a job's process answers by unwinding: Ctrl-C, and SIGTERM under the command line.
_HELD = (signal.SIGINT, signal.SIGTERM)


def ignore_interrupts() -> None:
    """In a worker: leave SIGINT to the job's process, and let SIGTERM kill (the pool's own
    way to end a worker; the handler a forked worker inherits from the command line would
    raise in it instead)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back for the block, then deliver the first that came to the
    handler the block began with (SIGINT's raises :class:`KeyboardInterrupt`).

    Only in the main thread, the only one Python delivers signals to; elsewhere a no-op.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    came: list[int] = []

    def note(signum: int, frame: FrameType | None) -> None:
        came.append(signum)

    previous = {signum: signal.signal(signum, note) for signum in _HELD}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if came:
        signal.raise_signal(came[0])
