"""Compiled exact set measures: intersections of sorted, de-duplicated uint64 shingle sets.

The verify stage of every path (library, bulk, index, Spark) counts shared shingles here.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def intersection_size(x: np.ndarray, y: np.ndarray) -> int:
    """Size of the intersection of two sorted, de-duplicated uint64 arrays (a merge walk)."""
    i = 0
    j = 0
    count = 0
    while i < x.shape[0] and j < y.shape[0]:
        if x[i] < y[j]:
            i += 1
        elif x[i] > y[j]:
            j += 1
        else:
            count += 1
            i += 1
            j += 1
    return count


@njit(cache=True, nogil=True)
def pair_intersections(
    hashes: np.ndarray, offsets: np.ndarray, left: np.ndarray, right: np.ndarray
) -> np.ndarray:
    """Intersection sizes for many pairs of sets stored in one flat array (bulk verification)."""
    out = np.empty(left.shape[0], dtype=np.int64)
    for p in range(left.shape[0]):
        i = left[p]
        j = right[p]
        out[p] = intersection_size(
            hashes[offsets[i] : offsets[i + 1]], hashes[offsets[j] : offsets[j + 1]]
        )
    return out
