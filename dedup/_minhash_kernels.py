"""Compiled MinHash kernels (numba, cached on disk): signatures of shingle sets and their LSH
band keys, for a whole batch at once (see :mod:`dedup._kernels` for the layout of a batch).

Pinned, like the tokenising kernels, by plain references in the tests (datasketch's
"affine32" MinHash, xxhash's ``xxh64``), so the speed here never changes the results.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from dedup import _numba_start  # noqa: F401  (before any kernel runs: no BLAS probe)
from dedup._kernels import content_hashes, shingle_sets, token_streams
from dedup._xxh64 import xxh64
from dedup.unicode_tables import TableArrays


@njit(inline="always")
def _fmix32(h: np.uint32) -> np.uint32:
    # numba widens 32-bit arithmetic to 64 bits; the casts restore wrap-around modulo 2**32.
    h = np.uint32(h ^ (h >> np.uint32(16)))
    h = np.uint32(h * np.uint32(0x85EBCA6B))
    h = np.uint32(h ^ (h >> np.uint32(13)))
    h = np.uint32(h * np.uint32(0xC2B2AE35))
    return np.uint32(h ^ (h >> np.uint32(16)))


@njit(cache=True, nogil=True)
def signatures(hashes: np.ndarray, offsets: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """MinHash signatures in datasketch's "affine32" scheme, one row per document.

    Each 64-bit shingle hash is cut to its low 32 bits (datasketch's 32-bit input hash), mixed
    with the MurmurHash3 finaliser and permuted as ``a * h + b mod 2**32``. The permutation loop
    runs over a contiguous row of ``num_perm`` lanes, which LLVM vectorises.
    """
    n_docs = offsets.shape[0] - 1
    num_perm = a.shape[0]
    out = np.full((n_docs, num_perm), np.uint32(0xFFFFFFFF), dtype=np.uint32)
    for d in range(n_docs):
        row = out[d]
        for j in range(offsets[d], offsets[d + 1]):
            h = _fmix32(np.uint32(hashes[j] & np.uint64(0xFFFFFFFF)))
            for k in range(num_perm):
                v = np.uint32(a[k] * h + b[k])
                if v < row[k]:
                    row[k] = v
    return out


@njit(cache=True, nogil=True)
def band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """XXH64 of each band's ``rows`` values as little-endian uint32 bytes, seeded by band index.

    Explicit byte order makes keys identical on every machine (datasketch uses native order).
    """
    n_docs = sigs.shape[0]
    out = np.empty((n_docs, bands), dtype=np.uint64)
    scratch = np.empty(rows * 4, dtype=np.uint8)
    for d in range(n_docs):
        for band in range(bands):
            for r in range(rows):
                v = sigs[d, band * rows + r]
                for k in range(4):
                    scratch[r * 4 + k] = (v >> np.uint32(8 * k)) & np.uint32(0xFF)
            out[d, band] = xxh64(scratch, 0, rows * 4, np.uint64(band))
    return out


@njit(cache=True, nogil=True)
def fingerprint_text(
    cps: np.ndarray,
    doc_offsets: np.ndarray,
    tables: TableArrays,
    nfkc: bool,
    casefold: bool,
    variants: bool,
    n: int,
    words: bool,
    seed: np.uint64,
    a: np.ndarray,
    b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.uint64, bool]:
    """One text's fingerprint in one call: its token stream, shingle set, signature and content
    hash, as :meth:`dedup.fingerprint.Fingerprinter.fingerprint` computes them in four (the
    text's code points, and ``tables`` as :meth:`dedup.unicode_tables.Tables.arrays` gives
    them). Returns ``(signature, shingles, content_hash, unsafe)``; an ``unsafe`` text needs
    the whole-text NFKC that only the batch path does."""
    buf, offsets, starts, token_offsets, _, unsafe = token_streams(
        cps, doc_offsets, *tables, nfkc, casefold, variants, False
    )
    shingles, shingle_offsets = shingle_sets(buf, offsets, starts, token_offsets, n, words, seed)
    sigs = signatures(shingles, shingle_offsets, a, b)
    return sigs[0], shingles, content_hashes(buf, offsets, seed)[0], unsafe[0]


@njit(inline="always")
def _own(value: np.uint32, left: np.ndarray, j: int) -> bool:
    """Whether a signature's value at position ``j`` is not decided by a left-out text: equal
    to none of ``left``'s values there (the left-out text is part of the signed one)."""
    for k in range(left.shape[0]):  # noqa: SIM110 (compiled: a loop, not a generator)
        if value == left[k, j]:
            return False
    return True


@njit(cache=True, nogil=True)
def _holds_own(row: np.ndarray, left: np.ndarray) -> bool:
    """Whether any value of ``row`` is its own (:func:`_own`)."""
    for j in range(row.shape[0]):  # noqa: SIM110
        if _own(row[j], left, j):
            return True
    return False


@njit(cache=True, nogil=True)
def _copies(a: np.ndarray, b: np.ndarray, left: np.ndarray, threshold: float) -> bool:
    """Whether signatures ``a`` and ``b`` are of copies of one story (:func:`found_stories`)."""
    width = a.shape[0]
    same = 0  # equal values: the Jaccard estimate of the whole texts
    same_own = 0  # equal values at the positions that count for the own parts
    in_a = 0  # positions that count where the union's minimum is a's (equal: both's)
    in_b = 0
    for j in range(width):
        x = a[j]
        y = b[j]
        same += x == y
        if _own(min(x, y), left, j):
            same_own += x == y
            in_a += x <= y
            in_b += y <= x
    if same / width < threshold:
        return False
    smaller = min(in_a, in_b)
    return smaller == 0 or same_own / smaller >= threshold


@njit(cache=True, nogil=True)
def found_stories(
    signatures: np.ndarray, left: np.ndarray, founders: np.ndarray, count: int, threshold: float
) -> tuple[int, int]:
    """Greedy story founding over ``signatures`` (rows, in order), continuing ``founders``.

    A row founds a story unless it and an earlier founder are copies: the share of values they
    have equal (the estimated Jaccard similarity of the whole texts) reaches ``threshold``, and
    so does the estimated containment of the smaller of their *own parts* in the other's: the
    texts without the one ``left`` out (the paragraph being judged, signed as the rows were,
    one row a form: :mod:`dedup.boilerplate.stories`). A value equal to ``left``'s at its
    position is decided by the left-out text; of a pair, a position counts where the smaller
    value is not: there it is the minimum of the union of the two own parts, one's own at a
    share of the positions estimating that part's size in the union and equal in both at a
    share estimating their intersection's. With nothing left out (no rows) every position
    counts, the containment is at least the Jaccard estimate and the rule is the Jaccard one
    alone. A pair in which either own part has no counted position is compared whole. A row
    whose every value is decided by ``left`` (nothing of its own) founds nothing and is no
    one's copy.

    ``founders[:count]`` are the founders so far; a new one is written into the next row.
    Returns the count of founders and the row that made it ``founders.shape[0]`` (the number
    wanted), or -1 if none did.

    The boilerplate judgement asks this of every key's carriers (:mod:`dedup.boilerplate.model`).
    A story reprinted in many documents of one source makes every one of its paragraphs a key
    whose carriers are all copies of one founder, so each is walked to its end: compared one
    NumPy call a pair, that was most of a ``--strip-boilerplate`` run over such a corpus.
    """
    wanted = founders.shape[0]
    for row in range(signatures.shape[0]):
        if left.shape[0] > 0 and not _holds_own(signatures[row], left):
            continue
        copy = False
        for f in range(count):
            if _copies(signatures[row], founders[f], left, threshold):
                copy = True
                break
        if copy:
            continue
        founders[count, :] = signatures[row, :]
        count += 1
        if count >= wanted:
            return count, row
    return count, -1
