"""The SQLite index's LSH buckets, inverted in memory from one appended row per document.

The file keeps each document's band keys as one row, ``band_keys (doc, keys)``, appended in
handle order (handles only grow), and every removal as a row of ``removed (n, doc)``. Each
process that looks buckets up inverts those rows (:class:`dedup._postings.Postings` of
``(tagged band key, handle)``) and keeps the inversion current from the rows appended since.
The ``bands (band, key, doc)`` B-tree this replaces made every stored document insert 32
rows at random places, each dirtying a page of its own that the commit wrote to the WAL and
the checkpoint again to the file.

A band key is *tagged* with its band (``key ^ salt[band]``), so that one 64-bit hash stands
for ``(band, key)``; two tagged keys that collide only propose a candidate pair, which is
verified on the stored shingles like every other.

Writes inside a transaction are added to a *pending* inversion as they are made (a bulk load
looks up every chunk against the chunks before it): a savepoint that rolls back restores the
pending inversion it started with, and the pending inversion is dropped when the
transaction ends. The committed inversion is brought up to date when a transaction begins
(the write lock is held then, so nothing is committed meanwhile) and before a lookup outside
one; a transaction's own rows are read back from the file after its commit. Removed handles
are marked dead; the inversion is rebuilt from ``band_keys`` once the dead outnumber the
living. The ``removed`` log keeps its last rows (:mod:`dedup._removal_log`: a writer prunes
older ones it has read itself, :attr:`BandIndex.removals_read`); a process that finds one it
had not read gone reads the table whole again, as a first read does.
12 bytes per band and document, and at most 1 more for the runs' directories: about 400
bytes per document and process (40 MB for 100,000 documents).
"""

from __future__ import annotations

import sqlite3

import numpy as np
import xxhash
from numba import njit

from dedup import _numba_start  # noqa: F401  (before any kernel runs: no BLAS probe)
from dedup._postings import Postings
from dedup._removal_log import missed
from dedup.index._store import BandRows, Buckets

_CHUNK = 8192  # rows read at a time
_REBUILD_AFTER = 64  # dead handles tolerated before the living-versus-dead test


def _salts(bands: int) -> np.ndarray:
    return np.array(
        [xxhash.xxh64_intdigest(f"dedup-band-{b}".encode()) for b in range(bands)],
        dtype=np.uint64,
    )


