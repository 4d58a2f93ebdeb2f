"""The logic both backends share: :class:`IndexCore` implements :class:`~dedup.index.base.Index`
over a :class:`~dedup.index._store.Store`, so the SQLite and in-memory indexes differ only in how
rows are kept.

Writes: a document is fingerprinted (unless given), compared with what is stored under its id
(same text and metadata: no-op; otherwise an update, which is a remove and an add), placed in a
cluster by the incremental rule (:mod:`dedup.index._clusters`) and written with its band rows in
one transaction. Runs of new ids are written in bulk, with the outcome and clusters of adding
them one at a time.

Reads (lookups, queries, clusters) are :class:`~dedup.index._reads.IndexReads`, each of several
lookups in one snapshot of the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Self

import numpy as np

from dedup.cluster import canonical_order
from dedup.config import Config
from dedup.errors import ConfigError, InputError
from dedup.fingerprint import Fingerprint
from dedup.index._clusters import Placer, RelatedWhole
from dedup.index._inputs import Inputs
from dedup.index._matching import Matcher
from dedup.index._reads import IndexReads
from dedup.index._store import BandRows, Entry, Row, Store, hash_text, same_version
from dedup.index.base import DEFAULT_BUCKET_CAP
from dedup.io import stored_document
from dedup.lsh import Banding
from dedup.types import AddOutcome, Document


class IndexCore(IndexReads):
    """Everything an index decides, over a backend's :class:`Store` (see the module docstring)."""

    def __init__(self, store: Store, config: Config, bucket_cap: int = DEFAULT_BUCKET_CAP) -> None:
        if isinstance(bucket_cap, bool) or not isinstance(bucket_cap, int) or bucket_cap < 1:
            raise ConfigError(f"bucket_cap must be a positive integer, got {bucket_cap!r}")
        self.config = config
        self.bucket_cap = bucket_cap
        self._store = store
        self._banding = Banding(config.bands, config.rows)
        self._placer = Placer(store, self._banding, config.threshold, bucket_cap)
        self._matcher = Matcher(store, self._banding, bucket_cap)
        self._inputs = Inputs(config)
        self._related: RelatedWhole | None = None
        self._replaced: Callable[[str, int, int], None] | None = None

    # --- container protocol and lifetime -------------------------------------------------

    def __len__(self) -> int:
        return self._store.count()

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and self._store.row(doc_id) is not None

    def __iter__(self) -> Iterator[str]:
        return self._store.ids()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the storage; the index is unusable afterwards."""
        self._store.close()

    def atomic(self) -> AbstractContextManager[None]:
        """Group writes: all of them commit or none; nested blocks are savepoints."""
        return self._store.atomic()

    def bulk(self) -> AbstractContextManager[None]:
        """Size the backend's caches for bulk writes inside (nested blocks and the
        :meth:`add_many` calls inside keep them): a bulk load of many batches in one
        transaction wants the pages it dirtied to stay cached between batches."""
        return self._store.bulk()

    # --- writing -----------------------------------------------------------------------------

    def add(self, document: Document, fingerprint: Fingerprint | None = None) -> AddOutcome:
        """Store ``document`` and place it in a cluster; ``fingerprint`` skips fingerprinting.

        Re-adding the same id with the same text and metadata is a no-op (``UNCHANGED``); the
        same id with anything different replaces the stored version (``UPDATED``). Without
        :meth:`add_many`'s bulk cache: sizing it up and back costs a post two statements.
        """
        with self.atomic():
            fps = None if fingerprint is None else [fingerprint]
            return self._add_all([document], fps)[0]

    def add_many(
        self, documents: Iterable[Document], fingerprints: Iterable[Fingerprint] | None = None
    ) -> list[AddOutcome]:
        """:meth:`add` for each document in order, as one transaction (all or nothing).

        New documents are written in chunks of :data:`~dedup.index._inputs.CHUNK` with one
        bulk statement per table; the outcome and the clusters are exactly those of adding the
        documents one by one.
        ``fingerprints``, when given, must be the documents' fingerprints under this index's
        config, in the same order (they are trusted, not recomputed).
        """
        with self._store.bulk(), self.atomic():
            return self._add_all(documents, fingerprints)

    def _add_all(
        self, documents: Iterable[Document], fingerprints: Iterable[Fingerprint] | None
    ) -> list[AddOutcome]:
        outcomes: list[AddOutcome] = []
        for docs, fps in self._inputs.chunks(documents, fingerprints):
            outcomes.extend(self._add_chunk(docs, fps))
        return outcomes

    def remove(self, doc_id: str) -> None:
        """Delete a document; if it was a canonical, its members are placed again."""
        with self.atomic():
            self._delete(self._row(doc_id))

    def place_with(self, related: RelatedWhole | None) -> None:
        """Offer documents placed again that found a cluster (a removed or replaced canonical's
        members, a refingerprinted document) what ``related`` names for them too, as a post is
        offered its report's (:meth:`join_cluster`): stored ids related whole that LSH may not
        propose (a collection's reuse candidates). None: LSH's alone."""
        self._related = related

    def on_replace(self, hook: Callable[[str, int, int], None] | None) -> None:
        """Call ``hook(id, old handle, new handle)`` in the transaction of each replacement
        (an update, a refingerprint): the document stays stored, at a later :meth:`mark`."""
        self._replaced = hook

    def refingerprint(self, document: Document, fingerprint: Fingerprint) -> bool:
        """Give a stored document (this very version: same id, text and metadata) another
        fingerprint, and place it again, as an update would: its text is fingerprinted another
        way now (its boilerplate, learned since it was stored). False if it was this one. It is
        offered :meth:`place_with`'s documents too, as no post of it follows to offer them."""
        with self.atomic():
            document = stored_document(document)
            row, text_hash = self._row(document.id), hash_text(document.text)
            if not same_version(row, document, text_hash):
                raise InputError(f"document {document.id!r} is not the stored version")
            fp = self._inputs.check(fingerprint)
            if fp.content_hash == row.content_hash:  # equal iff the normalised texts are
                return False
            self._replace(row, document, fp, text_hash, itself=True)
            return True

    def join_cluster(self, doc_id: str, related: Sequence[str]) -> str | None:
        """Place ``doc_id``, if it founded a cluster, with the cluster's other members, in the
        cluster of a document of ``related`` (found related to it whole, where LSH did not
        propose the pair), by the add rule (:meth:`Placer.join`); the new cluster's id, or
        None."""
        with self.atomic():
            found = self._store.rows_by_id([r for r in related if r != doc_id])
            canonical = self._placer.join(
                self._row(doc_id).handle, [r.handle for r in found.values()]
            )
            return None if canonical is None else self._store.rows([canonical])[canonical].id

    def join_verified(
        self, doc_id: str, canonicals: Sequence[str], *, with_members: bool = False
    ) -> str | None:
        """Place ``doc_id`` by the add rule counting ``canonicals`` among the canonicals it
        verifies against directly: they were found so by a comparison its stored fingerprint
        cannot make (:mod:`dedup.collection.like_for_like`). It moves to the best-ranked of
        their clusters and its own, unless it founded a cluster others joined (an update whose
        orphans it took back); ``with_members``: with them, each verified by the caller (a
        bulk load's copies, joined by fingerprints). Other ids are ignored. The cluster it
        moved to, or None."""
        with self.atomic():
            row = self._row(doc_id)
            found = self._store.rows_by_id([c for c in canonicals if c != doc_id]).values()
            options = [r for r in found if r.canonical == r.handle]
            members = self._store.members(row.handle) if row.canonical == row.handle else []
            if len(members) > 1 and not (with_members and options):
                return None
            if row.canonical is not None and row.canonical != row.handle:
                options.append(self._cluster_row(row))
            if not options:
                return None
            rank = canonical_order(
                [r.id for r in options], [r.published for r in options], [r.length for r in options]
            )
            best = options[int(np.argmin(rank))]
            if best.handle == row.canonical:
                return None
            moving = list(members) if len(members) > 1 else [row.handle]
            self._store.set_canonical(moving, [best.handle] * len(moving))
            return best.id

    def _add_chunk(self, docs: list[Document], fps: list[Fingerprint]) -> list[AddOutcome]:
        hashes = [hash_text(d.text) for d in docs]
        known = self._store.rows_by_id([d.id for d in docs])
        outcomes: list[AddOutcome] = []
        run: list[int] = []  # new ids, inserted together when the run ends
        seen: set[str] = set()
        for i, doc in enumerate(docs):
            if doc.id in known or doc.id in seen:
                # Stored (or about to be): write the run first, so this sees it, then put.
                self._insert_run([(docs[j], fps[j], hashes[j]) for j in run])
                run = []
                outcomes.append(self._put(doc, fps[i], hashes[i]))
            else:
                run.append(i)
                outcomes.append(AddOutcome.ADDED)
            seen.add(doc.id)
        self._insert_run([(docs[j], fps[j], hashes[j]) for j in run])
        return outcomes

    def _put(self, doc: Document, fp: Fingerprint, text_hash: int) -> AddOutcome:
        """Add or update one document whose id may be stored."""
        row = self._store.row(doc.id)
        if row is None:
            self._insert_run([(doc, fp, text_hash)])
            return AddOutcome.ADDED
        if same_version(row, doc, text_hash):
            return AddOutcome.UNCHANGED
        self._replace(row, doc, fp, text_hash)
        return AddOutcome.UPDATED

    def _replace(
        self, row: Row, doc: Document, fp: Fingerprint, text_hash: int, itself: bool = False
    ) -> None:
        """Replace a stored document by ``doc``: placed anew, the members it leaves behind too
        (``itself``: ``doc`` offered :meth:`place_with`'s documents with them)."""
        orphans = self._delete(row, rehome=False)
        handle = self._store.next_handle()
        self._insert_run([(doc, fp, text_hash)])
        if self._replaced is not None:
            self._replaced(doc.id, row.handle, handle)
        self._placer.rehome(orphans, self._related, [handle] if itself else [])

    def _insert_run(self, items: Sequence[tuple[Document, Fingerprint, int]]) -> None:
        """Place new documents (ids not stored) in clusters, then write them, handles in order."""
        if not items:
            return
        first = self._store.next_handle()
        entries = [Entry(first + i, d, fp, h) for i, (d, fp, h) in enumerate(items)]
        keys = self._banding.keys(np.stack([e.fingerprint.signature for e in entries]))
        canonicals = self._placer.place_run(entries, keys)
        banded = np.array([not e.fingerprint.empty for e in entries], dtype=bool)
        handles = np.arange(first, first + len(entries), dtype=np.int64)
        self._store.insert(
            [e._replace(canonical=c) for e, c in zip(entries, canonicals, strict=True)],
            BandRows.of(handles[banded], keys[banded]),
        )

    def _delete(self, row: Row, rehome: bool = True) -> list[int]:
        """Delete a stored document; return (or place again) the members it leaves behind."""
        orphans = []
        if row.canonical == row.handle:
            orphans = [h for h in self._store.members(row.handle) if h != row.handle]
        # Band rows come from the stored signature (no index on doc needed); an empty document
        # has none, and deleting rows that do not exist is a no-op in both backends.
        signature = self._store.signatures([row.handle])[row.handle]
        bands = BandRows.of(np.array([row.handle]), self._banding.keys(signature[None, :]))
        self._store.delete(row.handle, bands)
        if rehome:
            self._placer.rehome(orphans, self._related)
        return orphans
