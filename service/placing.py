"""What a post does after the writer committed it: its report, then its placing.

The report aligns the passages of the post's matches on a reader (:func:`report`). It may find
more documents related to the post whole (a short excerpt of a long story, which LSH seldom
proposes): the writer placed the document in a cluster by LSH's matches, and
:meth:`Collection.join_cluster` then moves it into such a document's cluster, as
:meth:`Collection.post` does in the library (:func:`place`). The post is answered after that,
so a ``GET`` that follows its answer sees the cluster its matches imply. Only posts with such
matches (about one reprint in a hundred of the generated news corpus) take this second turn on
the writer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

from aiohttp import web

from dedup.collection import Pending, PostReport
from service.calls import Call
from service.keys import READERS, writer_of
from service.remote import ReaderLost
from service.writer import join_call

LOG = logging.getLogger("service")
T = TypeVar("T")


async def report(
    app: web.Application,
    pending: Pending,
    finish: Callable[[PostReport], T],
    since: float | None = None,
) -> T:
    """``finish`` of the committed post's report, made on a reader: waiting for one however
    busy they are (a stored post must not be answered 503 for a full queue); ``since`` is when
    its request arrived (see :meth:`service.pools.Pool.run`). A reader process that dies under
    it is a 503 that says the post may be stored already and a retry is safe."""
    try:
        return await app[READERS].run(
            Call("report_post", (pending,), finish=finish), wait=True, since=since
        )
    except ReaderLost as exc:
        raise ReaderLost(after_write=True) from exc


async def place(app: web.Application, doc_id: str, related: Sequence[str]) -> None:
    """Place ``doc_id`` with ``related`` on the writer, waiting for a turn however busy it is
    (the post is committed and must not be answered 503). A failure leaves the document in
    the cluster the index gave it, and is logged: the post itself stands."""
    if not related:
        return
    try:
        await writer_of(app).run(join_call(doc_id, related), wait=True)
    except Exception:
        LOG.warning("%r stays in its own cluster: placing it failed", doc_id, exc_info=True)
