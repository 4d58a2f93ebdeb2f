"""Specification of dedup.cluster's rule for excerpts: one waits for the documents containing it."""

from __future__ import annotations

import random

import numpy as np
import pytest

from dedup.cluster import star_clusters
from dedup.types import Relation
from dedup.verify import RELATIONS

COPY = RELATIONS.index(Relation.NEAR_DUPLICATE)
CONTAINS = RELATIONS.index(Relation.CONTAINS)  # left contains right
INSIDE = RELATIONS.index(Relation.CONTAINED_IN)  # left is contained in right


def stars(rank: list[int], *edges: tuple[int, int, int]) -> list[int]:
    """star_clusters over ``(left, right, relation code)`` edges, as a list."""
    left, right, codes = (np.array([e[k] for e in edges], dtype=np.int64) for k in range(3))
    canon: list[int] = star_clusters(np.array(rank), left, right, codes.astype(np.int8)).tolist()
    return canon


def test_a_brief_quoted_by_unrelated_articles_joins_the_best_ranked_one():
    """Brief 0, published first, is contained in articles 1..3: it joins article 1's star, and
    the articles stay apart."""
    canon = stars([0, 1, 2, 3], (0, 1, INSIDE), (0, 2, INSIDE), (3, 0, CONTAINS))
    assert canon == [1, 1, 2, 3]


def test_without_relations_every_pair_counts_as_a_copy():
    """relation=None: the first-ranked document takes every neighbour, containers included."""
    canon = star_clusters(np.array([0, 1, 2]), np.array([0, 0]), np.array([1, 2]))
    assert canon.tolist() == [0, 0, 0]


def test_an_excerpt_founds_a_star_once_its_containers_joined_others():
    """Excerpt 0 is contained in 2 only, which is a copy of 1: 1 takes 2, then 0 founds."""
    assert stars([0, 1, 2], (0, 2, INSIDE), (1, 2, COPY)) == [0, 1, 1]


def test_copies_of_an_excerpt_go_with_it_to_its_container():
    """Excerpt 0 and its copy 1 are both contained in 2: neither founds before 2 takes them."""
    assert stars([0, 1, 2], (0, 1, COPY), (0, 2, INSIDE), (1, 2, INSIDE)) == [2, 2, 2]


def test_nested_excerpts_wait_for_the_outermost_container():
    """0 in 1 in 2 (and 0 in 2): the whole story 2 takes both excerpts."""
    assert stars([0, 1, 2], (0, 1, INSIDE), (1, 2, INSIDE), (0, 2, INSIDE)) == [2, 2, 2]


def _random_edges(
    seed: int, n: int = 60, m: int = 150
) -> tuple[list[int], list[tuple[int, int, int]]]:
    """A random graph whose containments follow a random size order (so never go round)."""
    rng = random.Random(seed)
    rank = rng.sample(range(n), n)
    size = rng.sample(range(n), n)
    edges = []
    for _ in range(m):
        a, b = rng.sample(range(n), 2)
        code = rng.choice((COPY, INSIDE))
        if code == INSIDE and size[a] > size[b]:
            code = CONTAINS
        edges.append((a, b, code))
    return rank, edges


@pytest.mark.parametrize("seed", range(5))
def test_no_canonical_is_an_excerpt_of_another_canonical(seed):
    """An excerpt is never a canonical beside a canonical that contains it, and a container is
    never a member of its excerpt's star."""
    rank, edges = _random_edges(seed)
    canon = stars(rank, *edges)
    for a, b, code in edges:
        part, whole = (a, b) if code == INSIDE else (b, a)
        if code != COPY:
            assert not (canon[part] == part and canon[whole] == whole)
            assert canon[whole] != part  # a container is never in its excerpt's star


@pytest.mark.parametrize("seed", range(5))
def test_clusters_with_relations_do_not_depend_on_edge_order(seed):
    """Shuffling the pairs or swapping their sides (and so their relation) changes nothing."""
    rank, edges = _random_edges(seed)
    expected = stars(rank, *edges)
    rng = random.Random(seed + 100)
    flipped = {COPY: COPY, INSIDE: CONTAINS, CONTAINS: INSIDE}
    for _ in range(5):
        shuffled = [(b, a, flipped[c]) if rng.random() < 0.5 else (a, b, c) for a, b, c in edges]
        rng.shuffle(shuffled)
        assert stars(rank, *shuffled) == expected


def test_relations_of_another_length_are_rejected():
    """One relation per pair, or a ValueError."""
    with pytest.raises(ValueError, match="relation"):
        star_clusters(np.array([0, 1]), np.array([0]), np.array([1]), np.array([], dtype=np.int8))
