"""Give the service's threads and its writer and reader processes names the system shows.

Python names its threads for itself only: ``top -H``, ``ps -L``, ``py-spy`` and
``/proc/<pid>/task/<tid>/comm`` show every thread of the service as ``python``. Which thread
spends the CPU is the first question about a loaded service (the single writer is its ceiling;
see README's Performance section), so each thread that runs a pool or the checkpoints, and each
writer or reader process, sets its kernel name to its Python one: ``dedup-writer-0``,
``dedup-writer``, ``dedup-reader-1``, ``dedup-checkpoint``. ``benchmarks/service_load.py`` reads
them to split the server's CPU by role.

Linux only (``prctl(PR_SET_NAME)``; the kernel keeps 15 bytes); elsewhere, and if the call
fails, names stay as they were: a name is a convenience, never a reason to fail.
"""

from __future__ import annotations

import contextlib
import ctypes
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

_PR_SET_NAME = 15
#: The kernel's name buffer, its last byte the terminating NUL.
NAME_BYTES = 15


def name_this_thread(name: str | None = None) -> None:
    """Set the calling thread's kernel name to ``name`` (its Python name if None)."""
    if sys.platform != "linux":
        return
    raw = (name or threading.current_thread().name).encode("ascii", "replace")[:NAME_BYTES]
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_NAME, ctypes.c_char_p(raw), 0, 0, 0)
    except (OSError, AttributeError):  # no libc prctl here: keep the name it has
        return


def child_pids(pid: int | str = "self") -> Iterator[int]:
    """The processes ``pid`` started, from any of its threads (``/proc``; none elsewhere)."""
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):  # the thread ended meanwhile
            yield from map(int, task.read_text().split())
