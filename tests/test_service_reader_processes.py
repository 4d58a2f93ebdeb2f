"""Readers in child processes (the default ``reader_mode``): the same answers as readers in
threads, errors that cross as themselves, and children that never outlive their service."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from dedup.collection import Collection
from dedup.errors import DocumentNotFoundError
from dedup.synth import news_corpus
from dedup.types import Document
from service.app import WARM_UP
from service.children import ChildError
from service.crossing import Packed
from service.remote import RemoteCollection
from tests._collection_support import same_preparation
from tests.service_support import (
    answers_in_each_mode,
    http_json,
    post,
    post_with_reprints,
    running_service,
    settings,
    start_client,
)
from tests.test_service_metrics import labels, scrape

Client = TestClient[Any, Any]


def children(pid: int) -> set[int]:
    """The reader processes ``pid`` spawned (from any of its threads), not multiprocessing's
    resource tracker."""
    found: set[int] = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                spawned = list(map(int, handle.read().split()))
        except FileNotFoundError:  # the thread ended meanwhile
            continue
        for child in spawned:
            try:
                with open(f"/proc/{child}/cmdline", "rb") as cmdline:
                    if b"spawn_main" in cmdline.read():
                        found.add(child)
            except FileNotFoundError:  # ended meanwhile
                continue
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, does not count)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def gone_within(pids: set[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while any(alive(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def stored(tmp_path: Path, article: str) -> Path:
    """A collection file with one article and a reprint of it."""
    db = tmp_path / "index.db"
    with Collection.open(db) as collection:
        collection.post(Document("a1", article))
        collection.post(Document("a2", article[: len(article) * 2 // 3]))
    return db


def test_a_remote_collection_answers_what_a_local_one_answers(stored: Path, article: str) -> None:
    """check, strip, get, prepare+report_post and len give equal values in the child and here."""
    remote = RemoteCollection(str(stored), None, warm_up=WARM_UP)
    try:
        with Collection.open(stored, readonly=True) as local:
            doc = Document("new", article[len(article) // 3 :])
            assert remote.check(doc) == local.check(doc)
            assert remote.check(doc, exclude_same_source=True) == local.check(
                doc, exclude_same_source=True
            )
            assert remote.strip(article) == local.strip(article)
            assert remote.get("a2") == local.get("a2")
            assert len(remote) == len(local) == 2
            prepared = remote.prepare(doc).unpack()
            assert same_preparation(prepared, local.prepare(doc))
            with Collection.open(stored) as writer:
                pending = writer.post_pending(doc, prepared=prepared)
            assert remote.report_post(pending) == local.report_post(pending)
    finally:
        remote.close()


def test_a_remote_preparation_comes_packed_for_the_writer(stored: Path, article: str) -> None:
    """A preparation is for the writer, so the child sends it packed: the service's process
    hands it on as bytes, and unpacked it is what a local collection prepares."""
    remote = RemoteCollection(str(stored), None)
    try:
        doc = Document("new", article)
        packed = remote.prepare(doc)
        assert isinstance(packed, Packed) and isinstance(packed.blob, bytes)
        with Collection.open(stored, readonly=True) as local:
            assert same_preparation(packed.unpack(), local.prepare(doc))
    finally:
        remote.close()


def test_a_library_error_in_the_child_is_raised_as_itself(stored: Path) -> None:
    """A missing document is a DocumentNotFoundError here too (the service's 404)."""
    remote = RemoteCollection(str(stored), None)
    try:
        with pytest.raises(DocumentNotFoundError) as raised:
            remote.get("nope")
        assert raised.value.doc_id == "nope"
        assert len(remote) == 2  # and the child goes on
    finally:
        remote.close()


def test_only_reader_verbs_are_run_in_the_child(stored: Path) -> None:
    """A call of anything but a reader verb is refused there, not run."""
    remote = RemoteCollection(str(stored), None)
    try:
        with pytest.raises(ChildError, match="not a reader verb"):
            remote._call(("delete", ("a1",), {}))
        assert len(remote) == 2
    finally:
        remote.close()


def test_a_child_that_cannot_open_the_file_fails_the_start(tmp_path: Path) -> None:
    """Opening a file that is not a collection raises the library's error from the child."""
    bad = tmp_path / "not.db"
    bad.write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(Exception, match="not an SQLite database"):
        RemoteCollection(str(bad), None)


def test_closing_ends_the_child(stored: Path) -> None:
    remote = RemoteCollection(str(stored), None)
    pid = remote.pid
    assert pid is not None and alive(pid)
    remote.close()
    assert gone_within({pid}, 10)


async def test_process_readers_answer_what_thread_readers_answer(
    tmp_path: Path, long_english_articles: list[str]
) -> None:
    """The same posts, checks, strips and lookups get the same bodies in both reader modes."""
    texts = long_english_articles[:4]

    async def ask(client: Client) -> list[Any]:
        answers = await post_with_reprints(client, texts)
        answers.append(await post(client, "/v1/check", {"id": "c", "text": texts[0]}))
        answers.append(await post(client, "/v1/strip", {"text": texts[1]}))
        for path in ("/v1/documents/r0", "/v1/documents/missing", "/readyz"):
            response = await client.get(path)
            answers.append((response.status, await response.json(content_type=None)))
        return answers

    bodies = await answers_in_each_mode(tmp_path, "reader_mode", ask)
    assert bodies["process"] == bodies["thread"]
    assert [status for status, _ in bodies["process"][:8]] == [201] * 8
    assert bodies["process"][1][1]["status"] == "near_duplicate"
    assert bodies["process"][-2][0] == 404


async def checks_after_killing(
    client: Client, pids: set[int], story: str
) -> list[tuple[int, dict[str, Any]]]:
    """SIGKILL ``pids``, then the answers (status, body) to checks of ``story`` until six in a
    row are 200 (20 at most)."""
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    assert gone_within(pids, 10)
    answers: list[tuple[int, dict[str, Any]]] = []
    while [s for s, _ in answers[-6:]] != [200] * 6 and len(answers) < 20:
        answers.append(await post(client, "/v1/check", {"id": "c", "text": story}))
    return answers


async def test_a_killed_reader_child_is_replaced(tmp_path: Path, story: str) -> None:
    """SIGKILL of every reader child: requests go on being answered, never with a 500, and
    new children take their place."""
    own = children(os.getpid())
    client = await start_client(settings(tmp_path, reader_mode="process"))
    try:
        assert (await post(client, "/v1/documents", {"id": "s", "text": story}))[0] == 201
        before = children(os.getpid()) - own
        statuses = [s for s, _ in await checks_after_killing(client, before, story)]
        assert statuses[-6:] == [200] * 6, statuses
        assert set(statuses) <= {200, 503}, statuses
        assert statuses.count(503) <= len(before), statuses  # one failed job per dead child
        assert children(os.getpid()).isdisjoint(before)
    finally:
        await client.close()


async def test_a_check_whose_reader_child_died_is_a_503_that_claims_no_write(
    tmp_path: Path, story: str
) -> None:
    """A check stores nothing: the 503 of one whose reader died says retry, and not that a
    post or delete may have been done (the detail of a post's lost reader)."""
    own = children(os.getpid())
    client = await start_client(settings(tmp_path, reader_mode="process", writer_mode="thread"))
    try:
        answers = await checks_after_killing(client, children(os.getpid()) - own, story)
        lost = [body for status, body in answers if status == 503]
        assert lost, answers
        assert {body["detail"] for body in lost} == {"a reader process stopped; retry"}
    finally:
        await client.close()


async def test_each_reader_child_found_dead_is_counted_in_the_metrics(
    tmp_path: Path, story: str
) -> None:
    """A dead reader child is counted once, when the job sent to it finds it gone (that job is
    answered 503), in ``dedup_child_process_deaths_total{role="reader"}``."""
    own = children(os.getpid())
    client = await start_client(settings(tmp_path, reader_mode="process", writer_mode="thread"))
    try:
        answers = await checks_after_killing(client, children(os.getpid()) - own, story)
        statuses = [s for s, _ in answers]
        deaths = (await scrape(client))[("dedup_child_process_deaths_total", labels(role="reader"))]
        assert deaths == statuses.count(503) >= 1, statuses
    finally:
        await client.close()


async def test_the_metrics_give_the_memory_of_the_writer_and_reader_processes(
    tmp_path: Path,
) -> None:
    """``dedup_child_resident_bytes{role}`` is the resident memory of that role's processes,
    summed (read here from ``/proc`` too, moments apart)."""
    own = children(os.getpid())
    client = await start_client(settings(tmp_path, reader_mode="process", writer_mode="process"))
    try:
        samples = await scrape(client)
        expected = {"dedup-reader": 0, "dedup-writer": 0}
        for pid in children(os.getpid()) - own:
            with open(f"/proc/{pid}/comm") as comm, open(f"/proc/{pid}/status") as status:
                name = comm.read().strip()
                rss = next(line for line in status if line.startswith("VmRSS:"))
            expected[name] += int(rss.split()[1]) * 1024
        for role in ("reader", "writer"):
            got = samples[("dedup_child_resident_bytes", labels(role=role))]
            assert got > 50 << 20
            assert abs(got - expected[f"dedup-{role}"]) < 0.1 * expected[f"dedup-{role}"]
    finally:
        await client.close()


async def test_readers_that_cannot_start_stop_the_writer_started_beside_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer's and the readers' children start together: when the readers cannot, the
    start fails with their error and leaves no child behind, the writer's included."""
    own = children(os.getpid())

    def cannot_start(*args: object, **kwargs: object) -> RemoteCollection:
        raise ChildError("the dedup-reader process exited while opening it")

    monkeypatch.setattr("service.app.RemoteCollection", cannot_start)
    with pytest.raises(ChildError):
        await start_client(settings(tmp_path, reader_mode="process", writer_mode="process"))
    assert gone_within(children(os.getpid()) - own, 10)


async def test_stopping_the_app_ends_its_reader_children(tmp_path: Path) -> None:
    own = children(os.getpid())
    client = await start_client(settings(tmp_path, reader_mode="process", readers=2))
    started = children(os.getpid()) - own
    assert len(started) == 2
    await client.close()
    assert gone_within(started, 15)


def test_children_exit_with_a_service_killed_by_sigkill(tmp_path: Path) -> None:
    """A service process killed outright leaves no reader or writer behind: each child sees
    its pipe close and exits (they ignore the SIGTERM and SIGINT sent to a process group)."""
    db = tmp_path / "index.db"
    with running_service(["service"], db, "--readers", "2") as served:
        doc = next(iter(news_corpus(1, seed=3)))
        status, _ = http_json(f"{served.url}/v1/documents", {"id": doc.id, "text": doc.text})
        assert status == 201
        started = children(served.process.pid)
        assert len(started) == 3  # two readers and the writer
        served.process.send_signal(signal.SIGKILL)
        served.process.wait(10)
        assert gone_within(started, 15)


def kernel_names(pid: int) -> list[str]:
    """The kernel's names of ``pid``'s threads (``/proc/<pid>/task/<tid>/comm``)."""
    names = []
    for task in os.listdir(f"/proc/{pid}/task"):
        # A thread that ended meanwhile has no file.
        with contextlib.suppress(FileNotFoundError), open(f"/proc/{pid}/task/{task}/comm") as f:
            names.append(f.read().strip())
    return names


async def test_the_service_threads_and_reader_processes_carry_their_names(
    tmp_path: Path,
) -> None:
    """``top -H`` and the load benchmark tell the writer from the readers by these names."""
    own = children(os.getpid())
    client = await start_client(settings(tmp_path, reader_mode="process", readers=2))
    try:
        names = kernel_names(os.getpid())
        assert {"dedup-writer-0", "dedup-reader-0", "dedup-reader-1"} <= set(names)
        assert "dedup-checkpoin" in names  # the kernel keeps 15 bytes
        started = children(os.getpid()) - own
        assert len(started) == 2
        for child in started:
            with open(f"/proc/{child}/comm") as handle:  # the child's main thread
                assert handle.read().strip() == "dedup-reader"
    finally:
        await client.close()
