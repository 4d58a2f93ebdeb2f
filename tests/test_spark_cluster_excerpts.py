"""Spark's distributed clustering rounds apply the excerpt rule exactly as star_clusters does.

Every test clusters a graph of verified pairs with relations by the Spark stage in rounds
(``local_finish=0``: nothing finished on the driver, unless a test hands the rest over) and
compares with :func:`dedup.cluster.star_clusters` given the same relations.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from dedup.cluster import star_clusters
from tests._spark_support import CONTAINS, COPY, INSIDE, random_graph, spark_stars


def graph(*edges: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``left, right, relation`` arrays from ``(left, right, relation code)`` edges."""
    left, right, codes = (np.array([e[k] for e in edges], dtype=np.int64) for k in range(3))
    return left, right, codes.astype(np.int8)


def test_a_brief_published_first_joins_its_best_ranked_container(spark: Any) -> None:
    """Brief 0, ranked first, is contained in articles 1..3: in rounds too it joins article 1's
    star and the articles stay apart (the rounds once made the brief their centre)."""
    left, right, relation = graph((0, 1, INSIDE), (0, 2, INSIDE), (3, 0, CONTAINS))
    canon, _ = spark_stars(spark, np.arange(4), left, right, relation)
    assert canon.tolist() == [1, 1, 2, 3]


def test_nested_excerpts_published_innermost_first(spark: Any) -> None:
    """Document i is contained in i + 1 and ranked i: the outermost takes the one inside it,
    then stars alternate down the chain, as star_clusters visits them."""
    left, right, relation = graph(*((i, i + 1, INSIDE) for i in range(3)))
    expected = star_clusters(np.arange(4), left, right, relation)
    canon, _ = spark_stars(spark, np.arange(4), left, right, relation)
    assert expected.tolist() == [1, 1, 3, 3]
    assert np.array_equal(canon, expected)


def test_an_excerpt_joins_a_copy_visited_before_its_container(spark: Any) -> None:
    """0 is in 2, 1 and 2 are in 3, 0 and 1 are copies, 4 takes 3 first. 1 and 2 wait for 3;
    then 1 (better-ranked than 2) founds and takes 0, which still waits for 2. A visit order
    that put 0 at 3's turn by its own rank would let 0 found and take 1."""
    rank = np.array([1, 2, 3, 4, 0])
    left, right, relation = graph(
        (0, 2, INSIDE), (1, 3, INSIDE), (2, 3, INSIDE), (0, 1, COPY), (4, 3, COPY)
    )
    expected = star_clusters(rank, left, right, relation)
    canon, _ = spark_stars(spark, rank, left, right, relation)
    assert expected.tolist() == [1, 1, 2, 4, 4]
    assert np.array_equal(canon, expected)


@pytest.mark.parametrize(("seed", "excerpts_first"), [(1, True), (3, False)])
def test_random_graphs_with_excerpts_cluster_as_locally(
    spark: Any, seed: int, excerpts_first: bool
) -> None:
    """On random graphs of copies and chained containments the rounds give star_clusters'
    canonicals exactly, excerpts ranked before their containers or at random."""
    rank, left, right, relation = random_graph(seed, excerpts_first)
    expected = star_clusters(rank, left, right, relation)
    canon, _ = spark_stars(spark, rank, left, right, relation)
    assert np.array_equal(canon, expected)


def test_the_driver_finishes_the_rounds_with_excerpts_as_locally(spark: Any) -> None:
    """With ``local_finish`` one pair short of the graph, the driver computes the visit order,
    one round runs, and the driver finishes the rest by star_clusters on the vertices named in
    visit order: the same answer."""
    rank, left, right, relation = random_graph(4, excerpts_first=True)
    expected = star_clusters(rank, left, right, relation)
    canon, rounds = spark_stars(spark, rank, left, right, relation, len(left) - 1)
    assert rounds >= 1
    assert np.array_equal(canon, expected)
