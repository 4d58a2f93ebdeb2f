"""The query stage: candidates from buckets, then exact verification (see :mod:`.base`)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dedup import _kernels
from dedup.fingerprint import Fingerprint
from dedup.index._store import Row, Store
from dedup.lsh import Banding
from dedup.types import Match, QueryResult
from dedup.verify import Relation, Similarity

# Candidates pass the vectorised pre-check with this much slack; Similarity.relation decides.
_SLACK = 1e-9


class Filters(NamedTuple):
    """Which stored documents a query may match."""

    self_id: str | None = None  # the query's own id, never a match of itself
    source: str | None = None  # drop matches from this source
    since: str | None = None  # published at or after (stored string order is time order)
    until: str | None = None  # published before

    def keep(self, row: Row) -> bool:
        """True when ``row`` may be a match."""
        if row.id == self.self_id or (self.source is not None and row.source == self.source):
            return False
        if self.since is None and self.until is None:
            return True
        published = row.published
        if published is None:  # undated documents are outside every window
            return False
        return (self.since is None or published >= self.since) and (
            self.until is None or published < self.until
        )


class Matcher:
    """Finds the verified matches of one fingerprint in a store."""

    def __init__(self, store: Store, banding: Banding, cap: int) -> None:
        self._store = store
        self._banding = banding
        self._cap = cap

    def candidates(self, fp: Fingerprint) -> tuple[list[int], int]:
        """Handles sharing a band bucket or the content hash with ``fp``, and the number of
        buckets cut short at the cap."""
        if fp.empty:
            return [], 0
        found = self._store.buckets(self._banding.keys(fp.signature[None, :]), self._cap)
        same, more = self._store.same_content(fp.content_hash, self._cap)
        return sorted(found.docs(0) | set(same)), int(found.truncated.sum()) + int(more)

    def match(self, fp: Fingerprint, filters: Filters, threshold: float) -> QueryResult:
        """Verified matches of ``fp`` at ``threshold``, best first."""
        handles, truncated = self.candidates(fp)
        rows = [r for r in self._store.rows(handles).values() if filters.keep(r)]
        # Identical normalised text needs no shingles: it is a duplicate.
        matches = [
            Match(r.id, Relation.DUPLICATE, 1.0, 1.0, 1.0)
            for r in rows
            if r.content_hash == fp.content_hash
        ]
        others = [r for r in rows if r.content_hash != fp.content_hash]
        shingles = self._store.shingles([r.handle for r in others])
        others = [r for r in others if r.handle in shingles]  # unless removed meanwhile
        for i, sim, relation in verify(
            fp.shingles, [shingles[r.handle] for r in others], threshold
        ):
            matches.append(
                Match(
                    others[i].id,
                    relation,
                    sim.jaccard,
                    sim.containment_a_in_b,
                    sim.containment_b_in_a,
                )
            )
        matches.sort(key=Match.sort_key)
        return QueryResult(tuple(matches), candidates=len(handles), truncated_buckets=truncated)


def verify(
    query: np.ndarray, others: list[np.ndarray], threshold: float
) -> list[tuple[int, Similarity, Relation]]:
    """``(i, similarity, relation)`` for each shingle set of ``others`` related to ``query``.

    All intersections come from one compiled call over the sets laid end to end (a hot bucket
    brings a thousand candidates: one call per pair would cost more than the merge walks), and
    only the pairs that pass the threshold become :class:`Similarity` objects.
    """
    if not others or query.size == 0:
        return []
    sizes = np.array([query.shape[0]] + [s.shape[0] for s in others], dtype=np.int64)
    offsets = np.zeros(sizes.shape[0] + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    flat = np.concatenate([query, *others]).astype(np.uint64, copy=False)
    right = np.arange(1, sizes.shape[0], dtype=np.int64)
    inter = _kernels.pair_intersections(flat, offsets, np.zeros_like(right), right)
    size_b = sizes[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        best = np.maximum(
            inter / (sizes[0] + size_b - inter), np.maximum(inter / sizes[0], inter / size_b)
        )
    out = []
    for i in np.flatnonzero(best >= threshold - _SLACK).tolist():
        sim = Similarity.from_counts(int(inter[i]), int(sizes[0]), int(size_b[i]))
        relation = sim.relation(threshold)
        if relation is not None:
            out.append((i, sim, relation))
    return out
