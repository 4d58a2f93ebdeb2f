"""The worker side of process-parallel ingest (:mod:`dedup.bulk.procs`): what runs in each
worker process, and the task and result that travel between it and the parent.

A worker is set up once (:func:`start_worker`), then reads ranges (:func:`ingest_range`): it
parses, fingerprints and bands them a batch at a time, writes shingle sets and output records
to the spool segments the task names, and returns only the compact per-document arrays.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import IO

import numpy as np

from dedup._malloc import keep_freed_memory
from dedup.bulk._interrupts import ignore_interrupts
from dedup.bulk.records import encode_records
from dedup.bulk.spool import spool_error
from dedup.config import Config
from dedup.errors import InputError
from dedup.fingerprint import Fingerprinter
from dedup.io import FieldNames, parse_line, range_lines
from dedup.lsh import Banding
from dedup.types import Document


@dataclass(frozen=True, slots=True)
class Task:
    """One byte range of one input file, and the spool segments its results go to."""

    path: str
    input: int  # which of the inputs (a path may be given twice: its lines count anew)
    start: int
    end: int
    shingles: str  # spool segment paths to fill
    records: str | None
    spool_dir: str  # where the segments are, for an error writing them


@dataclass(slots=True)
class Part:
    """What a worker returns for its range (everything but the texts and shingle sets)."""

    ids: list[str]
    sources: list[str | None]
    published: list[str | None]
    lines: np.ndarray  # int64: line of each document, counted from the range's first (1)
    lengths: np.ndarray
    keys: np.ndarray
    hashes: np.ndarray
    shingle_sizes: np.ndarray
    record_sizes: np.ndarray
    record_own: np.ndarray  # bool: which records are the input's own (all, from JSON Lines)
    line_count: int  # physical lines read
    error: tuple[str, int] | None  # message and line of the first bad line, reading stopped


@dataclass(frozen=True, slots=True)
class _Worker:
    fingerprinter: Fingerprinter
    banding: Banding
    fields: FieldNames
    batch_size: int


_WORKER: list[_Worker] = []  # this process's, once _start_worker ran


def load_kernels(config: Config) -> None:
    """Run the fingerprinting kernels once on two short texts, for their side effect: the
    compiled code loaded in this process (about 0.16 s after the imports)."""
    batch = Fingerprinter(config).fingerprint(["the kernels are loaded once", "here"])
    Banding(config.bands, config.rows).keys(batch.signatures)


def start_worker(
    config: Config, fields: FieldNames, batch_size: int, lifeline: Connection, keep: Connection
) -> None:
    ignore_interrupts()
    keep.close()  # only the parent may hold the writing end, or the lifeline never breaks
    keep_freed_memory()
    threading.Thread(target=exit_with_parent, args=(lifeline,), daemon=True).start()
    _WORKER.append(
        _Worker(Fingerprinter(config), Banding(config.bands, config.rows), fields, batch_size)
    )


def exit_with_parent(lifeline: Connection) -> None:
    """Block until the parent is gone (the pipe's only writer closed), then leave at once."""
    with contextlib.suppress(EOFError, OSError):
        lifeline.recv_bytes()
    os._exit(1)


def ingest_range(task: Task) -> Part:
    """Read, fingerprint and spool one range (in a worker process)."""
    worker = _WORKER[-1]
    docs: list[Document] = []
    lines: list[int] = []
    out = _PartBuilder(worker.banding.bands)
    error = None
    lineno = 0
    # Only a file's first line may start with a byte order mark: a range that starts later
    # numbers its lines from 2 for the parser, whose messages the parent relocates anyway.
    shift = 0 if task.start == 0 else 1
    with (
        open(task.path, "rb", buffering=1 << 20) as handle,
        open(task.shingles, "ab") as shingles,
        open(task.records or os.devnull, "ab") as records,
    ):
        try:
            for raw in range_lines(handle, task.start, task.end):
                lineno += 1
                if not raw.strip(b" \t\r\n"):  # JSON whitespace only: a blank line
                    continue
                docs.append(parse_line(raw, worker.fields, task.path, lineno + shift))
                lines.append(lineno)
                if len(docs) == worker.batch_size:
                    out.add(worker, docs, task, shingles, records)
                    docs = []
        except InputError as exc:
            error = (exc.message, lineno)
        if docs:
            out.add(worker, docs, task, shingles, records)
        try:  # what is buffered is written here, not by the closes that report no file
            shingles.flush()
            records.flush()
        except OSError as exc:
            raise spool_error(task.spool_dir, exc) from exc
    return out.part(np.asarray(lines, dtype=np.int64), lineno, error)


class _PartBuilder:
    """A range's per-document figures, batch by batch (the texts are not kept)."""

    def __init__(self, bands: int) -> None:
        self.ids: list[str] = []
        self.sources: list[str | None] = []
        self.published: list[str | None] = []
        self.bands = bands
        self.lengths: list[np.ndarray] = []
        self.keys: list[np.ndarray] = []
        self.hashes: list[np.ndarray] = []
        self.shingle_sizes: list[np.ndarray] = []
        self.record_sizes: list[np.ndarray] = []
        self.record_own: list[np.ndarray] = []

    def add(
        self,
        worker: _Worker,
        docs: list[Document],
        task: Task,
        shingles: IO[bytes],
        records: IO[bytes],
    ) -> None:
        """Spool ``docs`` (their records only if ``task`` asks for them) and keep their figures."""
        texts = [d.text for d in docs]
        batch = worker.fingerprinter.fingerprint(texts)
        try:
            shingles.write(np.ascontiguousarray(batch.shingles, dtype="<u8").data.cast("B"))
            if task.records:
                data, sizes, own = encode_records(docs)
                records.write(data)
                self.record_sizes.append(sizes)
                self.record_own.append(own)
        except OSError as exc:
            raise spool_error(task.spool_dir, exc) from exc
        self.shingle_sizes.append(np.diff(batch.offsets).astype(np.int64))
        self.lengths.append(np.fromiter(map(len, texts), np.int64, len(texts)))
        self.keys.append(worker.banding.keys(batch.signatures))
        self.hashes.append(batch.content_hashes)
        for doc in docs:
            self.ids.append(doc.id)
            self.sources.append(doc.source)
            self.published.append(doc.published)

    def part(self, lines: np.ndarray, line_count: int, error: tuple[str, int] | None) -> Part:
        def joined(arrays: list[np.ndarray], empty: np.ndarray) -> np.ndarray:
            return np.concatenate(arrays) if arrays else empty

        sizes = np.empty(0, np.int64)
        return Part(
            ids=self.ids,
            sources=self.sources,
            published=self.published,
            lines=lines,
            lengths=joined(self.lengths, sizes),
            keys=joined(self.keys, np.empty((0, self.bands), np.uint64)),
            hashes=joined(self.hashes, np.empty(0, np.uint64)),
            shingle_sizes=joined(self.shingle_sizes, sizes),
            record_sizes=joined(self.record_sizes, sizes),
            record_own=joined(self.record_own, np.empty(0, bool)),
            line_count=line_count,
            error=error,
        )
