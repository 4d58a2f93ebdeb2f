"""A :class:`~dedup.boilerplate.store.BoilerplateStore` in SQLite tables.

It lives in the same file as the index (the caller passes the connection and owns the
transactions), so a document, its fingerprints and its paragraph keys commit together.

Tables (all keys are uint64 hashes stored as their int64 bit pattern):

* ``bp_documents (doc_id PK, source, signature BLOB)`` - the whole-text masked signature that
  tells copies of one story apart;
* ``bp_occurrences (doc_id, ord, start, end, text, exact, masked, template, label, shingles,
  bands)`` - eligible paragraphs; ``shingles``/``bands`` are little-endian blobs, NULL for
  paragraphs too short to sign;
* ``bp_keys (kind, key, doc_id, source)`` - the carriers lookup, indexed by ``(kind, key)``;
* ``bp_forms (masked PK, shingles, refs)`` and ``bp_bands (band_key, masked)`` - the signed
  masked forms and their LSH band keys, for near-duplicate lookups.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from dedup._arrays import sorted_unique
from dedup.boilerplate.store import DocumentEntry, KeyKind, Occurrence, _keys

SCHEMA = """
CREATE TABLE IF NOT EXISTS bp_documents (
    doc_id TEXT PRIMARY KEY,
    source TEXT,
    signature BLOB NOT NULL
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
    shingles BLOB,
    bands BLOB,
    PRIMARY KEY (doc_id, ord)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bp_keys (
    kind TEXT NOT NULL,
    key INTEGER NOT NULL,
    doc_id TEXT NOT NULL,
    source TEXT,
    PRIMARY KEY (kind, key, doc_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bp_forms (
    masked INTEGER PRIMARY KEY,
    shingles BLOB NOT NULL,
    refs INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS bp_bands (
    band_key INTEGER NOT NULL,
    masked INTEGER NOT NULL,
    PRIMARY KEY (band_key, masked)
) WITHOUT ROWID;
"""

_BIT63 = 1 << 63
_BIT64 = 1 << 64


def _signed(value: int) -> int:
    return value - _BIT64 if value >= _BIT63 else value


def _unsigned(value: int) -> int:
    return value + _BIT64 if value < 0 else value


def _blob(array: np.ndarray | None, dtype: str) -> bytes | None:
    return None if array is None else np.ascontiguousarray(array, dtype=dtype).tobytes()


def _array(blob: bytes | None, dtype: str) -> np.ndarray | None:
    return None if blob is None else np.frombuffer(blob, dtype=dtype).copy()


class SQLiteBoilerplateStore:
    """Boilerplate model storage over an open SQLite connection (see the module docstring)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def create(self) -> None:
        """Create the tables if they are missing (inside the caller's transaction)."""
        for statement in SCHEMA.split(";"):
            if statement.strip():
                self._conn.execute(statement)
        self._conn.execute("CREATE INDEX IF NOT EXISTS bp_keys_doc ON bp_keys (doc_id)")

    def __len__(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM bp_documents").fetchone()[0])

    def put(self, entry: DocumentEntry) -> None:
        """Store a document, replacing any stored one with the same id."""
        self._remove(entry.doc_id)
        conn = self._conn
        conn.execute(
            "INSERT INTO bp_documents VALUES (?, ?, ?)",
            (entry.doc_id, entry.source, _blob(entry.signature, "<u4")),
        )
        conn.executemany(
            "INSERT INTO bp_occurrences VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    entry.doc_id,
                    i,
                    occ.start,
                    occ.end,
                    occ.text,
                    _signed(occ.exact),
                    _signed(occ.masked),
                    None if occ.template is None else _signed(occ.template),
                    None if occ.label is None else _signed(occ.label),
                    _blob(occ.shingles, "<u8"),
                    _blob(occ.bands, "<u8"),
                )
                for i, occ in enumerate(entry.occurrences)
            ],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO bp_keys VALUES (?, ?, ?, ?)",
            [
                (kind, _signed(key), entry.doc_id, entry.source)
                for occ in entry.occurrences
                for kind, key in _keys(occ)
            ],
        )
        for occ in entry.occurrences:
            if occ.shingles is None or occ.bands is None:
                continue
            masked = _signed(occ.masked)
            updated = conn.execute(
                "UPDATE bp_forms SET refs = refs + 1 WHERE masked = ?", (masked,)
            ).rowcount
            if not updated:
                conn.execute(
                    "INSERT INTO bp_forms VALUES (?, ?, 1)", (masked, _blob(occ.shingles, "<u8"))
                )
                conn.executemany(
                    "INSERT OR IGNORE INTO bp_bands VALUES (?, ?)",
                    [(_signed(int(b)), masked) for b in occ.bands.tolist()],
                )

    def _remove(self, doc_id: str) -> None:
        old = self.get(doc_id)
        if old is None:
            return
        conn = self._conn
        conn.execute("DELETE FROM bp_documents WHERE doc_id = ?", (doc_id,))
        conn.execute("DELETE FROM bp_occurrences WHERE doc_id = ?", (doc_id,))
        conn.execute("DELETE FROM bp_keys WHERE doc_id = ?", (doc_id,))
        for occ in old.occurrences:
            if occ.shingles is None or occ.bands is None:
                continue
            masked = _signed(occ.masked)
            conn.execute("UPDATE bp_forms SET refs = refs - 1 WHERE masked = ?", (masked,))
            gone = conn.execute(
                "DELETE FROM bp_forms WHERE masked = ? AND refs <= 0", (masked,)
            ).rowcount
            if gone:
                conn.execute("DELETE FROM bp_bands WHERE masked = ?", (masked,))

    def remove(self, doc_id: str) -> None:
        """Forget a document (nothing happens if it is not stored)."""
        self._remove(doc_id)

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
                'SELECT start, "end", text, exact, masked, template, label, shingles, bands '
                "FROM bp_occurrences WHERE doc_id = ? ORDER BY ord",
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
        ids = [r[0] for r in self._conn.execute("SELECT doc_id FROM bp_documents ORDER BY doc_id")]
        for doc_id in ids:
            entry = self.get(doc_id)
            if entry is not None:
                yield entry

    def clear(self) -> None:
        """Forget everything."""
        for table in ("bp_documents", "bp_occurrences", "bp_keys", "bp_forms", "bp_bands"):
            self._conn.execute(f"DELETE FROM {table}")

    def carriers(self, kind: KeyKind, key: int) -> Mapping[str, str | None]:
        """Documents with an occurrence under this key, as ``{doc_id: source}``."""
        return {
            r[0]: r[1]
            for r in self._conn.execute(
                "SELECT doc_id, source FROM bp_keys WHERE kind = ? AND key = ?",
                (kind, _signed(key)),
            )
        }

    def near(self, bands: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """``(masked key, masked shingles)`` of the stored signed forms sharing a band key."""
        keys = [_signed(int(b)) for b in bands.tolist()]
        if not keys:
            return []
        marks = ",".join("?" * len(keys))
        rows = self._conn.execute(
            "SELECT f.masked, f.shingles FROM bp_forms f WHERE f.masked IN "
            f"(SELECT masked FROM bp_bands WHERE band_key IN ({marks})) ORDER BY f.masked",
            keys,
        ).fetchall()
        found = [(_unsigned(r[0]), _array(r[1], "<u8")) for r in rows]
        return sorted(((k, s) for k, s in found if s is not None), key=lambda item: item[0])

    # --- many lookups in one query each (:class:`~dedup.boilerplate.store.BatchLookups`) -----

    def carriers_many(
        self, keys: Iterable[tuple[KeyKind, int]]
    ) -> dict[tuple[KeyKind, int], Mapping[str, str | None]]:
        """:meth:`carriers` of each key: one query per kind of key, the keys as a JSON array."""
        by_kind: dict[KeyKind, set[int]] = {}
        for kind, key in keys:
            by_kind.setdefault(kind, set()).add(_signed(key))
        found: dict[tuple[KeyKind, int], dict[str, str | None]] = {}
        for kind, wanted in by_kind.items():
            for key, doc_id, source in self._conn.execute(
                "SELECT key, doc_id, source FROM bp_keys "
                "WHERE kind = ? AND key IN (SELECT value FROM json_each(?))",
                (kind, json.dumps(sorted(wanted))),
            ):
                found.setdefault((kind, _unsigned(key)), {})[doc_id] = source
        return dict(found)

    def near_many(self, bands: Sequence[np.ndarray]) -> list[list[tuple[int, np.ndarray]]]:
        """:meth:`near` of each array of band keys, from one query over all of them.

        The keys go to SQLite as their signed bit patterns (an ``int64`` view) and each form's
        shingles are read once however many bands it is found under: this runs for every
        post, and most of its cost was Python work per key (0.67 ms a post, at 20,000 stored
        articles, for a query that usually finds nothing).
        """
        arrays = [np.ascontiguousarray(keys, dtype=np.uint64).view(np.int64) for keys in bands]
        if not any(a.shape[0] for a in arrays):
            return [[] for _ in bands]
        wanted = sorted_unique(np.concatenate(arrays)).tolist()
        forms: dict[int, np.ndarray] = {}
        by_band: dict[int, set[int]] = {}
        for band_key, masked, shingles in self._conn.execute(
            "SELECT b.band_key, f.masked, f.shingles FROM bp_bands b "
            "JOIN bp_forms f ON f.masked = b.masked "
            "WHERE b.band_key IN (SELECT value FROM json_each(?))",
            (json.dumps(wanted),),
        ):
            key = _unsigned(masked)
            if key not in forms:
                forms[key] = np.frombuffer(shingles, dtype="<u8").copy()
            by_band.setdefault(band_key, set()).add(key)
        if not by_band:
            return [[] for _ in bands]
        out = []
        for keys in arrays:
            hit: set[int] = set()
            for b in keys.tolist():
                found = by_band.get(b)
                if found:
                    hit |= found
            out.append([(k, forms[k]) for k in sorted(hit)])
        return out

    def signatures(self, doc_ids: Iterable[str]) -> dict[str, np.ndarray]:
        """The whole-text signatures of these stored documents, in one query."""
        rows = self._conn.execute(
            "SELECT doc_id, signature FROM bp_documents "
            "WHERE doc_id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(doc_ids)),),
        )
        return {doc_id: np.frombuffer(blob, dtype="<u4").copy() for doc_id, blob in rows}


def _occurrence(r: tuple[Any, ...]) -> Occurrence:
    return Occurrence(
        start=r[0],
        end=r[1],
        text=r[2],
        exact=_unsigned(r[3]),
        masked=_unsigned(r[4]),
        template=None if r[5] is None else _unsigned(r[5]),
        label=None if r[6] is None else _unsigned(r[6]),
        shingles=_array(r[7], "<u8"),
        bands=_array(r[8], "<u8"),
    )
