"""The service's pools hand every job's outcome to the event loop once, and free its place."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from dedup.collection import Collection
from service.batches import BatchedPool, LocalWriter
from service.pools import CollectionPool
from tests.service_support import hold


def _collections(tmp_path: Path) -> Callable[[], Collection]:
    Collection.open(tmp_path / "c.db").close()  # the file and its tables
    return lambda: Collection.open(tmp_path / "c.db", readonly=True)


@contextmanager
def _wake_ups() -> Iterator[list[int]]:
    """Count the loop's wake-ups from other threads while the block runs."""
    loop = asyncio.get_running_loop()
    count = [0]
    original = loop.call_soon_threadsafe

    def counting(*args: Any, **kwargs: Any) -> Any:
        count[0] += 1
        return original(*args, **kwargs)

    loop.call_soon_threadsafe = counting  # type: ignore[method-assign]
    try:
        yield count
    finally:
        del loop.call_soon_threadsafe  # the class's method again


async def test_a_job_answers_its_result_and_an_error_its_error(tmp_path: Path) -> None:
    pool: CollectionPool[Collection] = CollectionPool(
        "readers", _collections(tmp_path), threads=2, queue_size=4
    )
    await pool.start()
    try:
        assert await pool.run(len) == 0

        def fail(_: Collection) -> None:
            raise ValueError("no such thing")

        with pytest.raises(ValueError, match="no such thing"):
            await pool.run(fail)
        assert pool.depth == 0 and pool.running == 0
    finally:
        await pool.stop()


async def test_a_job_whose_caller_went_away_does_not_run_and_frees_its_place(
    tmp_path: Path,
) -> None:
    pool: CollectionPool[Collection] = CollectionPool(
        "readers", _collections(tmp_path), threads=1, queue_size=1
    )
    await pool.start()
    release = threading.Event()
    ran: list[str] = []
    try:
        held = hold(pool, release)
        await asyncio.sleep(0.05)
        gone = asyncio.ensure_future(pool.run(lambda _: ran.append("gone")))
        await asyncio.sleep(0.05)
        gone.cancel()
        with pytest.raises(asyncio.CancelledError):
            await gone
        # Its place is free at once, while the one thread is still held: another job is
        # accepted, not answered 503.
        after = asyncio.ensure_future(pool.run(len))
        await asyncio.sleep(0.05)
        assert not after.done()
        release.set()
        assert await after == 0
        await held
        # Both places are free again: two jobs are accepted at once.
        assert await asyncio.gather(pool.run(len), pool.run(len)) == [0, 0]
        assert ran == []
        assert pool.depth == 0 and pool.running == 0
    finally:
        release.set()
        await pool.stop()


async def test_a_writers_batch_is_answered_with_one_wake_up_of_the_loop(tmp_path: Path) -> None:
    """Six posts committed together reach the loop together: a wake-up is a byte written to
    the loop's self-pipe and the loop's turn to read it (two a job, before)."""
    Collection.open(tmp_path / "c.db").close()
    pool: BatchedPool[Collection] = BatchedPool(
        "writer",
        lambda: LocalWriter(Collection.open(tmp_path / "c.db")),
        queue_size=8,
        batch=8,
    )
    await pool.start()
    release = threading.Event()
    try:
        with _wake_ups() as wake_ups:
            held = hold(pool, release)
            await asyncio.sleep(0.05)
            batch = [asyncio.ensure_future(pool.run(len)) for _ in range(6)]
            await asyncio.sleep(0.05)
            release.set()
            assert await asyncio.gather(*batch) == [0] * 6
            await held
        assert wake_ups[0] <= 2  # the held job's, then the batch's
    finally:
        release.set()
        await pool.stop()
