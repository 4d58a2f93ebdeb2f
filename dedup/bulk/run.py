"""The bulk job end to end: ingest -> candidates -> verify -> cluster.

Each stage is timed; :class:`BulkResult` holds what the writers need. The shingle spool is
deleted before this returns, whatever happens.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import numpy as np

from dedup.align import PairReuse
from dedup.bulk.candidates import CandidatePairs, CandidateStats
from dedup.bulk.ingest import BatchSink, Corpus, Ingest, Progress, Transform
from dedup.bulk.like_for_like import PairsAlike
from dedup.bulk.procs import JsonlFiles, ProcessIngest
from dedup.bulk.procs import available as processes_available
from dedup.bulk.records import RecordSpool
from dedup.bulk.reuse import Exclusions, ReuseStage, TextSpool
from dedup.bulk.sampled import SampledPairs
from dedup.bulk.spool import ShingleSpool
from dedup.bulk.verify import PairVerifier, VerifiedPairs
from dedup.cluster import canonical_order, star_clusters
from dedup.config import Config
from dedup.fingerprint import FingerprintBatch, Fingerprinter
from dedup.lsh import Banding
from dedup.types import Document


@dataclass(frozen=True, slots=True)
class BulkOptions:
    """How the job runs (never what it finds: results do not depend on these)."""

    jobs: int = 0  # 0: one per core
    batch_size: int = 256
    max_bucket: int = 100
    spool_dir: str | None = None  # where the temporary shingle (and text) files go
    passages: bool = False  # align pairs and find shares_passages pairs (dedup.bulk.reuse)
    #: Propose pairs from shared sampled shingles too, whose whole-text pairs (the excerpts
    #: LSH misses) join the clusters (dedup.bulk.sampled); ``passages`` does it anyway.
    excerpts: bool = False

    def resolved_jobs(self) -> int:
        """``jobs``, with 0 meaning the cores this process may use."""
        if self.jobs > 0:
            return self.jobs
        return max(1, len(os.sched_getaffinity(0)))


@dataclass(slots=True)
class BulkResult:
    """What a bulk run found, with documents addressed by input position."""

    config: Config
    ids: list[str]
    lengths: np.ndarray
    canon: np.ndarray  # int64: position of each document's canonical
    pairs: VerifiedPairs
    candidates: CandidateStats
    timings: dict[str, float] = field(default_factory=dict)
    passages: list[PairReuse] | None = None  # per pair, with options.passages
    #: Documents whose text has no word: each its own cluster, matching nothing (counted so
    #: that a run can say so: see :meth:`Corpus.worded`).
    empty_texts: int = 0
    #: With options.passages or excerpts: the pairs proposed by shared sampled shingles that
    #: were not verified pairs already (the LSH candidates are ``candidates``; the counts are
    #: reported apart), and those of them that reach a whole-text relation: verified pairs and
    #: cluster edges like the LSH candidates' (:mod:`dedup.bulk.sampled`; in ``pairs`` too,
    #: kept apart here for a ``--db`` collection to place them), the others being, with
    #: passages, the candidates of the ``shares_passages`` pairs.
    passage_candidates: int | None = None
    alike: VerifiedPairs | None = None

    @property
    def alike_from_passage_candidates(self) -> int | None:
        """How many of the sampled candidates reach a whole-text relation."""
        return None if self.alike is None else len(self.alike)

    def alike_ids(self) -> list[tuple[str, str]]:
        """:attr:`alike` as ``(earlier, later)`` ids by input position, the later ones in
        input order: how a ``--db`` collection places them
        (:meth:`~dedup.collection.loading.Loader.join_clusters`)."""
        if self.alike is None or not len(self.alike):
            return []
        earlier = np.minimum(self.alike.left, self.alike.right)
        later = np.maximum(self.alike.left, self.alike.right)
        order = np.lexsort((earlier, later)).tolist()
        return [(self.ids[int(earlier[k])], self.ids[int(later[k])]) for k in order]

    @property
    def clusters(self) -> int:
        """Number of clusters, singletons included."""
        return int(np.count_nonzero(self.canon == np.arange(self.canon.shape[0])))

    @property
    def duplicates(self) -> int:
        """Documents that are not their cluster's canonical (what dedup removes)."""
        return len(self.ids) - self.clusters


