"""Compiled inner loops of passage alignment (numba, cached on disk); see :mod:`dedup.align`.

Token positions are indices into a document's token list; a *seed* ``(i, j)`` says that the
``k`` tokens starting at ``i`` in text a equal the ``k`` tokens starting at ``j`` in text b.
Every kernel is linear in its input apart from the sorts, and none allocates per seed.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from dedup import _numba_start  # noqa: F401  (before any kernel runs: no BLAS probe)
from dedup._xxh64 import xxh64


@njit(cache=True, nogil=True)
def window_hashes(buf: np.ndarray, starts: np.ndarray, k: int, seed: np.uint64) -> np.ndarray:
    """XXH64 of every run of ``k`` consecutive tokens of a token stream.

    ``buf`` is the UTF-8 token stream (tokens joined by single spaces) and ``starts`` the byte
    offset of each token; the hashed bytes are exactly those of a document shingle, so with
    ``k`` equal to the shingle size a seed hash *is* a shingle hash. Fewer than ``k`` tokens
    give no windows.
    """
    n = starts.shape[0]
    count = max(n - k + 1, 0)
    out = np.empty(count, dtype=np.uint64)
    end = buf.shape[0]
    for u in range(count):
        stop = end if u + k == n else starts[u + k] - 1
        out[u] = xxh64(buf, starts[u], stop, seed)
    return out


@njit(cache=True, nogil=True)
def seed_pairs(
    ha: np.ndarray, hb: np.ndarray, ok_a: np.ndarray, ok_b: np.ndarray, max_repeats: int
) -> tuple[np.ndarray, np.ndarray]:
    """All ``(i, j)`` with ``ha[i] == hb[j]``, sorted by ``i`` then ``j``.

    Windows with ``ok_*`` false (touching an excluded span) take no part. A hash that occurs
    more than ``max_repeats`` times in either text is skipped altogether: such a phrase says
    nothing about *where* a passage is, and pairing every occurrence with every other would
    make the cost quadratic. So a hash contributes at most ``max_repeats ** 2`` seeds and the
    total is at most ``max_repeats * min(len(ha), len(hb))``.
    """
    return seed_pairs_sorted(
        ha,
        np.argsort(ha, kind="mergesort"),
        hb,
        np.argsort(hb, kind="mergesort"),
        ok_a,
        ok_b,
        max_repeats,
    )


@njit(cache=True, nogil=True)
def seed_pairs_sorted(
    ha: np.ndarray,
    oa: np.ndarray,
    hb: np.ndarray,
    ob: np.ndarray,
    ok_a: np.ndarray,
    ok_b: np.ndarray,
    max_repeats: int,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`seed_pairs` with each side's stable sort order given (``oa`` sorts ``ha``):
    a text aligned against many keeps its order instead of sorting again each time."""
    # Two passes over the merge walk: count, then fill.
    total = 0
    for fill in range(2):
        if fill == 1:
            si = np.empty(total, dtype=np.int64)
            sj = np.empty(total, dtype=np.int64)
            total = 0
        x = 0
        y = 0
        while x < oa.shape[0] and y < ob.shape[0]:
            va = ha[oa[x]]
            vb = hb[ob[y]]
            if va < vb:
                x += 1
            elif va > vb:
                y += 1
            else:
                x2 = x
                while x2 < oa.shape[0] and ha[oa[x2]] == va:
                    x2 += 1
                y2 = y
                while y2 < ob.shape[0] and hb[ob[y2]] == va:
                    y2 += 1
                if x2 - x <= max_repeats and y2 - y <= max_repeats:
                    for p in range(x, x2):
                        i = oa[p]
                        if not ok_a[i]:
                            continue
                        for q in range(y, y2):
                            j = ob[q]
                            if not ok_b[j]:
                                continue
                            if fill == 1:
                                si[total] = i
                                sj[total] = j
                            total += 1
                x = x2
                y = y2
    if total == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    key = si * np.int64(hb.shape[0] + 1) + sj
    order = np.argsort(key)
    return si[order], sj[order]


