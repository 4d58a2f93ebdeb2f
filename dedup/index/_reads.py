"""What both index backends read, shared: :class:`IndexReads`, the reading half of
:class:`~dedup.index.core.IndexCore` (lookups, queries, clusters) over a
:class:`~dedup.index._store.Store`.

A read that takes more than one of the store's lookups runs them in one snapshot
(:meth:`Store.reading`). The lookups address documents by handle, and a correction, a refresh
or a delete committed between two of them gives the document a new handle or none: its row,
read first, then named a fingerprint or a canonical that was gone (a ``KeyError``, a 500 from a
service's reader), or one version's metadata came with another's fingerprint. Tolerating a
vanished handle would only have hidden the second. Inside a writer's transaction, the
snapshot is that transaction's own.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager

import numpy as np

from dedup.cluster import canonical_order
from dedup.config import Config
from dedup.errors import ConfigError, DocumentNotFoundError, InputError
from dedup.fingerprint import Fingerprint
from dedup.index._inputs import Inputs
from dedup.index._matching import Filters, Matcher, window_bounds
from dedup.index._store import Row, Store, hash_text, same_version
from dedup.index.base import Candidates, QueryInput, StoredDocument
from dedup.io import stored_document
from dedup.types import Document, QueryResult


class IndexReads:
    """The reads of :class:`~dedup.index.core.IndexCore`, which sets these attributes."""

    config: Config
    _store: Store
    _matcher: Matcher
    _inputs: Inputs

    def reading(self) -> AbstractContextManager[None]:
        """A block whose reads all see the index as it was at one moment, whatever another
        connection commits meanwhile (each read of several lookups takes one itself; a
        caller that reads several times, say a report, takes one around them all). Writes
        are refused inside; nested blocks, and blocks inside a write transaction, cost
        nothing."""
        return self._store.reading()

    def holds(self, doc: Document) -> bool:
        """Whether ``doc`` is stored as it is (same id, text and metadata): adding it again
        would be ``UNCHANGED``, which a check reports as a post would."""
        doc = stored_document(doc)
        row = self._store.row(doc.id)
        return row is not None and same_version(row, doc, hash_text(doc.text))

    def get(self, doc_id: str) -> StoredDocument:
        """The stored document ``doc_id``."""
        with self._store.reading():
            row = self._row(doc_id)
            cluster = self._cluster_row(row)
        return StoredDocument(
            row.id, row.source, row.published, row.title, row.length, row.content_hash, cluster.id
        )

    def candidates(self, query: QueryInput) -> Candidates:
        """Ids sharing an LSH bucket or the content hash with ``query``, unverified."""
        fp = self._inputs.fingerprint(query)
        with self._store.reading():
            handles, truncated = self._matcher.candidates(fp)
            rows = self._store.rows(handles)
        return Candidates(tuple(sorted(r.id for r in rows.values())), truncated)

    def query(
        self,
        query: QueryInput,
        *,
        threshold: float | None = None,
        since: str | None = None,
        until: str | None = None,
        exclude_same_source: bool = False,
        fingerprint: Fingerprint | None = None,
    ) -> QueryResult:
        """Verified matches of a text, fingerprint or document, best first.

        ``threshold`` overrides ``Config.threshold`` for this query. ``since`` (inclusive) and
        ``until`` (exclusive) keep documents published in that window: any ISO 8601 date or
        datetime, read as stored dates are (UTC if it gives no offset; see
        :func:`dedup.io.window_bound`); documents without a date are dropped when a window is
        given. A :class:`Document` query never matches the stored document with its own id,
        and ``exclude_same_source`` (which needs a Document) drops matches from its source.
        ``fingerprint`` stands for a Document query's text (say, a fingerprint of its
        boilerplate-aware text) while its id and source still filter.
        """
        if exclude_same_source and not isinstance(query, Document):
            raise InputError("exclude_same_source needs a Document query, whose source it uses")
        fp = (
            self._inputs.check(fingerprint)
            if fingerprint is not None
            else self._inputs.fingerprint(query)
        )
        doc = query if isinstance(query, Document) else None
        since, until = window_bounds(since, until)
        filters = Filters(
            self_id=doc.id if doc else None,
            source=doc.source if doc and exclude_same_source else None,
            since=since,
            until=until,
        )
        with self._store.reading():
            return self._matcher.match(fp, filters, self._threshold(threshold))

    def similar(
        self,
        doc_id: str,
        *,
        threshold: float | None = None,
        since: str | None = None,
        until: str | None = None,
        exclude_same_source: bool = False,
    ) -> QueryResult:
        """:meth:`query` with a stored document's own fingerprint (itself excluded)."""
        with self._store.reading():
            row = self._row(doc_id)
            since, until = window_bounds(since, until)
            filters = Filters(row.id, row.source if exclude_same_source else None, since, until)
            return self._matcher.match(self._stored(row), filters, self._threshold(threshold))

    def fingerprint_of(self, doc_id: str) -> Fingerprint:
        """A stored document's fingerprint, as stored (its boilerplate-aware text's)."""
        with self._store.reading():
            return self._stored(self._row(doc_id))

    def mark(self) -> int:
        """A mark of what is stored now: every document stored from now on (an update too) is
        at or after it, for :meth:`shingles` to leave out."""
        return self._store.next_handle()

    def marks(self, doc_ids: Sequence[str]) -> dict[str, int]:
        """The :meth:`mark` each of these stored documents was stored at (ids not stored are
        left out): one is at or after a mark if, and only if, it was stored from then on."""
        return {doc_id: row.handle for doc_id, row in self._store.rows_by_id(list(doc_ids)).items()}

    def shingles(self, doc_ids: Sequence[str], before: int | None = None) -> dict[str, np.ndarray]:
        """The stored shingle sets of these documents (ids not stored are left out, and with
        ``before``, a :meth:`mark`, those stored at or after it)."""
        with self._store.reading():
            rows = self._store.rows_by_id(list(doc_ids))
            if before is not None:
                rows = {doc_id: row for doc_id, row in rows.items() if row.handle < before}
            sets = self._store.shingles([r.handle for r in rows.values()])
        return {doc_id: sets[row.handle] for doc_id, row in rows.items()}

    def cluster_of(self, doc_id: str) -> str:
        """The id of ``doc_id``'s cluster (the id of its canonical document)."""
        with self._store.reading():
            return self._cluster_row(self._row(doc_id)).id

    def cluster_members(self, doc_id: str) -> list[str]:
        """The members of ``doc_id``'s cluster: canonical first, the rest in canonical order."""
        with self._store.reading():
            canonical = self._cluster_row(self._row(doc_id))
            return self._ordered(canonical.handle, self._store.members(canonical.handle))

    def clusters(self, min_size: int = 2) -> Iterator[tuple[str, list[str]]]:
        """``(cluster id, members)`` of each cluster of at least ``min_size`` documents, in the
        order their canonicals were added; members as in :meth:`cluster_members`. Listed
        whole as the iteration starts, in one snapshot: lazily, each cluster's would be read
        from another, and a snapshot held between items would hold checkpoints back."""
        with self._store.reading():
            listed = [self._ordered(c, members) for c, members in self._store.clusters(min_size)]
        for ordered in listed:
            yield ordered[0], ordered

    # --- shared internals ----------------------------------------------------------------------

    def _row(self, doc_id: str) -> Row:
        row = self._store.row(doc_id)
        if row is None:
            raise DocumentNotFoundError(doc_id)
        return row

    def _stored(self, row: Row) -> Fingerprint:
        return Fingerprint(
            signature=self._store.signatures([row.handle])[row.handle],
            shingles=self._store.shingles([row.handle])[row.handle],
            content_hash=row.content_hash,
            seed=self.config.seed,
        )

    def _cluster_row(self, row: Row) -> Row:
        if row.canonical is None or row.canonical == row.handle:
            return row
        return self._store.rows([row.canonical])[row.canonical]

    def _ordered(self, canonical: int, members: Sequence[int]) -> list[str]:
        rows = self._store.rows(members)
        rest = [rows[h] for h in sorted(rows) if h != canonical]
        rank = canonical_order(
            [r.id for r in rest], [r.published for r in rest], [r.length for r in rest]
        )
        return [rows[canonical].id] + [rest[i].id for i in np.argsort(rank).tolist()]

    def _threshold(self, threshold: float | None) -> float:
        if threshold is None:
            return self.config.threshold
        if isinstance(threshold, bool) or not (0.0 < threshold <= 1.0):
            raise ConfigError(f"threshold must be in (0, 1], got {threshold!r}")
        return float(threshold)
