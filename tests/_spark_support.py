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
