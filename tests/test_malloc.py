"""Handing freed heap memory back to the kernel (``dedup._malloc``)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from dedup._malloc import release_free_memory


def _rss_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS line")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc and /proc only")
def test_free_pages_below_the_heap_top_go_back_to_the_kernel() -> None:
    """Blocks below glibc's mmap threshold come from the heap; freed while a later block
    keeps the heap's top in use, their pages stay with the process until trimmed."""
    blocks = [np.ones(8_000, dtype=np.float64) for _ in range(1_500)]  # 64 KB each, touched
    keep = blocks[-1]
    del blocks
    before = _rss_bytes()
    assert release_free_memory()
    assert before - _rss_bytes() > 48 << 20
    assert keep[0] == 1.0
