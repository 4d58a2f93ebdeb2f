"""The SQLite boilerplate store's lookups, inverted in memory from rows appended to the file.

Judging a post's paragraphs asks which stored documents carry each of its paragraph keys and
which stored forms share a band key with each signed paragraph. As B-trees in the file, about
25 and 55 rows at random places per stored document, they were most of a post's writes (see
README, "Band keys and boilerplate lookups in memory"). Now the file keeps one row per
document, ``bp_carriers (seq, doc_id, source, keys)``, and one per signed form, ``bp_forms
(seq, masked, shingles, bands, refs)``, both appended in ``seq`` order; whoever looks up
inverts them in memory (:class:`dedup._postings.Postings`) and keeps the inversion current
from the rows appended since (``seq`` only grows):

* :class:`Carriers`: paragraph key -> documents. A document's keys are *tagged* with their
  kind (``key ^ tag``, :func:`tagged`), so one 64-bit hash stands for ``(kind, key)``; two
  tagged keys collide as rarely as two paragraph keys do, which the model already accepts.
  The first carriers of busy keys, in id order, are kept too (:mod:`._prefixes`).
* :class:`Forms`: band key -> forms, whose shingles a lookup reads from ``bp_forms``.
* :class:`FormKeys`: masked key -> form, which a writer storing a signed paragraph looks up
  to count it in its form's row or make one (read as a writer's first transaction begins:
  readers have none).

A removed document, and a form no paragraph refers to any more, leave a row in
``bp_removed (n, kind, seq)``, read like the others, which marks them dead here; an
inversion is rebuilt from its table when its dead outnumber its living. A writer keeps the
last :data:`dedup._removal_log.KEPT` of those rows (and any its own inversions have not
read, :meth:`._lookups.Lookups.removals_read`); a process that finds one it had not read
pruned reads the table whole again, as a first read does.

Inside a transaction the rows it wrote may yet be rolled back (and their ``seq`` given to
other rows), so they are read into a view over the inversion (:meth:`Carriers.view`), which
only that transaction uses (:class:`._lookups.Lookups`: a writer's views take the rows it
stores as it stores them, :class:`._inversion.Told`); the inversion catches up with the
committed rows as each transaction begins (:meth:`._lookups.Lookups.catch_up`), so a view
holds a transaction's rows only. About 1 KB per stored document and process (100 MB for
100,000 documents), for 25 carrier and 55 band pairs of 12 bytes each, and in a writer 8
masked-key pairs more.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Iterator, Sequence
from typing import cast

import numpy as np
import xxhash

from dedup._arrays import in_ranges, in_sorted
from dedup._postings import Postings
from dedup.boilerplate._carrier_rows import SourceCodes, census_counts, code_of, split_by_key
from dedup.boilerplate._inversion import CARRIER, Inversion
from dedup.boilerplate._prefixes import SIZE, Prefixes, keep, recent
from dedup.boilerplate.store import KeyKind

_FOUNDED = 8192  # story counts kept (Carriers.found_enough; the one used longest ago goes)
#: Up to this many rows, Carriers.pairs looks at each in Python: NumPy's calls cost more.
_FEW_ROWS = 64
_TAGS: dict[str, int] = {
    kind: xxhash.xxh64_intdigest(f"dedup-boilerplate-{kind}".encode())
    for kind in ("exact", "masked", "template", "label")
}


def tagged(kind: KeyKind, key: int) -> int:
    """The 64-bit hash standing for ``(kind, key)`` in :class:`Carriers`."""
    return key ^ _TAGS[kind]


class Carriers(Inversion):
    """Paragraph key -> the stored documents carrying it; see the module docstring."""

    _TABLE = "bp_carriers"
    _COLUMNS = "doc_id, source, keys"
    _KIND = CARRIER

    def _reset(self) -> None:
        super()._reset()
        self.ids: list[str] = []
        self.sources: list[str | None] = []
        self.source_codes = SourceCodes()  # the same sources, for picking one out with NumPy
        self.prefixes = Prefixes()  # the committed inversion's only: a view's stay empty
        # (tagged key, source, rules) -> the first carriers, as (id, row number), in which a
        # story count found enough stories: the committed inversion's only (see found_enough)
        self.founded: dict[tuple[int, str | None, Hashable], tuple[tuple[str, int], ...]] = {}

    def _keep(self, rows: list[tuple[object, ...]]) -> None:
        number = len(self) - len(rows)
        prefixes = self.prefixes
        for row in rows:
            doc_id = str(row[1])
            source = None if row[2] is None else str(row[2])
            self.ids.append(doc_id)
            self.sources.append(source)
            self.source_codes.append(source)
            if prefixes:
                keys = np.frombuffer(cast(bytes, row[3]), dtype="<u8").tolist()
                prefixes.stored(keys, source, doc_id, number)
            number += 1

    def _died(self, number: int) -> None:
        if self.prefixes:  # the committed inversion's (a view's stay empty): numbers are its own
            self.prefixes.removed(self.ids[number], self.sources[number], number)

    def numbers(self, tags: Sequence[int]) -> list[np.ndarray]:
        """The row numbers of the living carriers of each tagged key (in no given order)."""
        which, numbers = self._living(*self.postings.find(np.array(tags, dtype=np.uint64)))
        return split_by_key(which, numbers, len(tags))

    def census(
        self, tags: Sequence[int], most: int
    ) -> tuple[list[int], np.ndarray, list[int], list[bool]]:
        """How many living carriers each tagged key has, and :meth:`numbers` of the keys with
        at most ``most`` pairs, dead rows' included: ``(counts, grouped, bounds, listed)``,
        where the numbers of key ``k`` are ``grouped[bounds[k]:bounds[k + 1]]`` if
        ``listed[k]`` (sliced by the caller as it needs them: a post's census asks about some
        sixty keys, and sixty slices and the NumPy calls that grouped them cost the writer
        about 30 us a post; session 25 of ``docs/performance-log.md``).

        A key's count is the number of its pairs, less those of dead rows, so the thousands
        of carriers of a busy source's footer are counted without being gathered: judging a
        post needs them only in order, and their first come from :meth:`prefix`. The dead
        rows (those of replaced and removed documents, kept until a rebuild) are searched
        for among a busy key's pairs (:meth:`Postings.count_in`) rather than the pairs read.
        """
        query = np.array(tags, dtype=np.uint64)
        held, which, values = self.postings.find_rare(query, most)
        dead = self.dead_numbers()
        if dead.shape[0]:
            which, values = self._living(which, values)
        grouped, bounds, counts = census_counts(which, values, held, most)
        listed = held <= most
        if dead.shape[0] and not listed.all():
            busy = np.flatnonzero(~listed)
            counts[busy] -= self.postings.count_in(query[busy], dead)
        return counts.tolist(), grouped, bounds.tolist(), listed.tolist()

    def own_numbers(self, tag: int) -> np.ndarray:
        """The row numbers of a view's own living rows carrying the tagged key.

        They are in the runs the view does not share with its base (a run of its own rows
        may have taken in some of the base's last, smaller runs as it merged), numbered past
        the base's. A second index of the view's rows alone cost an ``add_many`` a post, about
        20 us, for a search made about once a post (session 23)."""
        base = self._base
        if base is None:  # the committed inversion has no rows of a transaction
            return np.empty(0, dtype=np.int64)
        shared = {id(run) for run in base.postings.runs}
        mine = Postings()
        mine.runs = [run for run in self.postings.runs if id(run) not in shared]
        numbers = mine.find(np.array([tag], dtype=np.uint64))[1].astype(np.int64)
        numbers = numbers[numbers >= self._first]
        if not self.dead:
            return numbers
        living: np.ndarray = numbers[~in_sorted(numbers, self.dead_numbers())]
        return living

    def rows(self, numbers: np.ndarray) -> Iterator[tuple[int, str, str | None]]:
        """``(number, id, source)`` of these rows."""
        base = self._base
        if isinstance(base, Carriers):
            split, older_ids, older_sources = len(base), base.ids, base.sources
        else:
            split, older_ids, older_sources = 0, [], []
        ids, sources = self.ids, self.sources
        for n in numbers.tolist():
            if n < split:
                yield n, older_ids[n], older_sources[n]
            else:
                yield n, ids[n - split], sources[n - split]

    def pairs(
        self, numbers: np.ndarray, source: str | None, first: int | None = None
    ) -> list[tuple[str, int]]:
        """``(id, number)`` of those of these rows that are of ``source``, sorted; only the
        ``first`` of them if given.

        Most lookups list a few rows, which are looked at one by one. A busy source's footer
        has thousands of carriers, of which a story count or a prefix wants a few dozen: its
        rows are picked out by their source codes (:mod:`._carrier_rows`), and only ``first``
        of them sorted out (``heapq.nsmallest``)."""
        if numbers.shape[0] <= _FEW_ROWS:
            found = [(doc_id, n) for n, doc_id, s in self.rows(numbers) if s == source]
            found.sort()
            return found if first is None else found[:first]
        code = code_of(source)
        if code is None:
            return []
        numbers = numbers.astype(np.int64, copy=False)
        base = self._base
        split = len(base) if isinstance(base, Carriers) else 0
        if isinstance(base, Carriers) and split:
            own = numbers >= split
            codes = np.empty(numbers.shape[0], dtype=np.int32)
            codes[~own] = base.source_codes.of(numbers[~own])
            codes[own] = self.source_codes.of(numbers[own] - split)
            chosen = numbers[codes == code].tolist()
            older, mine = base.ids, self.ids
            ids = [older[n] if n < split else mine[n - split] for n in chosen]
        else:
            chosen = numbers[self.source_codes.of(numbers) == code].tolist()
            ids = list(map(self.ids.__getitem__, chosen))
        pairs = zip(ids, chosen, strict=True)
        return sorted(pairs) if first is None else heapq.nsmallest(first, pairs)

    def prefix(self, tag: int, source: str | None) -> tuple[list[tuple[str, int]], bool]:
        """The first ``(id, row number)`` of the living carriers of ``source`` under this
        tagged key, from the committed inversion's :class:`Prefix` (made if missing), and
        whether they are all: in a view, without the rows its transaction removed, and with its
        own rows (:meth:`own_numbers`) that sort among them."""
        base = self._committed()
        prefix = base.prefixes.get(tag, source)
        if prefix is None:  # one pair more than it keeps: whether it holds them all
            first = base.pairs(base.numbers([tag])[0], source, SIZE + 1)
            prefix = base.prefixes.put(tag, source, first)
        pairs = list(zip(prefix.ids, prefix.numbers, strict=True))
        if base is self:
            return pairs, prefix.complete
        if self.dead:
            pairs = [p for p in pairs if p[1] not in self.dead]
        own = self.pairs(self.own_numbers(tag), source)
        if not own:  # still sorted, and none past the prefix's last id
            return pairs, prefix.complete
        pairs.extend(own)
        pairs.sort()
        if not prefix.complete:
            bound = prefix.ids[-1]
            pairs = [p for p in pairs if p[0] <= bound]
        return pairs, prefix.complete

    def holds_enough(
        self, tag: int, source: str | None, rules: Hashable, rows: Sequence[tuple[str, int]]
    ) -> bool:
        """Whether ``rows``, the first carriers of ``source`` under this tagged key as this
        inversion sees them, begin with those a story count found enough stories in under
        ``rules`` (:meth:`found_enough`). The same ids in the same rows are the same
        documents with the same signatures: a replaced document is a new row."""
        found = recent(self._committed().founded, (tag, source, rules))
        return found is not None and tuple(rows[: len(found)]) == found

    def found_enough(
        self, tag: int, source: str | None, rules: Hashable, rows: Sequence[tuple[str, int]]
    ) -> None:
        """``rows``, the first carriers of ``source`` under this tagged key as this inversion
        sees them, hold enough stories under ``rules``: kept by the committed inversion for
        later judgements, unless a row is a transaction's own (it may yet be rolled back, and
        its number given to another row). Row numbers hold until the inversion is read whole
        again, which forgets these."""
        base = self._committed()
        if base is not self and any(number >= len(base) for _, number in rows):
            return
        keep(base.founded, (tag, source, rules), tuple(rows), _FOUNDED)

    def _committed(self) -> Carriers:
        """The committed inversion: this one, or a view's base."""
        base = self if self._base is None else self._base
        if not isinstance(base, Carriers):  # pragma: no cover - a view's base is a Carriers
            raise TypeError("a carriers view over another inversion")
        return base

    def outside(self, tag: int, source: str | None, ranges: tuple[np.ndarray, ...]) -> list[str]:
        """Sorted ids of the living carriers of ``source`` under this key whose rows are in no
        seq range of ``ranges``, ``(firsts, lasts)``."""
        numbers = self.numbers([tag])[0].astype(np.int64, copy=False)
        inside = in_ranges(self._seqs_of(numbers), *ranges)
        return [doc_id for doc_id, _ in self.pairs(numbers[~inside], source)]

    def find(self, keys: Sequence[int]) -> list[dict[str, str | None]]:
        """``{doc_id: source}`` of the living carriers of each tagged key, in storing order."""
        if not keys:
            return []
        return [{d: s for _, d, s in self.rows(np.sort(n))} for n in self.numbers(keys)]
