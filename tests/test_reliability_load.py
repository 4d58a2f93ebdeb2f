"""A short mixed read/write load on the real service process: no errors, and every acknowledged
write is readable at once and after a restart."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from dataclasses import dataclass

import aiohttp
import pytest

from dedup.synth import news_corpus
from tests.service_support import http_json, running_service

# A short smoke in `make test`; the long tier (`make soak`) runs 32 clients for 60 s.
SOAK = bool(os.environ.get("DEDUP_SOAK"))
CLIENTS = 32 if SOAK else 8
SECONDS = 60.0 if SOAK else 4.0
SEED = 21


async def mixed_load(url: str) -> tuple[Counter[int], dict[str, int]]:
    """CLIENTS clients for SECONDS: each posts new documents, gets and checks stored ones
    (seeded choices); every status seen, and the ids whose post was answered 201 with the
    length of their text."""
    docs = iter(list(news_corpus(3_000 * (4 if SOAK else 1), seed=SEED, dup_rate=0.3)))
    statuses: Counter[int] = Counter()
    written: dict[str, int] = {}
    stop = time.monotonic() + SECONDS
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def client(k: int) -> None:
            rng = random.Random(SEED * 100 + k)
            while time.monotonic() < stop:
                roll = rng.random()
                if roll < 0.5 or not written:
                    doc = next(docs)
                    body = {"id": doc.id, "text": doc.text, "source": doc.source or ""}
                    async with session.post(f"{url}/v1/documents", json=body) as answer:
                        await answer.read()
                        if answer.status == 201:
                            written[doc.id] = len(doc.text)
                elif roll < 0.8:
                    doc_id = rng.choice(list(written))
                    async with session.get(f"{url}/v1/documents/{doc_id}") as answer:
                        await answer.read()
                else:
                    text = next(docs).text
                    body = {"id": "probe", "text": text}
                    async with session.post(f"{url}/v1/check", json=body) as answer:
                        await answer.read()
                statuses[answer.status] += 1

        await asyncio.gather(*(client(k) for k in range(CLIENTS)))
    return statuses, written


async def missing(url: str, written: dict[str, int]) -> dict[str, str]:
    """The ids among ``written`` that GET does not answer 200 with the text's length."""
    lost: dict[str, str] = {}
    gate = asyncio.Semaphore(8)
    async with aiohttp.ClientSession() as session:

        async def get(doc_id: str, length: int) -> None:
            async with gate, session.get(f"{url}/v1/documents/{doc_id}") as answer:
                view = await answer.json(content_type=None)
                if (answer.status, view.get("length")) != (200, length):
                    lost[doc_id] = f"{answer.status} {view.get('length')} != {length}"

        await asyncio.gather(*(get(doc_id, length) for doc_id, length in written.items()))
    return lost


@dataclass
class Run:
    """What the mixed load saw, and which acknowledged writes GET did not find."""

    statuses: Counter[int]
    written: dict[str, int]
    lost_live: dict[str, str]  # right after the load, on the same process (its readers)
    lost_after_restart: dict[str, str]
    stored_after_restart: int  # documents /readyz counts after the restart
    exits: list[int]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The load once, the GETs on the live process, a clean stop, a restart and the GETs again."""
    db = tmp_path_factory.mktemp("load") / "index.db"
    with running_service(["service"], db) as served:
        statuses, written = asyncio.run(mixed_load(served.url))
        lost_live = asyncio.run(missing(served.url, written))
        exits = [served.stop()]
    with running_service(["service"], db) as served:
        lost_after_restart = asyncio.run(missing(served.url, written))
        stored = http_json(f"{served.url}/readyz")[1]["documents"]
        exits.append(served.stop())
    return Run(statuses, written, lost_live, lost_after_restart, stored, exits)


def test_mixed_load_answers_no_error(run: Run) -> None:
    """Clients posting, getting and checking at once get only 200s and 201s: no 4xx, no 5xx."""
    assert set(run.statuses) <= {200, 201}, run.statuses
    assert len(run.written) >= 50


def test_every_acknowledged_write_is_readable_at_once(run: Run) -> None:
    """Right after the load, every document answered 201 is found whole by GET on the same
    process: the readers see every write the writer acknowledged."""
    assert run.lost_live == {}


def test_every_acknowledged_write_survives_a_restart(run: Run) -> None:
    """After a clean stop (exit 0) and a restart, every document answered 201 is found whole,
    and they are all the index holds."""
    assert run.exits == [0, 0]
    assert run.lost_after_restart == {}
    assert run.stored_after_restart == len(run.written)
