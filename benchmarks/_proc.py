"""CPU time of a process tree from /proc, in total and by role (Linux only).

The service names its threads and its writer and reader processes in the kernel
(:mod:`service.threadnames`), so a load run can say which of them spent the CPU: the single
writer is the ceiling of posts per second, and whether it waits for the interpreter lock, for a
core, or for nothing decides what to cut next (README, Performance).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from service.threadnames import child_pids

#: Roles of a service's threads, in the order tables show them.
ROLES = (
    "writer",
    "writer process",
    "event loop",
    "reader threads",
    "reader processes",
    "checkpoint",
    "other",
)
#: Not CPU: seconds the writer (its process's thread, or the writer thread) spent runnable,
#: waiting for a core (schedstat).
WRITER_WAIT = "writer waiting for a core"


def _ticks(stat: str) -> float:
    """User + system seconds from a ``/proc/.../stat`` line (the name may hold spaces)."""
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and of its live descendants (the
    service's reader processes)."""
    try:
        total = _ticks(Path(f"/proc/{pid}/stat").read_text())
    except FileNotFoundError:  # ended meanwhile
        return 0.0
    return total + sum(cpu_seconds(child) for child in child_pids(pid))


def cpu_by_role(pid: int) -> dict[str, float]:
    """Seconds of CPU so far of the service ``pid``'s threads and descendants, by role (see
    :data:`ROLES`), and under :data:`WRITER_WAIT` the seconds its writer waited for a core.

    Threads that ended are not counted: compare two readings of the same live service.
    """
    found = dict.fromkeys((*ROLES, WRITER_WAIT), 0.0)
    thread_waited = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):
            name = (task / "comm").read_text().strip()
            seconds = _ticks((task / "stat").read_text())
            if name.startswith("dedup-writer"):
                role = "writer"
                thread_waited += _waited(task)
            elif int(task.name) == pid:
                role = "event loop"
            elif name.startswith("dedup-reader"):
                role = "reader threads"
            elif name.startswith("dedup-checkpoi"):
                role = "checkpoint"
            else:
                role = "other"
            found[role] += seconds
    for child in child_pids(pid):
        with contextlib.suppress(FileNotFoundError):
            if Path(f"/proc/{child}/comm").read_text().strip() == "dedup-writer":
                found["writer process"] += cpu_seconds(child)
                found[WRITER_WAIT] += _waited(Path(f"/proc/{child}/task/{child}"))
                continue
        found["reader processes"] += cpu_seconds(child)
    if not found["writer process"]:  # the writer computes on its thread here
        found[WRITER_WAIT] = thread_waited
    return found


def _waited(task: Path) -> float:
    """Seconds the thread ``task`` spent runnable, waiting for a core."""
    return int((task / "schedstat").read_text().split()[1]) / 1e9
