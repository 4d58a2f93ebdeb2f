"""Helpers of the tests whose subject is a process tree: a run's worker processes, found by
their session, and what is left of a session once its leader is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from tests.conftest import ROOT


def session_members(sid: int) -> set[int]:
    """The live processes of session ``sid`` (from /proc), zombies left out."""
    found = set()
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, ValueError):
            continue
        if name.isdigit() and int(fields[3]) == sid and fields[0] != b"Z":
            found.add(int(name))
    return found


@contextmanager
def session_of(args: list[str]) -> Iterator[subprocess.Popen[bytes]]:
    """``args`` run as the leader of a new session (its stdout piped); whatever of the session
    is left at the end of the block is killed."""
    proc = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        end_session(proc)


def end_session(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL the session ``proc`` leads: ``proc`` and whatever else is left in it."""
    proc.kill()
    for pid in session_members(proc.pid):
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def killed_leaves(proc: subprocess.Popen[bytes]) -> set[int]:
    """SIGKILL the session's leader, give the rest of its session 15 s to end by itself, and
    return the processes still in it."""
    proc.kill()
    proc.wait(timeout=10)
    deadline = time.monotonic() + 15
    while session_members(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return session_members(proc.pid)


def ignores_sigint(pid: int) -> bool:
    """Whether process ``pid`` ignores SIGINT (its ``SigIgn`` mask in /proc); False once gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            mask = next(line for line in handle if line.startswith("SigIgn:"))
    except (OSError, StopIteration):
        return False
    return bool(int(mask.split()[1], 16) & (1 << (signal.SIGINT - 1)))