@njit(cache=True, nogil=True)
def chain_seeds(
    si: np.ndarray, sj: np.ndarray, k: int, max_gap: int, n: int, m: int
) -> tuple[np.ndarray, np.ndarray]:
    """Group seeds (sorted by ``i``, then ``j``) into chains; return ``(label, weight)``.

    A seed extends the chain whose last seed ``(ti, tj)`` lies before it on both sides, with at
    most ``max_gap`` uncovered tokens in between on each side (``0 < i - ti <= k + max_gap``,
    likewise for ``j``) and a diagonal ``j - i`` at most ``max_gap`` away (an insertion or
    deletion of up to ``max_gap`` tokens). Among such chains the one on the nearest diagonal
    wins, so an exact copy stays on its diagonal. Otherwise the seed starts a new chain.
    Chains are looked up by diagonal, so each seed costs ``O(max_gap)``.

    ``weight[c]`` is the number of tokens the chain's seeds cover, summed over both texts.
    """
    s = si.shape[0]
    label = np.empty(s, dtype=np.int64)
    tail_i = np.empty(s, dtype=np.int64)
    tail_j = np.empty(s, dtype=np.int64)
    end_a = np.empty(s, dtype=np.int64)
    end_b = np.empty(s, dtype=np.int64)
    weight = np.empty(s, dtype=np.int64)
    by_diag = np.full(n + m + 1, -1, dtype=np.int64)  # diagonal d = j - i at index d + n
    reach = k + max_gap
    chains = 0
    for x in range(s):
        i = si[x]
        j = sj[x]
        d = j - i + n
        found = -1
        for step in range(2 * max_gap + 1):
            dd = d + ((step + 1) // 2 if step % 2 else -(step // 2))
            if dd < 0 or dd > n + m:
                continue
            c = by_diag[dd]
            if c < 0 or tail_j[c] - tail_i[c] + n != dd:
                continue
            if 0 < i - tail_i[c] <= reach and 0 < j - tail_j[c] <= reach:
                found = c
                break
        if found < 0:
            found = chains
            chains += 1
            end_a[found] = i
            end_b[found] = j
            weight[found] = 0
        # Seeds arrive in increasing i (and j within a chain): union of covered tokens grows.
        weight[found] += i + k - max(i, end_a[found]) + j + k - max(j, end_b[found])
        end_a[found] = i + k
        end_b[found] = j + k
        tail_i[found] = i
        tail_j[found] = j
        by_diag[d] = found
        label[x] = found
    return label, weight[:chains].copy()


@njit(inline="always")
def _free(claimed: np.ndarray, start: int, end: int) -> bool:
    # A plain loop: numba compiles it to a tight scan, a generator expression it cannot inline.
    for t in range(start, end):  # noqa: SIM110
        if claimed[t]:
            return False
    return True


_NEG = -(1 << 40)
#: An extension stops once its score falls this far below the best seen: up to three edits in a
#: row are crossed if enough matches follow them.
X_DROP = 3
#: Longest extension at one end; seeds cover anything longer, so this is never reached in text.
_MAX_EXTENSION = 512


@njit(inline="always")
def _available(claimed: np.ndarray, start: int, step: int) -> int:
    """Free tokens in a row from ``start`` (forward) or before it (backward), capped."""
    count = 0
    t = start if step > 0 else start - 1
    while 0 <= t < claimed.shape[0] and not claimed[t] and count < _MAX_EXTENSION:
        count += 1
        t += step
    return count


@njit(cache=True, nogil=True)
def _extend(
    tok_a: np.ndarray,
    tok_b: np.ndarray,
    claimed_a: np.ndarray,
    claimed_b: np.ndarray,
    a0: int,
    b0: int,
    step: int,
    band: int,
) -> tuple[int, int, int]:
    """X-drop extension of a passage end over free tokens: ``(tokens of a, of b, matches)``.

    A banded edit-distance walk away from ``(a0, b0)`` (``step`` +1: forward from the end,
    -1: backward from the start) scoring +1 per equal token pair and -1 per substituted,
    inserted or deleted token, at most ``band`` insertions or deletions off the diagonal.
    The extension stops where the score is highest, and only a positive score extends at all,
    so an edited word next to the edge of a passage is taken in when matches follow it (the
    edge of a copy is often edited: "The" for "A", a changed attribution), while unrelated
    text beyond the passage, where matches are rare, is not.
    """
    la = _available(claimed_a, a0, step)
    lb = _available(claimed_b, b0, step)
    width = 2 * band + 1
    prev = np.full(width, _NEG, dtype=np.int64)
    cur = np.full(width, _NEG, dtype=np.int64)
    prev_hits = np.zeros(width, dtype=np.int64)
    cur_hits = np.zeros(width, dtype=np.int64)
    for o in range(band, min(width, band + lb + 1)):  # row 0: only b tokens consumed
        if o - band <= X_DROP:
            prev[o] = -(o - band)
    best = 0
    best_i = best_j = best_hits = 0
    for i in range(1, la + 1):
        ta = tok_a[a0 + i - 1] if step > 0 else tok_a[a0 - i]
        row_max = _NEG
        for o in range(width):
            j = i + o - band
            cur[o] = _NEG
            if j < 0 or j > lb:
                continue
            score = _NEG
            hits = 0
            if j >= 1 and prev[o] > _NEG:
                tb = tok_b[b0 + j - 1] if step > 0 else tok_b[b0 - j]
                same = 1 if ta == tb else 0
                score = prev[o] + 2 * same - 1
                hits = prev_hits[o] + same
            if o + 1 < width and prev[o + 1] > _NEG and prev[o + 1] - 1 > score:
                score = prev[o + 1] - 1
                hits = prev_hits[o + 1]
            if o >= 1 and cur[o - 1] > _NEG and cur[o - 1] - 1 > score:
                score = cur[o - 1] - 1
                hits = cur_hits[o - 1]
            if score < best - X_DROP:
                continue
            cur[o] = score
            cur_hits[o] = hits
            row_max = max(row_max, score)
            if score > best:
                best, best_i, best_j, best_hits = score, i, j, hits
        if row_max == _NEG:
            break
        prev, cur = cur, prev
        prev_hits, cur_hits = cur_hits, prev_hits
    return best_i, best_j, best_hits


@njit(cache=True, nogil=True)
def resolve(
    si: np.ndarray,
    sj: np.ndarray,
    label: np.ndarray,
    weight: np.ndarray,
    tok_a: np.ndarray,
    tok_b: np.ndarray,
    claimed_a: np.ndarray,
    claimed_b: np.ndarray,
    k: int,
    max_gap: int,
    min_tokens: int,
) -> np.ndarray:
    """Turn chains into passages that overlap nothing already taken, heaviest chain first.

    ``claimed_*`` (modified in place) start with the excluded tokens. Each chain, in order of
    decreasing weight, keeps the seeds whose windows are still free on both sides and is cut
    wherever a taken token or too wide a gap lies between two kept seeds. Each piece is then
    extended at both ends over free tokens (:func:`_extend`), kept if at least ``min_tokens``
    tokens on each side are matched, and claimed.

    Returns an int64 array of rows ``(a_start, a_end, b_start, b_end, matched_a, matched_b)``
    in token positions (ends exclusive).
    """
    n_chains = weight.shape[0]
    # Seeds of each chain, in increasing i (a stable sort keeps the input order).
    by_chain = np.argsort(label, kind="mergesort")
    first = np.zeros(n_chains + 1, dtype=np.int64)
    for x in range(label.shape[0]):
        first[label[x] + 1] += 1
    for c in range(n_chains):
        first[c + 1] += first[c]
    order = np.argsort(-weight, kind="mergesort")
    out = np.empty((si.shape[0] + 1, 6), dtype=np.int64)
    n_out = 0
    reach = k + max_gap
    for c in order:
        # Current piece: extent, coverage and last kept seed; as_ < 0 means no piece open.
        as_ = -1
        ae = be = bs = cov_a = cov_b = pi = pj = 0
        for y in range(first[c], first[c + 1] + 1):
            last = y == first[c + 1]
            i = j = 0
            if not last:
                x = by_chain[y]
                i = si[x]
                j = sj[x]
                if not (_free(claimed_a, i, i + k) and _free(claimed_b, j, j + k)):
                    continue
            joins = (
                not last
                and as_ >= 0
                and 0 < i - pi <= reach
                and 0 < j - pj <= reach
                and abs((j - i) - (pj - pi)) <= max_gap
                and _free(claimed_a, ae, i)
                and _free(claimed_b, be, j)
            )
            if as_ >= 0 and not joins:
                # Close the open piece: extend both ends over small edits, then keep it or not.
                da, db, hits = _extend(tok_a, tok_b, claimed_a, claimed_b, as_, bs, -1, max_gap)
                as_ -= da
                bs -= db
                cov_a += hits
                cov_b += hits
                da, db, hits = _extend(tok_a, tok_b, claimed_a, claimed_b, ae, be, 1, max_gap)
                ae += da
                be += db
                cov_a += hits
                cov_b += hits
                if min(cov_a, cov_b) >= min_tokens:
                    claimed_a[as_:ae] = True
                    claimed_b[bs:be] = True
                    row = out[n_out]
                    row[0] = as_
                    row[1] = ae
                    row[2] = bs
                    row[3] = be
                    row[4] = cov_a
                    row[5] = cov_b
                    n_out += 1
                as_ = -1
                if last:
                    break
                # The piece just claimed may cover this seed's window.
                if not (_free(claimed_a, i, i + k) and _free(claimed_b, j, j + k)):
                    continue
            if last:
                break
            if as_ < 0:
                as_, ae, bs, be = i, i + k, j, j + k
                cov_a = cov_b = k
            else:
                cov_a += i + k - max(i, ae)
                cov_b += j + k - max(j, be)
                ae = i + k
                be = max(be, j + k)
            pi = i
            pj = j
    return out[:n_out].copy()
