"""The Spark clustering stage alone, in distributed rounds, on a generated verified-pair graph.

The whole-job benchmark (``spark_bench``) seldom has a graph of more than ``local_finish``
pairs, so its clustering runs on the driver. This one builds a graph big enough for the
rounds: ``--pairs`` pairs among ``--docs`` documents, each pair between documents at most 20
positions apart (local stories that chain into each other), a ``--containment`` share of them
an excerpt and its container (the smaller of two random sizes is the excerpt, so chains of
excerpts occur), ranks a random permutation (so excerpts are often published first). It times
:func:`dedup.engines.spark.cluster.star_canonicals` with the default ``local_finish`` and with
``local_finish=0`` (rounds only), and counts the documents whose canonical differs from
:func:`dedup.cluster.star_clusters` with the pairs' relations (the local engine's answer).

Run: ``python -m benchmarks.spark_cluster_bench [--pairs 200000] [--docs 150000]
[--containment 0.1] [--repeats 2] [--master 'local[2]']`` (needs the ``spark`` extra and Java).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from benchmarks._common import machine
from dedup.cluster import star_clusters
from dedup.types import Relation
from dedup.verify import RELATIONS

_COPY = RELATIONS.index(Relation.NEAR_DUPLICATE)
_CONTAINS = RELATIONS.index(Relation.CONTAINS)
_INSIDE = RELATIONS.index(Relation.CONTAINED_IN)


def make_graph(
    docs: int, pairs: int, containment: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``rank, left, right, relation``: distinct pairs ``left < right`` and their codes."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, docs, size=2 * pairs)
    b = (a + rng.integers(1, 21, size=a.shape[0])) % docs
    both = np.unique(np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1), axis=0)
    both = both[rng.permutation(both.shape[0])[:pairs]]
    left, right = both[:, 0].astype(np.int64), both[:, 1].astype(np.int64)
    size = rng.permutation(docs)
    relation = np.full(left.shape[0], _COPY, dtype=np.int8)
    excerpt = rng.random(left.shape[0]) < containment
    relation[excerpt & (size[left] > size[right])] = _CONTAINS
    relation[excerpt & (size[left] < size[right])] = _INSIDE
    return rng.permutation(docs).astype(np.int64), left, right, relation


def spark_canon(
    spark: Any,
    rank: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    relation: np.ndarray,
    local_finish: int,
) -> tuple[np.ndarray, int, float]:
    """``canon`` by the Spark stage, its rounds and its seconds (the inputs built beforehand)."""
    from dedup.engines.spark.cluster import star_canonicals

    verified = spark.createDataFrame(
        list(zip(left.tolist(), right.tolist(), relation.tolist(), strict=True)),
        "left bigint, right bigint, relation byte",
    ).localCheckpoint(eager=True)
    ranks = spark.createDataFrame(
        list(zip(range(rank.shape[0]), rank.tolist(), strict=True)), "pos bigint, rank bigint"
    ).localCheckpoint(eager=True)
    start = time.perf_counter()
    moved, rounds = star_canonicals(verified, ranks, left.shape[0], local_finish)
    seconds = time.perf_counter() - start
    canon = np.arange(rank.shape[0], dtype=np.int64)
    for row in moved.collect():
        canon[row["pos"]] = row["canon_pos"]
    return canon, rounds, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=200_000)
    parser.add_argument("--docs", type=int, default=150_000)
    parser.add_argument("--containment", type=float, default=0.1)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()
    from dedup.engines.spark import start_session

    print(f"machine: {machine()}")
    rank, left, right, relation = make_graph(args.docs, args.pairs, args.containment, seed=1)
    inside = int(np.count_nonzero(relation != _COPY))
    print(f"graph: {left.shape[0]} pairs ({inside} containments) among {args.docs} documents")
    expected = star_clusters(rank, left, right, relation)
    spark = start_session(args.master, app_name="dedup cluster bench")
    try:
        small = make_graph(2_000, 3_000, args.containment, seed=2)
        spark_canon(spark, *small, local_finish=0)  # warm-up: the JVM compiles the plans' code
        print(f"\n{'local_finish':<14}{'rounds':>8}{'seconds':>10}{'differ':>9}")
        for _ in range(args.repeats):
            for local_finish in (100_000, 0):
                canon, rounds, seconds = spark_canon(
                    spark, rank, left, right, relation, local_finish
                )
                differ = int(np.count_nonzero(canon != expected))
                print(f"{local_finish:<14}{rounds:>8}{seconds:>10.1f}{differ:>9}")
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
