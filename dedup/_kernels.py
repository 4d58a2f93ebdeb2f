"""Compiled inner loops of the fingerprinting path (numba, cached on disk).

Everything here works on flat numpy arrays for a whole *batch* of documents at once, with an
``offsets`` array of length ``n + 1`` delimiting each document's slice. Python never loops over
tokens or shingles; it only prepares the batch and slices the results.

The behaviour of each kernel is pinned by a plain-Python reference in the tests (xxhash's own
``xxh64``, the reference tokenizer), so the speed here never changes the results. The MinHash
kernels are in :mod:`dedup._minhash_kernels`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from dedup import _numba_start  # noqa: F401  (before any kernel runs: no BLAS probe)
from dedup._xxh64 import xxh64

# --- Tokenising ----------------------------------------------------------------------------
# Character classes (see dedup.normalize): 0 separator, 1 word character, 2 a character that is a
# token on its own (scripts written without spaces).
SEP = 0
WORD = 1
SOLO = 2
CLASS_MASK = 3
# Set on characters that per-character NFKC cannot handle (see dedup.normalize._nfkc_tables).
UNSAFE = 4
# Set on characters that ``fold_variants`` deletes or replaces (dedup.unicode_tables).
VARIANT = 8


@njit(inline="always")
def _put_utf8(out: np.ndarray, pos: int, cp: np.int64) -> int:
    if cp < 0x80:
        out[pos] = cp
        return pos + 1
    if cp < 0x800:
        out[pos] = 0xC0 | (cp >> 6)
        out[pos + 1] = 0x80 | (cp & 0x3F)
        return pos + 2
    if cp < 0x10000:
        out[pos] = 0xE0 | (cp >> 12)
        out[pos + 1] = 0x80 | ((cp >> 6) & 0x3F)
        out[pos + 2] = 0x80 | (cp & 0x3F)
        return pos + 3
    out[pos] = 0xF0 | (cp >> 18)
    out[pos + 1] = 0x80 | ((cp >> 12) & 0x3F)
    out[pos + 2] = 0x80 | ((cp >> 6) & 0x3F)
    out[pos + 3] = 0x80 | (cp & 0x3F)
    return pos + 4


@njit(cache=True, nogil=True)
def token_streams(
    cps: np.ndarray,
    doc_offsets: np.ndarray,
    classes: np.ndarray,
    fold: np.ndarray,
    fold_ext: np.ndarray,
    nfkc_index: np.ndarray,
    nfkc_offsets: np.ndarray,
    nfkc_chars: np.ndarray,
    expansion: np.ndarray,
    variant: np.ndarray,
    nfkc: bool,
    casefold: bool,
    variants: bool,
    spans: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Turn code points into per-document UTF-8 token streams.

    A token stream is the document's tokens, normalised, joined by single spaces: exactly
    ``" ".join(tokens).encode()``. Returns ``(buf, buf_offsets, token_starts, token_offsets,
    sources, unsafe)`` where ``token_starts[token_offsets[d]:token_offsets[d + 1]]`` are the
    byte offsets in ``buf`` at which document ``d``'s tokens start, and ``sources[k]`` the
    half-open range of input code points (relative to the document) token ``k`` came from.

    With ``nfkc`` each character is replaced by its NFKC form; ``unsafe[d]`` says that document
    ``d`` has a character for which that is not enough, and the caller must give it the
    whole-text NFKC and run it again (with ``nfkc`` on: NFKC output maps to itself).
    ``fold[cp]`` is the case-folded code point, or ``-(k + 1)`` for a multi-character folding
    ``fold_ext[k]`` (zero-padded).
    ``expansion[cp]`` bounds the bytes one input code point can produce (5 above the table).
    With ``variants``, a character of the NFKC form with the VARIANT class bit is replaced by
    ``variant[c]``, or deleted where that is -1 or ``c`` is past the table: a deleted character
    neither ends a token nor is part of its span (it is skipped, as if it were not there).
    With ``spans`` off, ``sources`` is empty: fingerprinting needs no spans, and writing them
    is 17 % of this kernel (measured on news text: 5.2 instead of 6.2 ns a character).
    """
    n_docs = doc_offsets.shape[0] - 1
    # Size the output once: growing it inside the loop would stop LLVM from keeping the
    # buffer in registers (measured: twice as slow).
    bound = np.int64(0)
    for i in range(cps.shape[0]):
        cp = cps[i]
        bound += np.int64(expansion[cp]) if cp < expansion.shape[0] else np.int64(5)
    buf = np.empty(bound + 1, dtype=np.uint8)
    starts = np.empty(bound + 1, dtype=np.int64)
    sources = np.empty((bound + 1 if spans else 0, 2), dtype=np.int64)
    buf_offsets = np.empty(n_docs + 1, dtype=np.int64)
    token_offsets = np.empty(n_docs + 1, dtype=np.int64)
    unsafe = np.zeros(n_docs, dtype=np.bool_)
    n_map = nfkc_index.shape[0]
    n_classes = classes.shape[0]
    n_fold = fold.shape[0]
    n_variant = variant.shape[0]
    # ASCII fast path (most of a news text): a character whose NFKC is itself, that is safe,
    # and that folds to one ASCII character is written from this 128-entry table, skipping
    # the general path's NFKC and UTF-8 branches (measured on news text: the kernel 1.3x faster).
    # ascii_out[c] is the byte to write, or -1 when c must take the general path.
    ascii_out = np.full(128, -1, dtype=np.int64)
    for a in range(min(128, n_classes)):
        if nfkc and a < n_map and nfkc_index[a] >= 0:
            continue
        if classes[a] & (UNSAFE | VARIANT):
            continue
        folded = np.int64(fold[a]) if casefold and a < n_fold else np.int64(a)
        if 0 <= folded < 128:
            ascii_out[a] = folded
    pos = 0
    n_tokens = 0
    for d in range(n_docs):
        buf_offsets[d] = pos
        token_offsets[d] = n_tokens
        doc_first = n_tokens
        in_word = False
        bad = False
        base = doc_offsets[d]
        tok_end = 0  # end (exclusive, in input code points) of the last token so far
        for i in range(doc_offsets[d], doc_offsets[d + 1]):
            cp = np.int64(cps[i])
            if cp < 128 and ascii_out[cp] >= 0:
                kind = classes[cp] & CLASS_MASK
                if kind == SEP:
                    in_word = False
                    continue
                if not in_word or kind == SOLO:
                    if n_tokens > doc_first:
                        if spans:
                            sources[n_tokens - 1, 1] = tok_end
                        buf[pos] = 32
                        pos += 1
                    starts[n_tokens] = pos
                    if spans:
                        sources[n_tokens, 0] = i - base
                    n_tokens += 1
                tok_end = i - base + 1
                in_word = kind == WORD
                buf[pos] = ascii_out[cp]
                pos += 1
                continue
            # The NFKC form of cp: itself (j == -1) or nfkc_chars[lo:hi].
            lo = -1
            hi = 0
            if nfkc and cp < n_map and nfkc_index[cp] >= 0:
                lo = nfkc_offsets[nfkc_index[cp]]
                hi = nfkc_offsets[nfkc_index[cp] + 1]
            for j in range(lo, hi):
                c = cp if j < 0 else np.int64(nfkc_chars[j])
                raw = classes[c] if c < n_classes else SEP
                if raw & (UNSAFE | VARIANT):  # rare: one test for both on the common path
                    bad |= (raw & UNSAFE) != 0
                    if variants and raw & VARIANT:
                        if c >= n_variant or variant[c] < 0:
                            continue
                        c = np.int64(variant[c])
                        raw = classes[c]
                cls = raw & CLASS_MASK
                if cls == SEP:
                    in_word = False
                    continue
                if not in_word or cls == SOLO:
                    if n_tokens > doc_first:
                        if spans:
                            sources[n_tokens - 1, 1] = tok_end
                        buf[pos] = 32
                        pos += 1
                    starts[n_tokens] = pos
                    if spans:
                        sources[n_tokens, 0] = i - base
                    n_tokens += 1
                tok_end = i - base + 1
                in_word = cls == WORD
                f = np.int64(fold[c]) if casefold and c < n_fold else c
                if f >= 0:
                    pos = _put_utf8(buf, pos, f)
                else:
                    for k in range(fold_ext.shape[1]):
                        e = np.int64(fold_ext[-f - 1, k])
                        if e == 0:
                            break
                        pos = _put_utf8(buf, pos, e)
        if spans and n_tokens > doc_first:
            sources[n_tokens - 1, 1] = tok_end
        unsafe[d] = bad
    buf_offsets[n_docs] = pos
    token_offsets[n_docs] = n_tokens
    return (
        buf[:pos].copy(),
        buf_offsets,
        starts[:n_tokens].copy(),
        token_offsets,
        sources[:n_tokens].copy() if spans else sources,
        unsafe,
    )


