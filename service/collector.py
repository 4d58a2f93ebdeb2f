"""Keeping the garbage collector's full collections short in a long-running process.

Startup leaves about 120,000 tracked objects that live as long as the process: numba's, numpy's
and the service's modules, the opened collections. CPython's full collection traverses every
one of them with the interpreter lock held, so every request in flight waits it out. Under the
load of ``benchmarks/service_load.py`` (100,000 documents, 16 clients, then 60 s of mixed load),
the service's process made two or three full collections while serving, of 55-104 ms each
(three runs). With startup frozen (:func:`gc.freeze`) collections skip those objects: one to
three full collections a run, 14 ms in all at most (``dedup_gc_pause_seconds``, which the
script prints; six runs). A warmed-up writer's full collection by hand: 41-47 ms before the
freeze, 0.3 ms after it and 300 more posts.

Frozen objects are still freed by reference counting; only reference cycles among them wait
for :func:`gc.unfreeze`, which the app calls on shutdown (tests start many apps in one process).
Startup's own cyclic garbage not yet collected at the freeze is kept until then: made once,
bounded. No collection runs first, because it would cost each start a full collection (in the
test process, with its hundreds of thousands of objects, 26 s over the service tests).

:func:`watch_pauses` reports every collection's pause, for ``/metrics``.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any


def freeze_startup() -> None:
    """Move every object alive into the collector's permanent generation (constant time)."""
    gc.freeze()


def watch_pauses(observe: Callable[[int, float], None]) -> Callable[[], None]:
    """Call ``observe(generation, seconds)`` after every collection of this process; returns
    the function that stops it.

    Collections do not nest and hold the interpreter lock, so one start time serves every
    thread.
    """
    started = 0.0

    def callback(phase: str, info: dict[str, Any]) -> None:
        nonlocal started
        if phase == "start":
            started = time.perf_counter()
        else:
            observe(int(info["generation"]), time.perf_counter() - started)

    gc.callbacks.append(callback)

    def stop() -> None:
        if callback in gc.callbacks:
            gc.callbacks.remove(callback)

    return stop
