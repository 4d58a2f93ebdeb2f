"""Getting a SparkSession for a bulk run, and failing clearly when Spark cannot run at all.

A session that already runs in this process (a notebook's, a test suite's) is used as is and
left running; one started here is stopped by :func:`bulk_session` on the way out. Under
``spark-submit`` every setting is spark-submit's. Only local masters get help finding Python:
executors on a cluster run whatever Python and packages the cluster provides (see the README).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from dedup.bulk._interrupts import interrupts_deferred
from dedup.errors import DedupError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: Settings every session started here gets: results are the same without them, but the
#: console stays readable and dates never depend on the machine's time zone.
BASE_CONF: Mapping[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.showConsoleProgress": "false",
}


class SparkUnavailableError(DedupError):
    """The Spark engine was asked for, but PySpark or Java is missing."""


def require_spark() -> None:
    """Raise :class:`SparkUnavailableError` naming what is missing, before anything starts."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise SparkUnavailableError(
            "the Spark engine needs PySpark: pip install 'dedup[spark]'"
        ) from None
    if java_executable() is None:
        raise SparkUnavailableError(
            "the Spark engine needs Java 17 or newer: no 'java' on PATH and JAVA_HOME is not set"
        )


def java_executable() -> str | None:
    """The ``java`` PySpark will launch (``$JAVA_HOME/bin/java``, else from PATH), if any."""
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        return str(candidate) if candidate.is_file() else None
    return shutil.which("java")


def start_session(
    master: str | None = None,
    app_name: str = "dedup bulk",
    conf: Mapping[str, str] | None = None,
) -> SparkSession:
    """A new (or this process's running) session, with :data:`BASE_CONF` and ``conf`` applied.

    ``master=None`` means the master ``spark-submit`` was given when this process runs under
    it, else ``local[*]``. With a local master, Python workers run this very interpreter
    (``PYSPARK_PYTHON``, unless set) with this checkout of dedup importable: PySpark would
    otherwise start ``python3`` from PATH, which may lack numpy, numba or dedup itself. And
    shuffles get two partitions per core unless configured: Spark's default of 200 is sized
    for clusters, and on one machine hundreds of tiny tasks per shuffle cost more than the
    work (results never depend on it).
    """
    require_spark()
    from pyspark.sql import SparkSession

    if master is None and not under_spark_submit():
        master = "local[*]"
    builder = SparkSession.builder.appName(app_name)
    if master is not None:
        builder = builder.master(master)
    settings = {**BASE_CONF, **(conf or {})}
    if master is not None and _local_cores(master):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        settings.setdefault("spark.executorEnv.PYTHONPATH", _import_root())
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    context = session.sparkContext
    context.setLogLevel("ERROR")
    cores = _local_cores(context.master or "")
    if cores and not context.getConf().contains("spark.sql.shuffle.partitions"):
        session.conf.set("spark.sql.shuffle.partitions", str(2 * cores))
    return session


