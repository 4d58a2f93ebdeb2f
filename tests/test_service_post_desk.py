"""A reader's desk on its post lane (:class:`service.lane_ends.PostDesk`), with real sockets for
the service's end and the writer's and a real collection: posts queued together are prepared
together, and a post whose preparation fails is answered its own error while the others of its
batch go on to the writer."""

from __future__ import annotations

import multiprocessing
import socket
import time
from pathlib import Path
from typing import Any

from dedup.collection import Collection
from dedup.types import Document
from service.crossing import Packed
from service.frames import Framed
from service.lane_ends import PostDesk
from tests._collection_support import same_preparation

WINDOW = {"since": None, "until": None, "exclude_same_source": False}


def messages(end: Framed, count: int) -> list[Any]:
    """The first ``count`` messages to come on ``end`` (5 s at most)."""
    found: list[Any] = []
    deadline = time.monotonic() + 5
    while len(found) < count and time.monotonic() < deadline:
        found.extend(end.receive())
        time.sleep(0.01)
    return found


def test_a_failed_preparation_is_its_posts_answer_and_its_batch_goes_on(
    tmp_path: Path, sample: list[Document]
) -> None:
    writer_path = str(tmp_path / "writer.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(writer_path)
    listener.listen()
    listener.settimeout(5)  # a desk that hands nothing over fails the test, not hangs it
    service_end, desk_end = socket.socketpair()
    pipe, desk_pipe = multiprocessing.Pipe()
    lane = Framed(service_end)
    posts = [sample[0], Document("broken", None), sample[1]]  # type: ignore[arg-type]
    try:
        for tag, doc in enumerate(posts):  # all queued before the desk looks: one batch
            lane.send((tag, doc, WINDOW, 0.0))
        pipe.send(("a request of the service's pipe",))
        with Collection.open(tmp_path / "articles.db") as collection:
            PostDesk(desk_end, writer_path).serve_until(collection, desk_pipe)
            writer_end, _ = listener.accept()
            writer = Framed(writer_end)
            handed = messages(writer, 2)
            answered = messages(lane, 1)
            assert [tag for tag, *_ in handed] == [0, 2]
            for _, doc, prepared, window in handed:
                assert isinstance(prepared, Packed) and window == WINDOW
                assert same_preparation(prepared.unpack(), collection.prepare(doc))
            [(tag, ok, error)] = answered
            assert (tag, ok) == (1, False) and isinstance(error, TypeError)
            writer.close()
    finally:
        listener.close()
        lane.close()
        desk_end.close()
