"""The tables a :class:`~dedup.collection.Collection` keeps beside the index.

* ``texts (id PK, text BLOB, boilerplate)``: the original text, zlib-compressed (level 1:
  fast, about a third of the size), because passages are reported in the stored text's
  offsets; and its boilerplate spans as judged when it was posted, so that aligning a new
  article against it does not judge the stored one again (that was three quarters of a post).
* ``refreshed (tag, source)``, ``reopened (n, tag, source, after)``, ``refreshed_documents
  (id, since, handle)`` and ``settled (first, last)``: what :mod:`dedup.collection.refresh`
  did, has to do again and needs not do (see there), and since when a document stored anew
  has been stored (:mod:`dedup.collection.stored_since`);
* ``reuse_sets (seq, id, hashes)``: a 1-in-4 sample of each document's shingle hashes
  (:class:`dedup.reuse.ReuseCandidates`), inverted in memory to propose documents sharing
  passages with a new one although their whole texts are not alike
  (:mod:`dedup.collection.reuse_index`).
"""

from __future__ import annotations

import json
import re
import sqlite3
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields

import numpy as np

from dedup.boilerplate import Rules
from dedup.boilerplate.sqlite_store import SCHEMA as BOILERPLATE_SCHEMA
from dedup.collection.reuse_index import SCHEMA as REUSE_SCHEMA
from dedup.errors import ConfigMismatchError
from dedup.paragraphs import Segmenter
from dedup.reuse import ReuseCandidates

SCHEMA = """
CREATE TABLE IF NOT EXISTS texts (
    id TEXT PRIMARY KEY,
    text BLOB NOT NULL,
    boilerplate TEXT  -- JSON [[start, end], ...] judged when stored, NULL to judge when needed
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS refreshed (
    tag INTEGER NOT NULL,  -- a tagged paragraph key (dedup.boilerplate.sqlite_lookups.tagged)
    source TEXT  -- the source whose earlier carriers of it were judged again (NULL: none)
);
CREATE INDEX IF NOT EXISTS refreshed_tag ON refreshed (tag);
CREATE TABLE IF NOT EXISTS reopened (
    n INTEGER PRIMARY KEY AUTOINCREMENT,  -- above every committed n (dedup.collection.reopened)
    tag INTEGER NOT NULL,  -- a key and source of refreshed (one row at most), whose carriers
    source TEXT,  -- stored after this bp_carriers seq are judged again when a post finds it
    after INTEGER NOT NULL  -- boilerplate next
);
CREATE INDEX IF NOT EXISTS reopened_tag ON reopened (tag);
CREATE TABLE IF NOT EXISTS refreshed_documents (
    id TEXT PRIMARY KEY,
    since INTEGER NOT NULL,  -- the index mark (handle) its id was first stored at
    handle INTEGER NOT NULL  -- its handle since its last refresh or update (stale once changed)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS settled (
    first INTEGER NOT NULL,  -- bp_carriers seqs first..last, judged against a model that
    last INTEGER NOT NULL  -- held them all (a bulk load's): never judged again
);
"""


#: Bumped whenever these tables or the boilerplate tables change meaning (3: reuse postings
#: as one row of sampled hashes per document, :mod:`dedup.collection.reuse_index`; 4: the
#: boilerplate lookups as rows appended per document and form,
#: :mod:`dedup.boilerplate.sqlite_lookups`; 5: a paragraph's shingles and band keys only in its
#: form's row, :mod:`dedup.boilerplate.sqlite_store`; 6: an occurrence names its form's row,
#: and forms are found by masked key in memory, not through an index; 7: fields masked in
#: short paragraphs only, no name template for a name followed by a verb, :mod:`dedup.mask`).
COLLECTION_VERSION = 7


def create(conn: sqlite3.Connection) -> None:
    """Create the tables if they are missing (in the caller's transaction), after the
    boilerplate model's (:class:`~dedup.boilerplate.sqlite_store.SQLiteBoilerplateStore`'s to
    make). A file from before the ``settled`` table has its documents settled: they are not
    judged again when this code learns boilerplate (:mod:`dedup.collection.refresh`)."""
    upgrading = not conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'settled'"
    ).fetchone()
    for statement in [*SCHEMA.split(";"), *REUSE_SCHEMA.split(";")]:
        if statement.strip():
            conn.execute(statement)
    if upgrading:
        conn.execute("INSERT INTO settled SELECT 1, max(seq) FROM bp_carriers HAVING count(*) > 0")


@contextmanager
def settling(conn: sqlite3.Connection) -> Iterator[None]:
    """Settle the ``bp_carriers`` rows written inside (by one transaction: a bulk load's
    boilerplate entries, judged against the whole model they make): none of them is judged
    again later. Rows others commit between two such blocks stay unsettled."""
    before = last_carrier(conn)
    yield
    after = last_carrier(conn)
    if after <= before:
        return
    extend = "UPDATE settled SET last = ? WHERE last = ?"  # a load's chunks with none between
    if not conn.execute(extend, (after, before)).rowcount:
        conn.execute("INSERT INTO settled VALUES (?, ?)", (before + 1, after))


