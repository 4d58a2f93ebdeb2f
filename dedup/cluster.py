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

An excerpt waits for the documents that contain it. A 30-word wire brief quoted by six
unrelated long articles, or a footer-only page of a failed extraction, is often published
first; visited at its rank it would found a star and take every article that quotes it, and
``deduped.jsonl`` would keep only the brief. So a document ``contained_in`` a neighbour is
visited only after all such neighbours (its *containers*) have been: the first container that
founds a star takes it in (the best-ranked one that founds), and a container never joins the
star of a document it merely contains. An excerpt whose containers all joined other stars
founds its own when the last of them has been visited. Copies (``near_duplicate``, identical)
are unaffected. Containment is strict (an excerpt has fewer shingles than its container), so
the waiting never goes round in a circle.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import numpy as np
from numba import njit

from dedup import _numba_start  # noqa: F401  (before any kernel runs: no BLAS probe)
from dedup.types import Relation
from dedup.verify import RELATIONS

_NO_DATE = "\uffff"  # sorts after every ISO date
_CONTAINS = RELATIONS.index(Relation.CONTAINS)  # left contains right
_CONTAINED_IN = RELATIONS.index(Relation.CONTAINED_IN)  # left is contained in right


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
def _stars(
    rank: np.ndarray,
    indptr: np.ndarray,
    neighbours: np.ndarray,
    inside: np.ndarray,
    holds: np.ndarray,
) -> np.ndarray:
    """Stars in canonical order, each excerpt visited after its containers (module docstring).

    ``inside[k]``: the document owning slot ``k`` is contained in ``neighbours[k]``;
    ``holds[k]``: ``neighbours[k]`` is contained in it. An excerpt whose turn passed while it
    waited goes on a heap of positions, visited before the scan moves on.
    """
    n = rank.shape[0]
    order = np.argsort(rank)
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    waiting = np.zeros(n, dtype=np.int64)  # containers not visited yet
    for i in range(n):
        for k in range(indptr[i], indptr[i + 1]):
            if inside[k]:
                waiting[i] += 1
    canon = np.full(n, -1, dtype=np.int64)
    late = [np.int64(0)]  # typed by its seed, emptied at once
    late.pop()
    for p in range(n):
        if waiting[order[p]] > 0:
            continue  # visited when its last container has been
        heapq.heappush(late, np.int64(p))
        while late:
            i = order[heapq.heappop(late)]
            if canon[i] < 0:
                canon[i] = i
                for k in range(indptr[i], indptr[i + 1]):
                    j = neighbours[k]
                    if canon[j] < 0 and not inside[k]:
                        canon[j] = i
            for k in range(indptr[i], indptr[i + 1]):
                if holds[k]:
                    j = neighbours[k]
                    waiting[j] -= 1
                    if waiting[j] == 0 and position[j] < p:
                        heapq.heappush(late, position[j])
    return canon


def star_clusters(
    rank: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    relation: np.ndarray | None = None,
) -> np.ndarray:
    """The canonical document of every document, from verified pairs ``(left[k], right[k])``.

    ``rank`` is :func:`canonical_order`'s result; ``relation`` the pairs' codes in
    :data:`dedup.verify.RELATIONS` (``left``'s relation to ``right``), which make excerpts
    wait for their containers (None: every pair a copy). Returns ``canon`` with ``canon[i]``
    the index of document ``i``'s canonical (``canon[i] == i`` for canonicals and singletons).
    """
    n = rank.shape[0]
    if left.shape != right.shape:
        raise ValueError(f"left and right differ in length ({left.shape} vs {right.shape})")
    if relation is not None and relation.shape != left.shape:
        raise ValueError(f"relation and left differ in length ({relation.shape} vs {left.shape})")
    a = np.concatenate([left, right]).astype(np.int64)
    b = np.concatenate([right, left]).astype(np.int64)
    if a.size and (a.min() < 0 or a.max() >= n):
        raise ValueError("pair index out of range")
    if relation is None:
        inside = np.zeros(a.shape[0], dtype=np.bool_)
        holds = inside
    else:
        contains, contained = relation == _CONTAINS, relation == _CONTAINED_IN
        inside = np.concatenate([contained, contains])  # a is contained in b
        holds = np.concatenate([contains, contained])  # b is contained in a
    by_a = np.argsort(a, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(a, minlength=n), out=indptr[1:])
    canon: np.ndarray = _stars(
        np.ascontiguousarray(rank),
        indptr,
        b[by_a],
        np.ascontiguousarray(inside[by_a]),
        np.ascontiguousarray(holds[by_a]),
    )
    return canon