# --- Shingling -----------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _char_starts(buf: np.ndarray, start: int, end: int) -> np.ndarray:
    """Byte offsets at which each code point of ``buf[start:end]`` starts."""
    count = 0
    for i in range(start, end):
        if (buf[i] & 0xC0) != 0x80:
            count += 1
    out = np.empty(count, dtype=np.int64)
    k = 0
    for i in range(start, end):
        if (buf[i] & 0xC0) != 0x80:
            out[k] = i
            k += 1
    return out


@njit(cache=True, nogil=True)
def _sort_unique(x: np.ndarray) -> int:
    """Sort uniformly distributed uint64 hashes in place and de-duplicate; returns the count.

    A counting pass on the top bits puts every value in its bucket (about one per bucket), and
    one insertion-sort pass then only has to order values inside a bucket: linear expected
    time, three times faster than a general sort for the few hundred shingles of an article.
    """
    m: int = x.shape[0]
    if m < 2:
        return m
    bits = 1
    while (1 << bits) < m:
        bits += 1
    shift = np.uint64(64 - bits)
    counts = np.zeros((1 << bits) + 1, dtype=np.int64)
    for v in x:
        counts[np.int64(v >> shift) + 1] += 1
    for j in range(1, counts.shape[0]):
        counts[j] += counts[j - 1]
    tmp = np.empty(m, dtype=np.uint64)
    for v in x:
        b = np.int64(v >> shift)
        tmp[counts[b]] = v
        counts[b] += 1
    for i in range(1, m):
        v = tmp[i]
        j = i - 1
        while j >= 0 and tmp[j] > v:
            tmp[j + 1] = tmp[j]
            j -= 1
        tmp[j + 1] = v
    k = 0
    for i in range(m):
        if i == 0 or tmp[i] != tmp[i - 1]:
            x[k] = tmp[i]
            k += 1
    return k


