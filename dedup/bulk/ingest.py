"""The first pass of the bulk job: documents in, compact per-document fingerprints out.

Documents stream through in fixed-size batches (the batch boundaries never depend on the
number of jobs, so neither do the results). With ``jobs > 1`` batches are fingerprinted on a
thread pool: the compiled kernels release the GIL, so threads use every core without copying
texts to other processes, while the calling thread keeps reading and parsing input. At most
``4 * jobs`` batches are in flight (a few megabytes: enough that the calling thread, busy with
a finished batch, does not leave the pool idle), so memory stays flat however large the input.

Plain JSON Lines files can instead be ingested by worker processes, parsing included
(:mod:`dedup.bulk.procs`): the thread pool here is the way for every other input, and for runs
that need each document in this process.

What is kept per document: id, source, date, text length, content hash and band keys in
memory (about 300 bytes); the shingle set goes to a :class:`ShingleSpool` on disk.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from dedup.bulk.spool import ShingleSpool
from dedup.fingerprint import FingerprintBatch, Fingerprinter
from dedup.lsh import Banding
from dedup.types import Document

#: Called after each batch with the documents and their fingerprints (e.g. to fill an index).
BatchSink = Callable[[list[Document], FingerprintBatch], None]
#: Called with the number of documents done so far.
Progress = Callable[[int], None]
#: Rewrites a batch before it is fingerprinted (e.g. to its boilerplate-aware text).
Transform = Callable[[list[Document]], list[Document]]


@dataclass(slots=True)
class Corpus:
    """Everything later stages need about the ingested documents, in input order."""

    ids: list[str]
    sources: list[str | None]
    published: list[str | None]
    lengths: np.ndarray  # int64 characters of the fingerprinted (boilerplate-aware) text
    keys: np.ndarray  # uint64[n, bands]
    content_hashes: np.ndarray  # uint64[n]
    spool: ShingleSpool

    def __len__(self) -> int:
        return len(self.ids)

    def worded(self) -> np.ndarray:
        """Whether each document's fingerprinted text has a word, i.e. a shingle.

        Read off the set sizes ingest spooled: nothing is computed again. A text without one
        (empty, white space, punctuation only: a scraped page that came back blank) is
        accepted, as failing a large run for it would be hostile, and matches nothing: it
        stays a cluster of its own. The job counts these (:attr:`BulkResult.empty_texts`) so
        that the run says how many there were instead of keeping them silently.
        """
        worded: np.ndarray = self.spool.sizes > 0
        return worded


@dataclass(frozen=True, slots=True)
class _Done:
    docs: list[Document]  # as read
    lengths: list[int]  # of the texts fingerprinted (after the transform)
    batch: FingerprintBatch
    keys: np.ndarray


class Ingest:
    """Fingerprints a stream of documents into a :class:`Corpus`."""

    def __init__(
        self,
        fingerprinter: Fingerprinter,
        banding: Banding,
        jobs: int = 1,
        batch_size: int = 256,
        transform: Transform | None = None,
    ) -> None:
        if jobs < 1:
            raise ValueError("jobs must be at least 1")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.fingerprinter = fingerprinter
        self.banding = banding
        self.jobs = jobs
        self.batch_size = batch_size
        self.transform = transform

    def run(
        self,
        documents: Iterable[Document],
        spool: ShingleSpool,
        sink: BatchSink | None = None,
        progress: Progress | None = None,
    ) -> Corpus:
        """Fingerprint every document; shingle sets are appended to ``spool``."""
        ids: list[str] = []
        sources: list[str | None] = []
        published: list[str | None] = []
        lengths: list[int] = []
        keys: list[np.ndarray] = []
        hashes: list[np.ndarray] = []
        interned: dict[str, str] = {}
        for done in self._fingerprinted(documents):
            for doc in done.docs:
                ids.append(doc.id)
                sources.append(
                    None if doc.source is None else interned.setdefault(doc.source, doc.source)
                )
                published.append(doc.published)
            lengths.extend(done.lengths)
            keys.append(done.keys)
            hashes.append(done.batch.content_hashes)
            spool.append(done.batch.shingles, done.batch.offsets)
            if sink is not None:
                sink(done.docs, done.batch)
            if progress is not None:
                progress(len(ids))
        spool.seal()
        bands = self.banding.bands
        return Corpus(
            ids=ids,
            sources=sources,
            published=published,
            lengths=np.asarray(lengths, dtype=np.int64),
            keys=np.concatenate(keys) if keys else np.empty((0, bands), dtype=np.uint64),
            content_hashes=np.concatenate(hashes) if hashes else np.empty(0, dtype=np.uint64),
            spool=spool,
        )

    def _work(self, docs: list[Document]) -> _Done:
        texts = [d.text for d in (self.transform(docs) if self.transform else docs)]
        batch = self.fingerprinter.fingerprint(texts)
        return _Done(docs, [len(t) for t in texts], batch, self.banding.keys(batch.signatures))

    def _batches(self, documents: Iterable[Document]) -> Iterator[list[Document]]:
        it = iter(documents)
        while batch := list(itertools.islice(it, self.batch_size)):
            yield batch

    def _fingerprinted(self, documents: Iterable[Document]) -> Iterator[_Done]:
        if self.jobs == 1:
            yield from map(self._work, self._batches(documents))
            return
        with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="dedup-fp") as pool:
            pending: deque[Future[_Done]] = deque()
            try:
                for batch in self._batches(documents):
                    pending.append(pool.submit(self._work, batch))
                    if len(pending) >= 4 * self.jobs:
                        yield pending.popleft().result()
                while pending:
                    yield pending.popleft().result()
            finally:
                for future in pending:
                    future.cancel()
