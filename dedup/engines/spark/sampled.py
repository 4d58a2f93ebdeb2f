"""The sampled candidates on Spark (``--excerpts``): the pairs that share sampled shingles
beyond the verified pairs, as :class:`dedup.bulk.sampled.SampledPairs` finds them locally.

The rule is :class:`dedup.reuse.ReuseCandidates`': each document's shingles whose hash is
divisible by ``sample_mod`` are kept; a kept shingle held by 2 to ``max_df`` documents pairs
them; a pair sharing at least ``min_shared`` kept shingles is a candidate. The candidates that
are not verified pairs already are then measured exactly by the verify stage, and those that
reach a whole-text relation (mostly short excerpts of long articles, which LSH misses) join
the verified pairs before clustering: the same pairs, measures and clusters as locally.

The kept shingles are picked at ingest, where the executors hold each document's shingles
anyway (:class:`~dedup.engines.spark.ingest.IngestPartition`'s ``sample_mod``), so this stage
runs in the JVM alone. For 20,000 articles in ``local[2]`` the stage took 13.5-13.8 s when it
picked them in a Python pass over the cached shingles and paired the holders of a hash with a
self-join, 11.0-11.9 s with them picked at ingest (which took 0.3-1.1 s longer), and 6.7-6.9 s
with the holders of each hash collected and paired in one row (``docs/performance-log.md``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dedup.reuse import ReuseCandidates

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def sampled_pairs(
    fingerprints: DataFrame, verified: DataFrame, rule: ReuseCandidates | None = None
) -> DataFrame:
    """``left, right`` (``left < right``) of the candidates from shared sampled shingles that
    are not among ``verified``; ``fingerprints`` has ``pos`` and ``kept`` (the kept shingles'
    hashes, ingested with ``rule``'s ``sample_mod``) of every document."""
    from pyspark.sql import functions as F

    rule = rule or ReuseCandidates()
    kept = fingerprints.select(F.explode("kept").alias("hash"), "pos")
    # The documents holding each kept hash, one row a hash, then each pair of them: two
    # shuffles (by hash, by pair), where counting the holders, joining them back and joining
    # the holders to themselves by hash took four.
    held = kept.groupBy("hash").agg(F.collect_list("pos").alias("holders"))
    held = held.where((F.size("holders") >= 2) & (F.size("holders") <= rule.max_df))
    pairs = held.select("holders", F.explode("holders").alias("left")).select(
        "left", F.explode("holders").alias("right")
    )
    shared = (
        pairs.where(F.col("left") < F.col("right"))
        .groupBy("left", "right")
        .count()
        .where(F.col("count") >= rule.min_shared)
        .select("left", "right")
    )
    return shared.join(verified.select("left", "right"), ["left", "right"], "left_anti")
