"""Array helpers the hot paths share."""

from __future__ import annotations

from typing import Literal

import numpy as np


def sorted_unique(
    values: np.ndarray, kind: Literal["quicksort", "stable"] = "quicksort"
) -> np.ndarray:
    """The distinct values of a 1-D array, sorted: ``np.unique(values)``, by sorting a copy.

    NumPy 2.3 and later find distinct values with a hash table and sort them afterwards; for
    the integer codes and hashes of this package that is several times slower than sorting.
    ``kind="stable"`` suits values that are concatenated sorted runs, which a merge sort takes
    in one pass each: the candidates stage's 631,508 codes of 32 bands take 8 ms against 167
    ms for ``np.unique`` (NumPy 2.4, ``python -m benchmarks.bulk_parts``).
    """
    ordered = np.sort(values, kind=kind)
    if ordered.shape[0] < 2:
        return ordered
    first = np.empty(ordered.shape[0], dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]


def in_sorted(values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Whether each of ``values`` is in ``wanted`` (sorted ``int64``): ``np.isin``, by binary
    search.

    ``np.isin`` sorts (or hashes) both arrays together at every call. The inversions ask it
    whether a lookup's thousands of row numbers are among a few hundred dead rows at every
    lookup: after a service deleted 100 documents from 100,000, that took 0.86 ms of each
    post's writing (cProfile, by hand); searching the sorted dead rows takes a fraction.
    """
    if wanted.shape[0] == 0:
        return np.zeros(values.shape[0], dtype=bool)
    keys = values.astype(np.int64, copy=False)
    found = np.minimum(np.searchsorted(wanted, keys), wanted.shape[0] - 1)
    hit: np.ndarray = wanted[found] == keys
    return hit


def in_ranges(values: np.ndarray, firsts: np.ndarray, lasts: np.ndarray) -> np.ndarray:
    """Whether each of ``values`` lies in a range ``firsts[i]..lasts[i]`` (both ends in; the
    ranges sorted by ``firsts`` and apart), by binary search."""
    if firsts.shape[0] == 0:
        return np.zeros(values.shape[0], dtype=bool)
    keys = values.astype(np.int64, copy=False)
    k = np.searchsorted(firsts, keys, side="right") - 1
    hit: np.ndarray = (k >= 0) & (keys <= lasts[np.maximum(k, 0)])
    return hit