class BandIndex:
    """Committed and pending band keys of one connection; see the module docstring."""

    def __init__(self) -> None:
        self._salt = np.empty(0, dtype=np.uint64)
        self._reset()
        self._pending: Postings | None = None
        self._pending_dead: set[int] = set()

    def _reset(self) -> None:
        self._postings = Postings()
        self._dead: set[int] = set()  # only grows until the next reset
        self._dead_sorted = np.empty(0, dtype=np.int64)  # of the first ``len`` of them
        self._rows = 0
        self._last = 0  # the highest handle read
        self._last_removed = 0  # the highest ``removed.n`` read

    def _tagged(self, keys: np.ndarray) -> np.ndarray:
        """``keys`` (``[n, bands]``) tagged with their bands, flattened row by row."""
        bands = keys.shape[1]
        if self._salt.shape[0] < bands:
            self._salt = _salts(bands)
        keys = np.ascontiguousarray(keys, dtype=np.uint64)
        tagged: np.ndarray = (keys ^ self._salt[None, :bands]).reshape(-1)
        return tagged

    # --- the committed inversion ---------------------------------------------------------------

    def read(self, conn: sqlite3.Connection) -> None:
        """Read the rows committed since the last read (``conn`` holds one snapshot, with no
        writes of its own in it)."""
        # Read from scratch (first, or once the dead outnumber the living): the rows in the
        # table are the living ones, so the removals logged so far are already in them.
        rebuild = len(self._dead) > _REBUILD_AFTER and 2 * len(self._dead) > self._rows
        if self._last == 0 or rebuild:
            self._reset()
            row = conn.execute("SELECT max(n) FROM removed").fetchone()
            self._last_removed = int(row[0] or 0)
        cursor = conn.execute(
            "SELECT doc, keys FROM band_keys WHERE doc > ? ORDER BY doc", (self._last,)
        )
        batches = []  # added at the end, each run sorted once (Postings.add_many)
        try:
            while rows := cursor.fetchmany(_CHUNK):
                handles = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
                keys = np.stack([np.frombuffer(r[1], dtype="<u8") for r in rows])
                batches.append((self._tagged(keys), _repeat(handles, keys.shape[1])))
                self._rows += len(rows)
                self._last = int(handles[-1])
        finally:  # the rows counted as read are in, whatever stopped the reading
            try:
                self._postings.add_many(batches)
            except BaseException:
                self._last = 0  # counted as read but not in: the next read starts over
                raise
        removals = conn.execute(
            "SELECT n, doc FROM removed WHERE n > ? ORDER BY n", (self._last_removed,)
        ).fetchall()
        if missed(removals, self._last_removed):  # pruned unread: read whole again
            self._last = 0
            self.read(conn)
            return
        for n, handle in removals:
            if handle <= self._last:
                self._dead.add(handle)
            self._last_removed = n

    @property
    def removals_read(self) -> int:
        """The last ``removed.n`` the committed inversion has read: the log may be pruned up
        to it (:func:`dedup._removal_log.prune`) without this connection missing a
        removal (a transaction's own are marked dead as they are made, not read back)."""
        return self._last_removed

    # --- the pending inversion -----------------------------------------------------------------

    def begin(self, conn: sqlite3.Connection | None) -> None:
        """A transaction begins on ``conn`` (holding the write lock): read what others
        committed (unless ``None``: the tables are being created), and start a pending
        inversion for its writes."""
        if conn is not None:
            self.read(conn)
        self._pending, self._pending_dead = Postings(), set()

    def end(self) -> None:
        """The transaction ended, committed or not: its rows are read back from the file."""
        self._pending, self._pending_dead = None, set()

    def savepoint(self) -> tuple[Postings, set[int]] | None:
        """What a savepoint rolled back to restores (:meth:`restore`)."""
        if self._pending is None:
            return None
        return self._pending.copy(), set(self._pending_dead)

    def restore(self, saved: tuple[Postings, set[int]] | None) -> None:
        if saved is not None and self._pending is not None:
            self._pending, self._pending_dead = saved[0].copy(), set(saved[1])

    def add(self, bands: BandRows) -> tuple[np.ndarray, np.ndarray]:
        """Record a transaction's new band rows; returns them as ``(handles, keys [n, bands])``
        for the file."""
        handles, keys = _per_document(bands)
        if self._pending is not None and handles.shape[0]:
            self._pending.add(self._tagged(keys), _repeat(handles, keys.shape[1]))
        return handles, keys

    def remove(self, handle: int) -> None:
        """Record a transaction's removal of ``handle``."""
        if self._pending is not None:
            self._pending_dead.add(handle)

    # --- lookups -------------------------------------------------------------------------------

    def buckets(self, keys: np.ndarray, cap: int) -> Buckets:
        """:meth:`dedup.index._store.Store.buckets` over the committed and pending rows.

        Apart from the postings' searches, two compiled calls over a few dozen keys and
        handles: as some twenty NumPy calls they took a post's writer 50-60 us, each paying
        NumPy's fixed cost in a process whose caches the lookups had just filled (session 25
        of ``docs/performance-log.md``).
        """
        n, bands = keys.shape
        unique, inverse = _distinct(self._tagged(keys))
        which, handles = self._postings.find(unique)
        if self._pending is not None:
            more_which, more_handles = self._pending.find(unique)
        else:
            more_which, more_handles = _NO_WHICH, _NO_HANDLES
        dead = self._dead_handles() if self._dead or self._pending_dead else _NO_DEAD
        table = _table(unique.shape[0], which, handles, more_which, more_handles, dead)
        members_of, starts, counts, slot_of = table
        members = [
            members_of[start : start + min(count, cap)]
            for start, count in zip(starts.tolist(), counts.tolist(), strict=True)
            if count
        ]
        slot = slot_of[inverse].reshape(n, bands)
        truncated = (counts > cap)[inverse].reshape(n, bands)
        return Buckets(slot, members, truncated)

    def _dead_handles(self) -> np.ndarray:
        """The dead handles, committed and pending, sorted. The committed ones' array is kept
        until their set grows (it only grows until a reset, which starts a new array): a
        service that replaces documents holds thousands until a rebuild, and sorting them at
        every query cost it a sort a post."""
        if self._dead_sorted.shape[0] != len(self._dead):
            dead = self._dead
            self._dead_sorted = np.sort(np.fromiter(dead, np.int64, count=len(dead)))
        if not self._pending_dead:
            return self._dead_sorted
        pending = np.fromiter(self._pending_dead, np.int64, count=len(self._pending_dead))
        return np.union1d(self._dead_sorted, pending)


