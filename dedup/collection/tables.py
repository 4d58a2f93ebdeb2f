"""The tables a :class:`~dedup.collection.Collection` keeps beside the index.

* ``texts (id PK, text BLOB, boilerplate)``: the original text, zlib-compressed (level 1:
  fast, about a third of the size), because passages are reported in the stored text's
  offsets; and its boilerplate spans as judged when it was posted, so that aligning a new
  article against it does not judge the stored one again (that was three quarters of a post).
* ``reuse_postings (hash, id)``: a 1-in-4 sample of each document's shingle hashes
  (:class:`dedup.reuse.ReuseCandidates`), the inverted index that proposes documents sharing
  passages with a new one although their whole texts are not alike.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Sequence
from dataclasses import fields

import numpy as np

from dedup.boilerplate import Rules
from dedup.errors import ConfigMismatchError
from dedup.paragraphs import Segmenter
from dedup.reuse import ReuseCandidates

SCHEMA = """
CREATE TABLE IF NOT EXISTS texts (
    id TEXT PRIMARY KEY,
    text BLOB NOT NULL,
    boilerplate TEXT  -- JSON [[start, end], ...] judged when stored, NULL to judge when needed
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reuse_postings (
    hash INTEGER NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (hash, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS reuse_postings_id ON reuse_postings (id);
"""


#: Bumped whenever these tables or the boilerplate tables change meaning.
COLLECTION_VERSION = 2


def create(conn: sqlite3.Connection) -> None:
    """Create the tables if they are missing (in the caller's transaction)."""
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


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

    def put(self, doc_id: str, text: str, boilerplate: list[tuple[int, int]] | None = None) -> None:
        data = zlib.compress(text.encode("utf-8", "surrogatepass"), 1)
        spans = None if boilerplate is None else json.dumps([list(s) for s in boilerplate])
        self._conn.execute("INSERT OR REPLACE INTO texts VALUES (?, ?, ?)", (doc_id, data, spans))

    def put_many(self, rows: Sequence[tuple[str, str, list[tuple[int, int]] | None]]) -> None:
        """:meth:`put` for ``(id, text, boilerplate)`` rows in order, in one statement."""
        self._conn.executemany(
            "INSERT OR REPLACE INTO texts VALUES (?, ?, ?)",
            [
                (
                    doc_id,
                    zlib.compress(text.encode("utf-8", "surrogatepass"), 1),
                    None if spans is None else json.dumps([list(s) for s in spans]),
                )
                for doc_id, text, spans in rows
            ],
        )

    def get(self, doc_id: str) -> str | None:
        found = self.get_with_boilerplate(doc_id)
        return None if found is None else found[0]

    def get_with_boilerplate(self, doc_id: str) -> tuple[str, list[tuple[int, int]] | None] | None:
        """The text and its stored boilerplate spans (None when they were not judged)."""
        row = self.get_raw(doc_id)
        if row is None:
            return None
        return decompress(row[0]), None if row[1] is None else parse_spans(row[1])

    def get_raw(self, doc_id: str) -> tuple[bytes, str | None] | None:
        """The stored row as it is: the compressed text and the spans' JSON (or None)."""
        row = self._conn.execute(
            "SELECT text, boilerplate FROM texts WHERE id = ?", (doc_id,)
        ).fetchone()
        return None if row is None else (bytes(row[0]), row[1])

    def delete(self, doc_id: str) -> None:
        self._conn.execute("DELETE FROM texts WHERE id = ?", (doc_id,))


def decompress(data: bytes) -> str:
    """A text as :class:`TextTable` stores it, back to ``str``."""
    return zlib.decompress(data).decode("utf-8", "surrogatepass")


def parse_spans(stored: str) -> list[tuple[int, int]]:
    """Boilerplate spans as :class:`TextTable` stores them (JSON), back to tuples."""
    return [(int(s), int(e)) for s, e in json.loads(stored)]


class ReusePostings:
    """The sampled-shingle inverted index, with the candidate rule of ``ReuseCandidates``."""

    def __init__(self, conn: sqlite3.Connection, rule: ReuseCandidates | None = None) -> None:
        self._conn = conn
        self.rule = rule or ReuseCandidates()

    def sample(self, shingles: np.ndarray) -> list[int]:
        """The kept shingles of one document, as signed 64-bit integers."""
        return [int(h) for h in self.sampled(shingles)]

    def sampled(self, shingles: np.ndarray) -> np.ndarray:
        """:meth:`sample` as an int64 array (the stored bit patterns)."""
        kept = np.ascontiguousarray(shingles[shingles % np.uint64(self.rule.sample_mod) == 0])
        return kept.view(np.int64)

    def put(self, doc_id: str, shingles: np.ndarray) -> None:
        self.delete(doc_id)
        self._conn.executemany(
            "INSERT OR IGNORE INTO reuse_postings VALUES (?, ?)",
            [(h, doc_id) for h in self.sample(shingles)],
        )

    def delete(self, doc_id: str) -> None:
        self._conn.execute("DELETE FROM reuse_postings WHERE id = ?", (doc_id,))

    def insert_many(self, hashes: Sequence[int], ids: Sequence[str]) -> None:
        """Insert rows ``(hashes[i], ids[i])`` :data:`_POSTING_ROWS` per statement.

        A bulk load inserts millions of rows: one statement per row spends more time in the
        statement machinery than in the B-tree (as for the index's band rows).
        """
        flat: list[int | str] = [0] * (2 * len(hashes))
        flat[0::2] = hashes
        flat[1::2] = ids
        step = 2 * _POSTING_ROWS
        whole = len(flat) // step * step
        self._conn.executemany(
            _postings_insert(_POSTING_ROWS), (flat[i : i + step] for i in range(0, whole, step))
        )
        if whole < len(flat):
            self._conn.execute(_postings_insert((len(flat) - whole) // 2), flat[whole:])

    def candidates(
        self, shingles: np.ndarray, own: str | None = None, exclude: Sequence[str] = ()
    ) -> list[str]:
        """Stored documents sharing at least ``min_shared`` kept shingles, most shared first.

        A kept shingle held by more than ``max_df`` documents is ignored (set phrases and
        boilerplate), as in the bulk job. ``own`` is the id of the document the shingles are
        from: its stored postings, if any, are neither counted nor proposed, so the answer
        is the same before and after the document is stored.
        """
        hashes = self.sample(shingles)
        if not hashes:
            return []
        rule = self.rule
        rows = self._conn.execute(
            _CANDIDATES,
            {
                "hashes": json.dumps(hashes),
                "own": own,
                "cap": rule.max_df + 1,
                "max_df": rule.max_df,
                "min_shared": rule.min_shared,
            },
        ).fetchall()
        skip = set(exclude)
        return [r[0] for r in rows if r[0] not in skip]


#: Documents sharing enough useful kept shingles with the query's (a JSON list), most first.
#:
#: A kept shingle is useful when at most ``max_df`` documents hold it; counting them reads
#: at most ``max_df + 1`` rows per shingle (``LIMIT``), instead of every row of the set
#: phrases that a news corpus repeats in thousands of documents: 0.73 ms per check instead
#: of 2.3 ms at 20,000 stored documents, where a check's kept shingles matched 12,800 rows.
#: ``MATERIALIZED`` keeps the planner from folding the per-shingle count into the join.
_CANDIDATES = """
WITH q(hash) AS (SELECT DISTINCT value FROM json_each(:hashes)),
useful(hash) AS MATERIALIZED (
    SELECT hash FROM q
    WHERE (
        SELECT count(*) FROM (
            SELECT 1 FROM reuse_postings r WHERE r.hash = q.hash AND r.id IS NOT :own LIMIT :cap
        )
    ) <= :max_df
)
SELECT p.id, count(*) AS shared FROM useful u JOIN reuse_postings p ON p.hash = u.hash
WHERE p.id IS NOT :own
GROUP BY p.id HAVING shared >= :min_shared
ORDER BY shared DESC, p.id
"""

#: Posting rows per INSERT statement: 998 variables, under SQLite's limit (999 before 3.32).
_POSTING_ROWS = 499


def _postings_insert(rows: int) -> str:
    return "INSERT OR IGNORE INTO reuse_postings (hash, id) VALUES " + ", ".join(["(?, ?)"] * rows)
