"""Bulk loading: a whole run of documents into a collection as one session (``bulk --db``).

Why not :meth:`Collection.load <dedup.collection.Collection.load>` per batch: each call is a
transaction, and each commit (and checkpoint) rewrites every page the batch touched all over
the randomly keyed B-trees (the index's band rows, the texts by id). When reuse postings were a
``(hash, id)`` B-tree too (about 145 rows per document), 100,000 documents took 301 s on a
quiet machine and wrote 101 GB for a 1.9 GB file; in a session, 60.7 s and 6.7 GB. A session:

* holds one transaction (``BEGIN IMMEDIATE``) from start to end, with a page cache of its own
  (:data:`CACHE_MB`), so a page is written about once per run rather than once per batch;
* writes documents, fingerprints and band rows through the index's ``add_many`` in steps of
  :data:`STEP` documents whatever the callers' batches (same handles, outcomes and clusters as
  :meth:`Collection.load`; with the callers' 256-document batches as steps, 100,000 documents
  took 96.5 s instead of 64.7, both with a 1 GB cache), texts and reuse samples (one row per
  document, appended: :mod:`dedup.collection.reuse_index`) in one statement per step.

What a reader sees: nothing of the session until it commits, then all of it. A session ended
by an exception, or a process killed during one, leaves the collection as it was before (an
uncommitted WAL tail is ignored when the file is next opened); the write lock is held for the
whole session, so other writers wait (``busy_timeout``) and then fail.

The stored rows are exactly those of :meth:`Collection.load` called with the same batches in
order (tests/test_collection_loading.py compares whole tables).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager

import numpy as np

from dedup.boilerplate.sqlite_store import SQLiteBoilerplateStore
from dedup.boilerplate.store import DocumentEntry
from dedup.collection import tables
from dedup.collection.reuse_index import ReuseSets
from dedup.errors import InputError
from dedup.fingerprint import Fingerprint
from dedup.index import SQLiteIndex
from dedup.types import AddOutcome, Document

#: Documents written per step: the index's ``add_many`` costs less per document in bigger
#: steps (its band keys are probed and inserted in sorted order), the buffered texts and
#: shingle sets cost memory (about 10 KB per document).
STEP = 4096
#: The page cache of a session (the usual one comes back when it ends), smaller than the
#: index's bulk cache (1 GB): pages spilled from it go to the WAL early, which cost little. At
#: 100,000 documents 256 MB took the same 62.5 s as 1 GB, with a peak RSS of 1,016 MB instead
#: of 2,067 and 6.7 GB written instead of 5.8 (one run each, load 1.4-2.2).
CACHE_MB = 256


class Loader:
    """The writes of one loading session; see the module docstring and :func:`session`."""

    def __init__(
        self,
        index: SQLiteIndex,
        texts: tables.TextTable,
        reuse: ReuseSets,
        boilerplate: SQLiteBoilerplateStore,
    ) -> None:
        self._index = index
        self._texts = texts
        self._reuse = reuse
        self._boilerplate = boilerplate
        self.outcomes: Counter[AddOutcome] = Counter()  # of the documents written so far
        self._docs: list[Document] = []  # added, not yet written
        self._fps: list[Fingerprint] = []
        self._spans: list[list[tuple[int, int]]] = []
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
        are written :data:`STEP` documents at a time, each document's outcome counted in
        :attr:`outcomes` then.
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
        """The documents added since the last step: index, texts and reuse samples."""
        docs, fps, spans = self._docs, self._fps, self._spans
        self._docs, self._fps, self._spans = [], [], []
        if not docs:
            return
        outcomes = self._index.add_many(docs, fps)
        self.outcomes.update(outcomes)
        rows: list[tuple[str, str, list[tuple[int, int]] | None]] = []
        added: list[tuple[str, np.ndarray]] = []
        for doc, fp, found, outcome in zip(docs, fps, spans, outcomes, strict=True):
            if outcome is AddOutcome.UNCHANGED:
                continue
            rows.append((doc.id, doc.text, found))
            if outcome is AddOutcome.ADDED:
                added.append((doc.id, fp.shingles))
                continue
            self._reuse.put_many(added)  # in order: this replaces a row written before it
            added = []
            self._reuse.put(doc.id, fp.shingles)
        self._reuse.put_many(added)
        self._texts.put_many(rows)

    def add_boilerplate(self, entries: Iterable[DocumentEntry]) -> None:
        """Store boilerplate model entries learned elsewhere, as they are."""
        self._check_open()
        self._write()  # the documents first, as the calls came
        self._boilerplate.put_many(entries)

    def finish(self) -> None:
        """Write what is still buffered (the session's last writes)."""
        self._check_open()
        self._write()
        self.closed = True

    def _check_open(self) -> None:
        if self.closed:
            raise InputError("this loading session has ended")


@contextmanager
def session(
    index: SQLiteIndex,
    texts: tables.TextTable,
    reuse: ReuseSets,
    boilerplate: SQLiteBoilerplateStore,
) -> Iterator[Loader]:
    """One transaction around a :class:`Loader`, committed when the block ends without error."""
    with ExitStack() as stack:
        stack.enter_context(index.bulk())  # the add_many calls inside keep its cache size...
        index.connection.execute(f"PRAGMA cache_size = {-1024 * CACHE_MB}")  # ...set to this
        stack.enter_context(index.atomic())
        loader = Loader(index, texts, reuse, boilerplate)
        try:
            yield loader
            loader.finish()
        finally:
            loader.closed = True  # ended either way: later writes through it are refused
