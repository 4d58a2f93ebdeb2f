"""The first carriers of busy paragraph keys, in id order, kept current as rows are read.

Whether a paragraph is boilerplate in a source is decided by counting the stories among the
documents of that source carrying its keys, greedily in id order: that count usually stops after
three documents. A footer of a busy source is carried by every page of it, thousands of
documents, and listing and sorting those for each post made a post's cost grow with the
collection: ``Collection.post`` into a copy of a 100,000-article collection stored with its
boilerplate model took 10.3-11.4 ms a post, and 7.0 ms at 20,000 articles; with these
prefixes, 4.8-6.2 and 4.9-6.3 ms (timed by hand, 400 posts after 100, alternating runs).
So the committed inversion keeps, for each ``(key, source)`` asked about whose key has more
than :data:`SIZE` carriers, the :data:`SIZE` smallest ids of that source's living carriers,
and adds each document it reads to the prefixes of the keys it carries. A removed row's keys
are not known any more, but its id and source are: it is taken out of the prefixes of its
source that hold it, found by id. A prefix left with fewer than half its ids, of more
carriers than it holds, is dropped and rebuilt when next asked for. Clearing them all at each
removal, as before, made a service that replaces documents rebuild every busy key's prefix
over and over: into 100,000 articles stored with their model, the writer's 300 posts after
it deleted every sixth of the 600 before took 1.48 and 1.52 times the CPU of the 300 before
them; with this (and dead rows found by binary search, :func:`dedup._arrays.in_sorted`),
1.04 and 1.08 (``python -m benchmarks.service_load``, alternating runs). At most
:data:`ENTRIES` prefixes of :data:`SIZE` ids and row numbers: about 25 MB. When that many
are kept, the one used longest ago is dropped for the next: dropping them all at once, as
before, had the writer build every busy key's prefix again over the next posts, each a few
milliseconds of listing up to thousands of carriers (session 26 of
``docs/performance-log.md``).
"""

from __future__ import annotations

import bisect
from typing import TypeVar

_K = TypeVar("_K")
_V = TypeVar("_V")

#: Ids kept per ``(key, source)``; a story count reads past them only when their documents hold
#: fewer than three stories (copies of one article), and then lists the key's carriers whole.
SIZE = 64
#: ``(key, source)`` pairs kept; past that, the one used longest ago is dropped.
ENTRIES = 8192


class Prefix:
    """The smallest ids of one ``(key, source)``'s living carriers, with their row numbers."""

    __slots__ = ("complete", "ids", "numbers")

    def __init__(self, pairs: list[tuple[str, int]]) -> None:
        kept = pairs[:SIZE]
        self.ids = [doc_id for doc_id, _ in kept]
        self.numbers = [number for _, number in kept]
        self.complete = len(pairs) <= SIZE  # whether these are all the carriers

    def add(self, doc_id: str, number: int) -> None:
        """A carrier read since: kept if it sorts among the first."""
        if not self.complete and doc_id > self.ids[-1]:
            return
        k = bisect.bisect(self.ids, doc_id)
        self.ids.insert(k, doc_id)
        self.numbers.insert(k, number)
        if len(self.ids) > SIZE:
            self.ids.pop()
            self.numbers.pop()
            self.complete = False


class Prefixes:
    """:class:`Prefix` by ``(tagged key, source)``."""

    def __init__(self) -> None:
        self._entries: dict[tuple[int, str | None], Prefix] = {}
        self._keys: dict[str | None, set[int]] = {}  # the keys with a prefix, by source

    def __bool__(self) -> bool:
        return bool(self._entries)

    def get(self, key: int, source: str | None) -> Prefix | None:
        """The prefix of ``(key, source)``, if kept; it is then the last to be dropped."""
        return recent(self._entries, (key, source))

    def put(self, key: int, source: str | None, pairs: list[tuple[str, int]]) -> Prefix:
        """Keep the first of ``pairs``: the living ``(id, number)`` of the key and source,
        sorted, all of them or at least the first ``SIZE + 1`` (one more than it keeps tells
        that they are not all)."""
        prefix = Prefix(pairs)
        dropped = keep(self._entries, (key, source), prefix, ENTRIES)
        if dropped is not None:
            self._keys[dropped[1]].discard(dropped[0])
        self._keys.setdefault(source, set()).add(key)
        return prefix

    def stored(self, keys: list[int], source: str | None, doc_id: str, number: int) -> None:
        """A document read since, carrying ``keys``."""
        entries = self._entries
        for key in keys:
            prefix = entries.get((key, source))
            if prefix is not None:
                prefix.add(doc_id, number)

    def removed(self, doc_id: str, source: str | None, number: int) -> None:
        """Row ``number`` (of ``doc_id``, in ``source``) was removed: out of the prefixes."""
        keys = self._keys.get(source)
        if not keys:
            return
        for key in list(keys):
            prefix = self._entries[(key, source)]
            ids = prefix.ids
            k = bisect.bisect_left(ids, doc_id)
            while k < len(ids) and ids[k] == doc_id and prefix.numbers[k] != number:
                k += 1  # an earlier row of the same id (replaced, then stored again)
            if k == len(ids) or ids[k] != doc_id:
                continue
            del ids[k], prefix.numbers[k]
            if not prefix.complete and 2 * len(ids) < SIZE:
                del self._entries[(key, source)]
                keys.discard(key)


def recent(kept: dict[_K, _V], key: _K) -> _V | None:
    """``kept[key]`` if there, moved last: ``kept``'s order is that of use, oldest first."""
    value = kept.pop(key, None)
    if value is not None:
        kept[key] = value
    return value


def keep(kept: dict[_K, _V], key: _K, value: _V, most: int) -> _K | None:
    """``kept[key] = value``, last in order; if that would make more than ``most`` keys, the
    first (used longest ago, with :func:`recent`) is dropped, and returned."""
    dropped = None
    if kept.pop(key, None) is None and len(kept) >= most:
        dropped = next(iter(kept))
        del kept[dropped]
    kept[key] = value
    return dropped
