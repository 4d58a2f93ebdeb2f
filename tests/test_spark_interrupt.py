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


@pytest.mark.parametrize("stop", [interrupted, terminated], ids=["ctrl-c", "sigterm"])
def test_a_stop_while_spark_runs_a_job_ends_the_run_in_one_line(
    spark: object, tmp_path: Path, stop: Callable[[subprocess.Popen[str]], str]
) -> None:
    """The signal comes while the driver waits for the JVM; the stop that follows cancels the
    jobs with the JVM's logs off, from a connection of its own."""
    write_news(tmp_path / "news.jsonl", 3000, seed=3)
    args = ["bulk", "news.jsonl", "--out", "out", "--engine", "spark", "--quiet"]
    with dedup_group([*args, "--spark-master", "local[2]"], tmp_path) as proc:
        wait_for(lambda: running_python_tasks(proc.pid), "the run's first Spark job", 120)
        stop(proc)  # exit code, last line, no traceback, no process left (see ended)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("stop", [interrupted, terminated], ids=["ctrl-c", "sigterm"])
def test_a_stop_while_the_jvm_starts_leaves_no_jvm_behind(
    spark: object, tmp_path: Path, stop: Callable[[subprocess.Popen[str]], str]
) -> None:
    """The signal waits until the session is up, then stops it: cut short, PySpark's launch
    left its JVM running with no parent, and this test's pipe open with it."""
    write_news(tmp_path / "news.jsonl", 100, seed=3)
    args = ["bulk", "news.jsonl", "--out", "out", "--engine", "spark", "--quiet"]
    with dedup_group([*args, "--spark-master", "local[1]"], tmp_path) as proc:
        wait_for(lambda: launched_its_jvm(proc.pid), "the run's JVM", 60)
        stop(proc)  # exit code, last line, no traceback, no process left (see ended)
    assert not (tmp_path / "out").exists()
