"""Moving resident memory onto 2 MiB pages (``dedup._hugepages``)."""

from __future__ import annotations

import ctypes
import mmap
import platform
import sys
from pathlib import Path

import pytest

from dedup._hugepages import collapse_into_huge_pages

MB = 1 << 20
_THP = Path("/sys/kernel/mm/transparent_hugepage/enabled")


def _can_collapse() -> bool:
    if not sys.platform.startswith("linux") or mmap.PAGESIZE != 4096 or not _THP.exists():
        return False
    major, minor = (int(x) for x in platform.release().split(".")[:2])
    return (major, minor) >= (6, 1) and "[never]" not in _THP.read_text()


pytestmark = pytest.mark.skipif(not _can_collapse(), reason="needs Linux 6.1+ with THP on")


def _private(size: int) -> mmap.mmap:
    """Private anonymous memory, as malloc's (``mmap.mmap(-1, size)`` alone is shared)."""
    return mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)


def _mapping(area: mmap.mmap) -> dict[str, int]:
    """The ``Rss`` and ``AnonHugePages`` (bytes) of the mapping that holds ``area``."""
    address = ctypes.addressof(ctypes.c_char.from_buffer(area))
    figures: dict[str, int] = {}
    inside = False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()[0]
        if "-" in head and not head.endswith(":"):
            lo, hi = (int(x, 16) for x in head.split("-"))
            inside = lo <= address < hi
        elif inside and head in ("Rss:", "AnonHugePages:"):
            figures[head[:-1]] = int(line.split()[1]) * 1024
    return figures


def test_a_resident_mapping_moves_onto_huge_pages_with_its_contents() -> None:
    area = _private(64 * MB)
    for page in range(0, len(area), mmap.PAGESIZE):  # touched page by page: 4 KiB pages
        area[page] = page // mmap.PAGESIZE % 251
    assert _mapping(area)["AnonHugePages"] < 4 * MB
    assert collapse_into_huge_pages() >= 60 * MB
    assert _mapping(area)["AnonHugePages"] >= 60 * MB
    assert all(area[p] == p // mmap.PAGESIZE % 251 for p in range(0, len(area), mmap.PAGESIZE))


def test_blocks_mostly_untouched_are_left_alone_and_not_filled_in() -> None:
    area = _private(64 * MB)
    half = len(area) // 2
    for page in range(0, half, mmap.PAGESIZE):
        area[page] = 1
    for page in range(half, len(area), 4 * mmap.PAGESIZE):  # a quarter of these pages
        area[page] = 1
    before = _mapping(area)
    collapse_into_huge_pages()
    after = _mapping(area)
    assert after["AnonHugePages"] >= 28 * MB  # the touched half, but for its ends
    assert after["Rss"] - before["Rss"] <= 2 * MB  # at most the block across the middle
