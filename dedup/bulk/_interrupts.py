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

The block also masks both signals in the thread that runs it, so that the threads it starts
(a pool's manager thread, and the queue feeder thread that one starts) never take them: the
kernel hands a signal sent to the process to any thread that does not mask it, and CPython's
handler, run in another thread, does not wake a main thread blocked in a read. A run that
read a FIFO with nothing more in it hung on Ctrl-C until the writer wrote or closed, in one
CI run of ``test_cli_interrupt`` and in one of 55 runs by hand (none of 75 since the
threads mask them); a signal taken by another thread is the way we found for that to
happen. Workers forked in the block unmask them first thing (:func:`ignore_interrupts`),
as CPython's resource tracker, which multiprocessing starts under the same mask, does.

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
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)  # masked if forked in a deferred block


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back for the block, then deliver the first that came to the
    handler the block began with (SIGINT's raises :class:`KeyboardInterrupt`). Threads and
    processes started in the block mask both (see the module docstring).

    Only in the main thread, the only one Python delivers signals to; elsewhere a no-op.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    came: list[int] = []

    def note(signum: int, frame: FrameType | None) -> None:
        came.append(signum)

    previous = {signum: signal.signal(signum, note) for signum in _HELD}
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        # One masked meanwhile comes now, to the handler just restored.
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    if came:
        signal.raise_signal(came[0])