def under_spark_submit() -> bool:
    """True in a Python driver that ``spark-submit`` started (it hands over its JVM)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


@contextmanager
def bulk_session(master: str | None = None) -> Iterator[SparkSession]:
    """The running session if there is one (left running), else a new one stopped at the end.

    A run interrupted (Ctrl-C, or SIGTERM under the command line) ends as a local one does,
    with one line. The interrupt comes while the driver's thread waits for the JVM's answer
    to a call, which py4j then reads as the answer to the thread's next call: stopping the
    session from that thread failed with a Py4JError and a traceback (after SIGTERM, exit 1).
    So the jobs are cancelled and the session stopped from a thread of its own, which gets a
    connection of its own, with the JVM's logs off: each task the stop tears down logged an
    error and a Java stack trace (57-195 lines after a Ctrl-C). PySpark's own SIGINT handler
    (cancelling the jobs from the interrupted thread, with the logs on) is replaced by
    Python's default one for the run, and py4j's logs of the interrupted call it cleans up
    after (a traceback on the root logger, errors on its own) are dropped: py4j's failures
    reach the run as exceptions anyway.
    """
    require_spark()
    from pyspark.sql import SparkSession

    running = SparkSession.getActiveSession()
    if running is not None:
        yield running
        return
    main = threading.current_thread() is threading.main_thread()
    handler = signal.getsignal(signal.SIGINT) if main else None
    root, py4j = logging.getLogger(), logging.getLogger("py4j")
    root.addFilter(_py4j_interrupt)
    py4j_level = py4j.level
    py4j.setLevel(logging.CRITICAL)  # its errors while cleaning up an interrupted call
    try:
        session = _started(master)
        if handler is not None:
            signal.signal(signal.SIGINT, handler)
        try:
            yield session
        except BaseException as exc:
            if isinstance(exc, Exception):  # also a py4j call that an interrupt cut
                try:
                    session.stop()
                finally:
                    _end_jvm()
            else:  # KeyboardInterrupt, or the command line's SIGTERM
                _stop_interrupted(session)
            raise
        session.stop()
    finally:
        root.removeFilter(_py4j_interrupt)
        py4j.setLevel(py4j_level)


def _started(master: str | None) -> SparkSession:
    """:func:`start_session`, with Ctrl-C and SIGTERM held back until the JVM is up.

    Interrupted while PySpark waited for the JVM it had launched to say where to connect,
    the run ended and left the JVM running with no parent, for good (it had lost the file to
    write that to, and it ends when its parent's pipe closes only once it has written it);
    a test's pipe of its output stayed open with it. Held back, the interrupt comes once the
    session is up (a few seconds), and the session is stopped as a running one is.
    """
    session = None
    try:
        with interrupts_deferred():
            session = start_session(master)
    except BaseException:
        if session is not None:
            _stop_interrupted(session)
        raise
    return session


def _py4j_interrupt(record: logging.LogRecord) -> bool:
    """False for py4j's log of an interrupt that came while it waited for the JVM."""
    return record.getMessage() != "KeyboardInterrupt while sending command."


def _stop_interrupted(session: SparkSession) -> None:
    """Cancel the jobs, stop ``session`` and end the JVM this process launched, quietly, from
    a new thread (see :func:`bulk_session`). A failure is left unsaid: the run is ending on an
    interrupt."""

    def stop() -> None:
        context = session.sparkContext
        with suppress(Exception):
            context.setLogLevel("OFF")
        with suppress(Exception):
            context.cancelAllJobs()
        with suppress(Exception):
            session.stop()
        _end_jvm()

    stopper = threading.Thread(target=stop, name="dedup-spark-stop")
    stopper.start()
    stopper.join()


#: Seconds a failed or interrupted run waits for its JVM to exit before it kills it.
JVM_EXIT_SECONDS = 10.0


def _end_jvm() -> None:
    """End the JVM PySpark launched for this process and wait for it.

    A stopped session leaves its JVM up (PySpark keeps it for the next session) until this
    process exits; a failed or interrupted run's JVM, tearing its tasks down, then logged an
    error after the run's last line (``test_spark_interrupt`` in CI, and 2 of 7 runs of it by
    hand with the JVM ended on interrupts alone: an interrupt that cuts a py4j call can reach
    the run as that call's error). Its input closed, the JVM exits (PySpark's gateway server
    ends with its input); once it has, nothing of it can follow. The next session in this
    process launches a new one. A JVM this process did not launch (``spark-submit``'s: no
    ``proc``) is left alone.
    """
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    proc = getattr(gateway, "proc", None)
    if gateway is None or proc is None:
        return
    with suppress(Exception):
        gateway.shutdown()
    try:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(JVM_EXIT_SECONDS)
    except Exception:
        with suppress(OSError):
            proc.kill()
    SparkContext._gateway = None
    SparkContext._jvm = None


def _local_cores(master: str) -> int:
    """Worker threads of a local master (``local``, ``local[4]``, ``local[*]``), else 0."""
    if master == "local":
        return 1
    match = re.fullmatch(r"local\[(\*|\d+)(?:,\s*\d+)?\]", master)
    if match is None:
        return 0
    if match.group(1) == "*":
        return os.cpu_count() or 1
    return max(1, int(match.group(1)))


def _import_root() -> str:
    """The directory holding the ``dedup`` package, and this process's PYTHONPATH after it."""
    root = str(Path(__file__).resolve().parents[3])
    extra = os.environ.get("PYTHONPATH")
    return os.pathsep.join([root, extra]) if extra else root