@njit(cache=True, nogil=True)
def shingle_sets(
    buf: np.ndarray,
    buf_offsets: np.ndarray,
    token_starts: np.ndarray,
    token_offsets: np.ndarray,
    n: int,
    words: bool,
    seed: np.uint64,
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted, de-duplicated XXH64 shingle hashes of every document's token stream.

    A word shingle is the bytes of ``n`` consecutive tokens with their separating spaces; a
    character shingle is ``n`` consecutive code points (spaces included). A document with fewer
    than ``n`` units has one shingle, its whole stream; an empty document has none.
    Returns ``(hashes, offsets)``.
    """
    n_docs = buf_offsets.shape[0] - 1
    # At most one shingle per unit, and every unit takes at least one byte.
    out = np.empty(buf.shape[0] + n_docs, dtype=np.uint64)
    offsets = np.empty(n_docs + 1, dtype=np.int64)
    pos = 0
    for d in range(n_docs):
        offsets[d] = pos
        start = buf_offsets[d]
        end = buf_offsets[d + 1]
        if end == start:
            continue
        if words:
            units = token_starts[token_offsets[d] : token_offsets[d + 1]]
        else:
            units = _char_starts(buf, start, end)
        n_units = units.shape[0]
        doc_pos = pos
        if n_units <= n:
            out[pos] = xxh64(buf, start, end, seed)
            pos += 1
        else:
            for u in range(n_units - n + 1):
                # A word shingle ends before the space that precedes the next token.
                stop = end if u + n == n_units else units[u + n] - (1 if words else 0)
                out[pos] = xxh64(buf, units[u], stop, seed)
                pos += 1
        pos = doc_pos + _sort_unique(out[doc_pos:pos])
    offsets[n_docs] = pos
    return out[:pos].copy(), offsets


@njit(cache=True, nogil=True)
def content_hashes(buf: np.ndarray, buf_offsets: np.ndarray, seed: np.uint64) -> np.ndarray:
    """XXH64 of each whole token stream: equal exactly when the normalised texts are equal."""
    n_docs = buf_offsets.shape[0] - 1
    out = np.empty(n_docs, dtype=np.uint64)
    for d in range(n_docs):
        out[d] = xxh64(buf, buf_offsets[d], buf_offsets[d + 1], seed)
    return out


@njit(cache=True, nogil=True)
def joined_streams(
    buf: np.ndarray,
    buf_offsets: np.ndarray,
    token_starts: np.ndarray,
    token_offsets: np.ndarray,
    rows: np.ndarray,
    groups: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Token streams made of others: stream ``g`` is the streams of ``rows[groups[g]:groups[g
    + 1]]`` joined by single spaces, empty ones left out. That is the stream of their texts
    joined by white space, since white space only separates tokens (see :mod:`dedup.normalize`).
    Returns ``(buf, buf_offsets, token_starts, token_offsets)``, as :func:`token_streams`."""
    n_out = groups.shape[0] - 1
    size = 0
    n_tokens = 0
    for g in range(n_out):
        joined = 0
        for k in range(groups[g], groups[g + 1]):
            length = buf_offsets[rows[k] + 1] - buf_offsets[rows[k]]
            if length:
                size += length + (1 if joined else 0)
                joined += 1
            n_tokens += token_offsets[rows[k] + 1] - token_offsets[rows[k]]
    out = np.empty(size, dtype=np.uint8)
    starts = np.empty(n_tokens, dtype=np.int64)
    out_offsets = np.empty(n_out + 1, dtype=np.int64)
    out_token_offsets = np.empty(n_out + 1, dtype=np.int64)
    pos = 0
    t = 0
    for g in range(n_out):
        out_offsets[g] = pos
        out_token_offsets[g] = t
        for k in range(groups[g], groups[g + 1]):
            lo, hi = buf_offsets[rows[k]], buf_offsets[rows[k] + 1]
            if hi == lo:
                continue
            if pos > out_offsets[g]:
                out[pos] = 32  # the space between two streams
                pos += 1
            for j in range(token_offsets[rows[k]], token_offsets[rows[k] + 1]):
                starts[t] = token_starts[j] - lo + pos
                t += 1
            out[pos : pos + hi - lo] = buf[lo:hi]
            pos += hi - lo
    out_offsets[n_out] = pos
    out_token_offsets[n_out] = t
    return out, out_offsets, starts, out_token_offsets
