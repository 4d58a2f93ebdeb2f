"""Incremental star clusters: where a new document goes, and where documents go when their
canonical leaves.

The rule (the incremental form of :func:`dedup.cluster.star_clusters`):

* A cluster is a star around its *canonical* document, and its id is the canonical's id.
* **Add.** A new document joins the cluster of the best-ranked canonical (in
  :func:`dedup.cluster.canonical_order`: earliest ``published``, then longest text, then smallest
  id) that it *verifies against directly*: identical normalised text, or Jaccard or its own
  containment in the canonical at or above ``Config.threshold`` (a copy, or an excerpt of the
  canonical). A document that only *contains* a canonical does not join it: a long article
  that quotes a stored 30-word brief is not a copy of the brief, and six unrelated articles
  quoting it must not become one cluster named after it (:mod:`dedup.cluster` makes an excerpt
  wait for its containers for the same reason). A document that verifies against no canonical
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
  back. So does a refingerprinted document (same text, another fingerprint), placed anew.
* **Joins after the add.** LSH, tuned to Jaccard similarity, seldom proposes a short excerpt
  of a long story; a post's report finds the story among the reuse candidates, and the
  excerpt, which founded a cluster, then joins the story's by the add rule over those
  (:meth:`Placer.join`: its cluster's members move with it when each verifies against the new
  canonical directly). Placing orphans again offers them the same: given the hook of
  :meth:`~dedup.index.IndexCore.place_with` (a collection's reuse candidates), each orphan
  that founded a cluster, and a refingerprinted document that did (no post follows it), joins
  the best-ranked canonical it verifies against among those the hook names. The joins come
  after every orphan is placed, so that an excerpt finds a container that ranks after it (a
  near-copy of the removed story, dated later) as a canonical: it waits for its containers, as
  in :func:`dedup.cluster.star_clusters`. Only documents placed again move. Without the hook
  (a bare index), orphans are placed by LSH alone, and an excerpt it does not propose founds
  a cluster of its own.
* Documents with an empty fingerprint match nothing and are singletons.

Adding documents in canonical order (for news, in order of publication) therefore gives exactly
the batch star clustering of the same verified pairs when no document contains another; other
orders can differ only by which document of a group became the canonical. An excerpt stored
before its containers stays where it is when they arrive (documents do not move while their
canonical stays), where the batch job, which sees every pair at once, puts it in its best
container's star. Since a document only founds a cluster when it may join no canonical, no
canonical is a copy or an excerpt of another (within what LSH finds and the bucket cap reads).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from dedup._arrays import sorted_unique
from dedup.cluster import canonical_order
from dedup.index._matching import relations
from dedup.index._store import Buckets, Entry, Row, Store
from dedup.lsh import Banding
from dedup.types import Relation
from dedup.verify import Similarity

# What ranking needs of a document: (id, published, length).
_Meta = tuple[str, str | None, int]
#: Given a stored document's id, the ids of documents related to it whole beyond what LSH
#: proposes (:meth:`dedup.index.IndexCore.place_with`).
RelatedWhole = Callable[[str], Sequence[str]]


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
        """True when the first document may join the second's cluster: identical normalised
        text, or a relation other than ``contains`` from its side (:func:`joins`)."""
        if content_hash == other_hash:
            return True
        sim = Similarity.of(shingles, other)
        return joins(sim.jaccard, sim.containment_a_in_b, self._threshold)

    def place_run(self, entries: Sequence[Entry], keys: np.ndarray) -> list[int]:
        """Canonical handles of a run of new documents (consecutive handles, not yet written).

        Each document sees the index as it would after adding the run's earlier documents one
        by one: stored documents come from the store's buckets, the run's earlier documents from
        the run's own buckets (:class:`_RunBuckets`), under the same per-bucket cap.
        """
        if not entries:
            return []
        first = entries[0].handle
        found = self._store.buckets(keys, self._cap)
        run = _RunBuckets(keys, [not e.fingerprint.empty for e in entries], found, self._cap)
        # Stored documents keep their clusters here, so only stored canonicals are of interest:
        # filter each distinct bucket once, then each document unites its buckets' canonicals.
        every = sorted_unique(np.concatenate(found.members)).tolist() if found.members else []
        rows = self._store.rows(every)
        canon_rows = {h: r for h, r in rows.items() if r.canonical == h}
        canon_shingles = self._store.shingles(sorted(canon_rows))
        canon_in = [[h for h in m.tolist() if h in canon_rows] for m in found.members]
        stored = [
            sorted({c for s in found.slot[q].tolist() if s >= 0 for c in canon_in[s]})
            if not e.fingerprint.empty
            else []
            for q, e in enumerate(entries)
        ]
        linked = self._linked_to_stored(entries, stored, canon_rows, canon_shingles)

        def meta(h: int) -> _Meta:
            if h >= first:
                doc = entries[h - first].document
                return doc.id, doc.published, len(doc.text)
            row = canon_rows[h]
            return row.id, row.published, row.length

        placed: list[int] = []
        for q, entry in enumerate(entries):
            fp = entry.fingerprint
            verified = linked[q]
            for r in run.canonicals(q):
                other = entries[r].fingerprint
                if self.verifies(fp.shingles, fp.content_hash, other.shingles, other.content_hash):
                    verified.append(first + r)
            placed.append(_best(verified, meta) if verified else entry.handle)
            if not verified:
                run.founded(q)
        return placed

    def _linked_to_stored(
        self,
        entries: Sequence[Entry],
        stored: list[list[int]],
        rows: dict[int, Row],
        shingles: dict[int, np.ndarray],
    ) -> list[list[int]]:
        """For each run document, the stored canonicals (of ``stored[q]``) it verifies against
        and does not merely contain.

        Every pair is verified in one batch (:func:`~dedup.index._matching.relations`): in news,
        most documents are the canonical of their own cluster, so nearly every LSH candidate
        needs verifying, a few per document.
        """
        # Only the sets of documents with candidates go to the kernel (laid end to end there,
        # so copying every document's set of a 10,000-document run would cost more than the
        # intersections).
        probing = [q for q, cs in enumerate(stored) if cs]
        at = {q: i for i, q in enumerate(probing)}
        column = {c: len(probing) + i for i, c in enumerate(sorted(shingles))}
        left = [q for q, cs in enumerate(stored) for _ in cs]
        right = [c for cs in stored for c in cs]
        sets = [entries[q].fingerprint.shingles for q in probing]
        sets += [shingles[c] for c in sorted(shingles)]
        identical = [
            entries[q].fingerprint.content_hash == rows[c].content_hash
            for q, c in zip(left, right, strict=True)
        ]
        found = relations(
            sets, [at[q] for q in left], [column[c] for c in right], self._threshold, identical
        )
        linked: list[list[int]] = [[] for _ in entries]
        for q, c, pair in zip(left, right, found, strict=True):
            if pair is not None and pair[1] is not Relation.CONTAINS:
                linked[q].append(c)
        return linked

    def join(self, handle: int, related: Sequence[int]) -> int | None:
        """Move the cluster a canonical founded into the cluster of the best-ranked canonical,
        among those of ``related``, that each of its members verifies against directly.

        ``related`` are documents found related to ``handle`` whole after it was placed: LSH,
        tuned to Jaccard similarity, seldom proposes a short excerpt of a long story (a
        Jaccard of a tenth), so the add rule leaves the excerpt founding a cluster; the reuse
        candidates find the story later. This is the add rule with those candidates, and the
        chaining guard holds: only their canonicals count, each verified against directly by
        every member that moves. Copies of the excerpt that joined it meanwhile (a reprint of
        the excerpt, posted at the same moment or loaded before the pairs are placed) move
        with it; a cluster with a member that does not verify against the story, or with more
        members than the bucket cap, keeps its place. Nothing moves unless ``handle`` is a
        canonical. The new canonical, or None.
        """
        rows = self._store.rows([handle, *related])
        row = rows.get(handle)
        if row is None or row.canonical != handle:
            return None
        members = self._store.members(handle)
        if len(members) > self._cap:
            return None
        canon = {c for h in related if h in rows and (c := rows[h].canonical) is not None}
        canon_rows = self._store.rows(sorted(canon - {handle}))
        member_rows = self._store.rows(members)
        sets = self._store.shingles([*members, *canon_rows])

        def joins(c: int) -> bool:
            return all(
                sets[m].size  # an empty document matches nothing
                and self.verifies(sets[m], r.content_hash, sets[c], canon_rows[c].content_hash)
                for m, r in member_rows.items()
            )

        verified = [c for c in canon_rows if joins(c)]
        if not verified:
            return None
        best = _best(verified, lambda h: _meta(canon_rows[h]))
        self._store.set_canonical(list(member_rows), [best] * len(member_rows))
        return best

    def rehome(
        self,
        orphans: Sequence[int],
        related: RelatedWhole | None = None,
        placed: Sequence[int] = (),
    ) -> None:
        """Place documents whose canonical was removed, in canonical order, by the add rule;
        then, with ``related``, each of them (or of ``placed``, documents the add rule placed
        anew) that founded a cluster, in canonical order, :meth:`join` the documents
        ``related`` names for it (the module docstring's joins after the add).

        ``related`` stands for a post's report: without it, an excerpt that had joined its
        story's cluster through the reuse candidates was thrown out into a cluster of its own
        for good whenever the story's cluster was placed again (a correction of the story, a
        new title, its refresh or its deletion, by a tester).
        """
        rows = self._store.rows(orphans)
        handles = sorted(rows)
        if handles:
            signatures = self._store.signatures(handles)
            shingles = self._store.shingles(handles)
            for h in _ranked(rows, handles):
                canonical = self._rehome_one(rows[h], signatures[h], shingles[h])
                self._store.set_canonical([h], [canonical])
        if related is None:
            return
        again = self._store.rows([*handles, *placed])
        for h in _ranked(again, sorted(again)):
            if self._store.rows([h])[h].canonical == h:  # founded a cluster (joins may move it)
                found = self._store.rows_by_id(list(related(again[h].id)))
                self.join(h, [r.handle for r in found.values()])

    def _rehome_one(self, row: Row, signature: np.ndarray, shingles: np.ndarray) -> int:
        if shingles.size == 0:
            return row.handle
        found = self._store.buckets(self._banding.keys(signature[None, :]), self._cap)
        others = self._store.rows(sorted(found.docs(0) - {row.handle}))
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


class _RunBuckets:
    """The band buckets a run of new documents shares among itself, before it is written.

    Document ``q`` of the run reads, in a bucket it shares with earlier run documents, the
    stored documents first (smaller handles) and then the earliest run documents, up to the cap
    in all: exactly what it would read had the run been added one document at a time. Only the
    run documents that founded a cluster matter for placement, so each shared bucket keeps the
    list of those, and a lookup costs nothing for the many documents that share no bucket.
    """

    def __init__(self, keys: np.ndarray, banded: Sequence[bool], found: Buckets, cap: int) -> None:
        # For each document sharing a bucket with other run documents:
        # (bucket, its position there, how many earlier run members it reads there).
        self._reach: dict[int, list[tuple[int, int, int]]] = {}
        self._founders: dict[int, list[tuple[int, int]]] = {}  # bucket -> [(position, doc)]
        n, bands = keys.shape
        if n < 2:  # a run of one shares no bucket with another (every post of the service)
            return
        mask = np.repeat(np.asarray(banded, dtype=bool), bands)
        q = np.repeat(np.arange(n, dtype=np.int64), bands)[mask]
        b = np.tile(np.arange(bands, dtype=np.int64), n)[mask]
        k = np.ascontiguousarray(keys, dtype=np.uint64).reshape(-1)[mask]
        order = np.lexsort((q, k, b))
        q, b, k = q[order], b[order], k[order]
        starts = np.ones(q.shape[0], dtype=bool)
        starts[1:] = (b[1:] != b[:-1]) | (k[1:] != k[:-1])
        group = np.cumsum(starts) - 1
        first_of = np.flatnonzero(starts)
        shared = np.flatnonzero(np.bincount(group)[group] > 1) if q.size else q
        q, b, group = q[shared], b[shared], group[shared]
        position = shared - first_of[group]
        sizes = np.array([m.shape[0] for m in found.members] + [0], dtype=np.int64)
        stored = sizes[found.slot[q, b]]  # slot -1 picks the trailing 0
        room = np.where(found.truncated[q, b], 0, cap - stored)
        reach = np.minimum(position, room)
        for doc, g, pos, r in zip(
            q.tolist(), group.tolist(), position.tolist(), reach.tolist(), strict=True
        ):
            self._reach.setdefault(doc, []).append((g, pos, r))

    def canonicals(self, q: int) -> set[int]:
        """Earlier run documents that founded a cluster and that ``q`` reads in its buckets."""
        found: set[int] = set()
        for g, _, reach in self._reach.get(q, ()):
            found.update(doc for position, doc in self._founders.get(g, ()) if position < reach)
        return found

    def founded(self, q: int) -> None:
        """Record that run document ``q`` founded a cluster."""
        for g, position, _ in self._reach.get(q, ()):
            self._founders.setdefault(g, []).append((position, q))


def joins(jaccard: float, contained: float, threshold: float) -> bool:
    """Whether a document related to a canonical this way may join its cluster: a copy or an
    excerpt of it, not a document that only contains it.

    :func:`dedup.verify.classify` calls a pair a copy at Jaccard or both containments at the
    threshold, and ``contained_in`` at the larger containment there; so, short of identical
    texts, the document is a copy or an excerpt exactly when its own containment in the
    canonical (``contained``, never below the Jaccard) reaches the threshold. Checked on the
    pair's floats directly: the one-pair NumPy arrays of :meth:`Similarity.relation` cost
    more than the merge walk, and a bulk insert verifies tens of thousands of pairs this way.
    """
    return jaccard >= threshold or contained >= threshold


def _ranked(rows: dict[int, Row], handles: list[int]) -> list[int]:
    """``handles`` (of ``rows``) in canonical order."""
    rank = canonical_order(
        [rows[h].id for h in handles],
        [rows[h].published for h in handles],
        [rows[h].length for h in handles],
    )
    return [handles[i] for i in np.argsort(rank).tolist()]


def _meta(row: Row) -> _Meta:
    return row.id, row.published, row.length


def _best(handles: list[int], meta: Callable[[int], _Meta]) -> int:
    """The best-ranked of some canonicals, in :func:`dedup.cluster.canonical_order`."""
    if len(handles) == 1:
        return handles[0]
    ids, published, lengths = zip(*(meta(h) for h in handles), strict=True)
    rank = canonical_order(list(ids), list(published), list(lengths))
    return handles[int(np.argmin(rank))]
