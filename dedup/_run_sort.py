"""Making a run of :mod:`dedup._postings`: pairs sorted by hash, and their directory.

A counting sort on the directory's bits puts each pair in its directory entry, and each
entry's few pairs are then sorted by insertion (a merge sort where a hash recurs, and an entry
holds more). It replaced a stable ``np.argsort`` of each batch (a merge sort of the whole
batch), two gathers and the directory's count with ``np.bincount``, which were most of a
service process's start: a reader builds its indexes of 100,000 stored documents from about
20 million pairs (``python -m benchmarks.postings_build``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from dedup import _numba_start  # noqa: F401  (before any kernel runs: no BLAS probe)

#: A run's directory has an entry for every 8 to 16 of its pairs (one or two cache lines of
#: hashes to search), at 8 bytes an entry: at most a byte per pair, beside the pair's 12.
PER_ENTRY = 16


def sort_pairs(
    batches: list[tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.uint64]:
    """The pairs of ``batches`` (one or more, not all empty) sorted by hash, equal hashes
    keeping their order (a batch's before the next's): ``(hashes, values, directory, shift)``.

    Above ``2 ** _TOP_BITS`` entries the pairs are first split by their top bits, so that
    each part's scatter stays in the cache, and the batches are read into that split one by
    one, taken off the list: a caller holding no other reference to them frees each as it
    goes, and the sort needs about twice its pairs' memory.
    """
    size = sum(hashes.shape[0] for hashes, _ in batches)
    shift = shift_for(size)
    entries = 1 << (64 - int(shift))
    if entries > 1 << _TOP_BITS:
        return (*_sort_parts(*_split(batches, size), shift, entries), shift)
    if len(batches) == 1:  # a commit's few pairs, the usual case
        hashes, values = batches.pop()
    else:
        hashes = np.concatenate([h for h, _ in batches])
        values = np.concatenate([v for _, v in batches])
        batches.clear()
    return (*_sort_all(hashes, values, shift, entries), shift)


def shift_for(pairs: int) -> np.uint64:
    """``64 - bits``, where ``2 ** bits`` directory entries put 8 to 16 pairs in each."""
    return np.uint64(64 - max(1, (pairs // PER_ENTRY).bit_length()))


#: A directory entry's pairs are sorted by insertion up to this many, by a merge sort beyond
#: (an entry holds 16 pairs at most on average; more only where a hash recurs).
_INSERTION_MAX = 64


#: Runs whose directory has more than ``2 ** _TOP_BITS`` entries are first split by the top
#: ``_TOP_BITS`` bits of their hashes, so that each part's counting sort writes to a span that
#: stays in the cache: 15 million random pairs in 0.81-0.83 s in one pass, 0.46-0.49 s in two
#: (three runs each, by hand).
_TOP_BITS = 8


@njit(cache=True, nogil=True)
def _sort_all(
    hashes: np.ndarray, values: np.ndarray, shift: np.uint64, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`sort_pairs` in one pass: the sorted pairs and their directory."""
    n = hashes.shape[0]
    out_hashes = np.empty(n, dtype=hashes.dtype)
    out_values = np.empty(n, dtype=values.dtype)
    directory = np.empty(size + 1, dtype=np.int64)
    directory[size] = n
    _sort_entries(hashes, values, 0, n, out_hashes, out_values, directory, 0, size, shift)
    return out_hashes, out_values, directory


@njit(cache=True, nogil=True)
def _count_parts(hashes: np.ndarray, starts: np.ndarray) -> None:
    """Add to ``starts[k + 1]`` how many ``hashes`` have top bits ``k``."""
    top = np.uint64(64 - _TOP_BITS)
    for i in range(hashes.shape[0]):
        starts[np.intp(hashes[i] >> top) + 1] += 1


@njit(cache=True, nogil=True)
def _scatter_parts(
    hashes: np.ndarray,
    values: np.ndarray,
    fill: np.ndarray,
    split_hashes: np.ndarray,
    split_values: np.ndarray,
) -> None:
    """Put each pair at the next free place of its top bits' part, in input order."""
    top = np.uint64(64 - _TOP_BITS)
    for i in range(hashes.shape[0]):
        part = np.intp(hashes[i] >> top)
        k = fill[part]
        split_hashes[k] = hashes[i]
        split_values[k] = values[i]
        fill[part] = k + 1


