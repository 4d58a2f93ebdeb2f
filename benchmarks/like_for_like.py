"""What comparing matches like for like costs a post (:mod:`dedup.collection.like_for_like`).

A post's verified matches are compared again when the two documents were fingerprinted with
different boilerplate removed. Ordinary posts (a news stream's originals and its reprints by
other outlets, each outlet's footer learned) pay only for finding out that they were not: a
read of each matched text's row. Posts of a stored text by another source, footer included
(an aggregator's verbatim copies), pay for the comparison: the stored text read whole and the
cut text fingerprinted again. A post's report compares its reuse candidates the same way (the
excerpts LSH does not propose): the aggregator's excerpts, a stored original's first paragraph
with the footer it had removed, are found and compared there.

Stores ``--stored`` documents of a news stream (fresh bodies), then posts the next
``--posts`` (ordinary), then the texts of ``--copies`` stored originals whose footer was
removed when stored, each under a source of its own (aggregators), then as many excerpts of
them. Prints, for each kind, the CPU milliseconds a post spends in :meth:`LikeForLike.revise`
(thread time, median of ``--rounds`` rounds: each round posts into its own copy of the stored
collection) against the whole of :meth:`Collection.post_pending`, then in its report
(:meth:`Collection.report_post`, and :meth:`Collection.join_cluster` when the report names
documents to place it with, as :meth:`Collection.post` does), and the statuses, with those the
matches had as fingerprinted (before they were compared like for like), and those answered
after the report.

Run: ``python -m benchmarks.like_for_like [--stored 2000] [--posts 600] [--copies 200]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from benchmarks._common import machine
from dedup.collection import Collection, backup, tables
from dedup.collection.like_for_like import LikeForLike
from dedup.collection.reports import status_of
from dedup.synth.news import news_corpus_labelled
from dedup.types import Document


class Timed:
    """Thread time spent in a collection's :meth:`LikeForLike.revise`, summed, and the
    statuses its posts had as fingerprinted (the matches it was given); and the time spent
    comparing reuse candidates and placing by them (:meth:`LikeForLike.alike`,
    :meth:`LikeForLike.join`), summed."""

    def __init__(self, collection: Collection) -> None:
        self.seconds = 0.0
        self.reuse_seconds = 0.0
        self.before: Counter[str] = Counter()
        like: LikeForLike = collection._like  # the part measured
        revise: Callable[..., Any] = like.revise
        for name in ("alike", "join"):
            setattr(like, name, self._reuse_timed(getattr(like, name)))

        def timed(*args: Any) -> Any:
            start = time.thread_time()
            try:
                return revise(*args)
            finally:
                self.seconds += time.thread_time() - start
                self.before[status_of(args[3])] += 1

        like.revise = timed  # type: ignore[method-assign,assignment]

    def _reuse_timed(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any) -> Any:
            start = time.thread_time()
            try:
                return method(*args)
            finally:
                self.reuse_seconds += time.thread_time() - start

        return timed


def stored_without_boilerplate(collection: Collection, doc_id: str) -> bool:
    """Whether ``doc_id`` was stored (or refreshed) with boilerplate spans cut."""
    row = collection._texts.get_raw(doc_id)
    return row is not None and row[1] not in (None, "[]")


def run(path: Path, docs: list[Document]) -> Figures:
    """Post ``docs`` into the collection at ``path``, each as :meth:`Collection.post` does, in
    its parts."""
    with Collection.open(path) as collection:
        timer = Timed(collection)
        figures = Figures()
        pending_s = report_s = 0.0
        for doc in docs:
            start = time.thread_time()
            pending = collection.post_pending(doc)
            middle = time.thread_time()
            report = collection.report_post(pending)
            if report.related:
                collection.join_cluster(doc.id, report.related)
            end = time.thread_time()
            pending_s, report_s = pending_s + middle - start, report_s + end - middle
            figures.statuses[pending.verdict.status] += 1
            figures.reported[report.verdict.status] += 1
    figures.revise_ms = timer.seconds / len(docs) * 1e3
    figures.post_ms = pending_s / len(docs) * 1e3
    figures.report_ms = report_s / len(docs) * 1e3
    figures.reuse_ms = timer.reuse_seconds / len(docs) * 1e3
    figures.before = timer.before
    return figures


@dataclass
class Figures:
    """A round's figures for one kind of post: CPU ms a post in revise, in all of post_pending,
    in its report, and in comparing its reuse candidates like for like (and placing by them);
    the statuses as decided, as fingerprinted, and after the report."""

    revise_ms: float = 0.0
    post_ms: float = 0.0
    report_ms: float = 0.0
    reuse_ms: float = 0.0
    statuses: Counter[str] = field(default_factory=Counter)
    before: Counter[str] = field(default_factory=Counter)
    reported: Counter[str] = field(default_factory=Counter)


def excerpt_of(collection: Collection, doc: Document) -> Document:
    """An aggregator's excerpt of a stored ``doc``: its first paragraph, then the boilerplate
    (the footer) it was stored without, under a source of its own."""
    row = collection._texts.get_raw(doc.id)
    spans = tables.parse_spans(row[1]) if row is not None and row[1] else []
    first = doc.text.split("\n\n")[0]
    footer = "\n\n".join(doc.text[s:e] for s, e in spans)
    return Document(f"ex-{doc.id}", f"{first}\n\n{footer}", f"ex-{doc.id}")


def shown(counts: Counter[str]) -> str:
    return ", ".join(f"{s} {n}" for s, n in sorted(counts.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stored", type=int, default=2000, help="documents stored first")
    parser.add_argument("--posts", type=int, default=600, help="ordinary posts timed")
    parser.add_argument("--copies", type=int, default=200, help="verbatim copies (excerpts) timed")
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
            excerpts = [excerpt_of(collection, d) for d in footed[: args.copies]]
            collection.warm_up(stored[0])
        # Each under a source of its own: an aggregator's own copies of one outlet would make
        # the outlet's footer boilerplate there too after three (cut, then, as fingerprinted).
        copies = [Document(f"agg-{d.id}", d.text, f"agg-{d.id}") for d in footed[: args.copies]]
        kinds = {"ordinary": ordinary, "copies": copies, "excerpts": excerpts}
        figures: dict[str, list[Figures]] = {kind: [] for kind in kinds}
        for r in range(args.rounds):
            for kind, docs in kinds.items():
                path = Path(tmp) / f"{kind}-{r}.db"
                backup(base, path)
                figures[kind].append(run(path, docs))
                path.unlink()
    print(machine())
    print(f"\n{args.stored} stored news documents; CPU ms a post (median of {args.rounds}):\n")
    print(
        "| posts | n | in revise | post_pending | share | report | of it reuse alike "
        "| statuses | as fingerprinted | reported |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |")
    for kind, docs in kinds.items():
        rounds = figures[kind]
        revise_ms = statistics.median(f.revise_ms for f in rounds)
        post_ms = statistics.median(f.post_ms for f in rounds)
        report_ms = statistics.median(f.report_ms for f in rounds)
        reuse_ms = statistics.median(f.reuse_ms for f in rounds)
        last = rounds[-1]
        print(
            f"| {kind} | {len(docs)} | {revise_ms:.3f} | {post_ms:.3f} "
            f"| {revise_ms / post_ms:.1%} | {report_ms:.3f} | {reuse_ms:.3f} "
            f"| {shown(last.statuses)} "
            f"| {shown(last.before)} | {shown(last.reported)} |"
        )


if __name__ == "__main__":
    main()