def run_bulk(
    documents: Iterable[Document],
    config: Config,
    options: BulkOptions | None = None,
    sink: BatchSink | None = None,
    progress: Callable[[str], Progress] | None = None,
    transform: Transform | None = None,
    exclusions: Exclusions | None = None,
    *,
    records: RecordSpool | None = None,
    files: JsonlFiles | None = None,
    alike: PairsAlike | None = None,
) -> BulkResult:
    """Run the whole job over ``documents`` (streamed once).

    ``progress(stage)`` returns a callback for that stage's counts, if given; ``transform``
    rewrites each batch before fingerprinting (the boilerplate-aware text, for one);
    ``exclusions`` gives the spans of a document that alignment must skip (its boilerplate);
    ``records`` receives every document's ``deduped.jsonl`` record; ``alike`` measures the
    verified pairs of a stripped run whose documents had different boilerplate removed again,
    like for like, before the clusters are made (:mod:`dedup.bulk.like_for_like`).

    ``files``, when the same input is plain JSON Lines files, lets ingest run in worker
    processes (:mod:`dedup.bulk.procs`) instead of reading ``documents``: with two jobs or
    more and no ``sink``, ``transform``, passages or excerpts, which need each document (or
    batch of shingles) in this process.
    The results are the same either way. As with any multiprocessing, the calling script must
    be safe to import again (``if __name__ == "__main__":``): the workers import it.
    """
    options = options or BulkOptions()
    timings: dict[str, float] = {}
    start = time.perf_counter()
    ingest = Ingest(
        Fingerprinter(config),
        Banding(config.bands, config.rows),
        jobs=options.resolved_jobs(),
        batch_size=options.batch_size,
        transform=transform,
    )
    with ExitStack() as stack:
        spool = stack.enter_context(ShingleSpool(options.spool_dir))
        reuse = None
        if options.passages:
            texts = stack.enter_context(TextSpool(options.spool_dir))
            reuse = ReuseStage(texts, exclusions=exclusions)
        sampled = SampledPairs() if options.passages or options.excerpts else None
        with _timed(timings, "ingest"):
            jobs = options.resolved_jobs()
            if (
                files is not None
                and jobs > 1
                and sink is None
                and transform is None
                and sampled is None
                and processes_available()
            ):
                corpus = ProcessIngest(config, jobs, options.batch_size).run(
                    files,
                    spool,
                    records,
                    progress=progress("ingest") if progress else None,
                    meanwhile=_load_kernels,
                )
            else:
                corpus = ingest.run(
                    documents,
                    spool,
                    sink=_both(_both(sink, _records_sink(records)), _sampling_sink(sampled, reuse)),
                    progress=progress("ingest") if progress else None,
                )
        with _timed(timings, "candidates"):
            rank = canonical_order(corpus.ids, corpus.published, corpus.lengths.tolist())
            worded = corpus.worded()
            left, right, stats = CandidatePairs(options.max_bucket, options.resolved_jobs()).find(
                corpus.keys, rank, worded
            )
        verifier = PairVerifier(config.threshold, jobs=options.resolved_jobs())
        with _timed(timings, "verify"):
            pairs = verifier.verify(left, right, spool, corpus.content_hashes)
        proposed = None
        if sampled is not None:  # the whole-text pairs LSH missed join the clusters too
            with _timed(timings, "sampled candidates"):
                proposed = sampled.propose(pairs, verifier, spool, corpus.content_hashes)
        if alike is not None:
            with _timed(timings, "like for like"):
                if proposed is None:
                    pairs = alike(pairs, corpus.ids)
                else:  # those that reach a relation like for like only join the clusters too
                    pairs, proposed = alike.with_proposed(pairs, proposed, corpus.ids)
        if proposed is not None:
            pairs = VerifiedPairs.concat([pairs, proposed.alike])
        with _timed(timings, "cluster"):
            canon = star_clusters(rank, pairs.left, pairs.right, pairs.relation)
        passages = None
        if reuse is not None and proposed is not None:
            with _timed(timings, "passages"):
                pairs, passages = reuse.run(pairs, proposed, corpus.sources)
    timings["total"] = time.perf_counter() - start
    return BulkResult(
        config=config,
        ids=corpus.ids,
        lengths=corpus.lengths,
        canon=canon,
        pairs=pairs,
        candidates=stats,
        timings=timings,
        passages=passages,
        empty_texts=len(corpus) - int(np.count_nonzero(worded)),
        passage_candidates=None if proposed is None else proposed.count,
        alike=None if proposed is None else proposed.alike,
    )


def _both(first: BatchSink | None, second: BatchSink | None) -> BatchSink | None:
    if first is None or second is None:
        return first or second

    def both(docs: list[Document], batch: FingerprintBatch) -> None:
        first(docs, batch)
        second(docs, batch)

    return both


def _load_kernels() -> None:
    """Run the candidates stage on three documents, for its side effect.

    The first compiled call of a kernel costs numba loading it from its cache (the first of
    all in a process about 0.16 s, timed by hand). Process ingest calls this while its workers
    start, so that the candidates stage does not pay it later, on the critical path.
    """
    keys = np.array([[1, 2], [1, 3], [4, 2]], dtype=np.uint64)
    CandidatePairs().find(keys, np.arange(3), np.ones(3, dtype=bool))


def _records_sink(records: RecordSpool | None) -> BatchSink | None:
    return None if records is None else records.observe


def _sampling_sink(sampled: SampledPairs | None, reuse: ReuseStage | None) -> BatchSink | None:
    if sampled is None:
        return None

    def observe(docs: list[Document], batch: FingerprintBatch) -> None:
        sampled.observe(batch.shingles, batch.offsets)
        if reuse is not None:
            reuse.observe(docs)

    return observe


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = time.perf_counter() - start


__all__ = ["BulkOptions", "BulkResult", "Corpus", "run_bulk"]
