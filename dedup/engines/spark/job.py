"""The bulk job on Spark end to end: ingest -> candidates -> verify [-> sampled candidates]
-> cluster.

Stages are the local engine's (:mod:`dedup.bulk`) with the same rules, each one materialised
before the next starts so that its timing means something. What the run found stays in
DataFrames (:class:`SparkBulkRun`); writers either collect it into the local engine's
:class:`~dedup.bulk.BulkResult` (moderate sizes, JSONL outputs byte-identical to the local
engine's) or write Parquet from the executors (:mod:`dedup.engines.spark.outputs`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from dedup.bulk import BulkResult, CandidateStats, VerifiedPairs
from dedup.bulk.outputs import SummaryCounts
from dedup.config import Config
from dedup.engines.spark import candidates, cluster, ingest, sampled, sources, verify
from dedup.io import FieldNames
from dedup.reuse import ReuseCandidates
from dedup.types import Document
from dedup.verify import RELATIONS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


@dataclass(frozen=True, slots=True)
class SparkOptions:
    """How the Spark job runs (never what it finds: results do not depend on these)."""

    max_bucket: int = 100  # the hot-bucket cap, as BulkOptions.max_bucket
    batch_size: int = 256  # documents fingerprinted per call on an executor
    local_finish: int = 100_000  # clustering: undecided edges finished on the driver


@dataclass
class SparkBulkRun:
    """What a Spark bulk run found, as DataFrames keyed by input position ``pos``."""

    config: Config
    files: list[sources.InputFile]
    documents: DataFrame  # pos, id, text, source, published, title, length, canon
    pairs: DataFrame  # verify.VERIFIED_SCHEMA
    candidates: CandidateStats
    count: int
    rounds: int  # distributed clustering rounds that ran
    empty_texts: int = 0  # documents whose text has no word (BulkResult.empty_texts)
    timings: dict[str, float] = field(default_factory=dict)
    cached: list[DataFrame] = field(default_factory=list)
    #: With excerpts: how many candidates the sampled shingles proposed beyond the verified
    #: pairs, and those of them that reach a whole-text relation (in ``pairs`` too).
    sampled_candidates: int | None = None
    alike: DataFrame | None = None

    def result(self) -> BulkResult:
        """Everything but the texts, collected on the driver in the local engine's form."""
        n = self.count
        ids: list[str] = [""] * n
        lengths = np.empty(n, dtype=np.int64)
        canon = np.empty(n, dtype=np.int64)
        for pos, doc_id, length, canonical in self.documents.select(
            "pos", "id", "length", "canon"
        ).toLocalIterator():
            ids[pos], lengths[pos], canon[pos] = doc_id, length, canonical
        return BulkResult(
            self.config,
            ids,
            lengths,
            canon,
            _collected(self.pairs),
            self.candidates,
            self.timings,
            empty_texts=self.empty_texts,
            passage_candidates=self.sampled_candidates,
            alike=None if self.alike is None else _collected(self.alike),
        )

    def reread(self, mask: np.ndarray, canonical: np.ndarray) -> Iterator[tuple[int, Document]]:
        """``(position, document)`` for the positions ``mask`` marks, in input order, streamed a
        partition at a time: :data:`dedup.bulk.outputs.Reread` for the local engine's writer.

        ``canonical`` marks the canonical positions (``result().canon``). The executors are
        sent the mask as "canonical, give or take" the positions where the two differ: what
        the writer asks for (the canonicals and the few hundred documents ``samples.jsonl``
        shows) costs a short list of positions, not one flag per document, and no other text
        leaves the executors.
        """
        from pyspark.sql import functions as F

        pos = F.col("pos")
        chosen = pos == F.col("canon")
        dropped = np.flatnonzero(canonical & ~mask).tolist()
        if dropped:
            chosen = chosen & ~pos.isin(dropped)
        added = np.flatnonzero(mask & ~canonical).tolist()
        if added:
            chosen = chosen | pos.isin(added)
        rows = (
            self.documents.filter(chosen)
            .select("id", "text", "source", "published", "title", "record", "pos")
            .orderBy("pos")
        )
        for r in rows.toLocalIterator(prefetchPartitions=True):
            record = r["record"]  # the JSON Lines record as read; null for a Parquet row
            yield (
                int(r["pos"]),
                Document(
                    r["id"],
                    r["text"],
                    r["source"],
                    r["published"],
                    r["title"],
                    None if record is None else bytes(record),
                ),
            )

    def counts(self) -> SummaryCounts:
        """The figures of ``summary.json``, counted by Spark (nothing per document collected)."""
        from pyspark.sql import functions as F

        sizes = self.documents.groupBy("canon").count()
        seen = sizes.agg(
            F.count("*").alias("clusters"),
            F.count_if(F.col("count") > 1).alias("duplicate"),
            F.max("count").alias("largest"),
        ).first()
        relations = {
            str(RELATIONS[int(r["relation"])]): int(r["count"])
            for r in self.pairs.groupBy("relation").count().collect()
        }
        return SummaryCounts(
            documents=self.count,
            clusters=int(seen["clusters"]) if seen else 0,
            duplicate_clusters=int(seen["duplicate"] or 0) if seen else 0,
            largest_cluster=int(seen["largest"] or 0) if seen else 0,
            pairs=sum(relations.values()),
            relations=relations,
            candidates=self.candidates,
            empty_texts=self.empty_texts,
            passage_candidates=self.sampled_candidates,
            alike_from_passage_candidates=None if self.alike is None else self.alike.count(),
        )

    def release(self) -> None:
        """Drop the cached data (checkpoints go when their DataFrames are collected)."""
        for frame in self.cached:
            frame.unpersist()
        self.cached.clear()


