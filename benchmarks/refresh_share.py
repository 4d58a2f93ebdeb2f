"""The refresh of early posts (:mod:`dedup.collection.refresh`): its share of the writer's work.

A post that finds a paragraph boilerplate judges again its source's earlier carriers of it, in
the writer's transaction: work on the service's one writer, whose part of a post bounds the
posts a second it can store. This prints, for posts prepared beforehand (as the service's
readers prepare them) and written as the service's writer writes them (transactions of
:data:`benchmarks._baselines.WRITER_BATCH` posts, a savepoint each):

* **steady posts** of the service load's corpus into a collection holding its learned model:
  the refresh's time a post against the writer's whole part, measured in the same posts;
* **new outlets**, each posting ``--outlet-posts`` articles of their own under a footer of
  their own that nothing stored carries: the post that learns the footer re-fingerprints the
  outlet's earlier posts, so here the refresh does its real work; its time per post and per
  refreshed document.

Usage: ``python -m benchmarks.refresh_share [--docs 20000] [--posts 1000] [--db PATH]``. The
collection is built with ``dedup bulk --db --strip-boilerplate`` unless ``--db`` holds enough
documents; it is copied before any post, so a file given stays as it was.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from benchmarks._baselines import WRITER_BATCH
from benchmarks._box import probe
from benchmarks._common import machine
from benchmarks.service_load import preload
from dedup.boilerplate.judgement import Judgement
from dedup.boilerplate.store import Occurrence
from dedup.collection import Collection
from dedup.synth import news_corpus
from dedup.types import Document


@dataclass
class _Clock:
    """Thread CPU time spent inside the wrapped refresh, and the documents it refreshed."""

    seconds: float = 0.0
    refreshed: int = 0


@dataclass(frozen=True)
class Share:
    """One phase's figures: milliseconds of thread CPU a post."""

    posts: int
    writer_ms: float  # post_pending in all, the refresh included
    refresh_ms: float
    refreshed: int  # documents fingerprinted anew

    def line(self, name: str) -> str:
        share = self.refresh_ms / self.writer_ms * 100 if self.writer_ms else 0.0
        per_doc = (
            f", {self.refresh_ms * self.posts / self.refreshed:.2f} ms a refreshed document"
            if self.refreshed
            else ""
        )
        return (
            f"{name}: {self.posts:,} posts, the writer's part {self.writer_ms:.3f} ms of CPU "
            f"each, the refresh {self.refresh_ms:.3f} ms ({share:.1f} %); "
            f"{self.refreshed:,} documents refreshed{per_doc}"
        )


def outlet_posts(outlets: int, per_outlet: int, seed: int = 7) -> list[Document]:
    """``per_outlet`` articles of each of ``outlets`` new outlets, each outlet's under a footer
    of its own, interleaved as a day's feeds arrive."""
    bodies = news_corpus(outlets * per_outlet, seed=seed, dup_rate=0.0, fresh_bodies=True)
    docs = [[] for _ in range(outlets)]  # type: list[list[Document]]
    for k, body in enumerate(bodies):
        o = k % outlets
        footer = (
            f"Read more from Outlet {o} News: follow outlet{o} on Facebook, Twitter and "
            f"Instagram, and subscribe to the Outlet {o} daily briefing in your inbox."
        )
        text = body.text.rstrip() + "\n\n" + footer
        docs[o].append(Document(f"outlet{o}-{len(docs[o])}", text, f"outlet{o}.example"))
    return [d for row in zip(*docs, strict=True) for d in row]


class Writer:
    """A collection written as the service's writer writes it, its refresh timed."""

    def __init__(self, collection: Collection) -> None:
        from service.app import WAL_BOUND_PAGES

        collection.defer_checkpoints(WAL_BOUND_PAGES)
        collection.journal_savepoints_in_memory()
        self.collection = collection
        self.clock = _Clock()
        refresher = collection._refresher
        refresh = refresher.refresh

        def timed(
            doc: Document, found: Sequence[Occurrence], judgement: Judgement
        ) -> tuple[str, ...]:
            started = time.thread_time()
            done = refresh(doc, found, judgement)
            self.clock.seconds += time.thread_time() - started
            self.clock.refreshed += len(done)
            return done

        refresher.refresh = timed  # type: ignore[method-assign]

    def write(self, docs: Sequence[Document]) -> Share:
        """:class:`Share` of posting ``docs``, prepared first (not counted)."""
        collection = self.collection
        prepared = [collection.prepare(doc) for doc in docs]
        self.clock = _Clock()
        started = time.thread_time()
        for k in range(0, len(docs), WRITER_BATCH):
            batch = zip(docs[k : k + WRITER_BATCH], prepared[k : k + WRITER_BATCH], strict=True)
            with collection.transaction():
                for doc, ready in batch:
                    with collection.transaction():
                        collection.post_pending(doc, prepared=ready)
        writer = time.thread_time() - started
        n = len(docs)
        return Share(n, writer / n * 1e3, self.clock.seconds / n * 1e3, self.clock.refreshed)


def load_posts(n: int) -> Iterator[Document]:
    """The service load's posts (``benchmarks/service_load.py``): ids of their own."""
    for doc in news_corpus(n, seed=1, fresh_bodies=True):
        yield replace(doc, id=f"load-{doc.id}", record=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20_000, help="documents pre-loaded")
    parser.add_argument("--posts", type=int, default=1_000, help="steady posts measured")
    parser.add_argument("--outlets", type=int, default=50, help="new outlets")
    parser.add_argument("--outlet-posts", type=int, default=6, help="posts of each new outlet")
    parser.add_argument("--db", type=Path, help="collection to copy (else one built here)")
    args = parser.parse_args()
    print(machine())
    print(probe().line(), flush=True)
    with tempfile.TemporaryDirectory(prefix="refresh-share-") as tmp:
        work = Path(tmp)
        source = args.db or work / "built.db"
        print(preload(source, args.docs, work, boilerplate=True), flush=True)
        copy = work / "copy.db"
        shutil.copyfile(source, copy)
        warm = list(load_posts(args.posts + 2 * WRITER_BATCH))
        outlets = outlet_posts(args.outlets, args.outlet_posts)
        with Collection.open(copy) as collection:
            writer = Writer(collection)
            writer.write(warm[: 2 * WRITER_BATCH])  # loads what a running writer holds
            print(writer.write(warm[2 * WRITER_BATCH :]).line("steady posts"), flush=True)
            print(writer.write(outlets).line("new outlets"), flush=True)
            collection.checkpoint()


if __name__ == "__main__":
    main()
