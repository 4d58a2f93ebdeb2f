"""What a post's preparation costs alone and in a batch (:meth:`Collection.prepare_many`).

A reader of the service prepares each post (its boilerplate entry and compressed text) before
the writer gets it. Most of a lone news article's preparation is the fixed cost of a few
hundred small array and compiled calls, which a batch shares, so a reader prepares up to
``service.lane_ends.PREPARE_BATCH`` queued posts together. The baseline, measured in the same
run, is a batch of one: what a reader did before.

Prints the CPU milliseconds an article (thread time over ``--docs`` news articles; the median
of ``--rounds`` rounds) at each batch size, and the median of each round's ratio to a batch of
one. Every round times every size in turn, so that a box slowed for a while (its other
tenants) slows them alike.

Run: ``python -m benchmarks.prepare_batches [--docs 600] [--rounds 7]``
"""

from __future__ import annotations

import argparse
import statistics
import time

from benchmarks._common import machine
from dedup.collection import Collection
from dedup.synth.news import news_corpus
from dedup.types import Document

SIZES = (1, 2, 4, 8, 16)


def per_article_ms(collection: Collection, docs: list[Document], size: int) -> float:
    """CPU milliseconds an article, preparing ``docs`` in batches of ``size``."""
    start = time.thread_time()
    for k in range(0, len(docs), size):
        collection.prepare_many(docs[k : k + size])
    return (time.thread_time() - start) / len(docs) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=600, help="news articles")
    parser.add_argument("--rounds", type=int, default=7, help="rounds, median taken")
    args = parser.parse_args()
    docs = [
        Document(f"p-{d.id}", d.text, d.source, d.published, d.title)
        for d in news_corpus(args.docs, seed=9, fresh_bodies=True)
    ]
    times: dict[int, list[float]] = {size: [] for size in SIZES}
    with Collection.open(":memory:") as collection:
        collection.prepare_many(docs[:50])  # compiled kernels loaded before the clock runs
        for _ in range(args.rounds):
            for size in SIZES:
                times[size].append(per_article_ms(collection, docs, size))
    print(machine())
    print(f"\n{args.docs} news articles prepared, CPU ms an article (median of {args.rounds}):\n")
    print("| batch | ms an article | against a batch of one |")
    print("| ---: | ---: | ---: |")
    for size in SIZES:
        ratios = [t / alone for t, alone in zip(times[size], times[1], strict=True)]
        ms, ratio = statistics.median(times[size]), statistics.median(ratios)
        print(f"| {size} | {ms:.3f} | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
