"""The keys of the ``refreshed`` table whose carriers a removal may have left too few
(:mod:`dedup.collection.refresh`, whose docstring says why), in the ``reopened`` table.

A refreshed key and source has a row here while carriers of it stored after the row's
``after`` (a ``bp_carriers`` seq) may keep it: a removal of one of its carriers may have left
it below enough stories, and the posts stored then kept it. The next post that finds it
boilerplate judges those again, and takes the row away.

A post of a busy source asks about its footer's keys each time, so :class:`Reopened` keeps the
table in memory. A transaction reads it whole again only if another process changed it: its
count of rows or the sum of their ``n`` differ from those kept (committed rows are only added,
each numbered above every committed one, or taken away: a change that keeps the count adds as
many rows as it takes away, and raises the sum). This connection's own rows, which a rollback
may have taken back, are read again one by one: a table that removals of long-gone sources
left large is not read whole after every transaction that deleted a post.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

_Pair = tuple[int, str | None]  # a tagged key and a source


class Reopened:
    """The ``reopened`` table as one connection's transactions see it (see the module
    docstring); :meth:`began` and :meth:`rolled_back` are told of its transactions."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._rows: dict[_Pair, tuple[int, int]] | None = None  # pair -> (n, after)
        self._sum = 0  # of the n of ``_rows``
        self._checked = False  # in this transaction, against the table
        self._touched: set[_Pair] = set()  # written since the transaction began

    def began(self) -> None:
        """A transaction begins: the last one may have been rolled back, and others may have
        changed the table since."""
        self._read_again(self._touched)
        self._touched.clear()
        self._checked = False

    def rolled_back(self) -> None:
        """A savepoint rolled back may have taken this connection's writes away."""
        self._read_again(self._touched)

    def after(self, pair: _Pair) -> int | None:
        """The seq after which the carriers of this refreshed pair are to be judged again,
        or None if none are."""
        found = self._now().get(pair)
        return None if found is None else found[1]

    def reopen(self, tags: Iterable[int], source: str | None, after: int) -> None:
        """Carriers of these refreshed keys in ``source`` stored after ``after`` are to be judged
        again, as well as any that earlier reopenings not yet closed said."""
        rows = self._now()
        for tag in tags:
            if (tag, source) in rows:
                continue
            cursor = self._conn.execute(
                "INSERT INTO reopened (tag, source, after) VALUES (?, ?, ?)", (tag, source, after)
            )
            n = cursor.lastrowid
            if n is None:  # pragma: no cover - an INSERT gives its rowid
                raise sqlite3.DatabaseError("no rowid for a reopened key")
            rows[(tag, source)] = (n, after)
            self._sum += n
            self._touched.add((tag, source))

    def close(self, pairs: Iterable[_Pair]) -> None:
        """These pairs' carriers were judged again: no longer reopened."""
        rows = self._now()
        gone = [pair for pair in pairs if pair in rows]
        for pair in gone:
            n, _ = rows.pop(pair)
            self._conn.execute("DELETE FROM reopened WHERE n = ?", (n,))
            self._sum -= n
            self._touched.add(pair)

    def _now(self) -> dict[_Pair, tuple[int, int]]:
        """The rows as the transaction sees them, read whole again if others changed them."""
        conn, rows = self._conn, self._rows
        if rows is not None and not self._checked:
            query = "SELECT count(*), coalesce(sum(n), 0) FROM reopened"
            if tuple(conn.execute(query).fetchone()) != (len(rows), self._sum):
                rows = None
        if rows is None:
            query = "SELECT n, tag, source, after FROM reopened"
            rows = {(tag, source): (n, after) for n, tag, source, after in conn.execute(query)}
            self._sum = sum(n for n, _ in rows.values())
        self._rows, self._checked = rows, True
        return rows

    def _read_again(self, pairs: Iterable[_Pair]) -> None:
        """Read these pairs' rows again, as the table holds them now."""
        rows = self._rows
        if rows is None:
            return
        query = "SELECT n, after FROM reopened WHERE tag = ? AND source IS ?"
        for pair in pairs:
            was = rows.pop(pair, None)
            self._sum -= 0 if was is None else was[0]
            for n, after in self._conn.execute(query, pair):
                rows[pair] = (n, after)
                self._sum += n
