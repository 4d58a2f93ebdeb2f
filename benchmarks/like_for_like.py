"""What comparing matches like for like costs a post (:mod:`dedup.collection.like_for_like`).

A post's verified matches are compared again when the two documents were fingerprinted with
different boilerplate removed. Ordinary posts (a news stream's originals and its reprints by
other outlets, each outlet's footer learned) pay only for finding out that they were not: a
read of each matched text's row. Posts of a stored text by another source, footer included
(an aggregator's verbatim copies), pay for the comparison: the stored text read whole and the
cut text fingerprinted again.

Stores ``--stored`` documents of a news stream (fresh bodies), then posts the next
``--posts`` (ordinary), then the texts of ``--copies`` stored originals whose footer was
removed when stored, each under a source of its own (aggregators). Prints, for each kind, the CPU
milliseconds a post spends in :meth:`LikeForLike.revise` (thread time, median of ``--rounds``
rounds: each round posts into its own copy of the stored collection) against the whole of
:meth:`Collection.post_pending`, and the statuses, with those the matches had as
fingerprinted (before they were compared like for like).

Run: ``python -m benchmarks.like_for_like [--stored 2000] [--posts 600] [--copies 200]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from benchmarks._common import machine
from dedup.collection import Collection, backup
from dedup.collection.like_for_like import LikeForLike
from dedup.collection.reports import status_of
from dedup.synth.news import news_corpus_labelled
from dedup.types import Document


class Timed:
    """Thread time spent in a collection's :meth:`LikeForLike.revise`, summed, and the
    statuses its posts had as fingerprinted (the matches it was given)."""

    def __init__(self, collection: Collection) -> None:
        self.seconds = 0.0
        self.before: Counter[str] = Counter()
        like: LikeForLike = collection._like  # the part measured
        revise: Callable[..., Any] = like.revise

        def timed(*args: Any) -> Any:
            start = time.thread_time()
            try:
                return revise(*args)
            finally:
                self.seconds += time.thread_time() - start
                self.before[status_of(args[3])] += 1

        like.revise = timed  # type: ignore[method-assign,assignment]


def stored_without_boilerplate(collection: Collection, doc_id: str) -> bool:
    """Whether ``doc_id`` was stored (or refreshed) with boilerplate spans cut."""
    row = collection._texts.get_raw(doc_id)
    return row is not None and row[1] not in (None, "[]")


def run(path: Path, docs: list[Document]) -> tuple[float, float, Counter[str], Counter[str]]:
    """Post ``docs`` into the collection at ``path``: CPU ms a post in revise and in all of
    post_pending, the statuses, and the statuses as fingerprinted."""
    with Collection.open(path) as collection:
        timer = Timed(collection)
        statuses: Counter[str] = Counter()
        start = time.thread_time()
        for doc in docs:
            statuses[collection.post_pending(doc).verdict.status] += 1
        total = time.thread_time() - start
    return timer.seconds / len(docs) * 1e3, total / len(docs) * 1e3, statuses, timer.before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stored", type=int, default=2000, help="documents stored first")
    parser.add_argument("--posts", type=int, default=600, help="ordinary posts timed")
    parser.add_argument("--copies", type=int, default=200, help="verbatim copies timed")
    parser.add_argument("--rounds", type=int, default=5, help="rounds, median taken")
    args = parser.parse_args()
    labelled = list(news_corpus_labelled(args.stored + args.posts, seed=5, fresh_bodies=True))
    stream = [doc for doc, _ in labelled]
    stored, ordinary = stream[: args.stored], stream[args.stored :]
    originals = [doc for doc, gold in labelled[: args.stored] if gold == doc.id]
    with TemporaryDirectory() as tmp:
        base = Path(tmp) / "base.db"
        with Collection.open(base) as collection:
            for doc in stored:
                collection.post(doc)
            footed = [d for d in originals if stored_without_boilerplate(collection, d.id)]
            collection.warm_up(stored[0])
        # Each under a source of its own: an aggregator's own copies of one outlet would make
        # the outlet's footer boilerplate there too after three (cut, then, as fingerprinted).
        copies = [Document(f"agg-{d.id}", d.text, f"agg-{d.id}") for d in footed[: args.copies]]
        figures: dict[str, list[tuple[float, float]]] = {"ordinary": [], "copies": []}
        statuses: dict[str, tuple[Counter[str], Counter[str]]] = {}
        for r in range(args.rounds):
            for kind, docs in (("ordinary", ordinary), ("copies", copies)):
                path = Path(tmp) / f"{kind}-{r}.db"
                backup(base, path)
                revise_ms, post_ms, now, before = run(path, docs)
                statuses[kind] = (now, before)
                figures[kind].append((revise_ms, post_ms))
                path.unlink()
    print(machine())
    print(f"\n{args.stored} stored news documents; CPU ms a post (median of {args.rounds}):\n")
    print("| posts | n | in revise | post_pending | share | statuses | as fingerprinted |")
    print("| --- | ---: | ---: | ---: | ---: | --- | --- |")
    for kind, docs in (("ordinary", ordinary), ("copies", copies)):
        revise_ms = statistics.median(f[0] for f in figures[kind])
        post_ms = statistics.median(f[1] for f in figures[kind])
        shown = [", ".join(f"{s} {n}" for s, n in sorted(c.items())) for c in statuses[kind]]
        print(
            f"| {kind} | {len(docs)} | {revise_ms:.3f} | {post_ms:.3f} "
            f"| {revise_ms / post_ms:.1%} | {shown[0]} | {shown[1]} |"
        )


if __name__ == "__main__":
    main()
