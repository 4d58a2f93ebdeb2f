"""The service takes its startup objects out of the garbage collector's reach while it serves,
and reports every collection's pause in /metrics."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

from service import create_app
from service.collector import watch_pauses
from tests.service_support import settings
from tests.test_service_metrics import Client, labels, scrape


async def test_startup_objects_are_frozen_while_the_app_serves(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    """A started app has frozen what was alive; closing it gives the objects back."""
    client = await aiohttp_client(create_app(settings(tmp_path)))
    assert gc.get_freeze_count() > 0
    await client.close()
    assert gc.get_freeze_count() == 0


async def test_full_collections_are_reported_with_their_pause(client: Client) -> None:
    """A full collection in the service's process shows in the generation-2 histogram."""
    before = await scrape(client)
    gc.collect()
    after = await scrape(client)
    count = ("dedup_gc_pause_seconds_count", labels(generation="2"))
    total = ("dedup_gc_pause_seconds_sum", labels(generation="2"))
    assert after[count] >= before.get(count, 0) + 1  # more, if one ran by itself meanwhile
    assert after[total] > before.get(total, 0)


def test_a_stopped_watch_sees_no_more_collections() -> None:
    """watch_pauses reports a collection with its generation and pause, and nothing once it
    is stopped."""
    seen: list[tuple[int, float]] = []
    stop = watch_pauses(lambda generation, seconds: seen.append((generation, seconds)))
    gc.collect(1)
    stop()
    heard = len(seen)
    gc.collect()
    generation, seconds = seen[-1]
    assert generation == 1 and seconds >= 0
    assert len(seen) == heard
