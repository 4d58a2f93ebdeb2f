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


@njit(cache=True, nogil=True)
def found_stories(
    signatures: np.ndarray, founders: np.ndarray, count: int, threshold: float
) -> tuple[int, int]:
    """Greedy story founding over ``signatures`` (rows, in order), continuing ``founders``.

    A row founds a story unless the share of values it has equal to an earlier founder's (the
    estimated Jaccard similarity) reaches ``threshold``. ``founders[:count]`` are the founders
    so far; a new one is written into the next row. Returns the count of founders and the row
    that made it ``founders.shape[0]`` (the number wanted), or -1 if none did.

    The boilerplate judgement asks this of every key's carriers (:mod:`dedup.boilerplate.model`).
    A story reprinted in many documents of one source makes every one of its paragraphs a key
    whose carriers are all copies of one founder, so each is walked to its end: compared one
    NumPy call a pair, that was most of a ``--strip-boilerplate`` run over such a corpus.
    """
    width = signatures.shape[1]
    wanted = founders.shape[0]
    for row in range(signatures.shape[0]):
        copy = False
        for f in range(count):
            same = 0
            for j in range(width):
                same += signatures[row, j] == founders[f, j]
            if same / width >= threshold:
                copy = True
                break
        if copy:
            continue
        founders[count, :] = signatures[row, :]
        count += 1
        if count >= wanted:
            return count, row
    return count, -1
