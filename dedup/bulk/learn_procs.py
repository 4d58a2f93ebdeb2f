"""Learning a corpus's boilerplate with worker processes: entries built in parallel, stored in
input order by this process.

A document's boilerplate entry (paragraphs, masking, the keys and near-duplicate signatures of
each) is about 0.65 ms of Python a news article, holding the GIL: threads build no faster than
one (1,571-1,604 docs/s against 1,260-1,571 on one thread, by hand). Storing an entry is about
0.13 ms. So the workers build, batch by batch, and this process reads the input, sends each
batch out, and stores what comes back in order: the store ends up as one process's
``observe_many`` would leave it, whatever the number of workers, and so does everything judged
from it. An entry comes back pickled (about 8 KiB; 0.07 ms to pickle, 0.14 ms to unpickle).

Workers are forked (Linux only: elsewhere the learning stays in this process), from a process
that has loaded the compiled kernels and runs no thread of its own yet, as ingest's workers are
(:mod:`dedup.bulk.procs`); each watches a pipe only this process writes to and leaves when it
closes, so a run killed with SIGKILL leaves no worker behind. Ctrl-C is this process's to
answer (:mod:`dedup.bulk._interrupts`): the workers finish the batch they build and leave.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from collections import deque
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from multiprocessing.connection import Connection

from dedup.boilerplate import BoilerplateModel, DocumentEntry, EntryBuilder
from dedup.bulk._ingest_worker import exit_with_parent
from dedup.bulk._interrupts import ignore_interrupts, interrupts_deferred
from dedup.types import Document

#: Documents a worker builds at a time.
BATCH = 128
#: Batches in flight per worker: one building, one waiting, so a worker never idles.
AHEAD = 2

_BUILDER: list[EntryBuilder] = []  # this worker's, set by _start


def forkable() -> bool:
    """Whether workers can be forked here (Linux)."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def learn(model: BoilerplateModel, documents: Iterable[Document], jobs: int) -> int:
    """Observe every document into ``model`` with ``jobs`` worker processes; how many.

    An error reading ``documents`` (a bad line) stops the run as in one process: what was
    sent out is dropped, and the workers leave. Fewer documents than a batch are learned here:
    starting workers would cost more than they save.
    """
    context = multiprocessing.get_context("fork")
    lifeline, keep = context.Pipe(duplex=False)
    count = 0
    pending: deque[Future[list[DocumentEntry]]] = deque()

    def store_oldest() -> None:
        nonlocal count
        for entry in pending.popleft().result():
            model.store.put(entry)
            count += 1

    it = iter(documents)
    first = list(islice(it, BATCH))
    if len(first) < BATCH:  # one batch in all: not worth starting workers for
        for entry in model.builder.build(first):
            model.store.put(entry)
        return len(first)
    with (
        keep,
        lifeline,
        ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=context,
            initializer=_start,
            initargs=(model.builder, lifeline, keep),
        ) as pool,
    ):
        try:
            with interrupts_deferred():  # the first submit starts the workers
                pending.append(pool.submit(_build, first))
            while batch := list(islice(it, BATCH)):
                pending.append(pool.submit(_build, batch))
                if len(pending) >= jobs * AHEAD:
                    store_oldest()
            while pending:
                store_oldest()
        finally:
            for future in pending:
                future.cancel()
    return count


def _start(builder: EntryBuilder, lifeline: Connection, keep: Connection) -> None:
    ignore_interrupts()
    keep.close()  # only the parent may hold the writing end, or the lifeline never breaks
    threading.Thread(target=exit_with_parent, args=(lifeline,), daemon=True).start()
    _BUILDER.append(builder)


def _build(batch: list[Document]) -> list[DocumentEntry]:
    return _BUILDER[-1].build(batch)
