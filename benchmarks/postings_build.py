"""Building a service's in-memory index at start-up: runs sorted once, against merged again.

A service's processes read their indexes (:class:`dedup._postings.Postings`: boilerplate
carriers and forms, band keys, reuse samples) whole when they start, 8,192 rows at a time.
Before, each batch was sorted with a stable ``np.argsort`` (a merge sort), gathered, given its
directory with ``np.bincount``, and merged into the runs before it whenever it reached half
their size, so every pair was merged again several times; this keeps that way as the baseline.
Now the batches go in together (``Postings.add_many``) and, into an empty index, make one run,
sorted once by a two-pass counting sort on the directory's bits (``Run.sorted``); before, they
made the several runs adding them one by one left. Both must find the same pairs.

Builds from random 64-bit hashes (as the indexes' keys are), ``--docs`` documents of
``--pairs`` pairs (145 is a reuse sample's size), alternating the two ways for ``--rounds``
rounds; prints the median of each and their ratio, then the same for a commit's few pairs
added to the built index, the steady state of a running service, and for a lookup of a
document's pairs (half of them stored) in the index so built, which searches every run.

Run: ``python -m benchmarks.postings_build [--docs 100000] [--pairs 145] [--rounds 3]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from benchmarks._common import machine
from dedup._postings import Postings, Run, _merge
from dedup._run_sort import PER_ENTRY

_CHUNK = 8192  # rows a start-up read takes at a time, as the indexes read them


def old_run(hashes: np.ndarray, values: np.ndarray) -> Run:
    """A run as it was made before: stable argsort, two gathers, a counted directory."""
    bits = max(1, (hashes.shape[0] // PER_ENTRY).bit_length())
    shift = np.uint64(64 - bits)
    counts = np.bincount((hashes >> shift).astype(np.intp), minlength=1 << bits)
    directory = np.zeros(counts.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=directory[1:])
    return Run(hashes, values, directory, shift)


def old_add(runs: list[Run], hashes: np.ndarray, values: np.ndarray) -> None:
    """``Postings.add`` as it was: sort the batch, then merge while the rule says so."""
    order = np.argsort(hashes, kind="stable")
    runs.append(old_run(hashes[order], values[order]))
    while len(runs) > 1 and 2 * runs[-1].hashes.shape[0] >= runs[-2].hashes.shape[0]:
        newer, older = runs.pop(), runs.pop()
        runs.append(old_run(*_merge(older.hashes, older.values, newer.hashes, newer.values)))


Batch = tuple[np.ndarray, np.ndarray]


def _batch(rng: np.random.Generator, first: int, docs: int, pairs: int) -> Batch:
    """``docs`` documents numbered from ``first``, ``pairs`` random hashes each."""
    hashes = rng.integers(0, 1 << 63, docs * pairs, dtype=np.uint64) << np.uint64(1)
    return hashes, np.repeat(np.arange(first, first + docs, dtype=np.uint32), pairs)


def _found(postings: Postings, query: np.ndarray) -> list[tuple[int, int]]:
    which, values = postings.find(query)
    return sorted(zip(which.tolist(), values.tolist(), strict=True))


def _queries(
    rng: np.random.Generator, batches: list[Batch], count: int, pairs: int
) -> list[np.ndarray]:
    """``count`` lookups of ``pairs`` hashes, half of them stored ones."""
    stored = np.concatenate([hashes for hashes, _ in batches])
    out = []
    for _ in range(count):
        query = rng.integers(0, 1 << 63, pairs, dtype=np.uint64) << np.uint64(1)
        half = rng.random(pairs) < 0.5
        query[half] = stored[rng.integers(0, stored.shape[0], int(half.sum()))]
        out.append(query)
    return out


def _lookup(postings: Postings, queries: list[np.ndarray]) -> float:
    started = time.perf_counter()
    for query in queries:
        postings.find_rare(query, 51)
    return (time.perf_counter() - started) / len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000, help="documents read at start-up")
    parser.add_argument("--pairs", type=int, default=145, help="pairs a document")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--commits", type=int, default=300, help="commits of 6 documents timed")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    rng = np.random.default_rng(23)
    batches = [
        _batch(rng, start, min(_CHUNK, args.docs - start), args.pairs)
        for start in range(0, args.docs, _CHUNK)
    ]
    commits = [_batch(rng, args.docs + 6 * k, 6, args.pairs) for k in range(args.commits)]
    queries = _queries(rng, batches, 2000, args.pairs)
    Postings().add_many(batches[:1])  # load the kernels before timing
    build: dict[str, list[float]] = {"before": [], "now": []}
    commit: dict[str, list[float]] = {"before": [], "now": []}
    lookup: dict[str, list[float]] = {"before": [], "now": []}
    for _ in range(args.rounds):
        started = time.perf_counter()
        runs: list[Run] = []
        for hashes, values in batches:
            old_add(runs, hashes, values)
        build["before"].append(time.perf_counter() - started)
        started = time.perf_counter()
        for hashes, values in commits:
            old_add(runs, hashes, values)
        commit["before"].append((time.perf_counter() - started) / len(commits))
        started = time.perf_counter()
        postings = Postings()
        postings.add_many(list(batches))  # it takes the batches off the list it gets
        build["now"].append(time.perf_counter() - started)
        started = time.perf_counter()
        for hashes, values in commits:
            postings.add(hashes, values)
        commit["now"].append((time.perf_counter() - started) / len(commits))
        merged = Postings()
        merged.runs = runs
        lookup["before"].append(_lookup(merged, queries))
        lookup["now"].append(_lookup(postings, queries))
        if any(_found(merged, q) != _found(postings, q) for q in queries[:200]):
            raise SystemExit("the two ways find different pairs")
    pairs = sum(hashes.shape[0] for hashes, _ in batches)
    print(
        f"{args.docs:,} documents of {args.pairs} pairs ({pairs:,}) read {_CHUNK:,} at a time, "
        f"then {args.commits} commits of 6; the same pairs found both ways"
    )
    for name, postings_runs in (("merged again", runs), ("sorted once", postings.runs)):
        print(f"  runs {name}: " + ", ".join(f"{run.hashes.shape[0]:,}" for run in postings_runs))
    for label, took, unit, scale in (
        ("start-up build", build, "s", 1.0),
        ("a commit's add", commit, "us", 1e6),
        (f"a lookup of {args.pairs} hashes", lookup, "us", 1e6),
    ):
        before, now = (statistics.median(took[name]) for name in ("before", "now"))
        print(
            f"{label} (median of {args.rounds}): merged again {before * scale:.3f} {unit}, "
            f"sorted once {now * scale:.3f} {unit} ({before / now:.2f}x)"
        )


if __name__ == "__main__":
    main()
