"""Reuse postings: one row of sampled shingle hashes per document, inverted in memory.

Reuse candidates come from a 1-in-4 sample of each document's shingle hashes
(:class:`dedup.reuse.ReuseCandidates`): two documents sharing at least ``min_shared`` kept
hashes, each held by at most ``max_df`` documents, may share passages. The inverted index
(hash -> documents) used to be a ``(hash, id)`` B-tree in the file. Every post then inserted
about 145 rows at random places of it, each dirtying a page of its own: measured at 20,000
stored documents, that was a third of the single writer's time (the inserts, and the commit and
checkpoint writing those pages), the largest item of a post.

Now the file keeps the sample as one row per document, ``reuse_sets (seq, id, hashes)``,
appended in ``seq`` order: a post writes one row (about 1.2 KB, a page or two at the end of the
table). Whoever looks candidates up (a service's readers, after a post is committed) inverts the
rows in memory, :class:`ReuseIndex`: sorted runs of ``(hash, document)`` pairs
(:class:`dedup._postings.Postings`), 12 bytes per kept hash and at most one more for the
run's directory (about 1.9 KB per document: 190 MB for
100,000 documents per process that looks candidates up), built when first needed (one run)
and kept current from the rows appended since (``seq`` only grows). Runs are merged when a
newer one grows as large as the one before it, so a lookup searches a logarithmic number of
them.

A removed or replaced row bumps ``meta.reuse_removed`` and logs its ``seq`` in
``reuse_removed`` under the counter's new value, in the same transaction; a reader that sees
the counter change marks those rows dead, and lookups leave them out, counting each hash's
dead pairs from the logged hashes. Readers used to build their index again instead: at
100,000 documents the first report after any delete or update took 0.70-0.74 s on every
reader (by hand), which a stream of corrected articles would pay over and over. After 1,000
removals the first lookup now takes 15-17 ms against 0.83-1.04 s for a new index, and a
lookup among the dead rows 1.5-1.7x one without them (``python -m benchmarks.reuse_lookup``,
three runs).
The log keeps the last :data:`LOG_KEPT` removals. The index is read whole again when the
dead outnumber the living, when a removal it has not read was pruned from the log, or when
the counter moved without a log row for each step (a file written by an older version).

The runs and their directories (one lookup of a query's hashes takes 83 us against 437 us
for a binary search of each run, at 100,000 documents) are :mod:`dedup._postings`.

Candidates are exactly those of the B-tree query: the same kept hashes, ``max_df`` counted over
the other documents, the same ordering (most shared first, then id).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import numpy as np

from dedup._arrays import in_sorted, sorted_unique
from dedup._postings import Postings, Seqs
from dedup._snapshot import writing
from dedup.reuse import ReuseCandidates

SCHEMA = """
CREATE TABLE IF NOT EXISTS reuse_sets (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    hashes BLOB NOT NULL  -- the document's distinct kept shingle hashes, uint64 little-endian
);
CREATE TABLE IF NOT EXISTS reuse_removed (
    n INTEGER PRIMARY KEY,  -- meta.reuse_removed as this removal set it
    seq INTEGER NOT NULL,  -- the reuse_sets row removed
    hashes BLOB NOT NULL  -- its hashes, as they were
)
"""

_REMOVED = "reuse_removed"
#: Removals kept in the log: a reader that has not read one by the time it goes reads its
#: index whole again (the log of a service that updates articles all day stays small).
LOG_KEPT = 4096
#: Rows read and sorted into a run at a time.
_CHUNK = 8192
_BUMP = (
    f"INSERT INTO meta (key, value) VALUES ('{_REMOVED}', '1') "
    "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 RETURNING value"
)


class ReuseSets:
    """The stored samples (writes) and their in-memory inversion (candidate lookups)."""

    def __init__(self, conn: sqlite3.Connection, rule: ReuseCandidates | None = None) -> None:
        self._conn = conn
        self.rule = rule or ReuseCandidates()
        self._index: ReuseIndex | None = None
        # Told of transactions (:meth:`began`): the open one's view, whether it wrote, and
        # whether the index in use read every row since (it holds the write lock).
        self._hooked = False
        self._view: ReuseIndex | None = None
        self._wrote = False
        self._read = False

    # --- writes (the writer's connection, inside its transaction) ------------------------------

    def sampled(self, shingles: np.ndarray) -> np.ndarray:
        """The distinct kept hashes of one document's shingle set, sorted (uint64)."""
        kept = shingles[shingles % np.uint64(self.rule.sample_mod) == 0]
        return sorted_unique(kept.astype(np.uint64, copy=False))

    def put(self, doc_id: str, shingles: np.ndarray, *, new: bool = False) -> None:
        """Store (or replace) a document's sample; ``new``: the caller knows it has none
        stored (the index had no document of this id), so there is nothing to delete."""
        if not new:
            self.delete(doc_id)
        self._wrote, self._read = True, False
        self._conn.execute(
            "INSERT INTO reuse_sets (id, hashes) VALUES (?, ?)",
            (doc_id, self.sampled(shingles).astype("<u8").tobytes()),
        )

    def put_many(self, rows: Sequence[tuple[str, np.ndarray]]) -> None:
        """Store ``(id, shingles)`` rows of documents not stored yet, in one statement."""
        self._wrote, self._read = True, False
        self._conn.executemany(
            "INSERT INTO reuse_sets (id, hashes) VALUES (?, ?)",
            [(doc_id, self.sampled(sh).astype("<u8").tobytes()) for doc_id, sh in rows],
        )

    def delete(self, doc_id: str) -> None:
        """Remove a document's sample (if stored), logging its row for the readers."""
        conn = self._conn
        self._wrote, self._read = True, False
        gone = conn.execute("DELETE FROM reuse_sets WHERE id = ? RETURNING seq, hashes", (doc_id,))
        for seq, hashes in gone.fetchall():
            n = int(conn.execute(_BUMP).fetchall()[0][0])
            conn.execute("INSERT INTO reuse_removed VALUES (?, ?, ?)", (n, seq, hashes))
            conn.execute("DELETE FROM reuse_removed WHERE n <= ?", (n - LOG_KEPT,))

    # --- lookups -------------------------------------------------------------------------------

    def candidates(
        self, shingles: np.ndarray, own: str | None = None, exclude: Sequence[str] = ()
    ) -> list[str]:
        """Stored documents sharing at least ``min_shared`` kept hashes, most shared first.

        A kept hash held by more than ``max_df`` documents is ignored (set phrases and
        boilerplate), as in the bulk job. ``own`` is the id of the document the shingles are
        from: its stored sample, if any, is neither counted nor proposed, so the answer is the
        same before and after the document is stored.
        """
        return self._current().candidates(self.sampled(shingles), own, exclude)

    def began(self) -> None:
        """A write transaction begins, nothing written yet (``SQLiteIndex.on_transaction``):
        the index, if built, reads what was committed since, so that a lookup inside the
        transaction reads only the transaction's own rows on top of it. Once called, lookups
        inside a transaction rely on it and on :meth:`rolled_back` being called."""
        self._hooked, self._view, self._wrote = True, None, False
        self._read = self._index is not None
        if self._index is not None:
            self._index.refresh(self._conn)

    def rolled_back(self) -> None:
        """A savepoint rolled back: the view of the transaction's rows is read again."""
        self._view, self._read = None, False

    def _current(self) -> ReuseIndex:
        """The index as this connection sees the rows now.

        Outside a write transaction, the kept index, read up to what is committed (up to the
        caller's read snapshot, inside one: :mod:`dedup._snapshot`). Inside one, the
        rows the transaction wrote may yet be rolled back (and their seq numbers given to other
        rows), so they go into a view (:meth:`ReuseIndex.tentative`), never the kept index: a
        view of its own for each lookup, unless told of transactions (:meth:`began`). Then a
        transaction that wrote no sample yet reads only committed rows, into the kept index,
        and one that did keeps its view until it ends or a savepoint rolls back, reading only
        the rows written since, when it wrote since the last lookup (no other connection
        writes while it holds the write lock). A writer that places documents again
        (:meth:`dedup.index.IndexCore.place_with`) looks candidates up inside its
        transactions: with a view of the whole table each time, a delete of a canonical with
        members after a post in one transaction took 181 ms of CPU (median of 60, 20,000
        generated articles, by hand), against 2.6-2.9 ms so.
        """
        if self._index is None:
            self._index = ReuseIndex(self.rule)
        index = self._index
        if not writing(self._conn):
            index.refresh(self._conn)
            return index
        if not self._hooked:
            return index.tentative(self._conn)
        if not self._wrote:
            if not self._read:
                index.refresh(self._conn)  # every row it reads is committed
            self._read = True
            return index
        if self._view is None:
            self._view = index.tentative(self._conn)
        elif not self._read:
            self._view.refresh(self._conn)
        self._read = True
        return self._view


