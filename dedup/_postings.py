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
        bits = max(1, (hashes.shape[0] // _PER_ENTRY).bit_length())
        shift = np.uint64(64 - bits)
        counts = np.bincount((hashes >> shift).astype(np.intp), minlength=1 << bits)
        directory = np.zeros(counts.shape[0] + 1, dtype=np.int64)
        np.cumsum(counts, out=directory[1:])
        return cls(hashes, values, directory, shift)

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
        if hashes.shape[0] == 0:
            return
        order = np.argsort(hashes, kind="stable")
        runs = self.runs
        runs.append(Run.of(hashes[order], values[order]))
        while len(runs) > 1 and 2 * runs[-1].hashes.shape[0] >= runs[-2].hashes.shape[0]:
            newer, older = runs.pop(), runs.pop()
            runs.append(Run.of(*_merge(older.hashes, older.values, newer.hashes, newer.values)))

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
