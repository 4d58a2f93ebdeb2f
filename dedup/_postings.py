"""An inverted index in memory: ``(hash, value)`` pairs in sorted runs, appended in batches.

Used where the file keeps one append-only row per document and every process that looks
things up inverts the rows itself (:mod:`dedup.collection.reuse_index`,
:mod:`dedup.boilerplate.sqlite_lookups`): a B-tree of ``(hash, document)`` rows in the file
made every stored document insert dozens of rows at random places, each dirtying a page of
its own, which was most of a single writer's time.

Each batch of pairs is sorted into a run of its own; runs merge while the newest is at least
half the size of the one before it, so a lookup searches a logarithmic number of them. Runs
never change once made (merging makes new arrays), so a copy of a :class:`Postings` that adds
pairs leaves the original as it was.

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

#: A run's directory has an entry for every 8 to 16 of its pairs (one or two cache lines of
#: hashes to search), at 8 bytes an entry: at most a byte per pair, beside the pair's 12.
_PER_ENTRY = 16


class Run(NamedTuple):
    """``(hash, value)`` pairs sorted by hash, with the directory of their top bits."""

    hashes: np.ndarray  # uint64, sorted
    values: np.ndarray  # uint32, the value of each hash
    directory: np.ndarray  # int64: the first pair whose top bits are k, for k in 0 .. 2**bits
    shift: np.uint64  # 64 - bits: a hash's top bits are ``hash >> shift``

    @classmethod
    def of(cls, hashes: np.ndarray, values: np.ndarray) -> Run:
        """The run of pairs already sorted by hash (a merge's), with its directory."""
        shift = _shift(hashes.shape[0])
        return cls(hashes, values, _directory(hashes, shift, 1 << (64 - int(shift))), shift)

    @classmethod
    def sorted(cls, hashes: np.ndarray, values: np.ndarray) -> Run:
        """The run of pairs in any order: sorted by hash, equal hashes keeping their order."""
        shift = _shift(hashes.shape[0])
        return cls(*_bucket_sort(hashes, values, shift, 1 << (64 - int(shift))), shift)

    def spans(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``np.searchsorted(hashes, query, "left")`` and ``"right"``, through the directory."""
        return _spans(self.hashes, self.directory, self.shift, query)


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

    def add_many(self, batches: Sequence[tuple[np.ndarray, np.ndarray]]) -> None:
        """:meth:`add` of each batch in turn, to the same runs, but each new run sorted once.

        One by one, a first read of a table (a few dozen batches of up to a million pairs)
        merged every pair again each time a later batch's run reached its own: a reader's
        indexes of 100,000 documents, about 20 million pairs, were merged four times over.
        Which runs there will be depends on the sizes alone, so they are worked out first;
        each is then the stable sort of its pairs, the runs it takes in merged into it.
        """
        groups: list[tuple[int, list[Run], list[tuple[np.ndarray, np.ndarray]]]] = [
            (run.hashes.shape[0], [run], []) for run in self.runs
        ]
        for hashes, values in batches:
            if hashes.shape[0] == 0:
                continue
            groups.append((hashes.shape[0], [], [(hashes, values)]))
            while len(groups) > 1 and 2 * groups[-1][0] >= groups[-2][0]:
                size, runs, fresh = groups.pop()
                older_size, older_runs, older_fresh = groups.pop()
                groups.append((older_size + size, older_runs + runs, older_fresh + fresh))
        self.runs = [_built(runs, fresh) for _, runs, fresh in groups]

    def find(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every pair whose hash is in ``query`` (``uint64``): ``(which, values)``, the
        position in ``query`` of each pair's hash and the pair's value, run by run."""
        _, which, values = self.find_rare(query, None)
        return which, values

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
            found_which, found_values = _gather_wanted(run.values, lo, hi, wanted)
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
            counts += _count_in(run.values, lo, hi, numbers)
        return counts

    def find_each(self, arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Every ``(array number, value)`` where a hash of ``arrays[k]`` has that value, each
        pair once however many hashes they share: ``(owners, values)``, sorted."""
        sizes = [a.shape[0] for a in arrays]
        if not sum(sizes):
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        query = np.concatenate([np.asarray(a, dtype=np.uint64) for a in arrays])
        owner = np.repeat(np.arange(len(arrays), dtype=np.int64), sizes)
        which, values = self.find(query)
        pairs = np.unique((owner[which] << 32) | values.astype(np.int64))
        return pairs >> 32, pairs & 0xFFFFFFFF


class Seqs:
    """A growing array of row seqs (ascending): appended per read, searched per removal."""

    def __init__(self) -> None:
        self._array = np.empty(1024, dtype=np.int64)
        self.size = 0

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


def _built(runs: list[Run], fresh: list[tuple[np.ndarray, np.ndarray]]) -> Run:
    """The run of existing ``runs`` (oldest first) and ``fresh`` batches after them: the
    batches sorted together, then merged with the runs, ties keeping the older pair first."""
    if fresh:
        if len(fresh) == 1:
            hashes, values = fresh[0]
        else:
            hashes = np.concatenate([h for h, _ in fresh])
            values = np.concatenate([v for _, v in fresh])
        runs = [*runs, Run.sorted(hashes, values)]
    built = runs[-1]
    for older in reversed(runs[:-1]):  # the smaller newer runs first, as one by one
        built = Run.of(*_merge(older.hashes, older.values, built.hashes, built.values))
    return built


def _shift(pairs: int) -> np.uint64:
    """``64 - bits``, where ``2 ** bits`` directory entries put 8 to 16 pairs in each."""
    return np.uint64(64 - max(1, (pairs // _PER_ENTRY).bit_length()))


#: A directory entry's pairs are sorted by insertion up to this many, by a merge sort beyond
#: (an entry holds 16 pairs at most on average; more only where a hash recurs).
_INSERTION_MAX = 64


#: Runs whose directory has more than ``2 ** _TOP_BITS`` entries are first split by the top
#: ``_TOP_BITS`` bits of their hashes, so that each part's counting sort writes to a span that
#: stays in the cache: 15 million random pairs in 0.81-0.83 s in one pass, 0.48-0.49 s in two
#: (three runs each, by hand).
_TOP_BITS = 8


@njit(cache=True, nogil=True)
def _bucket_sort(
    hashes: np.ndarray, values: np.ndarray, shift: np.uint64, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs sorted by hash, equal hashes keeping their order, and the directory of their top
    bits: a counting sort by the directory's entry, then each entry's few pairs sorted.

    It replaced a stable ``np.argsort`` (a merge sort of the whole batch), two gathers and the
    directory's count, which were most of a process's start: a reader builds its indexes of
    100,000 stored documents from about 20 million pairs.
    """
    n = hashes.shape[0]
    out_hashes = np.empty(n, dtype=hashes.dtype)
    out_values = np.empty(n, dtype=values.dtype)
    directory = np.empty(size + 1, dtype=np.int64)
    directory[size] = n
    if size <= 1 << _TOP_BITS:
        _sort_entries(hashes, values, 0, n, out_hashes, out_values, directory, 0, size, shift)
        return out_hashes, out_values, directory
    top = np.uint64(64 - _TOP_BITS)
    parts = 1 << _TOP_BITS
    starts = np.zeros(parts + 1, dtype=np.int64)
    for i in range(n):
        starts[np.intp(hashes[i] >> top) + 1] += 1
    for k in range(parts):
        starts[k + 1] += starts[k]
    fill = starts[:parts].copy()
    split_hashes = np.empty(n, dtype=hashes.dtype)
    split_values = np.empty(n, dtype=values.dtype)
    for i in range(n):  # in input order, so each part keeps it
        into = np.intp(hashes[i] >> top)
        k = fill[into]
        split_hashes[k] = hashes[i]
        split_values[k] = values[i]
        fill[into] = k + 1
    per_part = size // parts
    for part in range(parts):
        _sort_entries(
            split_hashes,
            split_values,
            starts[part],
            starts[part + 1],
            out_hashes,
            out_values,
            directory,
            part * per_part,
            (part + 1) * per_part,
            shift,
        )
    return out_hashes, out_values, directory


@njit(cache=True, nogil=True)
def _sort_entries(
    hashes: np.ndarray,
    values: np.ndarray,
    lo: int,
    hi: int,
    out_hashes: np.ndarray,
    out_values: np.ndarray,
    directory: np.ndarray,
    first: int,
    end: int,
    shift: np.uint64,
) -> None:
    """Sort the pairs ``lo:hi``, whose directory entries all lie in ``first:end``, into the
    same places of ``out_*``, stably, and fill those entries of ``directory``."""
    starts = np.zeros(end - first + 1, dtype=np.int64)
    for i in range(lo, hi):
        starts[np.intp(hashes[i] >> shift) - first + 1] += 1
    starts[0] = lo
    for k in range(end - first):
        starts[k + 1] += starts[k]
    directory[first:end] = starts[: end - first]
    for i in range(lo, hi):  # in input order, so each entry keeps it
        entry = np.intp(hashes[i] >> shift) - first
        k = starts[entry]
        out_hashes[k] = hashes[i]
        out_values[k] = values[i]
        starts[entry] = k + 1
    for e in range(end - first):
        a, b = directory[first + e], starts[e]
        if b - a <= _INSERTION_MAX:
            for i in range(a + 1, b):  # stable: a pair moves only past greater hashes
                h, v = out_hashes[i], out_values[i]
                j = i
                while j > a and out_hashes[j - 1] > h:
                    out_hashes[j] = out_hashes[j - 1]
                    out_values[j] = out_values[j - 1]
                    j -= 1
                out_hashes[j] = h
                out_values[j] = v
        else:
            order = np.argsort(out_hashes[a:b], kind="mergesort") + a
            out_hashes[a:b] = out_hashes[order]
            out_values[a:b] = out_values[order]


@njit(cache=True, nogil=True)
def _directory(hashes: np.ndarray, shift: np.uint64, size: int) -> np.ndarray:
    """The directory of pairs sorted by hash: entry ``k`` is the first pair whose top bits
    are ``k`` or more (``size`` entries and the end)."""
    directory = np.empty(size + 1, dtype=np.int64)
    k = 0
    for i in range(hashes.shape[0]):
        entry = np.intp(hashes[i] >> shift)
        while k <= entry:
            directory[k] = i
            k += 1
    while k <= size:
        directory[k] = hashes.shape[0]
        k += 1
    return directory


@njit(cache=True, nogil=True)
def _spans(
    hashes: np.ndarray, directory: np.ndarray, shift: np.uint64, query: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Where each query hash's pairs start and end: equal hashes share their top bits, so they
    all lie in the directory entry of those bits, searched alone."""
    lo = np.empty(query.shape[0], dtype=np.int64)
    hi = np.empty(query.shape[0], dtype=np.int64)
    for i in range(query.shape[0]):
        q = query[i]
        entry = q >> shift
        left, right = directory[entry], directory[entry + 1]
        while left < right:  # the first pair not below q
            middle = (left + right) >> 1
            if hashes[middle] < q:
                left = middle + 1
            else:
                right = middle
        lo[i] = left
        right = directory[entry + 1]
        while left < right:  # the first pair above q
            middle = (left + right) >> 1
            if hashes[middle] <= q:
                left = middle + 1
            else:
                right = middle
        hi[i] = left
    return lo, hi


@njit(cache=True, nogil=True)
def _gather_wanted(
    values: np.ndarray, lo: np.ndarray, hi: np.ndarray, wanted: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of the ``wanted`` query hashes in one run: ``(which, values)``, the query
    position of each pair and its value, ``values[lo[i]:hi[i]]`` for each wanted ``i``."""
    total = 0
    for i in range(lo.shape[0]):
        if wanted[i]:
            total += hi[i] - lo[i]
    which = np.empty(total, dtype=np.int64)
    out = np.empty(total, dtype=values.dtype)
    k = 0
    for i in range(lo.shape[0]):
        if wanted[i]:
            for j in range(lo[i], hi[i]):
                which[k] = i
                out[k] = values[j]
                k += 1
    return which, out


@njit(cache=True, nogil=True)
def _count_in(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """For each span ``values[lo[i]:hi[i]]`` (ascending), how many of its values are in
    ``wanted`` (sorted, distinct): the shorter side is walked and the other searched."""
    out = np.zeros(lo.shape[0], dtype=np.int64)
    m = wanted.shape[0]
    for i in range(lo.shape[0]):
        a, b = lo[i], hi[i]
        found = 0
        if b - a <= m:
            for j in range(a, b):
                v = np.int64(values[j])
                left, right = 0, m
                while left < right:
                    middle = (left + right) >> 1
                    if wanted[middle] < v:
                        left = middle + 1
                    else:
                        right = middle
                if left < m and wanted[left] == v:
                    found += 1
        else:
            for k in range(m):
                w = wanted[k]
                left, right = a, b
                while left < right:  # the first value not below w
                    middle = (left + right) >> 1
                    if np.int64(values[middle]) < w:
                        left = middle + 1
                    else:
                        right = middle
                start = left
                right = b
                while left < right:  # the first value above w
                    middle = (left + right) >> 1
                    if np.int64(values[middle]) <= w:
                        left = middle + 1
                    else:
                        right = middle
                found += left - start
        out[i] = found
    return out


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
