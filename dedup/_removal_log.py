"""The removal logs that in-memory inversions of append-only tables read (``removed`` for the
band keys, ``bp_removed`` for the boilerplate lookups): ``(n INTEGER PRIMARY KEY
AUTOINCREMENT, ...)``, one row per removal, read from the last ``n`` a process has seen.

A writer keeps the last :data:`KEPT` rows and every row its own inversions have not read
(:func:`prune`), so a transaction never loses a removal under itself; ``n`` then has no gaps
(AUTOINCREMENT, and only the oldest rows go), so a process that finds one (:func:`missed`)
knows that rows it had not read were pruned, and reads its table whole again, as it did when
it started: the rows in the table are the living ones.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

#: Rows of a removal log a writer keeps.
KEPT = 4096


def missed(removals: Sequence[Sequence[Any]], last_read: int) -> bool:
    """Whether ``removals``, the log's rows past ``last_read`` in ``n`` order, begin after a
    gap: rows this process had not read were pruned."""
    return bool(removals) and removals[0][0] != last_read + 1


def prune(conn: sqlite3.Connection, table: str, newest: int, read: int) -> None:
    """Delete the rows of log ``table`` older than the last :data:`KEPT` before ``newest``,
    and none past ``read``, the last ``n`` every inversion of this connection has read."""
    bound = min(newest - KEPT, read)
    if bound > 0:
        conn.execute(f"DELETE FROM {table} WHERE n <= ?", (bound,))