def settled(conn: sqlite3.Connection) -> tuple[np.ndarray, np.ndarray]:
    """The settled ``bp_carriers`` seq ranges: their firsts (sorted) and lasts."""
    rows = conn.execute("SELECT first, last FROM settled ORDER BY first").fetchall()
    ranges = np.array(rows, dtype=np.int64).reshape(-1, 2)
    return ranges[:, 0].copy(), ranges[:, 1].copy()


def including_up_to(
    ranges: tuple[np.ndarray, np.ndarray], seq: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`settled`'s ``ranges`` with every seq up to ``seq`` added (sorted and apart)."""
    firsts, lasts = ranges
    later = lasts > seq
    return (
        np.concatenate([[0], np.maximum(firsts[later], seq + 1)]).astype(np.int64),
        np.concatenate([[seq], lasts[later]]).astype(np.int64),
    )


def last_carrier(conn: sqlite3.Connection) -> int:
    """The largest ``bp_carriers`` seq stored (0: none): every row stored later has a larger
    one (``AUTOINCREMENT``)."""
    return int(conn.execute("SELECT coalesce(max(seq), 0) FROM bp_carriers").fetchone()[0])


_NAMES = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)")


def missing(conn: sqlite3.Connection) -> bool:
    """Whether any table of a collection beside the index's is missing from the file.

    Asked before creating them, so that opening a complete file for writing takes no write
    lock: while another process holds it (a ``dedup bulk --db`` run), a service can still
    open its writer and answer reads, its writes failing alone (with
    :class:`~dedup.errors.IndexBusyError`)."""
    wanted = set(_NAMES.findall(SCHEMA + REUSE_SCHEMA + BOILERPLATE_SCHEMA))
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return not wanted <= {row[0] for row in rows}


def stored_settings() -> dict[str, object]:
    """What, beside ``Config``, decides the stored paragraph keys and reuse postings."""
    rules = Rules()
    segmenter = Segmenter()
    return {
        "boilerplate_rules": {f.name: getattr(rules, f.name) for f in fields(rules)},
        "segmenter": {f.name: getattr(segmenter, f.name) for f in fields(segmenter)},
        "reuse_sample_mod": ReuseCandidates().sample_mod,
    }


def check_version(conn: sqlite3.Connection, settings: dict[str, object], where: str) -> None:
    """Record this code's collection version and settings in ``meta``, or check them.

    The index's ``meta`` table already pins the fingerprint config; these are the other
    settings stored rows depend on (boilerplate rules, segmentation, reuse sampling). A file
    written under other ones is refused, like an index built with another config.
    """
    wanted = json.dumps({"version": COLLECTION_VERSION, **settings}, sort_keys=True)
    row = conn.execute("SELECT value FROM meta WHERE key = 'collection'").fetchone()
    if row is None:
        conn.execute("INSERT OR IGNORE INTO meta VALUES ('collection', ?)", (wanted,))
        return
    if row[0] != wanted:
        raise ConfigMismatchError(wanted, row[0], where=f"collection {where}")


class TextTable:
    """Original texts by document id."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def put(
        self,
        doc_id: str,
        text: str,
        boilerplate: list[tuple[int, int]] | None = None,
        compressed: bytes | None = None,
    ) -> None:
        """Store ``text``; ``compressed`` is :func:`compress` of it, if made already."""
        data = compress(text) if compressed is None else compressed
        spans = None if boilerplate is None else json.dumps([list(s) for s in boilerplate])
        self._conn.execute("INSERT OR REPLACE INTO texts VALUES (?, ?, ?)", (doc_id, data, spans))

    def put_many(self, rows: Sequence[tuple[str, str, list[tuple[int, int]] | None]]) -> None:
        """:meth:`put` for ``(id, text, boilerplate)`` rows in order, in one statement."""
        self._conn.executemany(
            "INSERT OR REPLACE INTO texts VALUES (?, ?, ?)",
            [
                (
                    doc_id,
                    compress(text),
                    None if spans is None else json.dumps([list(s) for s in spans]),
                )
                for doc_id, text, spans in rows
            ],
        )

    def get(self, doc_id: str) -> str | None:
        row = self.get_raw(doc_id)
        return None if row is None else decompress(row[0])

    def get_raw(self, doc_id: str) -> tuple[bytes, str | None] | None:
        """The stored row as it is: the compressed text and the spans' JSON (or None)."""
        row = self._conn.execute(
            "SELECT text, boilerplate FROM texts WHERE id = ?", (doc_id,)
        ).fetchone()
        return None if row is None else (bytes(row[0]), row[1])

    def delete(self, doc_id: str) -> None:
        self._conn.execute("DELETE FROM texts WHERE id = ?", (doc_id,))


def compress(text: str) -> bytes:
    """A text as :class:`TextTable` stores it: UTF-8 (lone surrogates kept), zlib level 1."""
    return zlib.compress(text.encode("utf-8", "surrogatepass"), 1)


def decompress(data: bytes) -> str:
    """A text as :class:`TextTable` stores it, back to ``str``."""
    return zlib.decompress(data).decode("utf-8", "surrogatepass")


def parse_spans(stored: str) -> list[tuple[int, int]]:
    """Boilerplate spans as :class:`TextTable` stores them (JSON), back to tuples."""
    return [(int(s), int(e)) for s, e in json.loads(stored)]
