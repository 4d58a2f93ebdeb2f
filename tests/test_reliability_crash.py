"""Crash durability of the real service: SIGKILL at random moments while clients post, restart,
and every acknowledged post is still there, whole; the file stays sound."""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from dedup.config import Config
from dedup.synth import news_corpus
from dedup.types import Document
from tests.service_support import running_service

# SIGKILLs, each followed by a restart: 10 in `make test`, 50 in the long tier (`make soak`).
TRIALS = 50 if os.environ.get("DEDUP_SOAK") else 10
CLIENTS = 4  # concurrent posters while the kill comes
SEED = 9
TIMEOUT = aiohttp.ClientTimeout(total=15)
# documents lacking any of their rows in the other tables
INCOMPLETE = """
SELECT count(*) FROM documents d
WHERE NOT EXISTS (SELECT 1 FROM fingerprints f WHERE f.doc = d.doc)
   OR NOT EXISTS (SELECT 1 FROM band_keys b WHERE b.doc = d.doc AND length(b.keys) = :width)
   OR NOT EXISTS (SELECT 1 FROM texts t WHERE t.id = d.id)
   OR NOT EXISTS (SELECT 1 FROM reuse_sets r WHERE r.id = d.id)
"""


@dataclass
class Record:
    """What the kill trials observed."""

    kills: int = 0
    acknowledged: dict[str, Document] = field(default_factory=dict)
    # after each restart: the acknowledged ids not found whole (GET, re-post) and why
    lost: list[dict[str, str]] = field(default_factory=list)
    final_exit: int | None = None


def body(doc: Document) -> dict[str, str]:
    return {"id": doc.id, "text": doc.text, "source": doc.source or ""}


async def post_until_killed(
    url: str, docs: Iterator[Document], process: subprocess.Popen[str], delay: float
) -> list[Document]:
    """Post ``docs`` from CLIENTS clients until the process is SIGKILLed ``delay`` s after the
    first answer (so that a slow first post, e.g. numba compiling, does not eat the window);
    the documents whose post was answered 2xx."""
    acked: list[Document] = []
    answered = asyncio.Event()
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:

        async def poster() -> None:
            for doc in docs:
                try:
                    async with session.post(f"{url}/v1/documents", json=body(doc)) as answer:
                        await answer.read()
                        if 200 <= answer.status < 300:
                            acked.append(doc)
                        answered.set()
                except (aiohttp.ClientError, TimeoutError):
                    return

        posters = [asyncio.create_task(poster()) for _ in range(CLIENTS)]
        async with asyncio.timeout(60):
            await answered.wait()
        await asyncio.sleep(delay)
        process.kill()
        await asyncio.gather(*posters)
    return acked


async def lost_documents(url: str, docs: list[Document]) -> dict[str, str]:
    """The documents among ``docs`` that are not stored whole: id -> what was answered."""
    lost: dict[str, str] = {}
    gate = asyncio.Semaphore(CLIENTS)
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:

        async def recheck(doc: Document) -> None:
            async with gate:
                async with session.get(f"{url}/v1/documents/{doc.id}") as answer:
                    if answer.status != 200:
                        lost[doc.id] = f"GET {answer.status}"
                        return
                async with session.post(f"{url}/v1/documents", json=body(doc)) as answer:
                    verdict = await answer.json(content_type=None)
                    seen = (answer.status, verdict.get("status"), verdict.get("duplicate_of"))
                    stored = verdict.get("stored")
                    if seen != (200, "duplicate", doc.id) or stored != "unchanged":
                        lost[doc.id] = f"re-post {seen} {stored}"

        await asyncio.gather(*(recheck(doc) for doc in docs))
    return lost


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("crash") / "index.db"


@pytest.fixture(scope="module")
def record(db: Path) -> Record:
    """Run the kill trials once: TRIALS x (restart, recheck, post, SIGKILL), then a last
    restart, a recheck and a clean SIGTERM."""
    rng = random.Random(SEED)
    docs = iter(list(news_corpus(2_000, seed=SEED, dup_rate=0.0)))
    seen = Record()
    for trial in range(TRIALS + 1):
        with running_service(["service"], db) as served:
            seen.lost.append(
                asyncio.run(lost_documents(served.url, list(seen.acknowledged.values())))
            )
            if trial == TRIALS:
                seen.final_exit = served.stop()
                break
            delay = rng.uniform(0.02, 0.25)
            acked = asyncio.run(post_until_killed(served.url, docs, served.process, delay))
            served.process.wait(10)
            seen.kills += served.process.returncode == -9
            seen.acknowledged.update((doc.id, doc) for doc in acked)
    return seen


def test_every_acknowledged_post_survives_each_sigkill(record: Record) -> None:
    """After every SIGKILL and restart, each document answered 2xx is there and re-posts as an
    unchanged duplicate of itself."""
    assert record.kills == TRIALS
    assert len(record.acknowledged) >= 2 * TRIALS
    assert record.lost == [{}] * (TRIALS + 1)


def test_the_file_is_sound_after_the_kills(record: Record, db: Path) -> None:
    """After the kills and a clean stop the file passes integrity_check, and every stored
    document has its fingerprints, band rows, text and reuse postings."""
    assert record.final_exit == 0
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counts = [
            conn.execute(f"SELECT count({what}) FROM {table}").fetchone()[0]
            for what, table in [
                ("*", "documents"),
                ("*", "fingerprints"),
                ("*", "band_keys"),
                ("*", "texts"),
                ("DISTINCT id", "reuse_sets"),
            ]
        ]
        incomplete = conn.execute(INCOMPLETE, {"width": 8 * Config().bands}).fetchone()[0]
    finally:
        conn.close()
    assert counts == [counts[0]] * 5
    assert counts[0] >= len(record.acknowledged)
    assert incomplete == 0
