"""Post lanes (readers' and writer's processes both on): posts go from a reader's process
straight to the writer's, with the answers, races, limits and recoveries of the pools' path."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sqlite3
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from service.frames import Framed, FrameProtocol, frame
from service.keys import LANES
from service.writer import PROCESS_NAME as WRITER_PROCESS
from tests.service_support import post, post_with_reprints, settings, start_client
from tests.test_service_metrics import labels, scrape
from tests.test_service_reader_processes import children, gone_within

Client = TestClient[Any, Any]


def lanes_settings(tmp_path: Path, **changes: Any) -> Any:
    return settings(tmp_path, reader_mode="process", writer_mode="process", **changes)


async def wait_for_lanes(client: Client, count: int) -> None:
    """Until ``count`` lanes are open (each reader's process connects its own)."""
    lanes = client.app[LANES]
    async with asyncio.timeout(20):
        while lanes.open < count:
            await asyncio.sleep(0.02)


async def posts_until_stored(client: Client, texts: list[str], prefix: str) -> list[int]:
    """Post ``texts`` one at a time, a 503 retried after a pause as its Retry-After asks
    (shortened), until three in a row are stored (or 20 s pass while a process restarts)."""
    statuses: list[int] = []
    async with asyncio.timeout(20):
        for k, text in enumerate(texts):
            while True:
                status, _ = await post(
                    client, "/v1/documents", {"id": f"{prefix}{k}", "text": text}
                )
                statuses.append(status)
                if status != 503:
                    break
                await asyncio.sleep(0.2)
            if statuses[-3:] == [201] * 3:
                break
    return statuses


def writer_pid(pids: set[int]) -> int:
    for pid in pids:
        with open(f"/proc/{pid}/comm") as handle:
            if handle.read().strip() == WRITER_PROCESS[:15]:
                return pid
    raise LookupError("no writer process")


async def test_posts_on_lanes_answer_what_the_pools_path_answers(
    tmp_path: Path, long_english_articles: list[str]
) -> None:
    """Posts, reprints and re-posts get the same statuses and bodies either way."""
    texts = long_english_articles[:3]
    answers: dict[bool, list[Any]] = {}
    for on in (True, False):
        (tmp_path / str(on)).mkdir()
        client = await start_client(lanes_settings(tmp_path / str(on), post_lanes=on))
        try:
            assert (LANES in client.app) is on
            if on:
                await wait_for_lanes(client, 2)
            answers[on] = await post_with_reprints(client, texts)
            answers[on].append(await post(client, "/v1/documents", {"id": "d0", "text": texts[0]}))
            answers[on].append((await client.get("/v1/documents/r1")).status)
        finally:
            await client.close()
    assert answers[True] == answers[False]
    assert [status for status, _ in answers[True][:6]] == [201] * 6
    assert answers[True][1][1]["status"] == "near_duplicate"
    assert answers[True][6][1]["stored"] == "unchanged"


async def test_with_lanes_off_posts_take_the_pools_and_the_writer_process_is_watched(
    tmp_path: Path, article: str
) -> None:
    client = await start_client(lanes_settings(tmp_path, post_lanes=False))
    try:
        assert LANES not in client.app
        assert (await post(client, "/v1/documents", {"id": "a", "text": article}))[0] == 201
        samples = await scrape(client)
        assert samples[("dedup_child_resident_bytes", labels(role="writer"))] > 50 << 20
        assert samples[("dedup_post_lanes_open", ())] == 0
        prepared = [
            v for (name, _), v in samples.items() if name == "dedup_post_preparations_total"
        ]
        assert sum(prepared) == 1  # counted where it ran: ahead, waited for, or by the writer
    finally:
        await client.close()


async def test_fifty_concurrent_posts_of_one_article_give_one_new_on_the_lanes(
    tmp_path: Path, article: str
) -> None:
    client = await start_client(lanes_settings(tmp_path))
    try:
        await wait_for_lanes(client, 2)
        answers = await asyncio.gather(
            *(post(client, "/v1/documents", {"id": f"c{k}", "text": article}) for k in range(50))
        )
        statuses = [body["status"] for _, body in answers]
        assert statuses.count("new") == 1
        assert statuses.count("duplicate") == 49
        # Each copy names a stored copy (the best-ranked: the smallest id once it is stored).
        ids = {f"c{k}" for k in range(50)}
        for _, body in answers:
            if body["status"] == "duplicate":
                assert body["duplicate_of"] in ids - {body["id"]}
        metrics = await scrape(client)
        assert metrics[("dedup_post_preparations_total", labels(by="ahead"))] == 50
        assert metrics[("dedup_post_lanes_open", ())] == 2
        assert metrics[("dedup_post_lane_posts", ())] == 0
    finally:
        await client.close()


async def test_full_lanes_answer_503_and_lose_nothing_they_took(
    tmp_path: Path, long_english_articles: list[str]
) -> None:
    """Two posts on the lanes at most (``queue_size`` 1): the rest get 503 with Retry-After
    at once, and every post answered 201 is stored."""
    client = await start_client(lanes_settings(tmp_path, queue_size=1))
    try:
        await wait_for_lanes(client, 2)
        texts = long_english_articles[:12]
        responses = await asyncio.gather(
            *(
                client.post("/v1/documents", json={"id": f"p{k}", "text": t})
                for k, t in enumerate(texts)
            )
        )
        statuses = [r.status for r in responses]
        assert set(statuses) == {201, 503}, statuses
        assert all(r.headers["Retry-After"] == "1" for r in responses if r.status == 503)
        for k, status in enumerate(statuses):
            stored = (await client.get(f"/v1/documents/p{k}")).status
            assert stored == (200 if status == 201 else 404)
    finally:
        await client.close()


async def test_a_killed_writer_process_is_replaced_and_posts_go_on(
    tmp_path: Path, long_english_articles: list[str]
) -> None:
    """SIGKILL of the writer's process: a post it held may get 503, never a 500; a new
    writer's process starts, the readers connect to it, and later posts are stored."""
    own = children(os.getpid())
    client = await start_client(lanes_settings(tmp_path))
    try:
        await wait_for_lanes(client, 2)
        texts = long_english_articles[:20]
        assert (await post(client, "/v1/documents", {"id": "a", "text": texts[0]}))[0] == 201
        first = writer_pid(children(os.getpid()) - own)
        os.kill(first, signal.SIGKILL)
        assert gone_within({first}, 10)
        statuses = await posts_until_stored(client, texts[1:], "b")
        assert statuses[-3:] == [201] * 3, statuses
        assert set(statuses) <= {200, 201, 503}, statuses  # 200: a retry of one stored
        assert writer_pid(children(os.getpid()) - own) != first
        deaths = (await scrape(client))[("dedup_child_process_deaths_total", labels(role="writer"))]
        assert deaths == 1
    finally:
        await client.close()


async def test_posts_go_on_when_every_reader_process_is_killed(
    tmp_path: Path, long_english_articles: list[str]
) -> None:
    """SIGKILL of both readers' processes: their lanes close, posts take the pools' path
    (a post may get 503, never a 500), which starts new readers' processes, whose lanes open."""
    own = children(os.getpid())
    client = await start_client(lanes_settings(tmp_path))
    try:
        await wait_for_lanes(client, 2)
        started = children(os.getpid()) - own
        readers = started - {writer_pid(started)}
        for pid in readers:
            os.kill(pid, signal.SIGKILL)
        assert gone_within(readers, 10)
        statuses = await posts_until_stored(client, long_english_articles[:20], "c")
        assert statuses[-3:] == [201] * 3, statuses
        # A 503 may come after the post was stored (its report's reader had died): its retry
        # is then a 200, unchanged.
        assert set(statuses) <= {200, 201, 503}, statuses
        assert all(statuses[k - 1] == 503 for k, s in enumerate(statuses) if s == 200), statuses
        await wait_for_lanes(client, 1)
    finally:
        await client.close()


async def test_a_lane_lost_with_its_reader_process_opens_again_with_posts_alone(
    tmp_path: Path, long_english_articles: list[str]
) -> None:
    """SIGKILL of one reader's process while only posts come: its lane closes, posts take
    the other, and the readers are probed until a new process opens the lane again."""
    own = children(os.getpid())
    client = await start_client(lanes_settings(tmp_path))
    try:
        await wait_for_lanes(client, 2)
        started = children(os.getpid()) - own
        victim = min(started - {writer_pid(started)})
        os.kill(victim, signal.SIGKILL)
        assert gone_within({victim}, 10)
        lanes = client.app[LANES]
        async with asyncio.timeout(10):
            while lanes.open == 2:  # the loop sees the lane close
                await asyncio.sleep(0.02)
        statuses = await posts_until_stored(client, long_english_articles[:6], "p")
        assert statuses[-3:] == [201] * 3, statuses
        await wait_for_lanes(client, 2)
        assert victim not in children(os.getpid())
    finally:
        await client.close()


def test_framed_messages_arrive_whole_however_the_bytes_are_cut() -> None:
    """A reader's end takes what has come and keeps a message's start for its rest."""
    ours, theirs = socket.socketpair()
    end = Framed(ours)
    try:
        big = {"text": "x" * 60_000}  # less than a socket buffer: sent before read
        data = frame(("a", 1)) + frame(big) + frame(None)
        theirs.sendall(data[:5])
        assert end.receive() == []
        theirs.sendall(data[5:100])
        assert end.receive() == [("a", 1)]
        theirs.sendall(data[100:])
        assert end.receive() == [big, None]
        theirs.close()
        try:
            end.receive()
        except EOFError:
            pass
        else:
            raise AssertionError("a closed lane must end with EOFError")
    finally:
        end.close()


def test_queued_messages_wait_for_room_without_blocking_the_sender() -> None:
    ours, theirs = socket.socketpair()
    end, other = Framed(ours), Framed(theirs)
    try:
        messages = [bytes(200_000) for _ in range(20)]  # more than the socket buffers hold
        for message in messages:
            end.queue(message)
        assert end.pending
        got: list[Any] = []
        while len(got) < len(messages):
            got.extend(other.receive())
            end.flush()
        assert got == messages and not end.pending
    finally:
        end.close()
        other.close()


def test_the_loops_end_reads_messages_split_across_reads() -> None:
    received: list[Any] = []
    protocol = FrameProtocol(received.append, lambda _: None)
    data = frame({"tag": 1}) + frame([1, 2, 3])
    for k in range(len(data)):
        protocol.data_received(data[k : k + 1])
    assert received == [{"tag": 1}, [1, 2, 3]]


def stored_in(db: Path, doc_id: str) -> bool:
    """Whether ``doc_id`` is committed to the file at ``db`` (read by a connection of its own)."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return (
            conn.execute("SELECT 1 FROM documents WHERE id = ?", (doc_id,)).fetchone() is not None
        )


async def test_a_post_committed_before_its_reader_died_says_a_retry_is_safe(
    tmp_path: Path, long_english_articles: list[str]
) -> None:
    """The writer commits a post, then the reader that was to report it dies: the 503 says
    the post may be done already, and posting it again answers 200, unchanged."""
    own = children(os.getpid())
    app_settings = lanes_settings(tmp_path)
    client = await start_client(app_settings)
    try:
        await wait_for_lanes(client, 2)
        started = children(os.getpid()) - own
        writer = writer_pid(started)
        readers = started - {writer}
        body = {"id": "late", "text": long_english_articles[0]}
        os.kill(writer, signal.SIGSTOP)  # the post waits in the writer's socket
        try:
            answer = asyncio.ensure_future(post(client, "/v1/documents", body))
            await asyncio.sleep(1.0)  # a reader prepares it and hands it on (in milliseconds)
            for pid in readers:
                os.kill(pid, signal.SIGSTOP)  # no reader reads the writer's answer
        finally:
            os.kill(writer, signal.SIGCONT)
        async with asyncio.timeout(10):
            while not stored_in(Path(app_settings.db), "late"):
                await asyncio.sleep(0.05)
        for pid in readers:
            os.kill(pid, signal.SIGKILL)
        status, problem = await answer
        assert status == 503
        assert "may have been done already; repeating it is safe" in problem["detail"]
        async with asyncio.timeout(20):
            while (again := await post(client, "/v1/documents", body))[0] == 503:
                await asyncio.sleep(0.2)
        assert again[0] == 200 and again[1]["stored"] == "unchanged"
    finally:
        await client.close()
