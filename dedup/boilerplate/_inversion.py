"""An append-only table's rows inverted in memory, read as they are appended and removed.

The mechanism behind :mod:`dedup.boilerplate.sqlite_lookups` (its docstring says why and what
it costs): each row read gets a number in reading order, its hashes go into
:class:`dedup._postings.Postings` as ``(hash, number)`` pairs, and ``bp_removed`` rows mark
numbers dead.
"""

from __future__ import annotations

import itertools
import sqlite3
from typing import Self, cast

import numpy as np

from dedup._arrays import in_sorted
from dedup._postings import Postings, Seqs
from dedup._removal_log import missed

_CHUNK = 8192  # rows read at a time
#: Numbers each reset of an inversion's dead rows, so that no two sets share one.
_GENERATIONS = itertools.count()

#: Rows a :class:`Told` keeps for a view at most (a writer's batch stores a few dozen).
_TOLD_MOST = 4096
#: ``bp_removed.kind`` of a removed ``bp_carriers`` row and of a removed ``bp_forms`` row.
CARRIER, FORM = 0, 1


class Inversion:
    """Rows of one append-only table inverted: ``(hash, number)`` pairs, where a row's number
    is its place in reading order; removed rows are marked dead (see the module docstring).

    A view (:meth:`view`) reads the rows beyond its base into runs and lists of its own, and
    numbers them after the base's: the base's lists are never copied or changed.
    """

    _TABLE = ""
    _COLUMNS = ""  # beside seq; the last one is the blob of uint64 hashes
    _KIND = CARRIER

    def __init__(self) -> None:
        self._reset()
        self._base: Inversion | None = None

    def _reset(self) -> None:
        self.seqs = Seqs()  # row number -> seq
        self.dead: set[int] = set()  # only grows until the next reset
        self._generation = next(_GENERATIONS)
        self._dead_sorted: tuple[tuple[int, ...], np.ndarray] | None = None
        self.postings = Postings()
        self.last = 0  # the highest seq read
        self.last_removed = 0  # the highest bp_removed n read

    def __len__(self) -> int:
        return self._first + self.seqs.size

    @property
    def _first(self) -> int:
        """The number of this inversion's first own row (a view's follow its base's)."""
        return 0 if self._base is None else len(self._base)

    def read(self, conn: sqlite3.Connection) -> None:
        """Read the rows appended and removed since the last read (``conn`` holds one
        snapshot); rebuilt from the table when the dead outnumber the living."""
        # Read from scratch (first, or once the dead outnumber the living): the rows in the
        # table are the living ones, so the removals logged so far are already in them.
        rebuild = len(self.dead) > 64 and 2 * len(self.dead) > self.seqs.size
        if self._base is None and (self.last == 0 or rebuild):
            self._reset()
            row = conn.execute("SELECT max(n) FROM bp_removed").fetchone()
            self.last_removed = int(row[0] or 0)
        cursor = conn.execute(
            f"SELECT seq, {self._COLUMNS} FROM {self._TABLE} WHERE seq > ? ORDER BY seq",
            (self.last,),
        )
        batches = []  # added at the end, each run sorted once (Postings.add_many)
        try:
            while rows := cursor.fetchmany(_CHUNK):
                batches.append(self._numbered(rows))
        finally:  # the rows counted as read are in, whatever stopped the reading
            try:
                self.postings.add_many(batches)
            except BaseException:  # counted as read but not in: the next read starts over
                if self._base is None:  # (a view that fails is dropped with its savepoint)
                    self.last = 0
                raise
        removals = conn.execute(
            "SELECT n, kind, seq FROM bp_removed WHERE n > ? ORDER BY n", (self.last_removed,)
        ).fetchall()
        if self._base is None and missed(removals, self.last_removed):
            # Pruned unread: read whole again. A view cannot miss any: its connection prunes
            # only what its committed inversions have read (Lookups.removals_read), and those
            # catch up as a transaction begins.
            self.last = 0
            self.read(conn)
            return
        for n, kind, seq in removals:
            number = self._number(seq) if kind == self._KIND else None
            if number is not None:
                self.dead.add(number)
                self._died(number)
            self.last_removed = n

    def take(self, rows: list[tuple[object, ...]]) -> None:
        """Take the rows appended to the table since the last read, as a read would give
        them (``(seq, columns...)``, ascending), from the connection that wrote them
        (:class:`Told`), instead of reading them back: a view of a transaction whose rows
        removed nothing since."""
        if rows:
            self.postings.add_many([self._numbered(rows)])

    def _numbered(self, rows: list[tuple[object, ...]]) -> tuple[np.ndarray, np.ndarray]:
        """Number ``rows`` (the next ones of the table) and keep what they hold: their
        ``(hashes, numbers)`` pairs, to be added."""
        hashes, sizes = self._hashes(rows)
        first = len(self)
        numbers = np.arange(first, first + len(rows), dtype=np.uint32)
        self.seqs.extend([cast(int, row[0]) for row in rows])
        self._keep(rows)
        self.last = cast(int, rows[-1][0])
        return hashes, np.repeat(numbers, sizes)

    def _hashes(self, rows: list[tuple[object, ...]]) -> tuple[np.ndarray, np.ndarray]:
        """The rows' hashes end to end (``uint64``) and how many each row has: by default,
        those of the last column's blob."""
        hashes = [np.frombuffer(cast(bytes, row[-1]), dtype="<u8") for row in rows]
        sizes = np.fromiter((h.shape[0] for h in hashes), dtype=np.int64, count=len(rows))
        return np.concatenate(hashes).astype(np.uint64), sizes

    def _keep(self, rows: list[tuple[object, ...]]) -> None:
        """Keep what a subclass needs of the rows beside their seq and hashes."""

    def _died(self, number: int) -> None:
        """Row ``number``, read before, was removed."""

    def view(self, conn: sqlite3.Connection) -> Self:
        """This inversion with the rows ``conn`` sees beyond it, leaving this one as it was."""
        view = type(self)()
        view._base = self
        view.postings = self.postings.copy()
        view.last, view.last_removed = self.last, self.last_removed
        view.read(conn)
        return view

    def _number(self, seq: int) -> int | None:
        if self._base is not None:
            found = self._base._number(seq)
            if found is not None:
                return found
        k = self.seqs.index(seq)
        return None if k is None else self._first + k

    def dead_numbers(self) -> np.ndarray:
        """The numbers of the dead rows, a view's and its base's, sorted (``int64``).

        Kept until a dead set grows or is reset (a set only grows in between, so its
        generation and size name its content): a service that replaces documents keeps
        thousands of dead rows until a rebuild, and every judgement asks for them.
        """
        base = self._base
        key: tuple[int, ...] = (self._generation, len(self.dead))
        if base is not None:
            key += (base._generation, len(base.dead))
        if self._dead_sorted is None or self._dead_sorted[0] != key:
            dead = self.dead if base is None else self.dead | base.dead
            array = np.sort(np.fromiter(dead, dtype=np.int64, count=len(dead)))
            self._dead_sorted = (key, array)
        return self._dead_sorted[1]

    def _living(self, which: np.ndarray, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The pairs of :meth:`Postings.find` whose rows are not dead."""
        if not self.dead and (self._base is None or not self._base.dead):
            return which, numbers
        alive = ~in_sorted(numbers, self.dead_numbers())
        return which[alive], numbers[alive]

    def _seqs_of(self, numbers: np.ndarray) -> np.ndarray:
        """The seq of each row number."""
        own: np.ndarray = self.seqs.array
        base = self._base
        if base is None:
            found: np.ndarray = own[numbers]
            return found
        split = len(base)
        older = numbers < split
        out = np.empty(numbers.shape[0], dtype=np.int64)
        out[older] = base.seqs.array[numbers[older]]
        out[~older] = own[numbers[~older] - split]
        return out


class Told:
    """The rows one connection appended to an inversion's table since its transaction's view
    last read it, while every one is known: the view takes them (:meth:`Inversion.take`)
    instead of reading them back.

    A writer's post looked up the carriers and the forms that the posts before it in the
    batch had stored, each time reading those rows and the removal log back from the file:
    four statements a post, where keeping its views current took 0.12 ms of the writer's
    1.58, 0.05 of it adding the pairs (by hand; ``docs/performance-log.md``, session 36).
    Unknown (``rows`` None) until a view is made, and again once a row is removed: a
    removal, and the rows written with it, are read back.
    """

    __slots__ = ("rows",)

    def __init__(self) -> None:
        self.rows: list[tuple[object, ...]] | None = None

    def add(self, row: tuple[object, ...]) -> None:
        """A row the connection appended (``(seq, columns...)`` as a read gives them). Past
        :data:`_TOLD_MOST` rows not taken (a bulk load, whose lookups read no view), they
        are forgotten, to be read back if a view is asked for."""
        rows = self.rows
        if rows is not None:
            rows.append(row)
            if len(rows) > _TOLD_MOST:
                self.rows = None

    def forget(self) -> None:
        """Rows may have been appended or removed unseen: read them back next time."""
        self.rows = None

    def update(self, view: Inversion, conn: sqlite3.Connection) -> None:
        """Bring ``view`` up to the table: the rows told, when all are known, else read;
        every row written from now on is known."""
        if self.rows is None:
            view.read(conn)
        else:
            view.take(self.rows)
        self.rows = []

    def known(self) -> None:
        """A view was just made from the table: every row written from now on is known."""
        self.rows = []
