"""Since when each stored document has been stored, across the places the index gives it anew.

A report answers as of its post's verdict: it takes only the documents stored before the
index's mark of that moment (:attr:`~dedup.collection.reports.Pending.mark`), so that a bulk
body's or a concurrent post's later lines, committed before an earlier line's report runs, are
not in that line's answer. But an update (a correction, even of the date alone) and a refresh
(:mod:`dedup.collection.refresh`) store a document again at a new handle, which reads as
"stored after" a post decided before it, although its id was stored all along: an excerpt
decided before its story's date was corrected lost its ``contained_in`` match and stayed out
of the story's cluster for good (3 of 10 tries of two concurrent posts, by a tester; every time
in a bulk body).

So each replacement records, in ``refreshed_documents (id, since, handle)``, the handle its id
was first stored at (``since``, kept across replacements) and the handle it has now; the record
is stale once the handle changes otherwise (deleted and stored again: a later document).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from dedup._json_param import json_array
from dedup.index import SQLiteIndex


def recording(conn: sqlite3.Connection) -> Callable[[str, int, int], None]:
    """The index's :meth:`~dedup.index.IndexCore.on_replace` hook that records a replaced
    document's first handle (in the replacing transaction, so it rolls back with it)."""

    def replaced(doc_id: str, was: int, now: int) -> None:
        row = conn.execute(
            "SELECT since, handle FROM refreshed_documents WHERE id = ?", (doc_id,)
        ).fetchone()
        since = row[0] if row is not None and row[1] == was else was  # stored anew before
        conn.execute(
            "INSERT OR REPLACE INTO refreshed_documents VALUES (?, ?, ?)", (doc_id, since, now)
        )

    return replaced


def stored_before(index: SQLiteIndex, doc_ids: Sequence[str], before: int) -> list[str]:
    """Those of ``doc_ids`` (stored at or after the mark ``before``) that an update or a
    refresh stored anew although their ids were stored before it, continuously since."""
    conn = index.connection
    if not doc_ids or not _table(conn, "refreshed_documents"):  # a file no writer upgraded
        return []
    rows = conn.execute(
        "SELECT id, handle FROM refreshed_documents "
        "WHERE id IN (SELECT value FROM json_each(?)) AND since < ?",
        (json_array(doc_ids), before),
    ).fetchall()
    marks = index.marks([doc_id for doc_id, _ in rows])
    return [doc_id for doc_id, handle in rows if marks.get(doc_id) == handle]


def _table(conn: sqlite3.Connection, name: str) -> bool:
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return conn.execute(query, (name,)).fetchone() is not None
