"""``find_rare`` in a service's in-memory index: one kernel a run, against numpy calls a run.

A service's indexes (:class:`dedup._postings.Postings`: boilerplate carriers and forms, band
keys, reuse samples) are read whole at start-up, 8,192 rows at a time, then each commit's rows
as they come, and hold several runs. A lookup (``find_rare``) searches every run, then gathers
the pairs of the wanted hashes from each: now one compiled kernel a run (``_gather_wanted``);
before, nine numpy operations and a compiled gather a run (a mask, ``any``, four fancy
indexings, a subtraction, ``repeat``), which this keeps as the baseline. It builds an index
like a service's from random 64-bit hashes (as the indexes' keys are): ``--docs`` documents of
``--pairs`` pairs read in batches, then ``--commits`` commits of ``--per-commit`` documents,
and times lookups of 55 hashes, half of them stored (a post's paragraph keys, about), both
ways, alternating rounds. Prints the runs, both times and their ratio; both must find the same
pairs.

Run: ``python -m benchmarks.postings_lookup [--docs 100000] [--commits 600] [--rounds 3]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
from numba import njit

from benchmarks._common import machine
from dedup._postings import Postings

_CHUNK = 8192  # rows a start-up read adds at a time, as the indexes read them
_QUERY = 55  # hashes a lookup asks for
_MOST = 64  # find_rare's bound, as the boilerplate census uses it

Found = tuple[np.ndarray, np.ndarray, np.ndarray]


@njit(cache=True, nogil=True)
def _gather(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``values[lo[0]:hi[0]]``, ``values[lo[1]:hi[1]]``, ... end to end (the old kernel)."""
    out = np.empty(int((hi - lo).sum()), dtype=values.dtype)
    k = 0
    for i in range(lo.shape[0]):
        for j in range(lo[i], hi[i]):
            out[k] = values[j]
            k += 1
    return out


def numpy_find_rare(postings: Postings, query: np.ndarray, most: int) -> Found:
    """``Postings.find_rare`` as it gathered before: numpy calls for each run."""
    spans = [run.spans(query) for run in postings.runs]
    held = np.zeros(query.shape[0], dtype=np.int64)
    for lo, hi in spans:
        held += hi - lo
    wanted = (held > 0) & (held <= most)
    which: list[np.ndarray] = []
    values: list[np.ndarray] = []
    positions = np.arange(query.shape[0], dtype=np.int64)
    for run, (lo, hi) in zip(postings.runs, spans, strict=True):
        hit = wanted & (hi > lo)
        if not hit.any():
            continue
        which.append(np.repeat(positions[hit], (hi - lo)[hit]))
        values.append(_gather(run.values, lo[hit], hi[hit]))
    if not which:
        return held, np.empty(0, dtype=np.int64), np.empty(0, dtype=np.uint32)
    return held, np.concatenate(which), np.concatenate(values)


def kernel_find_rare(postings: Postings, query: np.ndarray, most: int) -> Found:
    return postings.find_rare(query, most)


def _pairs(rng: np.random.Generator, docs: int, first: int, per_doc: int) -> tuple[np.ndarray, ...]:
    hashes = rng.integers(0, 1 << 63, docs * per_doc, dtype=np.uint64)
    values = np.repeat(np.arange(first, first + docs, dtype=np.uint32), per_doc)
    return hashes, values


def _same(a: Found, b: Found) -> bool:
    pairs_a = sorted(zip(a[1].tolist(), a[2].tolist(), strict=True))
    return np.array_equal(a[0], b[0]) and pairs_a == sorted(
        zip(b[1].tolist(), b[2].tolist(), strict=True)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000, help="documents read at start-up")
    parser.add_argument("--pairs", type=int, default=117, help="pairs a document")
    parser.add_argument("--commits", type=int, default=600, help="commits after start-up")
    parser.add_argument("--per-commit", type=int, default=6, help="documents a commit")
    parser.add_argument("--queries", type=int, default=3_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    rng = np.random.default_rng(17)
    postings = Postings()
    stored: list[np.ndarray] = []
    for start in range(0, args.docs, _CHUNK):
        hashes, values = _pairs(rng, min(_CHUNK, args.docs - start), start, args.pairs)
        stored.append(hashes[:: args.pairs * 50])
        postings.add(hashes, values)
    for k in range(args.commits):
        first = args.docs + k * args.per_commit
        postings.add(*_pairs(rng, args.per_commit, first, args.pairs))
    pool = np.concatenate(stored)
    half = _QUERY // 2
    queries = [
        np.concatenate(
            [rng.choice(pool, half), rng.integers(0, 1 << 63, _QUERY - half, dtype=np.uint64)]
        )
        for _ in range(args.queries)
    ]
    ways: dict[str, Callable[[Postings, np.ndarray, int], Found]] = {
        "numpy calls": numpy_find_rare,
        "kernel": kernel_find_rare,
    }
    for query in queries[:50]:
        if not _same(numpy_find_rare(postings, query, _MOST), postings.find_rare(query, _MOST)):
            raise SystemExit("the two ways found different pairs")
    took: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(args.rounds):
        for name, find in ways.items():
            started = time.perf_counter()
            for query in queries:
                find(postings, query, _MOST)
            took[name].append((time.perf_counter() - started) / len(queries))
    sizes = ", ".join(f"{run.hashes.shape[0]:,}" for run in postings.runs)
    print(
        f"{args.docs:,} documents of {args.pairs} pairs read {_CHUNK:,} at a time, then "
        f"{args.commits} commits of {args.per_commit}: {len(postings.runs)} runs ({sizes})"
    )
    before, now = (statistics.median(took[name]) for name in ways)
    print(
        f"find_rare of {_QUERY} hashes (median of {args.rounds} rounds of {len(queries)}): "
        f"numpy calls a run {before * 1e6:.1f} us, one kernel a run {now * 1e6:.1f} us "
        f"({before / now:.2f}x)"
    )


if __name__ == "__main__":
    main()