def run_spark_bulk(
    spark: SparkSession,
    inputs: Sequence[str],
    config: Config,
    fields: FieldNames | None = None,
    options: SparkOptions | None = None,
    *,
    excerpts: bool = False,
) -> SparkBulkRun:
    """Run the bulk job over ``inputs`` (paths Spark can read; see :mod:`.sources`); with
    ``excerpts``, the sampled candidates' whole-text pairs join the verified pairs
    (:mod:`.sampled`), as ``BulkOptions.excerpts`` does locally."""
    from pyspark.sql import functions as F

    fields = fields or FieldNames()
    options = options or SparkOptions()
    timings: dict[str, float] = {}
    start = time.perf_counter()

    mark = time.perf_counter()
    files = sources.resolve_inputs(spark, inputs)
    # The one cache of the run: every later stage reads documents from it.
    sample_mod = ReuseCandidates().sample_mod if excerpts else 0
    ingested = _ingested(spark, files, config, fields, options, sample_mod).persist()
    try:
        located = ingest.locate(ingested)
        docs = ingest.documents(ingested, located)
        ingest.check_input(ingested, docs, located, files)
        empty_texts = docs.filter(F.col("size") == 0).count()  # as Corpus.worded, locally
    except BaseException:
        ingested.unpersist()
        raise
    timings["ingest"] = time.perf_counter() - mark

    mark = time.perf_counter()
    ranks = candidates.canonical_ranks(docs)
    keyed = docs.select("pos", "size", "keys").join(ranks, "pos")
    pairs, stats = candidates.candidate_pairs(keyed, options.max_bucket)
    timings["candidates"] = time.perf_counter() - mark

    mark = time.perf_counter()
    shingles = docs.select("pos", "size", "content_hash", "shingles")
    verified = verify.verify_pairs(pairs, shingles, config.threshold)
    pair_count = verified.count()
    timings["verify"] = time.perf_counter() - mark

    proposed, alike = None, None
    if excerpts:
        mark = time.perf_counter()
        kept = docs.select("pos", "kept")
        extra = sampled.sampled_pairs(kept, verified).localCheckpoint(eager=True)
        proposed = extra.count()
        alike = verify.verify_pairs(extra, shingles, config.threshold)
        verified = verified.union(alike).localCheckpoint(eager=True)
        pair_count = verified.count()
        timings["sampled candidates"] = time.perf_counter() - mark

    mark = time.perf_counter()
    canon, rounds = cluster.star_canonicals(verified, ranks, pair_count, options.local_finish)
    documents = (
        docs.select("pos", "id", "text", "source", "published", "title", "record", "length")
        .join(canon, "pos", "left")
        .withColumn("canon", F.coalesce("canon_pos", "pos"))
        .drop("canon_pos")
    )
    timings["cluster"] = time.perf_counter() - mark
    timings["total"] = time.perf_counter() - start
    return SparkBulkRun(
        config=config,
        files=files,
        documents=documents,
        pairs=verified,
        candidates=stats,
        count=located.documents,
        rounds=rounds,
        empty_texts=empty_texts,
        timings=timings,
        cached=[ingested],
        sampled_candidates=proposed,
        alike=alike,
    )


def _ingested(
    spark: SparkSession,
    files: list[sources.InputFile],
    config: Config,
    fields: FieldNames,
    options: SparkOptions,
    sample_mod: int,
) -> DataFrame:
    """Rows of :data:`ingest.INGEST_SCHEMA` for every input file (``sample_mod``: see
    :class:`ingest.IngestPartition`)."""
    index = {f.uri: (i, f.shown) for i, f in enumerate(files)}
    schema = ingest.INGEST_SCHEMA
    parts: list[DataFrame] = []
    for parquet in (False, True):
        chosen = [f for f in files if f.parquet == parquet]
        if not chosen:
            continue
        raw = (
            sources.parquet_rows(spark, chosen, fields)
            if parquet
            else sources.jsonl_rows(spark, chosen)
        )
        work = ingest.IngestPartition(
            config, fields, index, parquet, options.batch_size, sample_mod
        )
        parts.append(spark.createDataFrame(raw.rdd.mapPartitions(work), schema))
    if not parts:
        return spark.createDataFrame([], schema)
    frame = parts[0]
    for part in parts[1:]:
        frame = frame.union(part)
    return frame


def _collected(frame: DataFrame) -> VerifiedPairs:
    """Rows of :data:`verify.VERIFIED_SCHEMA` on the driver, sorted as the local engine's."""
    rows = frame.collect()
    m = len(rows)
    left = np.fromiter((r["left"] for r in rows), np.int64, m)
    right = np.fromiter((r["right"] for r in rows), np.int64, m)
    order = np.lexsort((right, left))

    def column(name: str, dtype: type[np.generic]) -> np.ndarray:
        return np.fromiter((r[name] for r in rows), dtype, m)[order]

    return VerifiedPairs(
        left=left[order],
        right=right[order],
        jaccard=column("jaccard", np.float64),
        a_in_b=column("a_in_b", np.float64),
        b_in_a=column("b_in_a", np.float64),
        relation=column("relation", np.int8),
    )
