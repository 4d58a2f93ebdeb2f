"""Bulk loading: a whole run of documents into a collection as one session (``bulk --db``).

Why not :meth:`Collection.load <dedup.collection.Collection.load>` per batch: each call is a
transaction, and each commit (and checkpoint) rewrites every page the batch touched all over
the randomly keyed B-trees. ``reuse_postings`` (about 145 rows per document, keyed by hash)
touches nearly every one of its pages in every batch: 100,000 documents took 301 s on a
quiet machine (1,294 s under load) and wrote 101 GB for a 1.9 GB file; in a session, 60.7 s
and 6.7 GB (``benchmarks/bulk_db_bench.py``, README). A session:

* holds one transaction (``BEGIN IMMEDIATE``) from start to end, with a page cache of its own
  (:data:`CACHE_MB`), so a page is written about once per run rather than once per batch;
* writes documents, fingerprints and band rows through the index's ``add_many`` in steps of
  :data:`STEP` documents whatever the callers' batches (same handles, outcomes and clusters as
  :meth:`Collection.load`; with the callers' 256-document batches as steps, 100,000 documents
  took 96.5 s instead of 64.7, both with a 1 GB cache), and texts in one statement per step;
* keeps the reuse postings out of the B-tree until the end: they go to temporary files
  (:class:`PostingSpool`, partitioned by hash so memory stays flat), and are inserted in
  ``(hash, id)`` order when the session ends, so every insert appends. When the table was
  empty, its ``id`` index is dropped first and built again after (one sort instead of
  millions of random inserts). Ids new to the collection need no ``DELETE`` first.

What a reader sees: nothing of the session until it commits, then all of it. A session ended
by an exception, or a process killed during one, leaves the collection as it was before (an
uncommitted WAL tail is ignored when the file is next opened); the write lock is held for the
whole session, so other writers wait (``busy_timeout``) and then fail.

The stored rows are exactly those of :meth:`Collection.load` called with the same batches in
order (tests/test_collection_loading.py compares whole tables).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

import numpy as np

from dedup.boilerplate.sqlite_store import SQLiteBoilerplateStore
from dedup.boilerplate.store import DocumentEntry
from dedup.collection import tables
from dedup.errors import InputError
from dedup.fingerprint import Fingerprint
from dedup.index import SQLiteIndex
from dedup.types import AddOutcome, Document

#: The spool's partitions: the top bits of the (signed) hash, so partition order is hash order.
PARTITION_BITS = 6
#: Documents written per step: the index's ``add_many`` costs less per document in bigger
#: steps (its band keys are probed and inserted in sorted order), the buffered texts and
#: shingle sets cost memory (about 10 KB per document).
STEP = 4096
#: The page cache of a session (the usual one comes back when it ends), smaller than the
#: index's bulk cache (1 GB): pages spilled from it go to the WAL early, which cost little. At
#: 100,000 documents 256 MB took the same 62.5 s as 1 GB, with a peak RSS of 1,016 MB instead
#: of 2,067 and 6.7 GB written instead of 5.8 (one run each, load 1.4-2.2).
CACHE_MB = 256
#: Rows the spool buffers in memory before it appends them to its partition files (16 MB).
BUFFER_ROWS = 1 << 20


class PostingSpool:
    """``(hash, ordinal)`` pairs on disk, read back partition by partition in hash order.

    Each partition holds the hashes of one range (their top :data:`PARTITION_BITS` bits), so
    sorting the rows of the run needs one partition in memory at a time: about 1/64 of them
    (14.5 million rows at 100,000 documents: 3.6 MB per partition).
    """

    def __init__(self, directory: str | None = None) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="dedup-postings-", dir=directory)
        self._path = Path(self._dir.name)
        self._buffer: list[np.ndarray] = []
        self._buffered = 0
        self._sizes = np.zeros(1 << PARTITION_BITS, dtype=np.int64)

    def __enter__(self) -> PostingSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Delete the files."""
        self._buffer = []
        self._dir.cleanup()

    def __len__(self) -> int:
        return int(self._sizes.sum()) + self._buffered

    def append(self, hashes: np.ndarray, ordinals: np.ndarray) -> None:
        """Add rows (int64 hashes, int64 ordinals of equal length)."""
        if hashes.shape != ordinals.shape:
            raise InputError("hashes and ordinals differ in length")
        self._buffer.append(np.stack([hashes, ordinals], axis=1).astype(np.int64, copy=False))
        self._buffered += hashes.shape[0]
        if self._buffered >= BUFFER_ROWS:
            self._flush()

    def partitions(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(hashes, ordinals)`` of each partition in hash order, rows within one unsorted."""
        self._flush()
        for part in np.flatnonzero(self._sizes).tolist():
            rows = np.fromfile(self._file(part), dtype=np.int64).reshape(-1, 2)
            yield rows[:, 0], rows[:, 1]

    def _flush(self) -> None:
        if not self._buffered:
            return
        rows = np.concatenate(self._buffer)
        self._buffer, self._buffered = [], 0
        part = (rows[:, 0] >> (64 - PARTITION_BITS)) + (1 << (PARTITION_BITS - 1))
        rows = rows[np.argsort(part, kind="stable")]
        counts = np.bincount(part, minlength=1 << PARTITION_BITS)
        ends = np.cumsum(counts)
        for p in np.flatnonzero(counts).tolist():
            with self._file(p).open("ab") as handle:
                rows[ends[p] - counts[p] : ends[p]].tofile(handle)
        self._sizes += counts

    def _file(self, part: int) -> Path:
        return self._path / f"{part:03d}.i64"


class Loader:
    """The writes of one loading session; see the module docstring and :func:`session`."""

    def __init__(
        self,
        index: SQLiteIndex,
        texts: tables.TextTable,
        postings: tables.ReusePostings,
        boilerplate: SQLiteBoilerplateStore,
        spool: PostingSpool,
    ) -> None:
        self._index = index
        self._texts = texts
        self._postings = postings
        self._boilerplate = boilerplate
        self._spool = spool
        self.outcomes: Counter[AddOutcome] = Counter()  # of the documents written so far
        self._docs: list[Document] = []  # added, not yet written
        self._fps: list[Fingerprint] = []
        self._spans: list[list[tuple[int, int]]] = []
        self._ids: list[str] = []  # ordinal -> id of each spooled version of a document
        self._latest: dict[str, int] = {}  # id -> ordinal of its version that is kept
        conn = index.connection
        self._fresh = conn.execute("SELECT 1 FROM reuse_postings LIMIT 1").fetchone() is None
        self.closed = False

    def add(
        self,
        docs: Sequence[Document],
        fingerprints: Sequence[Fingerprint],
        spans: Sequence[list[tuple[int, int]]] | None = None,
    ) -> None:
        """Store documents without checking them, as :meth:`Collection.load` does.

        ``fingerprints`` are those of the documents' boilerplate-aware texts and ``spans``
        their boilerplate spans (none, when the corpus's boilerplate was not learned). They
        are written :data:`STEP` documents at a time (their reuse postings when the session
        ends), each document's outcome counted in :attr:`outcomes` then.
        """
        self._check_open()
        if len(fingerprints) != len(docs):
            raise InputError(f"{len(fingerprints)} fingerprints for {len(docs)} documents")
        if spans is not None and len(spans) != len(docs):
            raise InputError(f"{len(spans)} boilerplate span lists for {len(docs)} documents")
        self._docs.extend(docs)
        self._fps.extend(fingerprints)
        self._spans.extend(spans if spans is not None else [[] for _ in docs])
        if len(self._docs) >= STEP:
            self._write()

    def _write(self) -> None:
        """The documents added since the last step: index, texts, postings to the spool."""
        docs, fps, spans = self._docs, self._fps, self._spans
        self._docs, self._fps, self._spans = [], [], []
        if not docs:
            return
        outcomes = self._index.add_many(docs, fps)
        self.outcomes.update(outcomes)
        rows: list[tuple[str, str, list[tuple[int, int]] | None]] = []
        hashes: list[np.ndarray] = []
        ordinals: list[np.ndarray] = []
        for doc, fp, found, outcome in zip(docs, fps, spans, outcomes, strict=True):
            if outcome is AddOutcome.UNCHANGED:
                continue
            rows.append((doc.id, doc.text, found))
            if outcome is AddOutcome.UPDATED and doc.id not in self._latest:
                self._postings.delete(doc.id)  # the version stored before this session
            ordinal = len(self._ids)
            self._ids.append(doc.id)
            self._latest[doc.id] = ordinal  # an earlier version spooled here is dropped
            kept = self._postings.sampled(fp.shingles)
            hashes.append(kept)
            ordinals.append(np.full(kept.shape[0], ordinal, dtype=np.int64))
        self._texts.put_many(rows)
        if hashes:
            self._spool.append(np.concatenate(hashes), np.concatenate(ordinals))

    def add_boilerplate(self, entries: Iterable[DocumentEntry]) -> None:
        """Store boilerplate model entries learned elsewhere, as they are."""
        self._check_open()
        self._write()  # the documents first, as the calls came
        for entry in entries:
            self._boilerplate.put(entry)

    def finish(self) -> None:
        """Insert the spooled postings in ``(hash, id)`` order (the session's last writes)."""
        self._check_open()
        self._write()
        self.closed = True
        conn = self._index.connection
        if self._fresh and len(self._spool):
            conn.execute("DROP INDEX IF EXISTS reuse_postings_id")
        ids = self._ids
        kept = np.zeros(len(ids), dtype=bool)
        kept[np.fromiter(self._latest.values(), dtype=np.int64, count=len(self._latest))] = True
        rank = np.empty(len(ids), dtype=np.int64)  # ordinal -> place of its id in id order
        rank[sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
        names = np.array(ids, dtype=object)  # to look many up at once
        for hashes, ordinals in self._spool.partitions():
            keep = kept[ordinals]
            hashes, ordinals = hashes[keep], ordinals[keep]
            order = np.lexsort((rank[ordinals], hashes))
            self._postings.insert_many(hashes[order].tolist(), names[ordinals[order]].tolist())
        tables.create(conn)  # the id index again, if it was dropped (the same statement)

    def _check_open(self) -> None:
        if self.closed:
            raise InputError("this loading session has ended")


@contextmanager
def session(
    index: SQLiteIndex,
    texts: tables.TextTable,
    postings: tables.ReusePostings,
    boilerplate: SQLiteBoilerplateStore,
    spool_dir: str | None = None,
) -> Iterator[Loader]:
    """One transaction around a :class:`Loader`, committed when the block ends without error."""
    with ExitStack() as stack:
        stack.enter_context(index.bulk())  # the add_many calls inside keep its cache size...
        index.connection.execute(f"PRAGMA cache_size = {-1024 * CACHE_MB}")  # ...set to this
        stack.enter_context(index.atomic())
        spool = stack.enter_context(PostingSpool(spool_dir))
        loader = Loader(index, texts, postings, boilerplate, spool)
        try:
            yield loader
            loader.finish()
        finally:
            loader.closed = True  # ended either way: later writes through it are refused
