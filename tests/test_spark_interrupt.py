"""Ctrl-C and SIGTERM during a Spark run (``dedup bulk --engine spark``, a JVM of its own): the
run ends as a local one does, with one line last, exit code 130 or 143, no Python traceback
and no process left, the JVM included. (The JVM, which takes the terminal's Ctrl-C too, can
still log a few errors of its own as it stops: seen once in a CI run, none in six runs by
hand.)"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests._process_support import session_members
from tests.test_cli_interrupt import dedup_group, interrupted, terminated, wait_for
from tests.test_spark_engine import write_news

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the run's processes are found in /proc"
)


def running(leader: int, command: bytes) -> bool:
    """Whether a process of the run's session has ``command`` in its command line."""
    for pid in session_members(leader):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                if command in handle.read():
                    return True
        except OSError:
            continue
    return False


def running_python_tasks(leader: int) -> bool:
    """Whether the run's JVM started its Python workers: a job of the run is under way."""
    return running(leader, b"pyspark.daemon")


def launched_its_jvm(leader: int) -> bool:
    """Whether the run launched its JVM, which takes seconds more to let the driver in."""
    return running(leader, b"org.apache.spark.deploy.SparkSubmit")


Stop = Callable[[subprocess.Popen[str]], str]
STOPS = pytest.mark.parametrize("stop", [interrupted, terminated], ids=["ctrl-c", "sigterm"])


def stopped_run(tmp_path: Path, stop: Stop, news: int, when: Callable[[int], bool]) -> None:
    """A Spark run of ``news`` articles in ``local[2]``, stopped by ``stop`` once ``when`` of
    its pid holds: ``stop`` checks the exit code, the last line, that no traceback came and no
    process is left (see ``ended``); no output is left either."""
    write_news(tmp_path / "news.jsonl", news, seed=3)
    args = ["bulk", "news.jsonl", "--out", "out", "--engine", "spark", "--quiet"]
    with dedup_group([*args, "--spark-master", "local[2]"], tmp_path) as proc:
        wait_for(lambda: when(proc.pid), when.__doc__ or when.__name__, 120)
        stop(proc)
    assert not (tmp_path / "out").exists()


@STOPS
def test_a_stop_while_spark_runs_a_job_ends_the_run_in_one_line(
    spark: object, tmp_path: Path, stop: Stop
) -> None:
    """The signal comes while the driver waits for the JVM; the stop that follows cancels the
    jobs with the JVM's logs off, from a connection of its own."""
    stopped_run(tmp_path, stop, 3000, running_python_tasks)


@STOPS
def test_a_stop_while_the_jvm_starts_leaves_no_jvm_behind(
    spark: object, tmp_path: Path, stop: Stop
) -> None:
    """The signal waits until the session is up, then stops it: cut short, PySpark's launch
    left its JVM running with no parent, and this test's pipe open with it."""
    stopped_run(tmp_path, stop, 100, launched_its_jvm)
