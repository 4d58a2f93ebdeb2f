"""The query stage: candidates from buckets, then exact verification (see :mod:`.base`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from dedup import _set_kernels
from dedup.errors import InputError
from dedup.fingerprint import Fingerprint
from dedup.index._store import Row, Store
from dedup.io import window_bound
from dedup.lsh import Banding
from dedup.types import Match, QueryResult, Relation
from dedup.verify import Similarity

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


def window_bounds(since: str | None, until: str | None) -> tuple[str | None, str | None]:
    """``since`` and ``until`` in the stored ``YYYY-MM-DDTHH:MM:SSZ`` form
    (:func:`dedup.io.window_bound`), so that a bound with an offset or a fraction of a second
    compares right with stored dates as a string; :class:`InputError` naming a bad one."""
    bounds: list[str | None] = []
    for name, value in (("since", since), ("until", until)):
        try:
            bounds.append(None if value is None else window_bound(value))
        except (TypeError, ValueError) as exc:
            raise InputError(f"{name}: {exc}") from None
    return bounds[0], bounds[1]


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
        sets = [fp.shingles] + [shingles[r.handle] for r in others]
        found = relations(sets, [0] * len(others), range(1, len(sets)), threshold)
        for r, pair in zip(others, found, strict=True):
            if pair is not None:
                sim, relation = pair
                matches.append(
                    Match(
                        r.id,
                        relation,
                        sim.jaccard,
                        sim.containment_a_in_b,
                        sim.containment_b_in_a,
                    )
                )
        matches.sort(key=Match.sort_key)
        return QueryResult(tuple(matches), candidates=len(handles), truncated_buckets=truncated)


def relations(
    sets: Sequence[np.ndarray],
    left: Sequence[int],
    right: Sequence[int],
    threshold: float,
    identical: Sequence[bool] | None = None,
) -> list[tuple[Similarity, Relation] | None]:
    """The similarity and relation of each pair ``(sets[left[k]], sets[right[k]])``, or None.

    All intersections come from one compiled call over the sets laid end to end (a hot bucket
    brings a thousand candidates, and one call per pair would cost more than the merge walks);
    only pairs that pass a vectorised pre-check become :class:`Similarity` objects, and
    :meth:`Similarity.relation` has the last word. ``identical[k]`` marks pairs with equal
    content hashes (duplicates whatever their shingles).
    """
    out: list[tuple[Similarity, Relation] | None] = [None] * len(left)
    if not len(left):
        return out
    sizes = np.fromiter((s.shape[0] for s in sets), dtype=np.int64, count=len(sets))
    offsets = np.zeros(len(sets) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    flat = np.concatenate(sets).astype(np.uint64, copy=False)
    a = np.asarray(left, dtype=np.int64)
    b = np.asarray(right, dtype=np.int64)
    inter = _set_kernels.pair_intersections(flat, offsets, a, b)
    size_a, size_b = sizes[a], sizes[b]
    with np.errstate(divide="ignore", invalid="ignore"):
        best = np.maximum(
            inter / (size_a + size_b - inter), np.maximum(inter / size_a, inter / size_b)
        )
    check = best >= threshold - _SLACK
    if identical is not None:
        check |= np.asarray(identical, dtype=bool)
    for k in np.flatnonzero(check).tolist():
        sim = Similarity.from_counts(int(inter[k]), int(size_a[k]), int(size_b[k]))
        relation = sim.relation(threshold, bool(identical[k]) if identical is not None else False)
        if relation is not None:
            out[k] = (sim, relation)
    return out
