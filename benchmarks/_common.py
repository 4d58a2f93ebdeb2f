"""Helpers shared by the benchmark scripts: machine description and child-process measurement."""

from __future__ import annotations

import os
import platform
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (or "unknown CPU")."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def machine() -> str:
    """One line describing where the figures were measured."""
    model = cpu_model()
    import numba
    import numpy

    return (
        f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {numpy.__version__}, numba {numba.__version__}"
    )


@dataclass(frozen=True)
class ChildRun:
    """Wall time, CPU time and peak resident memory of one child process and its helpers."""

    seconds: float
    peak_rss_mb: float  # the largest of: the child's own peak, the sampled sum over its session
    returncode: int
    stderr: str
    cpu_seconds: float = 0.0  # user + system time: steadier than wall on a shared machine
    peak_pss_mb: float = 0.0  # the sampled sum of proportional set sizes (0 where unknown)


class _SessionSampler(threading.Thread):
    """Polls /proc for every process of a session: summed RSS and PSS, each one's CPU time.

    Summed RSS counts a page every process maps in each of them: forked processes (the
    workers, the child that writes ``deduped.jsonl``) share their parent's pages, so it is an
    upper bound. PSS (``smaps_rollup``) divides each shared page among its sharers: its sum
    is the memory the job holds.

    Worker processes started through a forkserver are not the child's children, so ``wait4``
    sees neither their CPU time nor their memory. Forked workers are, and once the child has
    reaped them ``wait4`` counts their CPU time in the child's: ``reaped`` keeps the child's
    own count of that (its ``cutime + cstime``) so that it is not counted twice. Sampling
    every 50 ms misses at most the last 50 ms of a process that exits (dedup's workers are
    idle by then). PSS is read every tenth sweep only: reading ``smaps_rollup`` walks the
    process's page tables (tens of ms for 700 MB), and every 50 ms that took a core's worth of
    time from a job using both cores: a two-job bulk run of 100,000 documents took 6.23 and
    6.30 s with it against 6.01 and 5.65 s without (timed by hand, alternating).
    """

    PSS_EVERY = 10  # sweeps

    def __init__(self, session: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.session = session
        self.interval = interval
        self.cpu: dict[int, float] = {}  # pid -> last seen user + system seconds
        self.reaped = 0.0  # CPU seconds of the session leader's children it has waited for
        self.peak_rss = 0  # bytes
        self.peak_pss = 0  # bytes
        self._sweeps = 0
        self._stop_event = threading.Event()
        self._tick = os.sysconf("SC_CLK_TCK")
        self._page = os.sysconf("SC_PAGE_SIZE")

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self.sweep()

    def sweep(self) -> None:
        rss = pss = 0
        with_pss = self._sweeps % self.PSS_EVERY == 0
        self._sweeps += 1
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
            if int(fields[3]) != self.session:
                continue
            self.cpu[int(name)] = (int(fields[11]) + int(fields[12])) / self._tick
            if int(name) == self.session:
                self.reaped = (int(fields[13]) + int(fields[14])) / self._tick
            rss += int(fields[21]) * self._page
            if with_pss:
                pss += _pss(name)
        self.peak_rss = max(self.peak_rss, rss)
        self.peak_pss = max(self.peak_pss, pss)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def run_child(args: list[str], env: dict[str, str] | None = None) -> ChildRun:
    """Run a command and measure it alone, with every process of its session.

    The child's own CPU time and peak RSS come exactly from ``wait4``; those of the other
    processes in its session (worker processes) from sampling /proc, and RSS as their sum
    (shared pages counted in every process: an upper bound).
    """
    start = time.perf_counter()
    proc = subprocess.Popen(
        args,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
        text=True,
        start_new_session=True,
    )
    sampler = _SessionSampler(proc.pid)
    sampler.start()
    stderr = proc.stderr.read() if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    sampler.stop()
    proc.returncode = os.waitstatus_to_exitcode(status)
    others = sum(cpu for pid, cpu in sampler.cpu.items() if pid != proc.pid)
    # wait4 counts the children the child reaped (forked workers) in its figure; so does the
    # sampling: take them out once.
    cpu = usage.ru_utime + usage.ru_stime - sampler.reaped + others
    peak = max(usage.ru_maxrss * 1024, sampler.peak_rss)
    return ChildRun(seconds, peak / 2**20, proc.returncode, stderr, cpu, sampler.peak_pss / 2**20)


def _pss(pid: str) -> int:
    """Proportional set size of a process in bytes (0 if it is gone or the kernel has none)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
