"""A reader's desk on its post lane (:class:`service.lane_ends.PostDesk`), with real sockets for
the service's end and the writer's and a real collection: posts queued together are prepared
together, a post whose preparation fails is answered its own error while the others of its
batch go on to the writer, and a post's report counts what was stored when it was decided."""

from __future__ import annotations

import json
import multiprocessing
import socket
import time
from pathlib import Path
from typing import Any

from dedup.collection import Collection
from dedup.errors import InputError
from dedup.types import Document
from service.crossing import Packed
from service.frames import Framed
from service.lane_ends import PostDesk
from service.lane_ends import _crossing as writers_answer  # the writer's end's own encoding
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
            assert (tag, ok) == (1, False) and isinstance(error, InputError)  # text None
            writer.close()
    finally:
        listener.close()
        lane.close()
        desk_end.close()


def test_a_report_counts_only_what_was_stored_before_its_post_was_decided(
    tmp_path: Path, long_english_articles: list[str]
) -> None:
    """The writer's answer carries the index's mark across the lane: a copy of the article
    stored after the post was decided is not what the post duplicates, so it answers new."""
    writer_path = str(tmp_path / "writer.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(writer_path)
    listener.listen()
    listener.settimeout(5)
    service_end, desk_end = socket.socketpair()
    pipe, desk_pipe = multiprocessing.Pipe()
    lane = Framed(service_end)
    text = long_english_articles[0]
    try:
        lane.send((0, Document("first", text), WINDOW, 0.0))
        pipe.send(("a request that comes first",))
        with Collection.open(tmp_path / "articles.db") as collection:
            desk = PostDesk(desk_end, writer_path)
            desk.serve_until(collection, desk_pipe)
            writer = Framed(listener.accept()[0])
            [(tag, doc, prepared, window)] = messages(writer, 1)
            with collection.transaction():  # the writer decides the post...
                pending = collection.post_pending(doc, prepared=prepared.unpack(), **window)
            collection.post(Document("later", text))  # ...and stores a copy after it
            writer.send([(tag, True, writers_answer(True, pending))])
            time.sleep(0.05)
            pipe.send(("a request that came after the post", None, None, 1.0))
            desk.serve_until(collection, desk_pipe)
            [(_, ok, (status, body, related))] = messages(lane, 1)
            assert (ok, status, related) == (True, 201, ())
            assert json.loads(body)["status"] == "new"
            writer.close()
    finally:
        listener.close()
        lane.close()
        desk_end.close()