_NO_WHICH = np.empty(0, dtype=np.int64)
_NO_HANDLES = np.empty(0, dtype=np.uint32)
_NO_DEAD = np.empty(0, dtype=np.int64)


@njit(cache=True, nogil=True)
def _distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` of a few dozen tagged keys."""
    order = np.argsort(values)
    unique = np.empty(values.shape[0], dtype=values.dtype)
    inverse = np.empty(values.shape[0], dtype=np.int64)
    m = 0
    for i in order:
        if m == 0 or unique[m - 1] != values[i]:
            unique[m] = values[i]
            m += 1
        inverse[i] = m - 1
    return unique[:m], inverse


@njit(cache=True, nogil=True)
def _table(
    keys: int,
    which: np.ndarray,
    handles: np.ndarray,
    more_which: np.ndarray,
    more_handles: np.ndarray,
    dead: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The living handles found for each of ``keys`` distinct keys (``which``/``handles`` and
    ``more_which``/``more_handles``, from two inversions; ``dead``: sorted), grouped by key
    and ascending in each group: ``(handles, starts, counts, slot)``, where ``slot[k]``
    numbers key ``k`` among those with any handle (-1: none)."""
    total = which.shape[0] + more_which.shape[0]
    all_which = np.empty(total, dtype=np.int64)
    all_handles = np.empty(total, dtype=np.int64)
    counts = np.zeros(keys, dtype=np.int64)
    n = 0
    for part_which, part_handles in ((which, handles), (more_which, more_handles)):
        for i in range(part_which.shape[0]):
            handle = np.int64(part_handles[i])
            if dead.shape[0]:
                j = np.searchsorted(dead, handle)
                if j < dead.shape[0] and dead[j] == handle:
                    continue
            all_which[n] = part_which[i]
            all_handles[n] = handle
            counts[part_which[i]] += 1
            n += 1
    starts = np.zeros(keys, dtype=np.int64)
    slot = np.full(keys, -1, dtype=np.int64)
    at, slots = 0, 0
    for k in range(keys):
        starts[k] = at
        at += counts[k]
        if counts[k]:
            slot[k] = slots
            slots += 1
    grouped = np.empty(n, dtype=np.int64)
    fill = starts.copy()
    for i in range(n):
        grouped[fill[all_which[i]]] = all_handles[i]
        fill[all_which[i]] += 1
    for k in range(keys):
        grouped[starts[k] : starts[k] + counts[k]].sort()
    return grouped, starts, counts, slot


def _repeat(handles: np.ndarray, bands: int) -> np.ndarray:
    return np.repeat(handles.astype(np.uint32), bands)


def _per_document(bands: BandRows) -> tuple[np.ndarray, np.ndarray]:
    """Band rows as handles and their keys by band (``[n, bands]``)."""
    return bands.handles, bands.keys
