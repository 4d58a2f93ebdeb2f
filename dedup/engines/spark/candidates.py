"""Canonical ranks and candidate pairs on Spark, with the local engine's exact rules.

* Rank: :func:`dedup.cluster.canonical_order` sorts by (published, undated last; longer text
  first; smaller id). Spark sorts strings by their UTF-8 bytes, which is code-point order, the
  order Python compares ``str`` in, so one global sort reproduces it; the dense rank is the
  zipWithIndex of that sort, computed in the JVM (:func:`dense_index`).
* Buckets: one row per (document, band) with its band key; documents sharing (band, key) form
  a bucket, numbered in rank order by a window. As in :class:`dedup.bulk.CandidatePairs`, the
  member numbered ``x`` pairs with members ``y < x`` that are also among the bucket's
  ``max_bucket`` best-ranked (``y < max_bucket``), so a hot bucket costs ``max_bucket`` pairs a
  member instead of quadratically many. Documents without shingles take no part.
* Pairs are ``(left, right)`` input positions with ``left < right``, distinct across bands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dedup.bulk import CandidateStats

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

_PART_BITS = 33  # monotonically_increasing_id() keeps the partition id above bit 33


def dense_index(frame: DataFrame, order: list[Column], name: str) -> DataFrame:
    """``frame`` with column ``name``: 0, 1, 2, ... in ``order`` (which must be total), frozen.

    Sorting range-partitions rows in order; each row's partition and its number in it
    (``monotonically_increasing_id``) are frozen by a checkpoint, the partitions' sizes are
    collected, and the index is the row's number plus the rows of the partitions before it.
    """
    from pyspark.sql import functions as F

    tagged = (
        frame.orderBy(*order)
        .withColumn("__dedup_id", F.monotonically_increasing_id())
        .localCheckpoint(eager=True)
    )
    part = F.shiftright(F.col("__dedup_id"), _PART_BITS)
    sizes = sorted(
        (int(r["part"]), int(r["rows"]))
        for r in tagged.groupBy(part.alias("part")).agg(F.count("*").alias("rows")).collect()
    )
    shifts: list[tuple[int, int]] = []
    start = 0
    for index, rows in sizes:
        shifts.append((index, start - (index << _PART_BITS)))
        start += rows
    spark = frame.sparkSession
    shift = spark.createDataFrame(shifts or [(0, 0)], "part bigint, shift bigint")
    return (
        tagged.join(F.broadcast(shift), part == shift["part"])
        .withColumn(name, F.col("__dedup_id") + F.col("shift"))
        .drop("__dedup_id", "part", "shift")
        .localCheckpoint(eager=True)
    )


def canonical_ranks(docs: DataFrame) -> DataFrame:
    """``pos, rank`` of every document (rank 0 is the most canonical)."""
    from pyspark.sql import functions as F

    order = [F.col("published").asc_nulls_last(), F.col("length").desc(), F.col("id").asc()]
    return dense_index(docs.select("pos", "published", "length", "id"), order, "rank").select(
        "pos", "rank"
    )


def candidate_pairs(fingerprints: DataFrame, max_bucket: int) -> tuple[DataFrame, CandidateStats]:
    """Distinct ``left, right`` candidate pairs (checkpointed) and what the buckets looked like.

    ``fingerprints`` has ``pos``, ``rank``, ``size`` and ``keys`` (the band keys, int64 bits).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if max_bucket < 2:
        raise ValueError("max_bucket must be at least 2")
    bucket = Window.partitionBy("band", "key")
    members = (
        fingerprints.filter(F.col("size") > 0)
        .select("pos", "rank", F.posexplode("keys").alias("band", "key"))
        .withColumn("members", F.count("*").over(bucket))
        .filter(F.col("members") > 1)
        .withColumn("idx", F.row_number().over(bucket.orderBy("rank")) - 1)
        .localCheckpoint(eager=True)
    )
    seen = (
        members.filter(F.col("idx") == 0)
        .agg(
            F.count_if(F.col("members") > max_bucket).alias("hot"),
            F.max("members").alias("largest"),
        )
        .first()
    )
    heads = members.filter(F.col("idx") < max_bucket).select(
        "band", "key", F.col("idx").alias("head_idx"), F.col("pos").alias("head_pos")
    )
    pairs = (
        members.join(heads, ["band", "key"])
        .filter(F.col("head_idx") < F.col("idx"))
        .select(
            F.least("pos", "head_pos").alias("left"), F.greatest("pos", "head_pos").alias("right")
        )
        .distinct()
        .localCheckpoint(eager=True)
    )
    count = pairs.count()
    hot = int(seen["hot"]) if seen is not None and seen["hot"] is not None else 0
    largest = int(seen["largest"]) if seen is not None and seen["largest"] is not None else 0
    return pairs, CandidateStats(pairs=count, hot_buckets=hot, largest_bucket=largest)
