"""The sampled candidates on Spark (``--excerpts``): the pairs that share sampled shingles
beyond the verified pairs, as :class:`dedup.bulk.sampled.SampledPairs` finds them locally.

The rule is :class:`dedup.reuse.ReuseCandidates`': each document's shingles whose hash is
divisible by ``sample_mod`` are kept; a kept shingle held by 2 to ``max_df`` documents pairs
them; a pair sharing at least ``min_shared`` kept shingles is a candidate. The candidates that
are not verified pairs already are then measured exactly by the verify stage, and those that
reach a whole-text relation (mostly short excerpts of long articles, which LSH misses) join
the verified pairs before clustering: the same pairs, measures and clusters as locally.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dedup.reuse import ReuseCandidates

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


@dataclass(frozen=True)
class KeptShingles:
    """``(pos, hashes)`` of each of a partition's documents: its kept shingles (runs on
    executors), exploded by Spark. The unsigned hashes travel as the signed 64-bit integers of
    the same bits. A row per document, not per shingle: with a row per shingle the stage took
    21.3 s against 13.7 s for 20,000 articles in ``local[2]`` (one run each, by hand)."""

    sample_mod: int

    def __call__(self, rows: Iterable[Any]) -> Iterator[tuple[int, list[int]]]:
        mod = np.uint64(self.sample_mod)
        for row in rows:
            shingles = np.frombuffer(row["shingles"], dtype="<u8")
            kept = shingles[shingles % mod == 0].astype(np.uint64).view(np.int64)
            yield int(row["pos"]), kept.tolist()


def sampled_pairs(
    fingerprints: DataFrame, verified: DataFrame, rule: ReuseCandidates | None = None
) -> DataFrame:
    """``left, right`` (``left < right``) of the candidates from shared sampled shingles that
    are not among ``verified``; ``fingerprints`` has ``pos`` and ``shingles`` of every
    document."""
    from pyspark.sql import functions as F

    rule = rule or ReuseCandidates()
    spark = fingerprints.sparkSession
    rows = fingerprints.select("pos", "shingles").rdd.mapPartitions(KeptShingles(rule.sample_mod))
    kept = spark.createDataFrame(rows, "pos bigint, hashes array<bigint>").select(
        F.explode("hashes").alias("hash"), "pos"
    )
    held = kept.groupBy("hash").count()
    useful = kept.join(
        held.where((F.col("count") >= 2) & (F.col("count") <= rule.max_df)).select("hash"),
        "hash",
    )
    left = useful.select("hash", F.col("pos").alias("left"))
    right = useful.select("hash", F.col("pos").alias("right"))
    shared = (
        left.join(right, "hash")
        .where(F.col("left") < F.col("right"))
        .groupBy("left", "right")
        .count()
        .where(F.col("count") >= rule.min_shared)
        .select("left", "right")
    )
    return shared.join(verified.select("left", "right"), ["left", "right"], "left_anti")