def _split(
    batches: list[tuple[np.ndarray, np.ndarray]], size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs of ``batches`` (``size`` in all) split by their hashes' top bits, each part
    in input order, and where each part starts; takes each batch off the list once read."""
    starts = np.zeros((1 << _TOP_BITS) + 1, dtype=np.int64)
    for hashes, _ in batches:
        _count_parts(hashes, starts)
    np.cumsum(starts, out=starts)
    fill = starts[:-1].copy()
    split_hashes = np.empty(size, dtype=np.uint64)
    split_values = np.empty(size, dtype=batches[0][1].dtype)
    while batches:
        hashes, values = batches.pop(0)
        _scatter_parts(hashes, values, fill, split_hashes, split_values)
    return split_hashes, split_values, starts


@njit(cache=True, nogil=True)
def _sort_parts(
    hashes: np.ndarray, values: np.ndarray, starts: np.ndarray, shift: np.uint64, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs split by their top bits (part ``k`` at ``starts[k]:starts[k + 1]``), sorted
    part by part: the sorted pairs and their directory."""
    n = hashes.shape[0]
    out_hashes = np.empty(n, dtype=hashes.dtype)
    out_values = np.empty(n, dtype=values.dtype)
    directory = np.empty(size + 1, dtype=np.int64)
    directory[size] = n
    parts = starts.shape[0] - 1
    per_part = size // parts
    for part in range(parts):
        _sort_entries(
            hashes,
            values,
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
def directory_of(hashes: np.ndarray, shift: np.uint64, size: int) -> np.ndarray:
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


#: Runs of at least this many pairs get a filter (:func:`filter_of`): smaller ones stay in
#: the caches between lookups, where a search costs little more than a filter's probe.
FILTER_MIN = 1 << 20
#: Mixes a hash before its filter bits are taken: the reuse postings keep only hashes that
#: are multiples of their sample rate, whose low bits are all alike.
_MIX = np.uint64(0x9E3779B97F4A7C15)
_NO_FILTER = np.empty(0, dtype=np.uint64)


def filter_of(hashes: np.ndarray) -> np.ndarray:
    """A run's filter: one 64-bit word for every 8 or so of its pairs, where each hash sets
    four bits of one word (a Bloom filter blocked by word). A lookup of a hash whose bits are
    not all set skips the run: one cache miss, where the directory and the hashes cost two or
    three. Empty below :data:`FILTER_MIN` pairs."""
    if hashes.shape[0] < FILTER_MIN:
        return _NO_FILTER
    bits = max(1, (hashes.shape[0] // 8 - 1).bit_length())
    return _filter(hashes, bits)


@njit(cache=True, nogil=True)
def _filter(hashes: np.ndarray, bits: int) -> np.ndarray:
    words = np.zeros(1 << bits, dtype=np.uint64)
    shift = np.uint64(64 - bits)
    for i in range(hashes.shape[0]):
        mixed = hashes[i] * _MIX
        words[mixed >> shift] |= filter_bits(mixed)
    return words


@njit(cache=True, nogil=True, inline="always")
def filter_bits(mixed: np.uint64) -> np.uint64:
    """The four bits a mixed hash sets in its word (they may coincide)."""
    one, low = np.uint64(1), np.uint64(63)
    return (
        (one << (mixed & low))
        | (one << ((mixed >> np.uint64(6)) & low))
        | (one << ((mixed >> np.uint64(12)) & low))
        | (one << ((mixed >> np.uint64(18)) & low))
    )


@njit(cache=True, nogil=True, inline="always")
def may_hold(words: np.ndarray, shift: np.uint64, hash_: np.uint64) -> bool:
    """Whether a run whose filter is ``words`` (``shift``: 64 less its bits) may hold
    ``hash_``; always, with no filter."""
    if words.shape[0] == 0:
        return True
    mixed = hash_ * _MIX
    wanted = filter_bits(mixed)
    held: bool = (words[mixed >> shift] & wanted) == wanted
    return held
