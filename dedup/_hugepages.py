"""Moving a long-lived process's in-memory indexes onto 2 MiB pages (Linux ``MADV_COLLAPSE``).

A service child holds its collection's inverted rows, several hundred MB at 100,000
documents, and every lookup lands at random places in them. On 4 KiB pages nearly each such
access misses the TLB and walks the page tables; on 2 MiB pages the whole index is a few
hundred TLB entries. numpy already asks for huge pages for each large array it allocates, but
the kernel grants them only to pages not yet touched (and this machine's setting is
``madvise``), while the indexes are built in the heap over pages that earlier temporary
arrays had touched: a reader of 100,000 documents held 45 MB of its 700 MB on huge pages.

``MADV_COLLAPSE`` (Linux 6.1) copies a range's pages into huge pages now, whatever the
system's THP setting, unless it is ``never``. Collapsing a 2 MiB block also fills in its pages
not yet touched, or handed back by :func:`dedup._malloc.release_free_memory`, so only blocks
at least half resident are collapsed. A service's children of 100,000 documents (learned
model) collapsed 530-620 MB each this way in 0.6-0.9 s and held up to 30 MB more; alone, the
writer's part of a post took 1.96 ms against 2.07 (nine rounds of 1,500 posts each way,
alternating, by hand), and the service took 312-394 posts a second at 16 clients against
300-359 (seven alternating pairs; README, session 19).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import mmap
import sys
from typing import BinaryIO

import numpy as np

_MADV_COLLAPSE = 25
_PAGE = 4096
_HUGE = 2 << 20
_PAGES_PER_HUGE = _HUGE // _PAGE
_PRESENT = np.uint64(1 << 63)
#: A 2 MiB block is collapsed when at least this many of its 512 pages are resident.
MIN_RESIDENT = 256  # half
#: Mappings smaller than this are not looked at: they hold no index.
MIN_MAPPING = 8 << 20


def collapse_into_huge_pages() -> int:
    """Collapse the 2 MiB blocks at least half resident of this process's large private anonymous
    mappings (the heap and numpy's own) into huge pages; the bytes collapsed, 0 where the
    kernel or the platform cannot (not Linux, pages other than 4 KiB and 2 MiB, a kernel
    before 6.1, THP ``never``).

    The application's call, once its long-lived memory is built: it takes about a second per
    700 MB, and pages freed later may split a huge page again.
    """
    if not sys.platform.startswith("linux") or mmap.PAGESIZE != _PAGE:
        return 0
    try:
        with open("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size") as size:
            if int(size.read()) != _HUGE:
                return 0
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        madvise = libc.madvise
        with open("/proc/self/maps") as maps:
            ranges = [_aligned(line) for line in maps]
        with open("/proc/self/pagemap", "rb") as pagemap:
            blocks = [
                b for lo, hi in ranges if hi - lo >= MIN_MAPPING for b in _resident(pagemap, lo, hi)
            ]
    except (OSError, ValueError):  # no /proc or /sys, no libc
        return 0
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    madvise.restype = ctypes.c_int
    collapsed = 0
    for lo, hi in blocks:
        if madvise(lo, hi - lo, _MADV_COLLAPSE) == 0:
            collapsed += hi - lo
        elif ctypes.get_errno() == errno.EINVAL:  # no MADV_COLLAPSE here, or THP off
            return collapsed
    return collapsed


def _aligned(line: str) -> tuple[int, int]:
    """The 2 MiB-aligned part of a private anonymous read-write mapping of ``/proc/self/maps``
    (empty for any other mapping)."""
    fields = line.split()
    if fields[1] != "rw-p" or (len(fields) > 5 and fields[5] != "[heap]"):
        return 0, 0
    lo, hi = (int(x, 16) for x in fields[0].split("-"))
    lo = -(-lo // _HUGE) * _HUGE
    hi = hi // _HUGE * _HUGE
    return (lo, hi) if hi > lo else (0, 0)


def _resident(pagemap: BinaryIO, lo: int, hi: int) -> list[tuple[int, int]]:
    """The runs of 2 MiB blocks in ``[lo, hi)`` with at least :data:`MIN_RESIDENT` pages
    resident, from ``/proc/self/pagemap`` (one 64-bit entry a page, bit 63 set when
    present)."""
    pagemap.seek(lo // _PAGE * 8)
    entries = np.frombuffer(pagemap.read((hi - lo) // _PAGE * 8), dtype=np.uint64)
    present = ((entries & _PRESENT) != 0).reshape(-1, _PAGES_PER_HUGE).sum(axis=1)
    dense = np.flatnonzero(present >= MIN_RESIDENT)
    if not len(dense):
        return []
    breaks = np.flatnonzero(np.diff(dense) != 1) + 1
    return [
        (lo + int(run[0]) * _HUGE, lo + (int(run[-1]) + 1) * _HUGE)
        for run in np.split(dense, breaks)
    ]
