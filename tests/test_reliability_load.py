"""A short mixed read/write load on the real service process: no 5xx, no lost writes."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from pathlib import Path

import aiohttp

from dedup.synth import news_corpus
from tests.service_support import running_service

# A short smoke in `make test`; the long tier (`make soak`) runs 32 clients for 60 s.
SOAK = bool(os.environ.get("DEDUP_SOAK"))
CLIENTS = 32 if SOAK else 8
SECONDS = 60.0 if SOAK else 4.0
SEED = 21


async def mixed_load(url: str) -> tuple[Counter[int], list[str]]:
    """CLIENTS clients for SECONDS: each posts new documents, gets and checks stored ones
    (seeded choices); every status seen, and the ids whose post was answered 201."""
    docs = iter(list(news_corpus(3_000, seed=SEED, dup_rate=0.3)))
    statuses: Counter[int] = Counter()
    written: list[str] = []
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
                            written.append(doc.id)
                elif roll < 0.8:
                    async with session.get(f"{url}/v1/documents/{rng.choice(written)}") as answer:
                        await answer.read()
                else:
                    text = next(docs).text
                    body = {"id": "probe", "text": text}
                    async with session.post(f"{url}/v1/check", json=body) as answer:
                        await answer.read()
                statuses[answer.status] += 1

        await asyncio.gather(*(client(k) for k in range(CLIENTS)))
    return statuses, written


async def test_mixed_load_answers_no_5xx_and_loses_no_write(tmp_path: Path) -> None:
    """Eight clients posting, getting and checking for a few seconds get no 5xx, and every
    document answered 201 is stored after a clean restart."""
    db = tmp_path / "index.db"
    with running_service(["service"], db) as served:
        statuses, written = await mixed_load(served.url)
        assert served.stop() == 0
    assert not [status for status in statuses if status >= 500], statuses
    assert set(statuses) <= {200, 201}, statuses
    assert len(written) >= 50
    with running_service(["service"], db) as served:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{served.url}/readyz") as answer:
                assert (await answer.json())["documents"] == len(written)
            for doc_id in written:
                async with session.get(f"{served.url}/v1/documents/{doc_id}") as answer:
                    assert answer.status == 200, doc_id
        assert served.stop() == 0
