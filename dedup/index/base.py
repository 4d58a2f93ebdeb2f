"""The :class:`Index` contract, and the types it answers with.

An index keeps, per document, its metadata, its MinHash signature, its LSH band rows and its
hashed shingle set, never its text. Finding the matches of a query is two stages:

1. **Candidates** (tuned for recall): documents sharing at least one LSH band bucket with the
   query (``Config`` bands for ``lsh_threshold`` 0.4, well below the verify threshold), plus the
   documents with the same content hash (the exact-duplicate path). At most ``bucket_cap``
   documents are read per bucket (the earliest added), so a key shared by thousands of
   documents cannot make a query slow; the result says how many buckets were cut short.
2. **Verification** (for precision): exact Jaccard and containment both ways on the stored
   shingle sets; a candidate with identical normalised text is a ``duplicate`` without reading
   its shingles. Matches at or above the threshold come back best first (:meth:`Match.sort_key`).

Every document belongs to one cluster, kept up to date as documents come and go by the rule of
:mod:`dedup.index._clusters`. :class:`dedup.index.core.IndexCore` implements all of this once for
both backends.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import NamedTuple, Protocol, Self, runtime_checkable

from dedup._pickling import by_fields
from dedup.config import Config
from dedup.fingerprint import Fingerprint
from dedup.types import AddOutcome, Document, QueryResult

DEFAULT_BUCKET_CAP = 1000

QueryInput = str | Fingerprint | Document


@by_fields
@dataclass(frozen=True, slots=True)
class StoredDocument:
    """What an index knows about a stored document (the text itself is not kept)."""

    id: str
    source: str | None
    published: str | None
    title: str | None
    length: int  # characters of the text
    content_hash: int  # equal for equal normalised texts
    cluster: str  # id of the cluster, which is the id of its canonical document


class Candidates(NamedTuple):
    """The ids a query's LSH buckets and content hash propose, before any verification."""

    ids: tuple[str, ...]  # sorted
    truncated_buckets: int


@runtime_checkable
class Index(Protocol):
    """A store of document fingerprints answering "what is this a copy of?"."""

    config: Config
    bucket_cap: int

    def add(self, document: Document, fingerprint: Fingerprint | None = None) -> AddOutcome:
        """Store a document (or update the one with its id) and place it in a cluster."""
        ...

    def add_many(
        self, documents: Iterable[Document], fingerprints: Iterable[Fingerprint] | None = None
    ) -> list[AddOutcome]:
        """:meth:`add` for many documents in one transaction, in bulk."""
        ...

    def get(self, doc_id: str) -> StoredDocument:
        """The stored document ``doc_id`` (:class:`DocumentNotFoundError` if absent)."""
        ...

    def remove(self, doc_id: str) -> None:
        """Delete a document (:class:`DocumentNotFoundError` if absent)."""
        ...

    def refingerprint(self, document: Document, fingerprint: Fingerprint) -> bool:
        """Give the stored version of ``document`` another fingerprint and place it again;
        False if it had this one already."""
        ...

    def join_cluster(self, doc_id: str, related: Sequence[str]) -> str | None:
        """Move the cluster ``doc_id`` founded into the cluster of a canonical of ``related``
        that each of its members verifies against; the new cluster id, or None if it stays."""
        ...

    def candidates(self, query: QueryInput) -> Candidates:
        """Ids sharing a bucket or the content hash with ``query``, unverified."""
        ...

    def query(
        self,
        query: QueryInput,
        *,
        threshold: float | None = None,
        since: str | None = None,
        until: str | None = None,
        exclude_same_source: bool = False,
    ) -> QueryResult:
        """Verified matches of a text, fingerprint or document, best first."""
        ...

    def similar(
        self,
        doc_id: str,
        *,
        threshold: float | None = None,
        since: str | None = None,
        until: str | None = None,
        exclude_same_source: bool = False,
    ) -> QueryResult:
        """Verified matches of a stored document (itself excluded)."""
        ...

    def cluster_of(self, doc_id: str) -> str:
        """The id of ``doc_id``'s cluster (the id of its canonical document)."""
        ...

    def cluster_members(self, doc_id: str) -> list[str]:
        """The members of ``doc_id``'s cluster: canonical first, the rest in canonical order."""
        ...

    def clusters(self, min_size: int = 2) -> Iterator[tuple[str, list[str]]]:
        """``(cluster id, members)`` of every cluster with at least ``min_size`` members."""
        ...

    def atomic(self) -> AbstractContextManager[None]:
        """Group writes: all of them commit or none; nested blocks are savepoints."""
        ...

    def close(self) -> None:
        """Release the storage."""
        ...

    def __len__(self) -> int: ...

    def __contains__(self, doc_id: object) -> bool: ...

    def __iter__(self) -> Iterator[str]: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
