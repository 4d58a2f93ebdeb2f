"""Read snapshots: a block of reads on one connection that all see the file as it was at one
commit, whatever other connections commit meanwhile.

Connections run in autocommit mode, so every statement outside a transaction reads the file
as it is when that statement starts. A read that takes several statements could then
combine two states of the file. A document's row, read first, names a handle that a
correction, a refresh or a delete committed by the writer removes before the next statement
reads the fingerprint by that handle. This raised ``KeyError`` on a service's readers (a 500
for a check, a view or a bulk line, about one read in 700 while a client corrected a
document) and could have mixed one version's metadata with another's text.

:class:`read_snapshot` runs a block inside ``BEGIN`` ... ``COMMIT``: in WAL mode that is one
snapshot of the file, without a lock that would hold a writer back. The in-memory inversions
that follow appended rows (band keys, reuse samples, boilerplate keys) are brought up to
date inside the same snapshot, at each lookup, so they agree with the rows read beside them.
They tell a snapshot from a write transaction by :func:`writing`: inside a snapshot every
row they read is committed, so they keep it, while a write transaction's own rows may yet be
rolled back.

A snapshot is taken per operation (a check, a report, a view), never for a connection's
lifetime: while a reader holds one, a checkpoint cannot copy the commits after it into the
file. ``BEGIN`` and ``COMMIT`` of a read cost a few microseconds.
"""

from __future__ import annotations

import sqlite3


class SnapshotConnection(sqlite3.Connection):
    """An SQLite connection that knows whether its open transaction is a read snapshot
    (:class:`read_snapshot`): made by ``sqlite3.connect(..., factory=SnapshotConnection)``."""

    reading = False


def writing(conn: sqlite3.Connection) -> bool:
    """Whether ``conn`` is in a transaction that may hold writes of its own: rows it reads
    then may yet be rolled back. False outside transactions and inside a read snapshot."""
    return conn.in_transaction and not getattr(conn, "reading", False)


class read_snapshot:  # named as the with statement reads it
    """``BEGIN`` before the block and ``COMMIT`` after it, unless a transaction is open
    already (its reads share one snapshot, and a write transaction's are current anyway), so
    that nested blocks cost nothing. A class rather than a generator: every multi-statement
    read of an index enters one (see :class:`dedup.index._connect.storage_errors_raised`)."""

    __slots__ = ("_conn", "_own")

    def __init__(self, conn: SnapshotConnection) -> None:
        self._conn = conn
        self._own = False

    def __enter__(self) -> None:
        conn = self._conn
        if not conn.in_transaction:
            conn.execute("BEGIN")  # deferred: the snapshot is taken by the first read
            conn.reading = self._own = True

    def __exit__(self, kind: object, exc: BaseException | None, trace: object) -> None:
        if self._own:
            conn = self._conn
            conn.reading = self._own = False
            if conn.in_transaction:  # (an I/O error may have ended it)
                conn.execute("COMMIT")  # a read's: it releases the snapshot, writes nothing
