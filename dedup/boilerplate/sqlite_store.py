"""A :class:`~dedup.boilerplate.store.BoilerplateStore` in SQLite tables.

It lives in the same file as the index (the caller passes the connection and owns the
transactions), so a document, its fingerprints and its paragraph keys commit together.

Tables (all keys are uint64 hashes stored as their int64 bit pattern):

* ``bp_documents (doc_id PK, source, signature BLOB, seq)`` - the whole-text masked signature
  that tells copies of one story apart, and the document's ``bp_carriers`` row;
* ``bp_occurrences (doc_id, ord, start, end, text, exact, masked, template, label, form)`` -
  eligible paragraphs; a signed one (long enough for a MinHash) names its ``bp_forms`` row
  (``form``), which holds its shingles and band keys once for every paragraph with its masked
  text: copies of them in each occurrence were 73 % of this table, and a third of a collection
  file stored with its boilerplate model;
* ``bp_carriers (seq, doc_id, source, keys)`` - every paragraph key of a document, tagged with
  its kind, in one row appended per document;
* ``bp_forms (seq, masked, shingles, bands, refs)`` - the signed masked forms, with their LSH
  band keys and how many occurrences name them, appended as they first appear. Which form a
  masked key has is looked up in memory (:class:`~dedup.boilerplate.sqlite_lookups.FormKeys`),
  not in an index on ``masked``: about eight new forms a post went into that index at random
  places, each dirtying a page of its own, and a batch's commit took 0.56 ms a post against
  0.19 ms without the index, into 100,000 articles stored with their model (collection
  version 6);
* ``bp_removed (n, kind, seq)`` - the ``bp_carriers`` and ``bp_forms`` rows removed since (the
  last :data:`dedup._removal_log.KEPT` kept).

Which documents carry a key and which forms share a band key are looked up in memory, from
``bp_carriers`` and ``bp_forms`` inverted (:mod:`dedup.boilerplate.sqlite_lookups`): as rows of
their own those were most of a post's writes.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from itertools import islice
from typing import Any

import numpy as np

from dedup._guarded import storage_errors
from dedup._int64 import signed, unsigned
from dedup._json_param import json_array
from dedup._removal_log import prune
from dedup.boilerplate._inversion import CARRIER, FORM
from dedup.boilerplate._lookups import Lookups
from dedup.boilerplate._sqlite_in_order import SQLiteInOrder
from dedup.boilerplate.sqlite_lookups import tagged
from dedup.boilerplate.store import CarriersInOrder, DocumentEntry, KeyKind, Occurrence, keys_of

SCHEMA = """
CREATE TABLE IF NOT EXISTS bp_documents (
    doc_id TEXT PRIMARY KEY,
    source TEXT,
    signature BLOB NOT NULL,
    seq INTEGER NOT NULL  -- its bp_carriers row
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bp_occurrences (
    doc_id TEXT NOT NULL,
    ord INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text TEXT NOT NULL,
    exact INTEGER NOT NULL,
    masked INTEGER NOT NULL,
    template INTEGER,
    label INTEGER,
    form INTEGER,  -- the bp_forms seq of a signed paragraph's masked form (NULL: unsigned)
    PRIMARY KEY (doc_id, ord)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bp_carriers (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL,
    source TEXT,
    keys BLOB NOT NULL  -- distinct tagged keys (sqlite_lookups.tagged), uint64 little-endian
);
CREATE TABLE IF NOT EXISTS bp_forms (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    masked INTEGER NOT NULL,  -- at most one living row per key (found in memory, not indexed)
    shingles BLOB NOT NULL,
    bands BLOB NOT NULL,
    refs INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS bp_removed (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    kind INTEGER NOT NULL,  -- 0: a bp_carriers row, 1: a bp_forms row
    seq INTEGER NOT NULL
);
"""

#: Documents a :meth:`SQLiteBoilerplateStore.put_many` looks their forms up for at once.
_BATCH = 256

#: Told of each removed document (:meth:`SQLiteBoilerplateStore.on_removal`).
RemovalHook = Callable[[str | None, np.ndarray], None]


def _blob(array: np.ndarray | None, dtype: str) -> bytes | None:
    return None if array is None else np.ascontiguousarray(array, dtype=dtype).tobytes()


def _array(blob: bytes | None, dtype: str) -> np.ndarray | None:
    return None if blob is None else np.frombuffer(blob, dtype=dtype).copy()


class SQLiteBoilerplateStore:
    """Boilerplate model storage over an open SQLite connection (see the module docstring)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        keep_views: bool = False,
        guard: Callable[[], AbstractContextManager[None]] = nullcontext,
    ) -> None:
        """``keep_views``: the caller calls :meth:`catch_up` as each transaction begins and
        :meth:`rolled_back` whenever a savepoint rolls back, so that lookups inside a
        transaction may keep what they read of its rows (see
        :class:`~dedup.boilerplate._lookups.Lookups`). ``guard``: a block in which the
        lookups read (:func:`dedup._guarded.storage_errors`), the file's translation of
        SQLite's errors into the library's, for a model that reads outside the owner's."""
        self._conn = conn
        self._guard = guard
        self._lookups = Lookups(conn, keep_views=keep_views)
        self._removal_hooks: list[RemovalHook] = []

    def on_removal(self, hook: RemovalHook) -> None:
        """Call ``hook(source, tags)`` as a stored document is removed or replaced, before its
        rows go, with its ``bp_carriers`` row's source and tagged keys (``uint64``): how a key's
        carriers fall below enough stories (:meth:`clear` tells none: the model is learned anew)."""
        self._removal_hooks.append(hook)

    def create(self) -> None:
        """Create the tables if they are missing (inside the caller's transaction)."""
        for statement in SCHEMA.split(";"):
            if statement.strip():
                self._conn.execute(statement)

    def catch_up(self) -> None:
        """Bring the in-memory lookups up to the committed rows, as a transaction begins (the
        write lock held, nothing written yet): lookups inside it then read only the rows it
        writes beside them (:meth:`dedup.index.SQLiteIndex.on_transaction`)."""
        self._lookups.catch_up(writing=True)

    def rolled_back(self) -> None:
        """A savepoint of the connection was rolled back
        (:meth:`dedup.index.SQLiteIndex.on_transaction`)."""
        self._lookups.rolled_back()

    @storage_errors
    def __len__(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM bp_documents").fetchone()[0])

    def put(self, entry: DocumentEntry) -> None:
        """Store a document, replacing any stored one with the same id."""
        self.put_many([entry])

    def put_many(self, entries: Iterable[DocumentEntry]) -> None:
        """:meth:`put` each document in order, finding their forms :data:`_BATCH` at a time.

        A lookup of forms by masked key has a fixed cost (reading what the transaction wrote
        since the last, and searching a dozen runs): a bulk load paid it per document.
        """
        it = iter(entries)
        while batch := list(islice(it, _BATCH)):
            keys = sorted({occ.masked for e in batch for occ in e.occurrences if _is_signed(occ)})
            seqs = self._lookups.form_seqs(keys) if keys else []
            # masked key -> living form, as the batch's removals and new forms change them
            forms = {m: seq for m, seq in zip(keys, seqs, strict=True) if seq is not None}
            for entry in batch:
                dropped = self._remove(entry.doc_id)
                if dropped:
                    forms = {m: seq for m, seq in forms.items() if seq not in dropped}
                self._put(entry, forms)

    def _put(self, entry: DocumentEntry, forms: dict[int, int]) -> None:
        """Store a document not stored; ``forms`` (masked key -> seq) holds every living form
        of its signed paragraphs' masked keys, and gets the forms made for it."""
        conn = self._conn
        keys = sorted(
            {tagged(kind, key) for occ in entry.occurrences for kind, key in keys_of(occ)}
        )
        blob = np.array(keys, dtype="<u8").tobytes()
        seq = _rowid(
            conn.execute(
                "INSERT INTO bp_carriers (doc_id, source, keys) VALUES (?, ?, ?)",
                (entry.doc_id, entry.source, blob),
            )
        )
        conn.execute(
            "INSERT INTO bp_documents VALUES (?, ?, ?, ?)",
            (entry.doc_id, entry.source, _blob(entry.signature, "<u4"), seq),
        )
        with_forms = [occ for occ in entry.occurrences if _is_signed(occ)]
        counts = Counter(occ.masked for occ in with_forms)
        new_forms: list[tuple[object, ...]] = []  # (seq, bands), as the lookups read them
        firsts: dict[int, Occurrence] = {}
        for occ in with_forms:
            firsts.setdefault(occ.masked, occ)
        for masked, occ in firsts.items():
            if masked in forms:
                conn.execute(
                    "UPDATE bp_forms SET refs = refs + ? WHERE seq = ?",
                    (counts[masked], forms[masked]),
                )
                continue
            bands = _blob(occ.bands, "<u8")
            forms[masked] = _rowid(
                conn.execute(
                    "INSERT INTO bp_forms (masked, shingles, bands, refs) VALUES (?, ?, ?, ?)",
                    (signed(masked), _blob(occ.shingles, "<u8"), bands, counts[masked]),
                )
            )
            self._lookups.made_form(masked, forms[masked])
            new_forms.append((forms[masked], bands))
        conn.executemany(
            "INSERT INTO bp_occurrences VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    entry.doc_id,
                    i,
                    occ.start,
                    occ.end,
                    occ.text,
                    signed(occ.exact),
                    signed(occ.masked),
                    None if occ.template is None else signed(occ.template),
                    None if occ.label is None else signed(occ.label),
                    forms[occ.masked] if _is_signed(occ) else None,
                )
                for i, occ in enumerate(entry.occurrences)
            ],
        )
        self._lookups.wrote_rows((seq, entry.doc_id, entry.source, blob), new_forms)

    def _remove(self, doc_id: str) -> set[int]:
        """Forget a document; the seqs of the forms no paragraph names any more, dropped."""
        conn = self._conn
        row = conn.execute("SELECT seq FROM bp_documents WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is None:
            return set()
        if self._removal_hooks:
            found = conn.execute("SELECT source, keys FROM bp_carriers WHERE seq = ?", (row[0],))
            source, blob = found.fetchone()
            for hook in self._removal_hooks:
                hook(source, np.frombuffer(blob, dtype="<u8"))
        self._lookups.wrote_removals()
        query = "SELECT form FROM bp_occurrences WHERE doc_id = ? AND form IS NOT NULL"
        forms = Counter(r[0] for r in conn.execute(query, (doc_id,)))
        conn.execute("DELETE FROM bp_documents WHERE doc_id = ?", (doc_id,))
        conn.execute("DELETE FROM bp_occurrences WHERE doc_id = ?", (doc_id,))
        conn.execute("DELETE FROM bp_carriers WHERE seq = ?", (row[0],))
        conn.execute("INSERT INTO bp_removed (kind, seq) VALUES (?, ?)", (CARRIER, row[0]))
        dropped: set[int] = set()
        for seq, count in sorted(forms.items()):
            conn.execute("UPDATE bp_forms SET refs = refs - ? WHERE seq = ?", (count, seq))
            gone = conn.execute(
                "DELETE FROM bp_forms WHERE seq = ? AND refs <= 0 RETURNING seq", (seq,)
            ).fetchall()
            conn.executemany(
                "INSERT INTO bp_removed (kind, seq) VALUES (?, ?)", [(FORM, r[0]) for r in gone]
            )
            dropped.update(r[0] for r in gone)
        self._lookups.dropped_forms(dropped)
        self._prune_removals()
        return dropped

    def _prune_removals(self) -> None:
        """Keep the last rows of ``bp_removed`` and every row this connection's lookups have
        not read (:func:`dedup._removal_log.prune`)."""
        conn = self._conn
        last = conn.execute("SELECT max(n) FROM bp_removed").fetchone()[0] or 0
        prune(conn, "bp_removed", last, self._lookups.removals_read())

    def remove(self, doc_id: str) -> None:
        """Forget a document (nothing happens if it is not stored)."""
        self._remove(doc_id)

    @storage_errors
    def paragraphs(self, doc_id: str) -> list[Occurrence]:
        """A stored document's paragraphs with their keys but not their texts and arrays:
        which of them carry a key, read for a tenth of :meth:`get`'s cost."""
        query = (
            "SELECT start, \"end\", '', exact, masked, template, label, NULL, NULL "
            "FROM bp_occurrences WHERE doc_id = ? ORDER BY ord"
        )
        return [_occurrence(r) for r in self._conn.execute(query, (doc_id,))]

    @storage_errors
    def get(self, doc_id: str) -> DocumentEntry | None:
        """The stored document with this id, if any."""
        row = self._conn.execute(
            "SELECT source, signature FROM bp_documents WHERE doc_id = ?", (doc_id,)
        ).fetchone()
        if row is None:
            return None
        occurrences = tuple(
            _occurrence(r)
            for r in self._conn.execute(
                'SELECT o.start, o."end", o.text, o.exact, o.masked, o.template, o.label, '
                "f.shingles, f.bands FROM bp_occurrences AS o "
                "LEFT JOIN bp_forms AS f ON f.seq = o.form "
                "WHERE o.doc_id = ? ORDER BY o.ord",
                (doc_id,),
            )
        )
        signature = _array(row[1], "<u4")
        return DocumentEntry(
            doc_id,
            row[0],
            signature if signature is not None else np.empty(0, np.uint32),
            occurrences,
        )

    def entries(self) -> Iterator[DocumentEntry]:
        """Every stored document, in id order."""
        with self._guard():
            query = "SELECT doc_id FROM bp_documents ORDER BY doc_id"
            ids = [r[0] for r in self._conn.execute(query)]
        for doc_id in ids:
            entry = self.get(doc_id)
            if entry is not None:
                yield entry

    def clear(self) -> None:
        """Forget everything."""
        conn = self._conn
        self._lookups.dropped_forms(None)
        self._lookups.wrote_removals()
        conn.execute(f"INSERT INTO bp_removed (kind, seq) SELECT {CARRIER}, seq FROM bp_carriers")
        conn.execute(f"INSERT INTO bp_removed (kind, seq) SELECT {FORM}, seq FROM bp_forms")
        for table in ("bp_documents", "bp_occurrences", "bp_carriers", "bp_forms"):
            conn.execute(f"DELETE FROM {table}")
        self._prune_removals()

    @storage_errors
    def carriers(self, kind: KeyKind, key: int) -> Mapping[str, str | None]:
        """Documents with an occurrence under this key, as ``{doc_id: source}``."""
        return self._lookups.carriers().find([tagged(kind, key)])[0]

    @storage_errors
    def carriers_outside(
        self, kind: KeyKind, key: int, source: str | None, ranges: tuple[np.ndarray, np.ndarray]
    ) -> list[str]:
        """The documents of ``source`` with an occurrence under this key whose ``bp_carriers``
        rows lie in none of the seq ranges ``(firsts, lasts)``, sorted."""
        return self._lookups.carriers().outside(tagged(kind, key), source, ranges)

    def near(self, bands: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """``(masked key, masked shingles)`` of the stored signed forms sharing a band key."""
        return self.near_many([bands])[0]

    # --- many lookups at once (:class:`~dedup.boilerplate.store.BatchLookups`) ---------------

    @storage_errors
    def near_many(self, bands: Sequence[np.ndarray]) -> list[list[tuple[int, np.ndarray]]]:
        """:meth:`near` of each array of band keys."""
        return self._lookups.forms().find(self._conn, bands)

    @storage_errors
    def carriers_in_order(self, keys: Iterable[tuple[KeyKind, int]]) -> CarriersInOrder:
        """The carriers as this connection sees them now, those of ``keys`` looked up at once."""
        return SQLiteInOrder(self._lookups.carriers(), keys)

    @storage_errors
    def signatures(self, doc_ids: Iterable[str]) -> dict[str, np.ndarray]:
        """The whole-text signatures of these stored documents, in one query."""
        rows = self._conn.execute(
            "SELECT doc_id, signature FROM bp_documents "
            "WHERE doc_id IN (SELECT value FROM json_each(?))",
            (json_array(list(doc_ids)),),
        )
        return {doc_id: np.frombuffer(blob, dtype="<u4").copy() for doc_id, blob in rows}


def _rowid(cursor: sqlite3.Cursor) -> int:
    """The rowid an INSERT just gave."""
    if cursor.lastrowid is None:  # pragma: no cover - an INSERT into a rowid table sets it
        raise sqlite3.DatabaseError("no rowid after an INSERT")
    return cursor.lastrowid


def _is_signed(occ: Occurrence) -> bool:
    return occ.shingles is not None and occ.bands is not None


def _occurrence(r: tuple[Any, ...]) -> Occurrence:
    return Occurrence(
        start=r[0],
        end=r[1],
        text=r[2],
        exact=unsigned(r[3]),
        masked=unsigned(r[4]),
        template=None if r[5] is None else unsigned(r[5]),
        label=None if r[6] is None else unsigned(r[6]),
        shingles=_array(r[7], "<u8"),
        bands=_array(r[8], "<u8"),
    )
