"""What a storage backend must do for :class:`dedup.index.core.IndexCore`, and no more.

Everything an index *decides* (outcomes, filters, verification, clusters) lives in the core and
is shared; a backend only keeps rows and answers lookups. Documents are addressed by an integer
*handle* that the backend assigns in increasing order and never reuses: band rows and cluster
membership refer to handles (small integers) rather than to text ids, and a smaller handle
means an earlier write.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import NamedTuple, Protocol

import numpy as np
import xxhash

from dedup.fingerprint import Fingerprint
from dedup.types import Document


class Row(NamedTuple):
    """A stored document's metadata (no text: the index never keeps texts)."""

    handle: int
    id: str
    source: str | None
    published: str | None
    title: str | None
    length: int  # characters of the original text
    text_hash: int  # XXH64 of the original text's UTF-8 (unsigned)
    content_hash: int  # XXH64 of the normalised text (unsigned), as in Fingerprint
    canonical: int | None  # handle of the cluster's canonical; None only while being placed


class Entry(NamedTuple):
    """A new document as the core hands it to a backend."""

    handle: int
    document: Document
    fingerprint: Fingerprint
    text_hash: int
    canonical: int | None = None  # decided before the insert


class BandRows:
    """LSH band rows of some documents: ``(handles, keys)`` as made, and sorted by ``(band,
    key, doc)`` (:attr:`band`, :attr:`key`, :attr:`doc`), the order a B-tree of them wants,
    worked out when first asked for. The SQLite store keeps each document's keys as one row
    and never asks: sorting them, then sorting them back by document, cost a post's writer
    about 25 us (session 25 of ``docs/performance-log.md``)."""

    __slots__ = ("_sorted", "handles", "keys")

    def __init__(self, handles: np.ndarray, keys: np.ndarray) -> None:
        self.handles = np.asarray(handles, dtype=np.int64)  # [n]
        self.keys = np.ascontiguousarray(keys, dtype=np.uint64)  # [n, bands]
        self._sorted: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @classmethod
    def of(cls, handles: np.ndarray, keys: np.ndarray) -> BandRows:
        """Rows of documents ``handles`` with band keys ``keys`` (uint64 ``[n, bands]``)."""
        return cls(handles, keys)

    def _rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._sorted is None:
            n, bands = self.keys.shape
            band = np.tile(np.arange(bands, dtype=np.int64), n)
            key = self.keys.reshape(-1).view(np.int64)
            doc = np.repeat(self.handles, bands)
            order = np.lexsort((doc, key, band))
            self._sorted = (band[order], key[order], doc[order])
        return self._sorted

    @property
    def band(self) -> np.ndarray:
        """Each row's band (int64), rows sorted by ``(band, key, doc)``."""
        return self._rows()[0]

    @property
    def key(self) -> np.ndarray:
        """Each row's band key (int64: the uint64 key's bits, read as signed)."""
        return self._rows()[1]

    @property
    def doc(self) -> np.ndarray:
        """Each row's document handle (int64)."""
        return self._rows()[2]


class Buckets(NamedTuple):
    """The band buckets of a batch of queries, each distinct bucket read once.

    ``slot[q, b]`` indexes ``members`` with query ``q``'s bucket in band ``b`` (-1: no stored
    document there). Queries sharing a bucket share its slot, so a hot bucket costs one read
    per batch however many documents of the batch fall into it. ``truncated[q, b]`` is set when
    that bucket held more than the cap.
    """

    slot: np.ndarray  # int64[n, bands]
    members: list[np.ndarray]  # int64 handles, ascending, at most cap each
    truncated: np.ndarray  # bool[n, bands]

    def docs(self, q: int) -> set[int]:
        """Every handle query ``q`` found, over all its bands."""
        found: set[int] = set()
        for s in self.slot[q].tolist():
            if s >= 0:
                found.update(self.members[s].tolist())
        return found


class Store(Protocol):
    """Rows and lookups of one index; every write happens inside :meth:`atomic`."""

    def atomic(self) -> AbstractContextManager[None]:
        """All writes inside commit together or not at all; nested blocks are savepoints."""
        ...

    def bulk(self) -> AbstractContextManager[None]:
        """Inside: a bulk insert is running (a backend may size its caches for it)."""
        ...

    def reading(self) -> AbstractContextManager[None]:
        """Inside: every lookup sees the rows as they were at one moment, whatever other
        connections commit meanwhile (:mod:`dedup._snapshot`); no writes inside."""
        ...

    def close(self) -> None:
        """Release the storage; the store is unusable afterwards."""
        ...

    def count(self) -> int:
        """Number of stored documents."""
        ...

    def ids(self) -> Iterator[str]:
        """Stored ids in handle (insertion) order."""
        ...

    def next_handle(self) -> int:
        """The handle the next inserted document gets (greater than every handle ever used)."""
        ...

    def row(self, doc_id: str) -> Row | None:
        """The row of ``doc_id``, or None."""
        ...

    def rows_by_id(self, doc_ids: Sequence[str]) -> dict[str, Row]:
        """Rows of those ids that are stored."""
        ...

    def rows(self, handles: Sequence[int]) -> dict[int, Row]:
        """Rows of those handles that are stored."""
        ...

    def signatures(self, handles: Sequence[int]) -> dict[int, np.ndarray]:
        """Stored uint32 signatures."""
        ...

    def shingles(self, handles: Sequence[int]) -> dict[int, np.ndarray]:
        """Stored sorted uint64 shingle sets."""
        ...

    def insert(self, entries: Sequence[Entry], bands: BandRows) -> None:
        """Store new documents (ids not stored yet, handles from :meth:`next_handle` upwards,
        canonical decided) with their band rows."""
        ...

    def delete(self, handle: int, bands: BandRows) -> None:
        """Remove a document, its fingerprint and its band rows ``bands``."""
        ...

    def set_canonical(self, handles: Sequence[int], canonicals: Sequence[int]) -> None:
        """Record each document's cluster (the handle of its canonical document)."""
        ...

    def members(self, canonical: int) -> list[int]:
        """Handles whose canonical is ``canonical`` (itself included)."""
        ...

    def clusters(self, min_size: int) -> Iterator[tuple[int, list[int]]]:
        """``(canonical, members)`` of clusters with at least ``min_size`` members, by
        canonical handle."""
        ...

    def buckets(self, keys: np.ndarray, cap: int) -> Buckets:
        """Documents sharing a band bucket with each row of ``keys`` (uint64 ``[n, bands]``),
        at most ``cap`` per bucket, the smallest handles (the earliest added) first."""
        ...

    def same_content(self, content_hash: int, cap: int) -> tuple[list[int], bool]:
        """Up to ``cap`` handles with this content hash (smallest first), and whether more
        exist."""
        ...


def same_version(row: Row, doc: Document, text_hash: int) -> bool:
    """Whether stored ``row`` is ``doc`` (whose text hashes to ``text_hash``)."""
    stored = (row.text_hash, row.length, row.source, row.published, row.title)
    return stored == (text_hash, len(doc.text), doc.source, doc.published, doc.title)


def hash_text(text: str) -> int:
    """XXH64 of the exact text: equal texts, and (up to 2**-64) only they, hash equal."""
    return int(xxhash.xxh64_intdigest(text.encode("utf-8", "surrogatepass")))
