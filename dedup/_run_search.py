"""Searching a run of :mod:`dedup._postings`: where a query's hashes lie in it, through its
directory and its filter, and the values of those it holds (compiled, one call a run)."""

from __future__ import annotations

import numpy as np
from numba import njit

from dedup import _numba_start  # noqa: F401  (before any kernel runs: no BLAS probe)
from dedup._run_sort import may_hold


@njit(cache=True, nogil=True)
def spans(
    hashes: np.ndarray,
    directory: np.ndarray,
    shift: np.uint64,
    words: np.ndarray,
    filter_shift: np.uint64,
    query: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Where each query hash's pairs start and end: equal hashes share their top bits, so they
    all lie in the directory entry of those bits, searched alone. A hash the run's filter
    (``words``, ``filter_shift``) rules out is not searched for: ``(0, 0)``."""
    lo = np.empty(query.shape[0], dtype=np.int64)
    hi = np.empty(query.shape[0], dtype=np.int64)
    for i in range(query.shape[0]):
        q = query[i]
        if not may_hold(words, filter_shift, q):
            lo[i] = hi[i] = 0
            continue
        entry = q >> shift
        left, right = directory[entry], directory[entry + 1]
        while left < right:  # the first pair not below q
            middle = (left + right) >> 1
            if hashes[middle] < q:
                left = middle + 1
            else:
                right = middle
        lo[i] = left
        right = directory[entry + 1]
        while left < right:  # the first pair above q
            middle = (left + right) >> 1
            if hashes[middle] <= q:
                left = middle + 1
            else:
                right = middle
        hi[i] = left
    return lo, hi


@njit(cache=True, nogil=True)
def find_in(
    hashes: np.ndarray,
    directory: np.ndarray,
    shift: np.uint64,
    words: np.ndarray,
    filter_shift: np.uint64,
    values: np.ndarray,
    query: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`spans` and :func:`gather_wanted` of every query hash, in one call."""
    lo, hi = spans(hashes, directory, shift, words, filter_shift, query)
    return gather_wanted(values, lo, hi, hi > lo)


@njit(cache=True, nogil=True)
def gather_wanted(
    values: np.ndarray, lo: np.ndarray, hi: np.ndarray, wanted: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of the ``wanted`` query hashes in one run: ``(which, values)``, the query
    position of each pair and its value, ``values[lo[i]:hi[i]]`` for each wanted ``i``."""
    total = 0
    for i in range(lo.shape[0]):
        if wanted[i]:
            total += hi[i] - lo[i]
    which = np.empty(total, dtype=np.int64)
    out = np.empty(total, dtype=values.dtype)
    k = 0
    for i in range(lo.shape[0]):
        if wanted[i]:
            for j in range(lo[i], hi[i]):
                which[k] = i
                out[k] = values[j]
                k += 1
    return which, out


@njit(cache=True, nogil=True)
def count_in(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """For each span ``values[lo[i]:hi[i]]`` (ascending), how many of its values are in
    ``wanted`` (sorted, distinct): the shorter side is walked and the other searched."""
    out = np.zeros(lo.shape[0], dtype=np.int64)
    m = wanted.shape[0]
    for i in range(lo.shape[0]):
        a, b = lo[i], hi[i]
        found = 0
        if b - a <= m:
            for j in range(a, b):
                v = np.int64(values[j])
                left, right = 0, m
                while left < right:
                    middle = (left + right) >> 1
                    if wanted[middle] < v:
                        left = middle + 1
                    else:
                        right = middle
                if left < m and wanted[left] == v:
                    found += 1
        else:
            for k in range(m):
                w = wanted[k]
                left, right = a, b
                while left < right:  # the first value not below w
                    middle = (left + right) >> 1
                    if np.int64(values[middle]) < w:
                        left = middle + 1
                    else:
                        right = middle
                start = left
                right = b
                while left < right:  # the first value above w
                    middle = (left + right) >> 1
                    if np.int64(values[middle]) <= w:
                        left = middle + 1
                    else:
                        right = middle
                found += left - start
        out[i] = found
    return out
