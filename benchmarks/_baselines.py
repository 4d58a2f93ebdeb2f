"""The service load's baselines without the service: a post's whole work, and its writer's
part, called directly on one thread (``benchmarks/service_load.py`` prints both after its
levels)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from dedup.types import Document

#: Posts a writer batch holds in :func:`writer_baseline`: about what the service's writer
#: gathers at 16 clients (6.2-6.4 a commit, counted inside its batches by hand).
WRITER_BATCH = 6


def library_baseline(db: Path, docs: Iterator[Document], n: int) -> tuple[float, float]:
    """Milliseconds per ``Collection.post`` called directly (no HTTP), on one thread: wall
    time and CPU time. Two cores doing nothing but this CPU work make at most ``2000 / cpu``
    posts a second: the ceiling of any service around it on the same two cores."""
    from dedup.collection import Collection

    with Collection.open(db) as collection:
        for _ in range(10):
            collection.post(next(docs))
        started, cpu = time.perf_counter(), time.thread_time()
        for _ in range(n):
            collection.post(next(docs))
        return (time.perf_counter() - started) / n * 1e3, (time.thread_time() - cpu) / n * 1e3


def library_line(db: Path, docs: Iterator[Document], n: int) -> str:
    """:func:`library_baseline`'s figures, as the load benchmark prints them."""
    ms, cpu = library_baseline(db, docs, n)
    return (
        f"the same posts on Collection.post directly (no HTTP, one thread, {n} posts): "
        f"{ms:.1f} ms each = {1e3 / ms:,.0f} docs/s; {cpu:.1f} ms of CPU, so two cores doing "
        f"only that: at most {2e3 / cpu:,.0f} docs/s"
    )


def writer_baseline(db: Path, docs: Iterator[Document], n: int) -> tuple[float, float, float]:
    """CPU milliseconds of a post's part on the service's single writer, alone on one thread:
    ``post_pending`` of posts prepared beforehand (as readers prepare them), in transactions
    of :data:`WRITER_BATCH` posts with a savepoint each, checkpoints deferred (the service's
    group commit). 1,000 over it is the most posts a second the writer allows.

    Three rounds of ``n`` posts: two in a row, then one after the writer deleted every sixth
    post of those (a service that replaces or deletes documents keeps their rows dead in
    memory until a rebuild, and judging footers counts around them). The second round is the
    third's baseline: later posts match more of the earlier ones whether or not any was
    deleted.
    """
    from dedup.collection import Collection
    from service.app import WAL_BOUND_PAGES

    with Collection.open(db) as collection:
        collection.defer_checkpoints(WAL_BOUND_PAGES)
        collection.journal_savepoints_in_memory()  # as the service's writer
        posts = [next(docs) for _ in range(3 * n + 2 * WRITER_BATCH)]
        prepared = [collection.prepare(doc) for doc in posts]

        def write(lo: int, hi: int) -> float:
            started = time.thread_time()
            for k in range(lo, hi, WRITER_BATCH):
                end = min(k + WRITER_BATCH, hi)
                with collection.transaction():
                    for doc, ready in zip(posts[k:end], prepared[k:end], strict=True):
                        with collection.transaction():
                            collection.post_pending(doc, prepared=ready)
            return (time.thread_time() - started) / (hi - lo) * 1e3

        first = 2 * WRITER_BATCH
        write(0, first)  # the first batches load what a running writer holds
        rounds = [write(first, first + n), write(first + n, first + 2 * n)]
        for doc in posts[first : first + 2 * n : 6]:
            collection.delete(doc.id)
        rounds.append(write(first + 2 * n, len(posts)))
        collection.checkpoint()
        return rounds[0], rounds[1], rounds[2]
