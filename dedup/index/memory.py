"""The in-memory index: the SQLite index's twin for bulk runs and tests.

Same contract, same decisions (both are :class:`~dedup.index.core.IndexCore`), plain dicts and
lists instead of tables. Transactions are kept with an undo log, so an exception inside
:meth:`~dedup.index.core.IndexCore.atomic` leaves the index exactly as it was, as in SQLite.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext

import numpy as np

from dedup.config import Config
from dedup.index._store import BandRows, Buckets, Entry, Row
from dedup.index.base import DEFAULT_BUCKET_CAP
from dedup.index.core import IndexCore


class MemoryIndex(IndexCore):
    """An index held in memory; nothing survives the process."""

    def __init__(
        self, config: Config | None = None, *, bucket_cap: int = DEFAULT_BUCKET_CAP
    ) -> None:
        config = config if config is not None else Config()
        super().__init__(MemoryStore(config.bands), config, bucket_cap)

    def __repr__(self) -> str:
        return f"MemoryIndex({len(self)} documents, config {self.config.id})"


class _UndoLog:
    """Inverse operations of the writes inside :meth:`atomic`, replayed on an exception."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []
        self._depth = 0

    def record(self, undo: Callable[[], None]) -> None:
        if self._depth:
            self._undo.append(undo)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        mark = len(self._undo)
        self._depth += 1
        try:
            yield
        except BaseException:
            while len(self._undo) > mark:
                self._undo.pop()()
            raise
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._undo.clear()


