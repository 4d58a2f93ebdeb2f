"""A key's carriers in id order, as one judgement reads them from the SQLite store."""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np

from dedup.boilerplate._prefixes import SIZE
from dedup.boilerplate.sqlite_lookups import Carriers, tagged
from dedup.boilerplate.store import KeyKind


class SQLiteInOrder:
    """:class:`CarriersInOrder` for one judgement: every key's living carriers counted at once
    (:meth:`Carriers.census`), and listed only for keys with few of them; the first of a key
    with many come from the committed inversion's prefixes
    (:mod:`dedup.boilerplate._prefixes`) instead of sorting them all. The rows it gives are
    remembered, so that a story count found enough in them can be kept for later judgements
    (:meth:`Carriers.found_enough`)."""

    def __init__(self, carriers: Carriers, keys: Iterable[tuple[KeyKind, int]]) -> None:
        self._carriers = carriers
        self._counts: dict[tuple[KeyKind, int], int] = {}
        self._numbers: dict[tuple[KeyKind, int], np.ndarray] = {}
        # key -> where the census put its numbers: (grouped, start, end), sliced when asked
        self._listed: dict[tuple[KeyKind, int], tuple[np.ndarray, int, int]] = {}
        # (kind, key, source) -> the (id, row number) pairs :meth:`first` last gave the ids of
        self._rows: dict[tuple[KeyKind, int, str | None], list[tuple[str, int]]] = {}
        self._census(list(dict.fromkeys(keys)))

    def first(
        self, kind: KeyKind, key: int, source: str | None, limit: int | None
    ) -> tuple[list[str], bool]:
        carriers = self._carriers
        if limit is not None and limit <= SIZE and self.count(kind, key) > SIZE:
            pairs, complete = carriers.prefix(tagged(kind, key), source)
            if complete or len(pairs) >= limit:  # else removals took some of its first ids
                return self._ids(kind, key, source, pairs[:limit]), complete and len(pairs) <= limit
        pairs = carriers.pairs(
            self._numbers_of(kind, key), source, None if limit is None else limit + 1
        )
        ids = self._ids(kind, key, source, pairs[:limit])
        return ids, limit is None or len(pairs) <= limit

    def count(self, kind: KeyKind, key: int) -> int:
        if (kind, key) not in self._counts:
            self._census([(kind, key)])
        return self._counts[(kind, key)]

    def holds_enough(
        self, kind: KeyKind, key: int, source: str | None, rules: Hashable, doc_ids: list[str]
    ) -> bool:
        rows = self._rows_of(kind, key, source, doc_ids)
        return rows is not None and self._carriers.holds_enough(
            tagged(kind, key), source, rules, rows
        )

    def found_enough(
        self, kind: KeyKind, key: int, source: str | None, rules: Hashable, doc_ids: list[str]
    ) -> None:
        rows = self._rows_of(kind, key, source, doc_ids)
        if rows is not None:
            self._carriers.found_enough(tagged(kind, key), source, rules, rows)

    def _ids(
        self, kind: KeyKind, key: int, source: str | None, pairs: list[tuple[str, int]]
    ) -> list[str]:
        """The ids of ``pairs``, the first carriers :meth:`first` gives, whose rows are kept."""
        self._rows[(kind, key, source)] = pairs
        return [doc_id for doc_id, _ in pairs]

    def _rows_of(
        self, kind: KeyKind, key: int, source: str | None, doc_ids: list[str]
    ) -> list[tuple[str, int]] | None:
        """The rows of ``doc_ids``, the first ids :meth:`first` gave for this key (or None)."""
        rows = self._rows.get((kind, key, source), [])[: len(doc_ids)]
        return rows if [doc_id for doc_id, _ in rows] == doc_ids else None

    def _census(self, wanted: list[tuple[KeyKind, int]]) -> None:
        if not wanted:
            return
        tags = [tagged(kind, key) for kind, key in wanted]
        counts, grouped, bounds, listed = self._carriers.census(tags, SIZE)
        for k, found in enumerate(wanted):
            self._counts[found] = counts[k]
            if listed[k]:
                self._listed[found] = (grouped, bounds[k], bounds[k + 1])

    def _numbers_of(self, kind: KeyKind, key: int) -> np.ndarray:
        numbers = self._numbers.get((kind, key))
        if numbers is None:
            listed = self._listed.get((kind, key))
            if listed is not None:
                grouped, start, end = listed
                numbers = grouped[start:end]
            else:
                numbers = self._carriers.numbers([tagged(kind, key)])[0]
            self._numbers[(kind, key)] = numbers
        return numbers
