"""Scores of a clustering and of boilerplate spans against gold labels.

Clusterings are compared as labellings: two parallel sequences giving each document's gold and
predicted cluster (any hashable labels; only equality matters). Everything is computed from
the contingency table (how many documents each gold cluster shares with each predicted one),
in O(n log n) with numpy, never by enumerating pairs: a 100,000-document corpus with one big
cluster would have billions of pairs.

* **Pairwise** precision and recall count *pairs of documents*: a pair is predicted when its
  two documents share a predicted cluster, gold when they share a gold cluster. This is what a
  user of a deduplicator feels: every predicted pair is a claim "these two are copies".
* **Adjusted Rand Index** (Hubert and Arabie, 1985) is the Rand index corrected for chance:
  1 for identical partitions, about 0 for a random one with the same cluster sizes, negative
  when worse than chance. It also rewards agreeing on singletons, which pairwise scores ignore.
* **Character-level** boilerplate scores count the characters of the predicted and gold spans
  (overlaps within one side merged first).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Scores:
    """Precision, recall and F1 over counted items (pairs or characters).

    With nothing predicted, precision is 1.0 (no claim was wrong); with nothing gold, recall is
    1.0 (nothing was missed). F1 is their harmonic mean, 0.0 when both are 0.
    """

    true_positives: int
    predicted: int
    gold: int

    @property
    def precision(self) -> float:
        """Share of the predicted items that are gold."""
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        """Share of the gold items that were predicted."""
        return self.true_positives / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, float | int]:
        """JSON-ready figures (ratios rounded to 6 digits)."""
        return {
            "precision": round(self.precision, 6),
            "recall": round(self.recall, 6),
            "f1": round(self.f1, 6),
            "true_positives": self.true_positives,
            "predicted": self.predicted,
            "gold": self.gold,
        }


@dataclass(frozen=True, slots=True)
class Contingency:
    """Cluster sizes of two labellings of the same documents, and of their overlaps.

    ``cells`` holds one count per (gold cluster, predicted cluster) pair that shares at least
    one document; ``gold_sizes`` and ``predicted_sizes`` the size of every cluster of each side.
    """

    cells: np.ndarray
    gold_sizes: np.ndarray
    predicted_sizes: np.ndarray

    @classmethod
    def of(cls, gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> Contingency:
        """Count the overlaps of two labellings given in the same document order."""
        if len(gold) != len(predicted):
            raise ValueError(
                f"labellings differ in length ({len(gold)} gold, {len(predicted)} predicted)"
            )
        g = _codes(gold)
        p = _codes(predicted)
        if g.size == 0:
            empty = np.zeros(0, dtype=np.int64)
            return cls(empty, empty, empty)
        width = int(p.max()) + 1
        _, cells = np.unique(g * width + p, return_counts=True)
        return cls(cells.astype(np.int64), np.bincount(g), np.bincount(p))

    @property
    def documents(self) -> int:
        """Documents labelled."""
        return int(self.gold_sizes.sum())


def pair_scores(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> Scores:
    """Pairwise precision, recall and F1 of a predicted clustering."""
    table = Contingency.of(gold, predicted)
    return Scores(_pairs(table.cells), _pairs(table.predicted_sizes), _pairs(table.gold_sizes))


def adjusted_rand_index(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> float:
    """The Adjusted Rand Index of two labellings of the same documents.

    ``(index - expected) / (max - expected)`` with ``index`` the pairs together in both,
    ``expected`` its value under random labellings with the same cluster sizes
    (``gold_pairs * predicted_pairs / all_pairs``) and ``max`` the mean of ``gold_pairs`` and
    ``predicted_pairs``. When ``max == expected`` (both labellings all singletons, or both one
    cluster, or fewer than two documents) the partitions are identical and the index is 1.0.
    Counts are exact Python integers, so no overflow at any corpus size.
    """
    table = Contingency.of(gold, predicted)
    n = table.documents
    index = _pairs(table.cells)
    gold_pairs = _pairs(table.gold_sizes)
    predicted_pairs = _pairs(table.predicted_sizes)
    all_pairs = n * (n - 1) // 2
    if all_pairs == 0:
        return 1.0
    expected = gold_pairs * predicted_pairs / all_pairs
    maximum = (gold_pairs + predicted_pairs) / 2
    if maximum == expected:
        return 1.0
    return float((index - expected) / (maximum - expected))


def span_scores(pairs: Iterable[tuple[Sequence[Span], Sequence[Span]]]) -> Scores:
    """Character-level scores over documents, given ``(gold spans, predicted spans)`` each.

    Spans are half-open ``(start, end)`` character offsets; overlapping or touching spans of
    one side are merged, so a character counts once.
    """
    true_positives = predicted = gold = 0
    for gold_spans, predicted_spans in pairs:
        g = merge_spans(gold_spans)
        p = merge_spans(predicted_spans)
        gold += sum(e - s for s, e in g)
        predicted += sum(e - s for s, e in p)
        true_positives += _overlap(g, p)
    return Scores(true_positives, predicted, gold)


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Sorted, non-overlapping spans covering the same characters (empty spans dropped)."""
    merged: list[Span] = []
    for start, end in sorted((int(s), int(e)) for s, e in spans if e > s):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _overlap(a: list[Span], b: list[Span]) -> int:
    """Characters covered by both of two merged span lists (one merge walk)."""
    i = j = total = 0
    while i < len(a) and j < len(b):
        lo = max(a[i][0], b[j][0])
        hi = min(a[i][1], b[j][1])
        total += max(0, hi - lo)
        if a[i][1] <= b[j][1]:
            i += 1
        else:
            j += 1
    return total


def _codes(labels: Sequence[Hashable]) -> np.ndarray:
    """Dense integer codes 0..k-1 of arbitrary hashable labels, in first-seen order."""
    seen: dict[Hashable, int] = {}
    return np.fromiter((seen.setdefault(x, len(seen)) for x in labels), np.int64, len(labels))


def _pairs(sizes: np.ndarray) -> int:
    """Sum over ``sizes`` of ``size * (size - 1) / 2``, as an exact integer."""
    return sum(int(s) * (int(s) - 1) // 2 for s in sizes.tolist())
