"""Process-parallel ingest of plain JSON Lines files: byte ranges read by worker processes.

With threads (:class:`dedup.bulk.ingest.Ingest`), the kernels run in parallel but parsing,
building documents and serialising records hold the GIL on the calling thread: about a third
of ingest, so two jobs kept only ~1.5 cores busy. Here every step runs in the workers. Each
input file is cut into ranges at line boundaries (:func:`dedup.io.line_ranges`); a worker
parses, fingerprints and bands its range a batch at a time, writes the shingle sets and the
``deduped.jsonl`` records to spool segments of its own (:meth:`TempFileSpool.segment`), and
returns only the compact per-document arrays. The parent takes the ranges in input order, so
the :class:`Corpus` (and every output) is byte-identical to a sequential read's.

Errors are those of a sequential read too: the first bad line or duplicate id in input order
wins, named by file and line (a worker numbers its range's lines from its start; the parent
adds the lines of the ranges before). Duplicate ids are found by the parent, across ranges.

Only plain JSON Lines files qualify (:meth:`JsonlFiles.of`); standard input, gzip, ``.txt``
directories and dumps cannot be cut into ranges and go the thread way. So do runs that need
each document in the parent during ingest: ``--strip-boilerplate`` (the transform uses the
model learned in the parent), ``--passages`` (the text spool) and ``--db`` (one SQLite writer).

With workers from a forkserver, this barely beat the thread pool on two cores (100,000
documents, eight alternating pairs: 7.44 s against 7.69 s on average, for 0.6 CPU s more);
forked workers (below) took the job to 5.6-5.9 s, with as much CPU as one job uses.

On Linux workers are forked from this process right after it has loaded the compiled kernels,
so they start with them loaded. A process that starts cold pays for numba loading the cached
kernels before its first batch (0.16 s after the imports, timed by hand in three fresh
processes; 0.33 s while numba's NumPy support still imported scipy.linalg, see
:mod:`dedup._numba_start`), and a worker started from a fresh 'forkserver' paid that on top
of the forkserver's imports: a fresh
process ingesting 100,000 documents with two workers takes 4.00 s forked against 4.26 s from a
forkserver (``python -m benchmarks.bulk_parts``). Forking a
process that runs threads is unsafe when another thread holds a lock the child needs; at this
point the job runs none of its own (thread pools come later), and the one NumPy starts
(OpenBLAS's) is made safe across ``fork`` by OpenBLAS itself. Elsewhere (macOS, where ``fork``
is unsafe with the system's libraries) workers come from a 'forkserver', which imports the
worker side (:mod:`dedup.bulk._ingest_worker`) once and forks each worker from it.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from dedup.bulk import _ingest_worker
from dedup.bulk._ingest_worker import Part, Task, ingest_range, load_kernels, start_worker
from dedup.bulk._interrupts import interrupts_deferred
from dedup.bulk.ingest import Corpus, Progress
from dedup.bulk.records import RecordSpool
from dedup.bulk.spool import ShingleSpool
from dedup.config import Config
from dedup.errors import InputError
from dedup.io import FieldNames, line_ranges

_JSONL_SUFFIXES = (".jsonl", ".ndjson")
_GZIP_MAGIC = b"\x1f\x8b"
_RANGE_BYTES = 16 << 20  # small enough to balance two busy cores, large enough to amortise
_MAX_RANGES = 128  # two spool segments (open files) each


@dataclass(frozen=True, slots=True)
class JsonlFiles:
    """Inputs that are all plain JSON Lines files, which can be read by byte ranges."""

    paths: list[str]
    fields: FieldNames

    @classmethod
    def of(cls, inputs: Sequence[str], fields: FieldNames) -> JsonlFiles | None:
        """The inputs, if every one is a regular ``*.jsonl``/``*.ndjson`` file, not gzip.

        ``None`` otherwise (and for anything unreadable: the sequential reader reports it).
        """
        for name in inputs:
            if not name.lower().endswith(_JSONL_SUFFIXES) or not os.path.isfile(name):
                return None
            try:
                with open(name, "rb") as handle:
                    if handle.read(len(_GZIP_MAGIC)) == _GZIP_MAGIC:
                        return None
            except OSError:
                return None
        return cls(list(inputs), fields)


def _start_method() -> str | None:
    """'fork' on Linux, else 'forkserver' where there is one, else None (Windows)."""
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods:
        return "fork"
    return "forkserver" if "forkserver" in methods else None


def available() -> bool:
    """Whether worker processes can be started here.

    Forked workers (Linux) always can. From a forkserver (elsewhere, not on Windows) they need
    a main module they can import again by its path: a program read from standard input
    (``python -``) has none, and its workers would die at start.
    """
    method = _start_method()
    if method is None:
        return False
    if method == "fork":
        return True
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    spec = getattr(main, "__spec__", None)
    if path is None or (spec is not None and spec.name.endswith("__main__")):
        return True  # an interactive session, or python -m: nothing to import again by path
    return os.path.isfile(path)


class ProcessIngest:
    """Fingerprints :class:`JsonlFiles` into a :class:`Corpus` with ``jobs`` worker processes.

    ``start_method`` is ``"fork"`` or ``"forkserver"``; ``None`` picks the platform's way
    (fork on Linux). Forcing the forkserver is for tests and the benchmark that compares them.
    """

    def __init__(
        self,
        config: Config,
        jobs: int,
        batch_size: int = 256,
        range_bytes: int | None = None,  # None: _RANGE_BYTES
        start_method: str | None = None,
    ) -> None:
        if jobs < 1:
            raise ValueError("jobs must be at least 1")
        range_bytes = _RANGE_BYTES if range_bytes is None else range_bytes
        if batch_size < 1 or range_bytes < 1:
            raise ValueError("batch_size and range_bytes must be at least 1")
        if start_method not in (None, "fork", "forkserver"):
            raise ValueError(f"start_method must be 'fork' or 'forkserver', not {start_method!r}")
        self.config = config
        self.jobs = jobs
        self.batch_size = batch_size
        self.range_bytes = range_bytes
        self.start_method = start_method

    def run(
        self,
        files: JsonlFiles,
        spool: ShingleSpool,
        records: RecordSpool | None = None,
        progress: Progress | None = None,
        meanwhile: Callable[[], object] | None = None,
    ) -> Corpus:
        """Fingerprint every document; shingle sets go to ``spool``, records to ``records``.

        ``meanwhile`` is called once the workers are starting (about a second during which
        this process would only wait), e.g. to load the kernels of the later stages.
        """
        method = self.start_method or _start_method()
        if method is None:
            raise RuntimeError("worker processes cannot be started on this platform")
        # Forked workers open their segments through the descriptors they inherit, so the
        # segments need no names: a killed run leaves no spool files behind.
        tasks = self._tasks(files, spool, records, named=method != "fork")
        context = multiprocessing.get_context(method)
        if method == "fork":
            with interrupts_deferred():  # numba's loading, see dedup.bulk._interrupts
                load_kernels(self.config)  # before forking: every worker inherits them
        else:
            context.set_forkserver_preload([_ingest_worker.__name__])
        merged = _Merge(self.config.bands)
        # Workers wait for tasks on a queue whose writing end they hold too, so they would
        # outlive a parent killed with SIGKILL (and keep a forkserver alive): each watches
        # the reading end of this pipe, which only this process can write to, and exits on EOF.
        # A forked worker inherits the writing end as well, and closes it first thing.
        lifeline, keep = context.Pipe(duplex=False)
        with (
            keep,
            lifeline,
            ProcessPoolExecutor(
                max_workers=max(1, min(self.jobs, len(tasks))),
                mp_context=context,
                initializer=start_worker,
                initargs=(self.config, files.fields, self.batch_size, lifeline, keep),
            ) as pool,
        ):
            futures: list[Future[Part]] = []
            try:
                with interrupts_deferred():  # the first submit starts the workers
                    futures.extend(pool.submit(ingest_range, t) for t in tasks)
                if meanwhile is not None:
                    with interrupts_deferred():  # it loads kernels
                        meanwhile()
                for task, future in zip(tasks, futures, strict=True):
                    merged.add(task, future.result(), spool, records)
                    if progress is not None:
                        progress(len(merged.ids))
            finally:
                for future in futures:
                    future.cancel()
        spool.seal()
        return merged.corpus(spool)

    def _tasks(
        self, files: JsonlFiles, spool: ShingleSpool, records: RecordSpool | None, named: bool
    ) -> list[Task]:
        sizes = [os.path.getsize(path) for path in files.paths]
        span = max(self.range_bytes, math.ceil(sum(sizes) / _MAX_RANGES))
        return [
            Task(
                path,
                k,
                start,
                end,
                str(spool.segment(named)),
                None if records is None else str(records.segment(named)),
                spool.directory,
            )
            for k, (path, size) in enumerate(zip(files.paths, sizes, strict=True))
            for start, end in line_ranges(path, max(1, math.ceil(size / span)))
        ]


class _Merge:
    """The parts, put together in input order, checked for duplicate ids as they come."""

    def __init__(self, bands: int) -> None:
        self.bands = bands
        self.ids: list[str] = []
        self.sources: list[str | None] = []
        self.published: list[str | None] = []
        self.parts: list[Part] = []
        self._first_seen: dict[str, tuple[str, int]] = {}
        self._interned: dict[str, str] = {}
        self._lines_before: dict[int, int] = {}  # per input: lines of the ranges taken so far

    def add(self, task: Task, part: Part, spool: ShingleSpool, records: RecordSpool | None) -> None:
        path = task.path
        base = self._lines_before.get(task.input, 0)
        first_seen = self._first_seen
        for doc_id, line in zip(part.ids, part.lines.tolist(), strict=True):
            where = first_seen.get(doc_id)
            if where is not None:
                raise InputError(
                    f"duplicate id {doc_id!r} (first seen at {where[0]}:{where[1]})",
                    path,
                    base + line,
                )
            first_seen[doc_id] = (path, base + line)
        if part.error is not None:
            raise InputError(part.error[0], path, base + part.error[1])
        self._lines_before[task.input] = base + part.line_count
        self.ids.extend(part.ids)
        interned = self._interned
        self.sources.extend(None if s is None else interned.setdefault(s, s) for s in part.sources)
        self.published.extend(part.published)
        spool.extend(part.shingle_sizes)
        if records is not None:
            records.extend(part.record_sizes, part.record_own)
        part.ids, part.sources, part.published = [], [], []  # held once, in the lists above
        self.parts.append(part)

    def corpus(self, spool: ShingleSpool) -> Corpus:
        parts = self.parts

        def joined(arrays: list[np.ndarray], empty: np.ndarray) -> np.ndarray:
            return np.concatenate(arrays) if arrays else empty

        return Corpus(
            ids=self.ids,
            sources=self.sources,
            published=self.published,
            lengths=joined([p.lengths for p in parts], np.empty(0, np.int64)),
            keys=joined([p.keys for p in parts], np.empty((0, self.bands), np.uint64)),
            content_hashes=joined([p.hashes for p in parts], np.empty(0, np.uint64)),
            spool=spool,
        )
