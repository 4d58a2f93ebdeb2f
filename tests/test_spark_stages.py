"""The Spark stages that re-express local algorithms give exactly the local answers.

Candidate generation (hot-bucket rule included) and star clustering (rounds of the rank-ordered
maximal independent set) are compared with :class:`dedup.bulk.CandidatePairs` and
:func:`dedup.cluster.star_clusters` on graphs built to stress them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dedup.bulk import CandidatePairs
from dedup.cluster import star_clusters
from tests._spark_support import spark_stars


def test_candidates_follow_the_local_hot_bucket_rule(spark: Any) -> None:
    """Pairs and bucket statistics equal CandidatePairs.find's, with hot buckets in play."""
    from dedup.engines.spark.candidates import candidate_pairs

    rng = np.random.default_rng(3)
    n, bands = 300, 4
    keys = rng.integers(0, 12, size=(n, bands)).astype(np.uint64)  # large, shared buckets
    keys[:40, 0] = 99  # and one bucket of 40 in band 0
    rank = rng.permutation(n).astype(np.int64)
    size = np.where(np.arange(n) % 17 == 0, 0, 5)  # some documents without shingles
    expected_left, expected_right, expected = CandidatePairs(max_bucket=5).find(
        keys, rank, size > 0
    )
    rows = [(i, int(rank[i]), int(size[i]), keys[i].view(np.int64).tolist()) for i in range(n)]
    frame = spark.createDataFrame(rows, "pos bigint, rank bigint, size bigint, keys array<bigint>")
    pairs, stats = candidate_pairs(frame, max_bucket=5)
    found = sorted((r["left"], r["right"]) for r in pairs.collect())
    assert found == list(zip(expected_left.tolist(), expected_right.tolist(), strict=True))
    assert stats == expected and stats.hot_buckets > 0


def test_a_chain_of_matches_is_cut_into_stars_as_locally(spark: Any) -> None:
    """A chain whose ranks rise along it needs many rounds and still ends like star_clusters."""
    n = 12
    left = np.arange(n - 1, dtype=np.int64)
    right = left + 1
    rank = np.arange(n, dtype=np.int64)  # 0 best: 0 takes 1, 2 takes 3, ...
    expected = star_clusters(rank, left, right)
    assert np.array_equal(spark_stars(spark, rank, left, right)[0], expected)


def test_random_graphs_cluster_as_locally(spark: Any) -> None:
    """On random verified-pair graphs the rounds give star_clusters' canonicals exactly."""
    rng = np.random.default_rng(11)
    n = 200
    pairs = {tuple(sorted(p)) for p in rng.integers(0, n, size=(260, 2)).tolist() if p[0] != p[1]}
    left = np.array([p[0] for p in sorted(pairs)], dtype=np.int64)
    right = np.array([p[1] for p in sorted(pairs)], dtype=np.int64)
    rank = rng.permutation(n).astype(np.int64)
    expected = star_clusters(rank, left, right)
    assert np.array_equal(spark_stars(spark, rank, left, right)[0], expected)


def test_dense_index_numbers_rows_in_order_across_partitions(spark: Any) -> None:
    """dense_index gives 0..n-1 in sort order however the rows are partitioned."""
    from pyspark.sql import functions as F

    from dedup.engines.spark.candidates import dense_index

    values = np.random.default_rng(5).permutation(1000).tolist()
    frame = spark.createDataFrame([(v,) for v in values], "v bigint").repartition(7)
    indexed = dense_index(frame, [F.col("v").desc()], "i").collect()
    assert sorted((r["i"], r["v"]) for r in indexed) == [(i, 999 - i) for i in range(1000)]
