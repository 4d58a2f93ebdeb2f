"""Specification of dedup.cluster: canonical order and star clustering without chaining."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from dedup.cluster import canonical_order, star_clusters


def pairs(*edges: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    left = np.array([a for a, _ in edges], dtype=np.int64)
    right = np.array([b for _, b in edges], dtype=np.int64)
    return left, right


def order_of(rank: np.ndarray) -> list[int]:
    return np.argsort(rank).tolist()


# --- Canonical order -----------------------------------------------------------------------


def test_dated_documents_come_before_undated_ones():
    """Any dated document is more canonical than every undated one, however long."""
    rank = canonical_order(["a", "b"], [None, "2024-05-01T00:00:00Z"], [10_000, 10])
    assert order_of(rank) == [1, 0]


def test_earlier_publication_comes_first():
    """Among dated documents the earliest is the most canonical."""
    published = ["2024-05-02T00:00:00Z", "2023-12-31T23:59:59Z", "2024-05-01T12:00:00Z"]
    assert order_of(canonical_order(["a", "b", "c"], published, [1, 1, 1])) == [1, 2, 0]


def test_longer_text_comes_first_on_equal_dates():
    """With equal (or no) dates, the longest text is the most canonical."""
    assert order_of(canonical_order(["a", "b", "c"], [None] * 3, [100, 300, 200])) == [1, 2, 0]
    same = ["2024-01-01T00:00:00Z"] * 2
    assert order_of(canonical_order(["a", "b"], same, [5, 50])) == [1, 0]


def test_smallest_id_breaks_remaining_ties():
    """With equal dates and lengths, the smallest id wins."""
    assert order_of(canonical_order(["b", "c", "a"], [None] * 3, [7, 7, 7])) == [2, 0, 1]


def test_empty_date_counts_as_undated():
    """An empty published string is treated like a missing one."""
    rank = canonical_order(["a", "b"], ["", "2024-01-01T00:00:00Z"], [100, 1])
    assert order_of(rank) == [1, 0]


def test_rank_is_a_permutation():
    """Ranks are 0..n-1, each once, and an empty input gives an empty rank."""
    rank = canonical_order([str(i) for i in range(50)], [None] * 50, list(range(50)))
    assert sorted(rank.tolist()) == list(range(50))
    assert canonical_order([], [], []).shape == (0,)


# --- Star clusters -------------------------------------------------------------------------


def test_chaining_guard():
    """A~B and B~C with A and C not linked: C is not in A's cluster."""
    rank = np.array([0, 1, 2])  # A, B, C in canonical order
    canon = star_clusters(rank, *pairs((0, 1), (1, 2)))
    assert canon.tolist() == [0, 0, 2]


def test_members_join_their_most_canonical_match():
    """A document matching two canonicals joins the more canonical one."""
    rank = np.array([2, 0, 1])  # document 1 first, then 2, then 0
    canon = star_clusters(rank, *pairs((0, 2), (0, 1)))
    assert canon.tolist() == [1, 1, 2]


def test_singletons_are_their_own_canonical():
    """Without pairs, every document is its own cluster."""
    assert star_clusters(np.array([1, 0, 2]), *pairs()).tolist() == [0, 1, 2]


def test_self_and_repeated_pairs_change_nothing():
    """Self-pairs and repeated pairs in either direction are harmless."""
    rank = np.array([0, 1, 2, 3])
    a = star_clusters(rank, *pairs((0, 1), (2, 3)))
    b = star_clusters(rank, *pairs((0, 1), (1, 0), (0, 1), (2, 2), (3, 2), (1, 1)))
    assert a.tolist() == b.tolist() == [0, 0, 2, 2]


def random_graph(seed: int, n: int = 60, m: int = 120) -> tuple[np.ndarray, list[tuple[int, int]]]:
    rng = random.Random(seed)
    rank = np.array(rng.sample(range(n), n), dtype=np.int64)
    edges = [tuple(rng.sample(range(n), 2)) for _ in range(m)]
    return rank, edges  # type: ignore[return-value]


@pytest.mark.parametrize("seed", range(5))
def test_clusters_do_not_depend_on_edge_order(seed):
    """Shuffling the pairs or swapping their sides gives the same clusters."""
    rank, edges = random_graph(seed)
    expected = star_clusters(rank, *pairs(*edges)).tolist()
    rng = random.Random(seed + 100)
    for _ in range(5):
        shuffled = [(b, a) if rng.random() < 0.5 else (a, b) for a, b in edges]
        rng.shuffle(shuffled)
        assert star_clusters(rank, *pairs(*shuffled)).tolist() == expected


@pytest.mark.parametrize("seed", range(5))
def test_every_member_verifies_against_its_canonical(seed):
    """Each member is directly paired with its cluster's canonical, which is its own canonical
    and ranks before it."""
    rank, edges = random_graph(seed)
    canon = star_clusters(rank, *pairs(*edges))
    linked = {frozenset(e) for e in edges}
    for i, c in enumerate(canon.tolist()):
        assert canon[c] == c
        if c != i:
            assert frozenset((i, c)) in linked
            assert rank[c] < rank[i]


def test_canonicals_are_never_linked_to_an_earlier_canonical():
    """A document founds a cluster only if no earlier canonical matched it (greedy stars)."""
    rank, edges = random_graph(7)
    canon = star_clusters(rank, *pairs(*edges))
    canonicals = {i for i, c in enumerate(canon.tolist()) if c == i}
    for a, b in itertools.combinations(sorted(canonicals), 2):
        assert frozenset((a, b)) not in {frozenset(e) for e in edges}


def test_pairs_out_of_range_are_rejected():
    """A pair naming a document outside 0..n-1 is a ValueError."""
    with pytest.raises(ValueError, match="out of range"):
        star_clusters(np.array([0, 1]), *pairs((0, 2)))
    with pytest.raises(ValueError, match="out of range"):
        star_clusters(np.array([0, 1]), *pairs((-1, 1)))
