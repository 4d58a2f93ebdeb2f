"""Exact similarity of two documents from their stored shingle sets: the verify stage.

LSH proposes candidates; these measures decide. Shingle sets are sorted, de-duplicated uint64
arrays, so one merge walk (linear time, compiled) gives the intersection and everything follows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dedup import _set_kernels
from dedup.types import Relation


@dataclass(frozen=True, slots=True)
class Similarity:
    """Exact set measures of a pair; containment is directional."""

    jaccard: float
    containment_a_in_b: float  # |A & B| / |A|
    containment_b_in_a: float  # |A & B| / |B|

    @classmethod
    def of(cls, a: np.ndarray, b: np.ndarray) -> Similarity:
        """Measures of two sorted, de-duplicated uint64 shingle arrays (empty sets give 0)."""
        inter = int(_set_kernels.intersection_size(a, b)) if a.size and b.size else 0
        return cls.from_counts(inter, int(a.size), int(b.size))

    @classmethod
    def from_counts(cls, inter: int, size_a: int, size_b: int) -> Similarity:
        """Measures from an intersection size and the two set sizes."""
        union = size_a + size_b - inter
        return cls(
            jaccard=inter / union if union else 0.0,
            containment_a_in_b=inter / size_a if size_a else 0.0,
            containment_b_in_a=inter / size_b if size_b else 0.0,
        )

    def relation(self, threshold: float, identical: bool = False) -> Relation | None:
        """The strongest relation this pair reaches at ``threshold``, or None (:func:`classify`)."""
        code = classify(
            np.array([self.jaccard]),
            np.array([self.containment_a_in_b]),
            np.array([self.containment_b_in_a]),
            np.array([identical]),
            threshold,
        )[0]
        return RELATIONS[int(code)]


#: Relation codes used in arrays: ``RELATIONS[code]`` (code 0 is "no relation").
RELATIONS: tuple[Relation | None, ...] = (
    None,
    Relation.DUPLICATE,
    Relation.NEAR_DUPLICATE,
    Relation.CONTAINS,
    Relation.CONTAINED_IN,
    Relation.SHARES_PASSAGES,  # never from classify(): decided by alignment
)


def classify(
    jaccard: np.ndarray,
    a_in_b: np.ndarray,
    b_in_a: np.ndarray,
    identical: np.ndarray,
    threshold: float,
) -> np.ndarray:
    """Relation codes for many pairs at once (indices into :data:`RELATIONS`).

    ``identical`` (equal content hashes) wins over everything; then a copy, ``near_duplicate``:
    Jaccard at the threshold, or *both* containments at it; then the larger containment, so an
    excerpt is ``contained_in`` its source and the source ``contains`` it.

    Both containments count as a copy because light changes spread over a whole text (OCR
    noise in 1 % of the characters, shuffled paragraphs) break shingles on both sides: such a
    copy keeps containments near 0.8 each way while its Jaccard falls to about 0.64 (Jaccard
    is ``1 / (1/c_ab + 1/c_ba - 1)``, below both). Calling it ``contained_in`` would tell an
    editor it is an excerpt; an excerpt has most of its shingles in the source but covers
    little of it, so one containment stays low.
    """
    codes = np.zeros(jaccard.shape[0], dtype=np.int8)
    contained = (a_in_b >= threshold) & (a_in_b >= b_in_a)
    contains = (b_in_a >= threshold) & (b_in_a > a_in_b)
    copy = (jaccard >= threshold) | ((a_in_b >= threshold) & (b_in_a >= threshold))
    codes[contains] = 3
    codes[contained] = 4
    codes[copy] = 2
    codes[identical] = 1
    return codes


def relation_floor(
    size_a: np.ndarray, size_b: np.ndarray, identical: np.ndarray, threshold: float
) -> np.ndarray:
    """A lower bound on the intersection a pair needs for :func:`classify` to relate it.

    Jaccard never exceeds the larger containment, ``inter / min(size_a, size_b)``, so short of
    identical texts a pair needs ``inter >= threshold * min(size_a, size_b)``. The bound is one
    below that product's ceiling: a count under it is at least ``1 / min`` short of the
    threshold, far beyond any rounding of the float divisions :func:`classify` compares. An
    identical pair needs nothing (0), nor does a pair with an empty set.
    """
    smaller = np.minimum(size_a, size_b).astype(np.float64)
    floor = np.ceil(threshold * smaller).astype(np.int64) - 1
    return np.where(identical, 0, np.maximum(floor, 0))


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of two shingle sets."""
    return Similarity.of(a, b).jaccard


def containment(a: np.ndarray, b: np.ndarray) -> float:
    """Exact fraction of ``a``'s shingles that are also in ``b``."""
    return Similarity.of(a, b).containment_a_in_b