class ReuseIndex:
    """The stored samples inverted in memory; see the module docstring.

    The documents read at a refresh are sorted into a run of their own; runs merge as
    :class:`dedup._postings.Postings` says (:data:`dedup._postings.MERGE_RATIO`).
    """

    def __init__(self, rule: ReuseCandidates) -> None:
        self.rule = rule
        self._removed: str | None = None  # meta.reuse_removed as last read
        self._reset()

    def _reset(self) -> None:
        self._ids: list[str] = []  # document number -> id
        self._numbers: dict[str, int] = {}  # id -> the number of its living row
        self._seqs = Seqs()  # document number -> seq
        self._postings = Postings()
        self._last = 0  # the highest seq read
        self._dead: set[int] = set()  # numbers of removed rows, until the next reset
        self._dead_sorted = np.empty(0, dtype=np.int64)
        self._dead_pairs = Postings()  # the removed rows' (hash, number) pairs

    def refresh(self, conn: sqlite3.Connection) -> None:
        """Read what was stored and removed since the last refresh (see the module
        docstring)."""
        own_transaction = not conn.in_transaction
        if own_transaction:
            conn.execute("BEGIN")  # the counter and the rows from one snapshot
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (_REMOVED,)).fetchone()
            removed = None if row is None else str(row[0])
            if removed != self._removed:
                if not self._mark_removed(conn, removed):
                    self._reset()
                self._removed = removed
            cursor = conn.execute(
                "SELECT seq, id, hashes FROM reuse_sets WHERE seq > ? ORDER BY seq", (self._last,)
            )
            # In chunks: a first read of 100,000 documents' rows would hold 130 MB of blobs.
            # Their pairs go in at the end, each run sorted once (Postings.add_many).
            batches = []
            try:
                while rows := cursor.fetchmany(_CHUNK):
                    batches.append(self._add(rows))
            finally:  # the rows counted as read are in, whatever stopped the reading
                try:
                    self._postings.add_many(batches)
                except BaseException:  # counted as read but not in: the next read starts over
                    self._reset()
                    raise
        finally:
            if own_transaction:
                conn.execute("COMMIT")

    def tentative(self, conn: sqlite3.Connection) -> ReuseIndex:
        """This index as ``conn``'s open transaction sees the rows: a copy with the rows
        added and removed since the last refresh, leaving this one as it was."""
        view = ReuseIndex(self.rule)
        view._ids, view._numbers, view._seqs = (
            list(self._ids),
            dict(self._numbers),
            self._seqs.copy(),
        )
        view._postings, view._last = self._postings.copy(), self._last
        view._dead, view._dead_sorted = set(self._dead), self._dead_sorted
        view._dead_pairs, view._removed = self._dead_pairs.copy(), self._removed
        view.refresh(conn)  # merging runs makes new arrays: this index's are never changed
        return view

    def _mark_removed(self, conn: sqlite3.Connection, removed: str | None) -> bool:
        """Mark the rows logged as removed since the last refresh dead; False where the
        index must be read whole again instead (see the module docstring)."""
        if self._last == 0:  # nothing read yet: the rows there are the living ones
            return True
        if removed is None or not _has_log(conn):
            return False
        start, end = int(self._removed or 0), int(removed)
        log = conn.execute(
            "SELECT seq, hashes FROM reuse_removed WHERE n > ? AND n <= ? ORDER BY n",
            (start, end),
        ).fetchall()
        if len(log) != end - start:  # pruned, or an older version bumped without logging
            return False
        pairs = []
        for seq, blob in log:
            number = self._seqs.index(seq)
            if number is None:  # stored and removed since the last refresh: never read
                continue
            self._dead.add(number)
            if self._numbers.get(self._ids[number]) == number:
                del self._numbers[self._ids[number]]
            hashes = np.frombuffer(blob, dtype="<u8").astype(np.uint64)
            pairs.append((hashes, np.full(hashes.shape[0], number, dtype=np.uint32)))
        self._dead_pairs.add_many(pairs)
        self._dead_sorted = np.sort(np.fromiter(self._dead, dtype=np.int64, count=len(self._dead)))
        return not (len(self._dead) > 64 and 2 * len(self._dead) > len(self._ids))

    def _add(self, rows: list[tuple[int, str, bytes]]) -> tuple[np.ndarray, np.ndarray]:
        """Number the rows' documents; their ``(hashes, numbers)`` pairs, to be added."""
        first = len(self._ids)
        sets = [np.frombuffer(blob, dtype="<u8") for _, _, blob in rows]
        for k, (_, doc_id, _) in enumerate(rows):
            self._ids.append(doc_id)
            self._numbers[doc_id] = first + k
        self._seqs.extend([row[0] for row in rows])
        self._last = rows[-1][0]
        hashes = np.concatenate(sets).astype(np.uint64, copy=False)
        sizes = np.fromiter((s.shape[0] for s in sets), dtype=np.int64, count=len(sets))
        docs = np.repeat(np.arange(first, first + len(rows), dtype=np.uint32), sizes)
        return hashes, docs

    def candidates(self, query: np.ndarray, own: str | None, exclude: Sequence[str]) -> list[str]:
        """:meth:`ReuseSets.candidates` for the query's distinct kept hashes."""
        if query.shape[0] == 0 or not self._postings.runs:
            return []
        rule = self.rule
        own_number = -1 if own is None else self._numbers.get(own, -1)
        # Hashes held by at most max_df others (one more in all, if one of them is its own).
        held, of_query, holders = self._postings.find_rare(query, rule.max_df + 1)
        holders = holders.astype(np.int64)
        if self._dead:
            held, of_query, holders = self._living(query, held, of_query, holders)
        mine = holders == own_number
        others = held.copy()
        np.subtract.at(others, of_query[mine], 1)
        useful = (others >= 1) & (others <= rule.max_df)
        keep = useful[of_query] & ~mine
        numbers, shared = np.unique(holders[keep], return_counts=True)
        enough = shared >= rule.min_shared
        skip = set(exclude)
        found = [
            (-int(n), self._ids[d])
            for d, n in zip(numbers[enough].tolist(), shared[enough].tolist(), strict=True)
            if self._ids[d] not in skip
        ]
        found.sort()
        return [doc_id for _, doc_id in found]

    def _living(
        self, query: np.ndarray, held: np.ndarray, of_query: np.ndarray, holders: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`Postings.find_rare`'s answer without the dead rows: each hash counts its
        dead pairs (the log's hashes, :attr:`_dead_pairs`) out, and one left out for its many
        pairs is gathered if its living ones are few enough after all."""
        most, dead = self.rule.max_df + 1, self._dead_sorted
        counts = held - np.bincount(self._dead_pairs.find(query)[0], minlength=query.shape[0])
        alive = ~in_sorted(holders, dead)
        of_query, holders = of_query[alive], holders[alive]
        back = np.flatnonzero((held > most) & (counts <= most))
        if back.shape[0]:
            which, values = self._postings.find(query[back])
            values = values.astype(np.int64)
            keep = ~in_sorted(values, dead)
            of_query = np.concatenate([of_query, back[which[keep]]])
            holders = np.concatenate([holders, values[keep]])
        return counts, of_query, holders


def _has_log(conn: sqlite3.Connection) -> bool:
    """Whether the file has the removal log (a writer of this version created it)."""
    sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'reuse_removed'"
    return conn.execute(sql).fetchone() is not None
