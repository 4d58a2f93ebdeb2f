"""The visit order of dedup.engines.spark.visits gives star_clusters' stars without relations.

Named in that order (the driver's computation, pure Python: no Spark needed), the documents of
a graph with containments cluster, every pair a copy, exactly as :func:`star_clusters` does
with the relations; the Spark rounds compute the same keys (test_spark_cluster_excerpts.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from dedup.cluster import star_clusters
from dedup.engines.spark.visits import keys_on_driver, names_on_driver
from tests._spark_support import CONTAINS, INSIDE, random_graph


def visit_names(
    rank: np.ndarray, left: np.ndarray, right: np.ndarray, relation: np.ndarray
) -> np.ndarray:
    """Every document's name in visit order, from its rank and the containments."""
    inside = relation == INSIDE
    contains = relation == CONTAINS
    container = np.concatenate([rank[right[inside]], rank[left[contains]]]).tolist()
    excerpt = np.concatenate([rank[left[inside]], rank[right[contains]]]).tolist()
    names, stride = names_on_driver(keys_on_driver(container, excerpt))
    name_of_rank = np.arange(rank.shape[0], dtype=np.int64) * stride
    for r, name in names:
        name_of_rank[r] = name
    return name_of_rank[rank]


@pytest.mark.parametrize("excerpts_first", [True, False])
def test_stars_in_visit_order_are_star_clusters_with_relations(excerpts_first: bool) -> None:
    """On 300 random graphs of copies and chained containments, ranked excerpts first or at
    random, plain stars in visit order equal star_clusters' with the relations."""
    for seed in range(300):
        rank, left, right, relation = random_graph(seed, excerpts_first, n=40, m=70)
        expected = star_clusters(rank, left, right, relation)
        names = visit_names(rank, left, right, relation)
        assert np.array_equal(star_clusters(names, left, right), expected), seed


def test_an_excerpt_waits_for_its_last_container_then_the_better_ranked_first() -> None:
    """1 and 2 are in 3 (rank 4), 0 is in 2: after 3 come 1, 2, then 0 (the order the local
    kernel's heap gives), all before the document ranked 5."""
    rank = np.array([1, 2, 3, 4, 0, 5])
    left, right = np.array([0, 1, 2]), np.array([2, 3, 3])
    relation = np.full(3, INSIDE, dtype=np.int8)
    names = visit_names(rank, left, right, relation)
    assert np.argsort(names).tolist() == [4, 3, 1, 2, 0, 5]
