"""The Spark clustering stage on graphs given as numpy arrays, as star_clusters takes them."""

from __future__ import annotations

from typing import Any

import numpy as np

from dedup.types import Relation
from dedup.verify import RELATIONS

COPY = RELATIONS.index(Relation.NEAR_DUPLICATE)
CONTAINS = RELATIONS.index(Relation.CONTAINS)  # left contains right
INSIDE = RELATIONS.index(Relation.CONTAINED_IN)  # left is contained in right


def spark_stars(
    spark: Any,
    rank: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    relation: np.ndarray | None = None,
    local_finish: int = 0,
) -> tuple[np.ndarray, int]:
    """``canon`` by the Spark clustering stage in distributed rounds (none finished on the
    driver with ``local_finish=0``), and the rounds; without ``relation`` every pair a copy."""
    from dedup.engines.spark.cluster import star_canonicals

    n = rank.shape[0]
    codes = np.full(left.shape[0], COPY) if relation is None else relation
    verified = spark.createDataFrame(
        list(zip(left.tolist(), right.tolist(), codes.tolist(), strict=True)),
        "left bigint, right bigint, relation byte",
    )
    ranks = spark.createDataFrame(
        list(zip(range(n), rank.tolist(), strict=True)), "pos bigint, rank bigint"
    )
    moved, rounds = star_canonicals(verified, ranks, len(left), local_finish)
    canon = np.arange(n, dtype=np.int64)
    for row in moved.collect():
        canon[row["pos"]] = row["canon_pos"]
    return canon, rounds


def random_graph(
    seed: int, excerpts_first: bool, n: int = 150, m: int = 260
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``rank, left, right, relation``: pairs between documents at most 6 apart (stories that
    chain), 40 % of them containments by a random size order (so chains of excerpts occur).
    ``excerpts_first`` ranks the smaller documents first, so every excerpt precedes its
    containers; otherwise ranks are random."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n, size=m)
    b = (a + rng.integers(1, 7, size=m)) % n
    both = np.unique(np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1), axis=0)
    left, right = both[:, 0].astype(np.int64), both[:, 1].astype(np.int64)
    size = rng.permutation(n)
    relation = np.full(left.shape[0], COPY, dtype=np.int8)
    excerpt = rng.random(left.shape[0]) < 0.4
    relation[excerpt & (size[left] > size[right])] = CONTAINS
    relation[excerpt & (size[left] < size[right])] = INSIDE
    rank = size.astype(np.int64) if excerpts_first else rng.permutation(n).astype(np.int64)
    return rank, left, right, relation
