"""Pairwise scores, the Adjusted Rand Index and span scores, against hand-computed cases."""

from __future__ import annotations

import itertools
import random

import pytest

from dedup.evaluate import (
    Contingency,
    Scores,
    adjusted_rand_index,
    merge_spans,
    pair_scores,
    span_scores,
)


def _brute_pairs(labels: list[object]) -> set[tuple[int, int]]:
    return {
        (i, j) for i, j in itertools.combinations(range(len(labels)), 2) if labels[i] == labels[j]
    }


def test_ari_is_one_for_identical_partitions() -> None:
    """Two labellings that group the documents the same way score 1, whatever the names."""
    assert adjusted_rand_index([0, 0, 1, 1, 2], ["x", "x", "y", "y", "z"]) == 1.0


def test_ari_of_a_split_cluster_is_four_sevenths() -> None:
    """gold {a,b}{c,d} vs predicted {a,b}{c}{d}: index 1, expected 1/3, max 3/2 -> 4/7.

    Gold pairs 2, predicted pairs 1, all pairs 6: expected = 2 * 1 / 6 = 1/3, max = (2 + 1)/2,
    so ARI = (1 - 1/3) / (3/2 - 1/3) = (2/3) / (7/6) = 4/7.
    """
    assert adjusted_rand_index([0, 0, 1, 1], [0, 0, 1, 2]) == pytest.approx(4 / 7)


def test_ari_of_crossed_partitions_is_minus_one_half() -> None:
    """gold {a,b}{c,d} vs predicted {a,c}{b,d}: no pair agrees, ARI = (0 - 2/3) / (2 - 2/3)."""
    assert adjusted_rand_index([0, 0, 1, 1], [0, 1, 0, 1]) == pytest.approx(-0.5)


def test_ari_of_one_merged_pair_in_six_documents() -> None:
    """gold {a,b,c}{d,e}{f} vs predicted {a,b}{c}{d,e,f}.

    Cells: (g0,p0)=2, (g0,p1)=1, (g1,p2)=2, (g2,p2)=1 -> index = 1 + 1 = 2. Gold pairs
    3 + 1 = 4, predicted pairs 1 + 3 = 4, all pairs 15: expected = 16/15, max = 4,
    ARI = (2 - 16/15) / (4 - 16/15) = (14/15) / (44/15) = 7/22.
    """
    gold = ["A", "A", "A", "B", "B", "C"]
    predicted = [1, 1, 2, 3, 3, 3]
    assert adjusted_rand_index(gold, predicted) == pytest.approx(7 / 22)


def test_ari_is_one_when_both_are_all_singletons() -> None:
    """All singletons on both sides is full agreement (the chance correction is 0/0)."""
    assert adjusted_rand_index(["a", "b", "c"], [1, 2, 3]) == 1.0


def test_ari_is_symmetric() -> None:
    """Swapping gold and predicted gives the same index."""
    gold = [0, 0, 0, 1, 1, 2, 2, 2, 2]
    predicted = [0, 0, 1, 1, 1, 2, 2, 3, 3]
    assert adjusted_rand_index(gold, predicted) == pytest.approx(
        adjusted_rand_index(predicted, gold)
    )


def test_ari_of_random_labels_is_near_zero() -> None:
    """Labels drawn independently of the gold score about 0 (chance-corrected)."""
    rng = random.Random(7)
    gold = [rng.randrange(50) for _ in range(5000)]
    predicted = [rng.randrange(50) for _ in range(5000)]
    assert abs(adjusted_rand_index(gold, predicted)) < 0.01


def test_pair_scores_count_pairs_of_documents() -> None:
    """gold {a,b,c}{d} vs predicted {a,b}{c,d}: 1 right pair of 2 predicted, of 3 gold."""
    scores = pair_scores(["g", "g", "g", "h"], [1, 1, 2, 2])
    assert (scores.true_positives, scores.predicted, scores.gold) == (1, 2, 3)
    assert scores.precision == pytest.approx(0.5)
    assert scores.recall == pytest.approx(1 / 3)
    assert scores.f1 == pytest.approx(2 * 0.5 * (1 / 3) / (0.5 + 1 / 3))


def test_pair_scores_match_brute_force_enumeration() -> None:
    """On random labellings the contingency counts equal counting every pair."""
    rng = random.Random(3)
    gold = [rng.randrange(12) for _ in range(80)]
    predicted = [rng.randrange(15) for _ in range(80)]
    g, p = _brute_pairs(list(gold)), _brute_pairs(list(predicted))
    scores = pair_scores(gold, predicted)
    assert (scores.true_positives, scores.predicted, scores.gold) == (len(g & p), len(p), len(g))


def test_nothing_predicted_is_full_precision_and_no_recall() -> None:
    """All singletons predicted against real clusters: precision 1 (no wrong claim), recall 0."""
    scores = pair_scores([0, 0, 1, 1], [0, 1, 2, 3])
    assert (scores.precision, scores.recall, scores.f1) == (1.0, 0.0, 0.0)


def test_labellings_of_different_lengths_are_refused() -> None:
    """Comparing labellings of different corpora is a ValueError."""
    with pytest.raises(ValueError, match="differ in length"):
        Contingency.of([0, 1], [0])


def test_span_scores_count_characters() -> None:
    """Gold [0,10) and predicted [5,20): 5 shared characters of 15 predicted and 10 gold."""
    scores = span_scores([([(0, 10)], [(5, 20)])])
    assert (scores.true_positives, scores.predicted, scores.gold) == (5, 15, 10)


def test_span_scores_merge_overlapping_spans_first() -> None:
    """A character covered by two predicted spans counts once."""
    scores = span_scores([([(0, 10)], [(0, 6), (4, 10)])])
    assert scores == Scores(10, 10, 10)


def test_span_scores_sum_over_documents() -> None:
    """Counts add up over documents; predictions in a document without gold are false."""
    scores = span_scores([([(0, 4)], [(0, 4)]), ([], [(0, 6)])])
    assert (scores.true_positives, scores.predicted, scores.gold) == (4, 10, 4)


def test_merge_spans_joins_touching_and_drops_empty() -> None:
    """Touching spans become one; empty spans vanish; output is sorted."""
    assert merge_spans([(8, 9), (0, 3), (3, 5), (6, 6)]) == [(0, 5), (8, 9)]
