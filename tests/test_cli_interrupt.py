"""Ctrl-C at the command line: the terminal sends SIGINT to the whole process group, the run's
worker processes included. The run ends with one line, ``dedup: interrupted``, and exit code
130; no traceback from any process, no output, no temporary file, no process left behind.
SIGTERM to the run's process (``timeout``, ``kill``) ends it the same way, with ``dedup:
terminated`` and exit code 143."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dedup.bulk._interrupts import interrupts_deferred
from dedup.cli._app import _errors_to_exit
from tests._process_support import end_session, ignores_sigint, session_members
from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="worker processes and /proc are Linux's"
)


@contextmanager
def dedup_group(
    args: list[str], tmp: Path, stdin: int | None = None
) -> Iterator[subprocess.Popen[str]]:
    """``dedup ARGS`` leading a process group of its own, as a shell runs a command, with
    SIGINT at its default action and ``TMPDIR`` set to ``tmp``; killed if still there."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "dedup", *args],
        cwd=tmp,
        env={**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp)},
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        stdin=stdin,
    )
    try:
        yield proc
    finally:
        end_session(proc)
        proc.wait(timeout=10)


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def opened_for_writing(fifo: Path) -> int:
    """A blocking descriptor writing to ``fifo``, once a reader opened it (without waiting
    forever for a run that never does)."""
    opened: list[int] = []

    def try_open() -> bool:
        try:
            opened.append(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError as exc:
            if exc.errno != errno.ENXIO:  # ENXIO: no reader yet
                raise
        return bool(opened)

    wait_for(try_open, "the run to open its input")
    os.set_blocking(opened[0], True)
    return opened[0]


def workers_ignoring_sigint(leader: int) -> int:
    return sum(ignores_sigint(pid) for pid in session_members(leader) - {leader})


def interrupted(proc: subprocess.Popen[str]) -> str:
    """Ctrl-C to the process group; the run's stderr, once it ended as an interrupted run."""
    os.killpg(proc.pid, signal.SIGINT)
    return ended(proc, 130, "dedup: interrupted")


def terminated(proc: subprocess.Popen[str]) -> str:
    """SIGTERM to the run's process alone, as ``timeout`` and ``kill`` send it; its stderr."""
    proc.terminate()
    return ended(proc, 143, "dedup: terminated")


def ended(proc: subprocess.Popen[str], code: int, last_line: str) -> str:
    """The run's stderr, once it ended with ``code`` and ``last_line``, no traceback, and no
    process of its own left."""
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stderr
    assert stderr.splitlines()[-1] == last_line
    assert "Traceback" not in stderr, stderr
    wait_for(lambda: not session_members(proc.pid), "the workers to leave", 15)
    return stderr


def articles(count: int) -> str:
    """``count`` news-length JSONL records: the shipped web articles, each under several ids."""
    with open(ROOT / "data" / "web-articles.jsonl", encoding="utf-8") as source:
        texts = [json.loads(line)["text"] for line in source]
    return "".join(
        json.dumps({"id": f"a{k}", "text": f"Copy {k}. {texts[k % len(texts)]}"}) + "\n"
        for k in range(count)
    )


@contextmanager
def learning_from_a_fifo(tmp: Path) -> Iterator[subprocess.Popen[str]]:
    """A ``--strip-boilerplate`` run reading a FIFO, once its workers learn the two batches
    written to it and its main thread waits for more; the FIFO is closed after the block."""
    fifo = tmp / "corpus.jsonl"
    os.mkfifo(fifo)
    args = ["bulk", str(fifo), "--out", "out", "--strip-boilerplate", "--jobs", "2"]
    with dedup_group(args, tmp) as proc:
        writer = opened_for_writing(fifo)
        try:
            os.write(writer, articles(300).encode())
            wait_for(lambda: workers_ignoring_sigint(proc.pid) >= 2, "the learning workers")
            yield proc
        finally:
            os.close(writer)


@pytest.mark.parametrize("stop", [interrupted, terminated], ids=["ctrl-c", "sigterm"])
def test_a_stop_while_workers_learn_ends_the_run_cleanly(
    tmp_path: Path, stop: Callable[[subprocess.Popen[str]], str]
) -> None:
    with learning_from_a_fifo(tmp_path) as proc:
        stop(proc)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.jsonl"]


def masks_both(pid: int, tid: int) -> bool:
    """Whether thread ``tid`` of process ``pid`` masks SIGINT and SIGTERM (/proc's SigBlk)."""
    with open(f"/proc/{pid}/task/{tid}/status", encoding="ascii") as handle:
        fields = dict(line.split(":", 1) for line in handle if ":" in line)
    blocked = int(fields["SigBlk"], 16)
    return all(blocked >> (sig - 1) & 1 for sig in (signal.SIGINT, signal.SIGTERM))


def test_only_the_runs_main_thread_takes_ctrl_c_while_workers_learn(tmp_path: Path) -> None:
    """The kernel gives a signal sent to the process to any thread that does not mask it, and
    one taken by another thread leaves a main thread blocked reading a FIFO asleep: the
    pool's threads mask SIGINT and SIGTERM, the main thread does not."""
    with learning_from_a_fifo(tmp_path) as proc:
        others = [int(t) for t in os.listdir(f"/proc/{proc.pid}/task") if int(t) != proc.pid]
        assert others  # the pool's manager thread, at least
        assert [masks_both(proc.pid, t) for t in others] == [True] * len(others)
        assert not masks_both(proc.pid, proc.pid)


def test_threads_started_while_interrupts_are_deferred_mask_them() -> None:
    """A thread started in the block (a pool's manager thread) masks SIGINT and SIGTERM for
    good; the main thread's mask is back as it was after the block."""
    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    seen: list[set[int]] = []

    def note_mask() -> None:
        seen.append(set(signal.pthread_sigmask(signal.SIG_BLOCK, [])))

    with interrupts_deferred():
        thread = threading.Thread(target=note_mask)
        thread.start()
    thread.join()
    assert {signal.SIGINT, signal.SIGTERM} <= seen[0]
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before


def test_ctrl_c_while_workers_ingest_ends_the_run_with_exit_130(tmp_path: Path) -> None:
    # 8,000 articles: seconds of ingest on any box, so the signal comes while workers run
    (tmp_path / "corpus.jsonl").write_text(articles(8000), encoding="utf-8")
    args = ["bulk", "corpus.jsonl", "--out", "out", "--jobs", "2"]
    with dedup_group(args, tmp_path) as proc:
        wait_for(lambda: workers_ignoring_sigint(proc.pid) >= 2, "the ingest workers")
        interrupted(proc)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.jsonl"]


@pytest.mark.parametrize("stop", [interrupted, terminated], ids=["ctrl-c", "sigterm"])
def test_a_stop_while_stdin_is_read_leaves_no_copy_of_it(
    tmp_path: Path, stop: Callable[[subprocess.Popen[str]], str]
) -> None:
    args = ["strip", "-", "--out", "stripped.jsonl"]
    with dedup_group(args, tmp_path, stdin=subprocess.PIPE) as proc:
        assert proc.stdin is not None
        proc.stdin.write(articles(3))
        proc.stdin.flush()
        wait_for(lambda: any(tmp_path.glob("dedup-stdin-*")), "stdin's copy")
        stop(proc)
    assert list(tmp_path.iterdir()) == []


# Sends the process a real SIGINT the moment it first imports click: inside the command
# line's imports, which a Ctrl-C in its first fifth of a second cuts short.
_SIGINT_ON_IMPORT = """
import os, signal, sys

def _hook(event, args):
    if event == "import" and args[0] == "click" and not _sent:
        _sent.append(True)
        os.kill(os.getpid(), signal.SIGINT)

_sent = []
sys.addaudithook(_hook)
"""


def test_ctrl_c_while_the_command_line_loads_is_one_line_and_exit_130(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text(_SIGINT_ON_IMPORT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-m", "dedup", "--version"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr, done.stdout) == (130, "dedup: interrupted\n", "")


def test_an_interrupt_while_workers_start_is_raised_once_they_started() -> None:
    handler = signal.getsignal(signal.SIGINT)
    finished = False
    with pytest.raises(KeyboardInterrupt), interrupts_deferred():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # the handler has run: Python runs handlers between bytecodes
        finished = True
    assert finished
    assert signal.getsignal(signal.SIGINT) is handler


def test_an_error_raised_while_an_interrupt_unwinds_is_reported_as_the_interrupt(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A call that fails on the way out of Ctrl-C (a Spark run's JVM, stopped by the same
    Ctrl-C) is the interrupt's consequence: one line and exit 130, not a traceback."""

    def run() -> None:
        try:
            raise KeyboardInterrupt
        finally:
            raise ConnectionError("the other end stopped too")

    with pytest.raises(SystemExit) as exit_info:
        _errors_to_exit(run)()
    assert exit_info.value.code == 130
    assert capsys.readouterr().err == "dedup: interrupted\n"
