"""How fast the box runs while a benchmark runs: a fixed piece of work and a wake-up, timed.

The project's figures come from small virtual machines whose speed is not theirs to keep. Two
sessions on "the same" 2-core box gave the service's writer 1.2 and 2.4 ms of CPU a post for
the same code and collection (``docs/performance-log.md``, session 26), and within one run a
fixed loop took anywhere from 0.9 to 1.8 ms as the host's other tenants came and went. A table
of docs/s says little without the speed of the box it was measured on, so the service's load
script prints this probe before its levels and after them:

* **work**: a fixed pure-Python loop (about 1 ms on a fast box), ``rounds`` times. Its least
  time is the box's best speed; the median over it, how much the box was slowed meanwhile.
  Then again with a child process spinning on the other cores, as the service keeps them
  busy: on session 26's box the median rose from 1.16 to 1.60 ms, so two busy cores there
  do less than twice the work of one.
* **wake-ups**: a byte sent back and forth through pipes with a child process, the two on
  different cores, then on one. Every hand-off between the service's processes (event loop,
  readers, writer) and the load client is such a wake-up. On a virtual machine whose idle
  cores halt, waking another core goes through the host: 104 us a round trip against 8.6 us on
  one core, on session 26's box.

Both are Linux-only where they pin cores (``os.sched_setaffinity``); elsewhere the wake-ups
are timed unpinned.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

#: The child's side of the wake-up: echo each byte until the pipe closes.
_ECHO = (
    "import os, sys\n"
    "cpu = int(sys.argv[1])\n"
    "if cpu >= 0 and hasattr(os, 'sched_setaffinity'): os.sched_setaffinity(0, {cpu})\n"
    "r, w = sys.stdin.fileno(), sys.stdout.fileno()\n"
    "while os.read(r, 1): os.write(w, b'x')\n"
)


@dataclass(frozen=True)
class BoxSpeed:
    """One probe's figures (milliseconds of work, microseconds a wake-up round trip)."""

    work_best_ms: float
    work_median_ms: float
    work_busy_median_ms: float | None  # the median with the other cores spinning
    wake_across_us: float | None  # None: fewer than two cores to pin
    wake_one_core_us: float | None

    def line(self) -> str:
        """The probe as one line of a benchmark's output."""
        slowed = self.work_median_ms / self.work_best_ms
        wakes = []
        if self.wake_across_us is not None:
            wakes.append(f"{self.wake_across_us:.0f} us across cores")
        if self.wake_one_core_us is not None:
            wakes.append(f"{self.wake_one_core_us:.0f} us on one core")
        busy = ""
        if self.work_busy_median_ms is not None:
            busy = f", {self.work_busy_median_ms:.2f} ms median beside busy cores"
        return (
            f"box speed: fixed work {self.work_best_ms:.2f} ms at best, "
            f"{self.work_median_ms:.2f} ms median ({slowed:.2f}x){busy}; "
            f"a wake-up round trip {', '.join(wakes) or 'not measured'}"
        )


def _work() -> int:
    total = 0
    for i in range(20_000):
        total += i * i
    return total


def work_times(rounds: int = 300) -> list[float]:
    """Milliseconds of each of ``rounds`` runs of the fixed loop."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        _work()
        times.append((time.perf_counter() - started) * 1e3)
    return times


#: The spinning child: busy on its cores until its stdin closes.
_SPIN = (
    "import os, select, sys\n"
    "os.sched_setaffinity(0, {int(c) for c in sys.argv[1].split(',')})\n"
    "while not select.select([sys.stdin], [], [], 0)[0]: pass\n"
)


def busy_work_times(mine: int, others: list[int], rounds: int = 300) -> list[float]:
    """:func:`work_times` pinned to core ``mine`` while a child spins on ``others``."""
    before = os.sched_getaffinity(0)
    spinner = subprocess.Popen(
        [sys.executable, "-c", _SPIN, ",".join(map(str, others))], stdin=subprocess.PIPE
    )
    try:
        os.sched_setaffinity(0, {mine})
        time.sleep(0.2)  # the child has started spinning
        return work_times(rounds)
    finally:
        os.sched_setaffinity(0, before)
        if spinner.stdin is not None:
            spinner.stdin.close()
        spinner.wait(10)


def wake_round_trip(parent_cpu: int, child_cpu: int, trips: int = 2_000) -> float:
    """Microseconds a byte takes to go to a child process and back, the two pinned to the
    given cores (-1: not pinned)."""
    pinned = parent_cpu >= 0 and hasattr(os, "sched_setaffinity")
    before = os.sched_getaffinity(0) if pinned else None
    child = subprocess.Popen(
        [sys.executable, "-c", _ECHO, str(child_cpu)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        bufsize=0,
    )
    try:
        if pinned:
            os.sched_setaffinity(0, {parent_cpu})
        to_child, from_child = child.stdin, child.stdout
        if to_child is None or from_child is None:
            raise RuntimeError("the echo child has no pipes")
        w, r = to_child.fileno(), from_child.fileno()
        for _ in range(50):  # the child has started and pinned itself
            os.write(w, b"x")
            os.read(r, 1)
        started = time.perf_counter()
        for _ in range(trips):
            os.write(w, b"x")
            os.read(r, 1)
        return (time.perf_counter() - started) / trips * 1e6
    finally:
        if before is not None:
            os.sched_setaffinity(0, before)
        if child.stdin is not None:
            child.stdin.close()
        child.wait(10)
        if child.stdout is not None:
            child.stdout.close()


def probe() -> BoxSpeed:
    """The box's speed now (about a second)."""
    times = work_times()
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    across = one = busy = None
    if len(cores) >= 2:
        busy = statistics.median(busy_work_times(cores[0], cores[1:]))
        across = wake_round_trip(cores[0], cores[1])
    if cores:
        one = wake_round_trip(cores[0], cores[0])
    else:  # no pinning here: where the two run is the kernel's choice
        across = wake_round_trip(-1, -1)
    return BoxSpeed(min(times), statistics.median(times), busy, across, one)
