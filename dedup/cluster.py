"""Clusters from verified pairs, with a guard against chaining.

Plain connected components (union-find over every verified pair) glue unrelated stories
together through chains of weak matches: A~B and B~C put A and C in one cluster even when A and C
share nothing. dedup instead builds *stars*: documents are visited in canonical order, and each
document not yet in a cluster founds one and takes in every unclustered document it verifies
against directly. So every member of a cluster verifies against the cluster's canonical
document, and the result depends only on the pairs and the order, never on input order or on
how the work was split across processes.

Canonical order (best first): earliest ``published`` (documents without a date come after all
dated ones), then the longest text, then the smallest id. The earliest publication is the
likeliest original; among undated copies the longest is the most complete.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit

from dedup import _numba_start  # noqa: F401  (before any kernel runs: no BLAS probe)

_NO_DATE = "\uffff"  # sorts after every ISO date


def canonical_order(
    ids: Sequence[str], published: Sequence[str | None], lengths: Sequence[int]
) -> np.ndarray:
    """Rank of each document in canonical order (0 = the most canonical)."""
    if not len(ids) == len(published) == len(lengths):
        raise ValueError("ids, published and lengths must have one entry per document")
    keys = sorted(
        range(len(ids)),
        key=lambda i: (published[i] or _NO_DATE, -lengths[i], ids[i]),
    )
    rank = np.empty(len(ids), dtype=np.int64)
    rank[np.asarray(keys, dtype=np.int64)] = np.arange(len(ids), dtype=np.int64)
    return rank


@njit(cache=True, nogil=True)
def _stars(rank: np.ndarray, indptr: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
    n = rank.shape[0]
    order = np.argsort(rank)
    canon = np.full(n, -1, dtype=np.int64)
    for i in order:
        if canon[i] >= 0:
            continue
        canon[i] = i
        for k in range(indptr[i], indptr[i + 1]):
            j = neighbours[k]
            if canon[j] < 0:
                canon[j] = i
    return canon


def star_clusters(rank: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The canonical document of every document, from verified pairs ``(left[k], right[k])``.

    ``rank`` is :func:`canonical_order`'s result. Returns ``canon`` with ``canon[i]`` the index
    of document ``i``'s canonical (``canon[i] == i`` for canonicals and singletons).
    """
    n = rank.shape[0]
    if left.shape != right.shape:
        raise ValueError(f"left and right differ in length ({left.shape} vs {right.shape})")
    a = np.concatenate([left, right]).astype(np.int64)
    b = np.concatenate([right, left]).astype(np.int64)
    if a.size and (a.min() < 0 or a.max() >= n):
        raise ValueError("pair index out of range")
    neighbours = b[np.argsort(a, kind="stable")]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(a, minlength=n), out=indptr[1:])
    canon: np.ndarray = _stars(np.ascontiguousarray(rank), indptr, neighbours)
    return canon
