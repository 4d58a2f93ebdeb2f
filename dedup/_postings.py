"""An inverted index in memory: ``(hash, value)`` pairs in sorted runs, appended in batches.

Used where the file keeps one append-only row per document and every process that looks
things up inverts the rows itself (:mod:`dedup.collection.reuse_index`,
:mod:`dedup.boilerplate.sqlite_lookups`): a B-tree of ``(hash, document)`` rows in the file
made every stored document insert dozens of rows at random places, each dirtying a page of
its own, which was most of a single writer's time.

Each batch of pairs is sorted into a run of its own; runs merge while the newest is at least
a :data:`MERGE_RATIO`-th the size of the one before it, so a lookup searches a logarithmic
number of them. What
an empty index is given at once (a process reading a table whole as it starts, or again
after removals) becomes a single run: a lookup searches every run, and each large one costs
it cache misses (see :meth:`Postings.add_many`). Runs never change once made (merging makes
new arrays), so a copy of a :class:`Postings` that adds pairs leaves the original as it was.

Each run has a directory: where each value of the hashes' top bits starts, 8 to 16 pairs
apart. A lookup goes straight to its hash's few pairs instead of binary-searching the whole
run: the largest reuse run of 100,000 documents is about 15 million pairs (120 MB of hashes)
that no cache holds, and a search of it missed the cache at nearly every step. Through the
directories a reuse query's spans take 83 us against 437 us at 100,000 documents
(``python -m benchmarks.reuse_lookup``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numba import njit

from dedup import _numba_start  # noqa: F401  (before any kernel runs: no BLAS probe)
from dedup._run_search import count_in, find_in, gather_wanted, spans
from dedup._run_sort import directory_of, filter_of, shift_for, sort_pairs

#: Runs merge while the newest is at least this fraction (1/MERGE_RATIO) of the one before.
#: A lookup pays about 7 us a run in calls and allocations whatever its size, and a service
#: looks up far more often than it commits: merging at a half (2) left six runs after 300
#: commits of six documents into 100,000, where 4 left two (``python -m
#: benchmarks.postings_build``: a lookup of 145 hashes 35.9 us against 65.2, a commit's add
#: 67.6 us against 61.7); the writer's part of a post took 1.51-1.55 ms against 1.53-1.58
#: (2,400 posts into the learned-model collection, alternating, by hand, session 17).
MERGE_RATIO = 4


class Run(NamedTuple):
    """``(hash, value)`` pairs sorted by hash, with the directory of their top bits and, for
    a large run, its filter (:func:`dedup._run_sort.filter_of`)."""

    hashes: np.ndarray  # uint64, sorted
    values: np.ndarray  # uint32, the value of each hash
    directory: np.ndarray  # int64: the first pair whose top bits are k, for k in 0 .. 2**bits
    shift: np.uint64  # 64 - bits: a hash's top bits are ``hash >> shift``
    filter: np.ndarray = np.empty(0, dtype=np.uint64)  # uint64 words (empty: none)

    @classmethod
    def of(cls, hashes: np.ndarray, values: np.ndarray) -> Run:
        """The run of pairs already sorted by hash (a merge's), with its directory."""
        shift = shift_for(hashes.shape[0])
        directory = directory_of(hashes, shift, 1 << (64 - int(shift)))
        return cls(hashes, values, directory, shift, filter_of(hashes))

    @classmethod
    def sorted(cls, batches: list[tuple[np.ndarray, np.ndarray]]) -> Run:
        """The run of the pairs of ``batches`` (one or more, not all empty), in any order:
        sorted by hash, equal hashes keeping their order, a batch's before the next's; takes
        the batches off the list (:func:`dedup._run_sort.sort_pairs`)."""
        hashes, values, directory, shift = sort_pairs(batches)
        return cls(hashes, values, directory, shift, filter_of(hashes))

    @property
    def filter_shift(self) -> np.uint64:
        """64 less the bits that number the filter's words (a power of two of them)."""
        return np.uint64(64 - max(self.filter.shape[0].bit_length() - 1, 0))

    def spans(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``np.searchsorted(hashes, query, "left")`` and ``"right"``, through the directory;
        a hash the filter rules out gets the empty span ``(0, 0)``."""
        return spans(self.hashes, self.directory, self.shift, self.filter, self.filter_shift, query)


class Postings:
    """Runs of ``(hash, value)`` pairs; see the module docstring."""

    def __init__(self) -> None:
        self.runs: list[Run] = []

    def copy(self) -> Postings:
        """Another index with these runs, to add pairs to without changing this one."""
        other = Postings()
        other.runs = list(self.runs)
        return other

    def add(self, hashes: np.ndarray, values: np.ndarray) -> None:
        """Add pairs (``uint64`` hashes, ``uint32`` values); equal hashes keep their order."""
        self.add_many([(hashes, values)])

    def add_many(self, batches: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """:meth:`add` of each batch in turn, to the same runs, but each new run sorted once;
        takes the batches off the list, so that they are freed as their runs are made.

        One by one, a first read of a table (a few dozen batches of up to a million pairs)
        merged every pair again each time a later batch's run reached its own: a reader's
        indexes of 100,000 documents, about 20 million pairs, were merged four times over.
        Which runs there will be depends on the sizes alone, so they are worked out first;
        each is then the stable sort of its pairs, the runs it takes in merged into it.

        Batches given to an empty index make one run, not the runs adding them one by one
        would leave. Those were four large runs for a read of 100,000 reuse samples (9.5, 3.6,
        1.2 and 0.25 million pairs), and a lookup's hashes missed the cache in each: after 300
        commits, a lookup of 145 hashes took 65-70 us against 100-116 us (three runs of
        ``python -m benchmarks.postings_build``). In the service, every process's indexes
        now start as single runs; at 16 clients posts took 4.9-5.1 ms of CPU against
        5.3-5.4 (three alternating pairs of ``benchmarks/service_load.py``;
        ``docs/performance-log.md``, session 16). The price is at the start: the readers'
        peak memory rose from about 890 MB to 960 MB, and a service is ready about 0.3 s
        later (four alternating pairs at 100,000 documents, by hand).
        """
        self.runs = [_built(runs, fresh) for runs, fresh in _groups(self.runs, batches)]

    def find(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every pair whose hash is in ``query`` (``uint64``): ``(which, values)``, the
        position in ``query`` of each pair's hash and the pair's value, run by run.

        One compiled call a run, which searches and gathers: a post's writer finds about
        five times in runs of four or five, and each call costs a few microseconds however
        little it does (session 25 of ``docs/performance-log.md``)."""
        which: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for run in self.runs:
            found_which, found_values = find_in(
                run.hashes,
                run.directory,
                run.shift,
                run.filter,
                run.filter_shift,
                run.values,
                query,
            )
            if found_which.shape[0]:
                which.append(found_which)
                values.append(found_values)
        if not which:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.uint32)
        if len(which) == 1:
            return which[0], values[0]
        return np.concatenate(which), np.concatenate(values)

    def find_rare(
        self, query: np.ndarray, most: int | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`find` of only the hashes with at most ``most`` pairs in all runs (all of
        them, if ``None``): ``(held, which, values)``, where ``held[k]`` counts the pairs of
        ``query[k]`` whether or not they were left out.

        A frequent hash (a set phrase, a footer's shingle) can have thousands of pairs that a
        lookup ignoring it would otherwise gather only to drop.
        """
        spans = [run.spans(query) for run in self.runs]
        held = np.zeros(query.shape[0], dtype=np.int64)
        for lo, hi in spans:
            held += hi - lo
        wanted = held > 0 if most is None else (held > 0) & (held <= most)
        which: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for run, (lo, hi) in zip(self.runs, spans, strict=True):
            found_which, found_values = gather_wanted(run.values, lo, hi, wanted)
            if found_which.shape[0]:
                which.append(found_which)
                values.append(found_values)
        if not which:
            return held, np.empty(0, dtype=np.int64), np.empty(0, dtype=np.uint32)
        if len(which) == 1:
            return held, which[0], values[0]
        return held, np.concatenate(which), np.concatenate(values)

    def count_in(self, query: np.ndarray, numbers: np.ndarray) -> np.ndarray:
        """How many pairs of each hash of ``query`` (``uint64``) have a value in ``numbers``
        (sorted, distinct ``int64``), without gathering them.

        The values of each hash must ascend within every run, as they do when pairs are
        added in ascending value order (the inversions add row numbers so): a busy hash's
        thousands of pairs are then searched for each of a few ``numbers`` instead of read.
        """
        counts = np.zeros(query.shape[0], dtype=np.int64)
        for run in self.runs:
            lo, hi = run.spans(query)
            counts += count_in(run.values, lo, hi, numbers)
        return counts

    def find_each(self, arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Every ``(array number, value)`` where a hash of ``arrays[k]`` has that value, each
        pair once however many hashes they share: ``(owners, values)``, sorted.

        The pairs are sorted and made distinct in one compiled call: with NumPy's ``repeat``
        and ``unique`` that took a post's writer about 20 us more (session 25 of
        ``docs/performance-log.md``)."""
        sizes = [a.shape[0] for a in arrays]
        if not sum(sizes):
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        query = np.concatenate([np.asarray(a, dtype=np.uint64) for a in arrays])
        which, values = self.find(query)
        return _owned(which, values, np.cumsum(np.array(sizes, dtype=np.int64)))


class Seqs:
    """A growing array of row seqs (ascending): appended per read, searched per removal."""

    def __init__(self) -> None:
        self._array = np.empty(1024, dtype=np.int64)
        self.size = 0

    def copy(self) -> Seqs:
        other = Seqs()
        other._array, other.size = self._array.copy(), self.size
        return other

    def extend(self, seqs: list[int]) -> None:
        end = self.size + len(seqs)
        if end > self._array.shape[0]:
            grown = np.empty(max(end, 2 * self._array.shape[0]), dtype=np.int64)
            grown[: self.size] = self._array[: self.size]
            self._array = grown
        self._array[self.size : end] = seqs
        self.size = end

    @property
    def array(self) -> np.ndarray:
        return self._array[: self.size]

    def index(self, seq: int) -> int | None:
        """Where ``seq`` is, if it is here."""
        array = self.array
        k = int(np.searchsorted(array, seq))
        return k if k < self.size and array[k] == seq else None


def _groups(
    runs: list[Run], batches: list[tuple[np.ndarray, np.ndarray]]
) -> list[tuple[list[Run], list[tuple[np.ndarray, np.ndarray]]]]:
    """The runs that adding ``batches`` one by one to ``runs`` would leave, each as the old
    runs and the batches it is made of, oldest first; takes the batches off their list. With
    no runs, the one run of every batch (:meth:`Postings.add_many` says why)."""
    if not runs:
        fresh = [batch for batch in batches if batch[0].shape[0]]
        batches.clear()
        return [([], fresh)] if fresh else []
    groups: list[tuple[int, list[Run], list[tuple[np.ndarray, np.ndarray]]]] = [
        (run.hashes.shape[0], [run], []) for run in runs
    ]
    while batches:
        batch = batches.pop(0)
        if batch[0].shape[0] == 0:
            continue
        groups.append((batch[0].shape[0], [], [batch]))
        while len(groups) > 1 and MERGE_RATIO * groups[-1][0] >= groups[-2][0]:
            size, newer_runs, newer_fresh = groups.pop()
            older_size, older_runs, older_fresh = groups.pop()
            groups.append((older_size + size, older_runs + newer_runs, older_fresh + newer_fresh))
    return [(group_runs, fresh) for _, group_runs, fresh in groups]


def _built(runs: list[Run], fresh: list[tuple[np.ndarray, np.ndarray]]) -> Run:
    """The run of existing ``runs`` (oldest first) and ``fresh`` batches after them: the
    batches sorted together, then merged with the runs, ties keeping the older pair first."""
    if fresh:
        runs = [*runs, Run.sorted(fresh)]
    built = runs[-1]
    for older in reversed(runs[:-1]):  # the smaller newer runs first, as one by one
        built = Run.of(*_merge(older.hashes, older.values, built.hashes, built.values))
    return built


@njit(cache=True, nogil=True)
def _owned(
    which: np.ndarray, values: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``(owner, value)`` of found pairs, sorted: a pair's owner is the array its
    query hash came from, whose hashes end at ``ends[owner]`` in the query."""
    keys = np.empty(which.shape[0], dtype=np.int64)
    for i in range(which.shape[0]):
        owner = np.searchsorted(ends, which[i], side="right")
        keys[i] = (owner << 32) | np.int64(values[i])
    keys.sort()
    owners = np.empty(keys.shape[0], dtype=np.int64)
    found = np.empty(keys.shape[0], dtype=np.int64)
    n = 0
    for i in range(keys.shape[0]):
        if n == 0 or keys[i] != keys[i - 1]:
            owners[n] = keys[i] >> 32
            found[n] = keys[i] & 0xFFFFFFFF
            n += 1
    return owners[:n], found[:n]


@njit(cache=True, nogil=True)
def _merge(
    h1: np.ndarray, v1: np.ndarray, h2: np.ndarray, v2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Two runs sorted by hash as one, ties keeping the first run's pairs first: one linear
    pass, where sorting the two joined would need an index array as large as both again."""
    n1, n2 = h1.shape[0], h2.shape[0]
    hashes = np.empty(n1 + n2, dtype=h1.dtype)
    values = np.empty(n1 + n2, dtype=v1.dtype)
    x = y = 0
    for k in range(n1 + n2):
        if y >= n2 or (x < n1 and h1[x] <= h2[y]):
            hashes[k] = h1[x]
            values[k] = v1[x]
            x += 1
        else:
            hashes[k] = h2[y]
            values[k] = v2[y]
            y += 1
    return hashes, values
