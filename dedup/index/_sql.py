"""The statements that read a batch of queries' band buckets (:meth:`SQLiteStore.buckets`)
and write band rows in bulk.

Apart from :mod:`dedup.index.sqlite` to keep that module readable; nothing else uses them.
"""

from __future__ import annotations

import sqlite3

import numpy as np

from dedup.index._store import BandRows

#: Band rows per INSERT statement: 300 variables, far under SQLite's limit (999 before 3.32).
_BAND_ROWS = 100

# The buckets of a batch of n queries, in two statements. The keys go in as one JSON array, band
# by band (element i is in band i // n), sorted within each band so that the probes walk the
# B-tree in order, and null where the same key came just before (a bucket shared by several
# queries is read once). The first statement keeps the elements whose bucket holds a document,
# as a semi-join (SQLite probes the primary key for each, with no subquery to run): in a bulk
# insert nearly every probe misses, and this costs 30 % less than reading every bucket through
# the second statement. That one reads each occupied bucket as one row listing at most ``limit``
# handles: cap + 1, the extra one telling that the bucket is hot.
OCCUPIED = """
SELECT j.key FROM json_each(:keys) AS j
WHERE j.value IS NOT NULL AND (j.key / :n, j.value) IN (SELECT band, key FROM bands)
"""
BUCKETS = """
SELECT json_extract(h.value, '$[0]') AS i, (
    SELECT group_concat(doc) FROM (
        SELECT doc FROM bands
        WHERE band = json_extract(h.value, '$[0]') / :n AND key = json_extract(h.value, '$[1]')
        ORDER BY doc LIMIT :limit
    )
)
FROM json_each(:hits) AS h
"""


def insert_bands(conn: sqlite3.Connection, bands: BandRows) -> None:
    """Insert band rows :data:`_BAND_ROWS` per statement.

    A bulk insert writes 32 band rows per document, and one statement per row spends more time
    in the statement machinery (Python's executemany and SQLite's per-statement steps) than in
    the B-tree: multi-row statements took 40 % less CPU for 3.2 million rows.
    """
    flat = np.stack([bands.band, bands.key, bands.doc], axis=1).reshape(-1).tolist()
    step = 3 * _BAND_ROWS
    whole = len(flat) // step * step
    full = _bands_insert(_BAND_ROWS)
    conn.executemany(full, (flat[i : i + step] for i in range(0, whole, step)))
    if whole < len(flat):
        conn.execute(_bands_insert((len(flat) - whole) // 3), flat[whole:])


def _bands_insert(rows: int) -> str:
    return "INSERT INTO bands (band, key, doc) VALUES " + ", ".join(["(?, ?, ?)"] * rows)
