"""Incremental star clusters: where a new document goes, and where documents go when their
canonical leaves.

The rule (the incremental form of :func:`dedup.cluster.star_clusters`):

* A cluster is a star around its *canonical* document, and its id is the canonical's id.
* **Add.** A new document joins the cluster of the best-ranked canonical (in
  :func:`dedup.cluster.canonical_order`: earliest ``published``, then longest text, then smallest
  id) that it *verifies against directly*: identical normalised text, or Jaccard or containment
  either way at or above ``Config.threshold``. A document that verifies against no canonical
  founds a cluster, named after itself. Verifying against a mere member does not count: that is
  the chaining guard, so A~B and B~C never put an unrelated A and C together through B.
* Documents never move while their canonical stays, so cluster ids are stable as documents are
  added; a document that ranks above its canonical (an older original arriving after its
  reprints) joins that cluster rather than taking it over.
* **Remove or update of a canonical.** Its other members become *orphans* and are placed again,
  in canonical order, by the add rule against the clusters that exist at that moment (orphans
  placed earlier in the same pass included). The first orphan that verifies against no
  canonical founds a cluster named after itself, so removing a canonical is the one operation
  that renames a cluster. An update is a remove and an add: the new version is placed first,
  then the orphans, so a corrected canonical usually gets its members (and its cluster id)
  back.
* Documents with an empty fingerprint match nothing and are singletons.

Adding documents in canonical order (for news, in order of publication) therefore gives exactly
the batch star clustering of the same verified pairs; other orders can differ only by which
document of a group became the canonical. Since a document only founds a cluster when it
verifies against no canonical, no two canonicals ever verify against each other (within what
LSH finds and the bucket cap reads).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from dedup.cluster import canonical_order
from dedup.index._store import Entry, Row, Store
from dedup.lsh import Banding
from dedup.verify import Similarity

# What ranking needs of a document: (id, published, length).
_Meta = tuple[str, str | None, int]


class Placer:
    """Decides the cluster of new and orphaned documents (see the module docstring)."""

    def __init__(self, store: Store, banding: Banding, threshold: float, cap: int) -> None:
        self._store = store
        self._banding = banding
        self._threshold = threshold
        self._cap = cap

    def verifies(
        self, shingles: np.ndarray, content_hash: int, other: np.ndarray, other_hash: int
    ) -> bool:
        """True when two documents are linked: identical normalised text or any relation."""
        if content_hash == other_hash:
            return True
        return Similarity.of(shingles, other).relation(self._threshold) is not None

    def place_run(self, entries: Sequence[Entry], keys: np.ndarray) -> list[int]:
        """Canonical handles of a run of just-inserted documents with consecutive handles.

        Each document sees the index as it stood when it was added: the stored documents and
        the run's earlier documents, placed in order, exactly as repeated single adds would.
        """
        if not entries:
            return []
        first = entries[0].handle
        found = self._store.buckets(keys, first, self._cap)
        candidates: list[set[int]] = [set() for _ in entries]
        for q, d in zip(found.query.tolist(), found.doc.tolist(), strict=True):
            candidates[q].add(d)
        # Stored documents never change cluster here, so only stored canonicals are of interest.
        stored = self._store.rows(sorted({d for c in candidates for d in c if d < first}))
        canon_rows = {h: r for h, r in stored.items() if r.canonical == h}
        canon_shingles = self._store.shingles(sorted(canon_rows))

        def meta(h: int) -> _Meta:
            if h >= first:
                doc = entries[h - first].document
                return doc.id, doc.published, len(doc.text)
            row = canon_rows[h]
            return row.id, row.published, row.length

        placed: list[int] = []
        for q, entry in enumerate(entries):
            fp = entry.fingerprint
            verified: list[int] = []
            for c in sorted(candidates[q]) if not fp.empty else ():
                if c >= first:
                    if placed[c - first] != c:
                        continue
                    other = entries[c - first].fingerprint
                    ok = self.verifies(
                        fp.shingles, fp.content_hash, other.shingles, other.content_hash
                    )
                elif c in canon_rows:
                    ok = self.verifies(
                        fp.shingles, fp.content_hash, canon_shingles[c], canon_rows[c].content_hash
                    )
                else:
                    continue
                if ok:
                    verified.append(c)
            placed.append(_best(verified, meta) if verified else entry.handle)
        return placed

    def rehome(self, orphans: Sequence[int]) -> None:
        """Place documents whose canonical was removed, in canonical order, by the add rule."""
        rows = self._store.rows(orphans)
        handles = sorted(rows)
        if not handles:
            return
        rank = canonical_order(
            [rows[h].id for h in handles],
            [rows[h].published for h in handles],
            [rows[h].length for h in handles],
        )
        signatures = self._store.signatures(handles)
        shingles = self._store.shingles(handles)
        for i in np.argsort(rank).tolist():
            h = handles[i]
            self._store.set_canonical([h], [self._rehome_one(rows[h], signatures[h], shingles[h])])

    def _rehome_one(self, row: Row, signature: np.ndarray, shingles: np.ndarray) -> int:
        if shingles.size == 0:
            return row.handle
        found = self._store.buckets(self._banding.keys(signature[None, :]), None, self._cap)
        others = self._store.rows(sorted(set(found.doc.tolist()) - {row.handle}))
        canon = {h: r for h, r in others.items() if r.canonical == h}
        canon_shingles = self._store.shingles(sorted(canon))
        verified = [
            h
            for h in sorted(canon)
            if self.verifies(shingles, row.content_hash, canon_shingles[h], canon[h].content_hash)
        ]
        if not verified:
            return row.handle
        return _best(verified, lambda h: (canon[h].id, canon[h].published, canon[h].length))


def _best(handles: list[int], meta: Callable[[int], _Meta]) -> int:
    """The best-ranked of some canonicals, in :func:`dedup.cluster.canonical_order`."""
    if len(handles) == 1:
        return handles[0]
    ids, published, lengths = zip(*(meta(h) for h in handles), strict=True)
    rank = canonical_order(list(ids), list(published), list(lengths))
    return handles[int(np.argmin(rank))]