class MemoryStore:
    """Rows in dicts; each band maps a key to the handle(s) sharing it."""

    def __init__(self, bands: int) -> None:
        self._log = _UndoLog()
        self._next = 1
        self._by_id: dict[str, int] = {}
        self._rows: dict[int, Row] = {}
        self._signatures: dict[int, np.ndarray] = {}
        self._shingles: dict[int, np.ndarray] = {}
        # A bucket is one handle, or the sorted handles when several documents share it: most
        # buckets hold one document, and plain ints cost neither memory nor garbage collection.
        self._bands: list[dict[int, int | list[int]]] = [{} for _ in range(bands)]
        self._content: dict[int, list[int]] = {}
        self._members: dict[int, set[int]] = {}

    def atomic(self) -> AbstractContextManager[None]:
        return self._log.atomic()

    def bulk(self) -> AbstractContextManager[None]:
        """Nothing to size."""
        return nullcontext()

    def reading(self) -> AbstractContextManager[None]:
        """One snapshot already: only the thread that reads it writes it."""
        return nullcontext()

    def close(self) -> None:
        """Nothing to release."""

    def count(self) -> int:
        return len(self._rows)

    def ids(self) -> Iterator[str]:
        return iter([self._rows[h].id for h in sorted(self._rows)])

    def next_handle(self) -> int:
        return self._next

    def row(self, doc_id: str) -> Row | None:
        handle = self._by_id.get(doc_id)
        return None if handle is None else self._rows[handle]

    def rows_by_id(self, doc_ids: Sequence[str]) -> dict[str, Row]:
        return {i: self._rows[self._by_id[i]] for i in doc_ids if i in self._by_id}

    def rows(self, handles: Sequence[int]) -> dict[int, Row]:
        return {h: self._rows[h] for h in handles if h in self._rows}

    def signatures(self, handles: Sequence[int]) -> dict[int, np.ndarray]:
        return {h: self._signatures[h] for h in handles if h in self._signatures}

    def shingles(self, handles: Sequence[int]) -> dict[int, np.ndarray]:
        return {h: self._shingles[h] for h in handles if h in self._shingles}

    # --- writes: each records its inverse ----------------------------------------------------

    def insert(self, entries: Sequence[Entry], bands: BandRows) -> None:
        for e in entries:
            doc, fp = e.document, e.fingerprint
            row = Row(
                e.handle,
                doc.id,
                doc.source,
                doc.published,
                doc.title,
                len(doc.text),
                e.text_hash,
                fp.content_hash,
                e.canonical,
            )
            # Copies: a fingerprint may be a view into a whole batch's arrays.
            self._put(row, fp.signature.copy(), fp.shingles.copy())
            self._next = max(self._next, e.handle + 1)
        self._add_bands(bands)
        handles = [e.handle for e in entries]
        self._log.record(lambda: self._undo_insert(handles, bands))

    def _undo_insert(self, handles: list[int], bands: BandRows) -> None:
        self._remove_bands(_triples(bands))
        for h in handles:
            self._take(h)

    def delete(self, handle: int, bands: BandRows) -> None:
        row, signature, shingles = self._take(handle)
        removed = self._remove_bands(_triples(bands))

        def undo() -> None:
            self._put(row, signature, shingles)
            self._add_rows(removed)

        self._log.record(undo)

    def set_canonical(self, handles: Sequence[int], canonicals: Sequence[int]) -> None:
        before = [(h, self._rows[h].canonical) for h in handles]
        for h, c in zip(handles, canonicals, strict=True):
            self._move(h, c)

        def undo() -> None:
            for h, c in reversed(before):
                self._move(h, c)

        self._log.record(undo)

    # --- unrecorded primitives -----------------------------------------------------------------

    def _put(self, row: Row, signature: np.ndarray, shingles: np.ndarray) -> None:
        h = row.handle
        self._rows[h] = row
        self._by_id[row.id] = h
        self._signatures[h] = signature
        self._shingles[h] = shingles
        bisect.insort(self._content.setdefault(row.content_hash, []), h)
        if row.canonical is not None:
            self._members.setdefault(row.canonical, set()).add(h)

    def _take(self, h: int) -> tuple[Row, np.ndarray, np.ndarray]:
        row = self._rows.pop(h)
        del self._by_id[row.id]
        same = self._content[row.content_hash]
        same.remove(h)
        if not same:
            del self._content[row.content_hash]
        if row.canonical is not None:
            self._discard_member(row.canonical, h)
        return row, self._signatures.pop(h), self._shingles.pop(h)

    def _move(self, h: int, canonical: int | None) -> None:
        row = self._rows[h]
        if row.canonical is not None:
            self._discard_member(row.canonical, h)
        self._rows[h] = row._replace(canonical=canonical)
        if canonical is not None:
            self._members.setdefault(canonical, set()).add(h)

    def _discard_member(self, canonical: int, h: int) -> None:
        members = self._members[canonical]
        members.discard(h)
        if not members:
            del self._members[canonical]

    def _add_bands(self, bands: BandRows) -> None:
        """Rows of new documents: their handles exceed every stored one, so they append."""
        # Rows come sorted by band: one slice, and one dict, per band.
        bounds = np.searchsorted(bands.band, np.arange(len(self._bands) + 1)).tolist()
        keys, docs = bands.key.tolist(), bands.doc.tolist()
        for table, lo, hi in zip(self._bands, bounds[:-1], bounds[1:], strict=True):
            setdefault = table.setdefault
            for k, d in zip(keys[lo:hi], docs[lo:hi], strict=True):
                old = setdefault(k, d)
                if old != d:  # the bucket existed (d is a new handle, so never stored yet)
                    if isinstance(old, int):
                        table[k] = [old, d]
                    else:
                        old.append(d)

    def _add_rows(self, rows: Sequence[tuple[int, int, int]]) -> None:
        """Rows put back by an undo: anywhere in their buckets."""
        for band, key, doc in rows:
            table = self._bands[band]
            old = table.get(key)
            if old is None:
                table[key] = doc
            elif isinstance(old, int):
                table[key] = sorted((old, doc))
            else:
                bisect.insort(old, doc)

    def _remove_bands(self, rows: Sequence[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
        removed = []
        for band, key, doc in rows:
            table = self._bands[band]
            old = table.get(key)
            if isinstance(old, int):
                if old == doc:
                    del table[key]
                    removed.append((band, key, doc))
            elif old is not None:
                i = bisect.bisect_left(old, doc)
                if i < len(old) and old[i] == doc:
                    del old[i]
                    removed.append((band, key, doc))
                    if len(old) == 1:
                        table[key] = old[0]
        return removed

    # --- lookups -------------------------------------------------------------------------------

    def members(self, canonical: int) -> list[int]:
        return sorted(self._members.get(canonical, ()))

    def clusters(self, min_size: int) -> Iterator[tuple[int, list[int]]]:
        for canonical in sorted(self._members):
            members = self._members[canonical]
            if len(members) >= min_size and canonical in members:
                yield canonical, sorted(members)

    def buckets(self, keys: np.ndarray, cap: int) -> Buckets:
        n, bands = keys.shape
        signed = np.ascontiguousarray(keys, dtype=np.uint64).view(np.int64).tolist()
        slot = np.full((n, bands), -1, dtype=np.int64)
        truncated = np.zeros((n, bands), dtype=bool)
        members: list[np.ndarray] = []
        seen: dict[tuple[int, int], int] = {}
        for q, row in enumerate(signed):
            # map() looks all bands up in C; most buckets of a new document do not exist.
            for b, bucket in enumerate(map(dict.get, self._bands, row)):
                if bucket is None:
                    continue
                s = seen.get((b, row[b]))
                if s is None:
                    s = seen[b, row[b]] = len(members)
                    members.append(np.array([bucket] if isinstance(bucket, int) else bucket[:cap]))
                slot[q, b] = s
                truncated[q, b] = not isinstance(bucket, int) and len(bucket) > cap
        return Buckets(slot, members, truncated)

    def same_content(self, content_hash: int, cap: int) -> tuple[list[int], bool]:
        same = self._content.get(content_hash, [])
        return same[:cap], len(same) > cap


def _triples(bands: BandRows) -> list[tuple[int, int, int]]:
    return list(zip(bands.band.tolist(), bands.key.tolist(), bands.doc.tolist(), strict=True))
