"""Reuse candidate lookups: each run's directory against a binary search of the whole run.

Builds the in-memory reuse index (:class:`dedup.collection.reuse_index.ReuseIndex`) of
``--docs`` generated news articles (``dedup.synth.news_corpus``), stored as the service stores
them (one row of sampled hashes each, here in an in-memory SQLite table), then finds where the
sampled hashes of ``--queries`` other articles lie in every run of the index, alternately
through the runs' directories (what a lookup does) and with ``numpy.searchsorted`` over each
whole run (what it did before), checking that both give the same spans. Prints the time per
query of each, their ratio, and the time of a whole candidate lookup for scale. The index's
largest run holds about 145 pairs per document: far more than any CPU cache at 100,000.

Then it removes every hundredth document (``--removed``) and prints the first lookup after
that, which reads the removal log and marks their rows dead, against building the index again
(what a reader did after any removal before), and a whole lookup among the dead rows.

Run: ``python -m benchmarks.reuse_lookup [--docs 100000] [--queries 2000] [--rounds 3]``
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import time
from collections.abc import Callable

import numpy as np

from benchmarks._common import machine
from dedup import Config, Fingerprinter
from dedup.collection.reuse_index import SCHEMA, ReuseSets
from dedup.synth import news_corpus

Spans = Callable[[np.ndarray], list[tuple[np.ndarray, np.ndarray]]]


def shingle_sets(n: int, seed: int) -> list[np.ndarray]:
    """The shingle sets of ``n`` generated articles, fingerprinted in batches."""
    fingerprinter = Fingerprinter(Config())
    texts = [doc.text for doc in news_corpus(n, seed=seed)]
    sets: list[np.ndarray] = []
    for start in range(0, n, 1024):
        batch = fingerprinter.fingerprint(texts[start : start + 1024])
        sets += [batch[i].shingles for i in range(len(batch))]
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--removed", type=int, default=100, help="remove 1 document in this")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.executescript(SCHEMA)
    sets = ReuseSets(conn)
    stored = shingle_sets(args.docs, seed=7)
    sets.put_many([(f"d{i}", shingles) for i, shingles in enumerate(stored)])
    del stored
    queries = [sets.sampled(s) for s in shingle_sets(args.queries, seed=8)]
    started = time.perf_counter()
    sets.candidates(queries[0])  # builds the index from the rows
    built = time.perf_counter() - started
    index = sets._index
    if index is None:
        raise SystemExit("the index was not built")
    runs = index._postings.runs
    pairs = sum(run.hashes.shape[0] for run in runs)
    print(
        f"index of {args.docs} documents: {pairs:,} pairs in {len(runs)} runs "
        f"(largest {max(run.hashes.shape[0] for run in runs):,}), built in {built:.2f} s"
    )

    def directory(query: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        return [run.spans(query) for run in runs]

    def search(query: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        found = []
        for run in runs:
            hashes = run.hashes
            found.append((hashes.searchsorted(query, "left"), hashes.searchsorted(query, "right")))
        return found

    for query in queries[:50]:
        for (a, b), (c, d) in zip(directory(query), search(query), strict=True):
            if not (np.array_equal(a, c) and np.array_equal(b, d)):
                raise SystemExit("the directory and the binary search disagree")
    ways: dict[str, Spans] = {"directory": directory, "searchsorted": search}
    took: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(args.rounds):
        for name, spans in ways.items():
            started = time.perf_counter()
            for query in queries:
                spans(query)
            took[name].append((time.perf_counter() - started) / len(queries))
    started = time.perf_counter()
    for query in queries:
        sets.candidates(query)
    whole = (time.perf_counter() - started) / len(queries)
    fast, slow = (statistics.median(took[name]) for name in ("directory", "searchsorted"))
    print(
        f"spans of one query's {statistics.mean(q.shape[0] for q in queries):.0f} hashes in every "
        f"run (median of {args.rounds} rounds of {len(queries)} queries): directory "
        f"{fast * 1e6:.1f} us, searchsorted {slow * 1e6:.1f} us ({slow / fast:.1f}x)"
    )
    print(f"a whole candidate lookup (directory): {whole * 1e6:.1f} us")
    gone = range(0, args.docs, args.removed)
    for i in gone:
        sets.delete(f"d{i}")
    started = time.perf_counter()
    sets.candidates(queries[0])  # reads the removal log
    marked = time.perf_counter() - started
    started = time.perf_counter()
    for query in queries:
        sets.candidates(query)
    among = (time.perf_counter() - started) / len(queries)
    print(
        f"after removing {len(gone):,} documents: the first lookup {marked * 1e3:.1f} ms against "
        f"{built * 1e3:.0f} ms building the index again ({built / marked:.0f}x); a whole lookup "
        f"among their dead rows {among * 1e6:.1f} us ({among / whole:.2f}x the lookup before)"
    )


if __name__ == "__main__":
    main()
