"""A posted document placed with the documents its report found, on the writer.

The writer places a post's document in a cluster by LSH's matches; the report, on a reader
after the commit, may find more documents related to it whole (a short excerpt of a long
story, which LSH seldom proposes). :meth:`Collection.join_cluster` then moves the document
into such a document's cluster, as :meth:`Collection.post` does in the library. The post is
answered after that, so a ``GET`` that follows its answer sees the cluster its matches imply.
Only posts with such matches (about one reprint in a hundred of the generated news corpus)
take this second turn on the writer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiohttp import web

from service.keys import writer_of
from service.writer import join_call

LOG = logging.getLogger("service")


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
