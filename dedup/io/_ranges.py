"""Byte ranges of a file that start and end at line boundaries, for reading it in parallel.

Process-parallel ingest (:mod:`dedup.bulk.procs`) gives each worker a range of a JSON Lines
file; every line lies wholly in one range, so a worker parses exactly the lines a sequential
read would, and the ranges in order are the file in order.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from typing import IO

_SCAN = 1 << 16  # bytes read at a time while looking for the end of a line


def line_ranges(path: str | os.PathLike[str], parts: int) -> list[tuple[int, int]]:
    """Split a file into at most ``parts`` ranges ``(start, end)`` of about equal size.

    Each range starts at the start of a line and ends just after a ``\\n`` (so a CRLF stays
    whole) or at the end of the file; together they cover it in order, none is empty. A line
    longer than a range swallows the cuts that fall inside it: fewer ranges, never a split line.
    """
    if parts < 1:
        raise ValueError("parts must be at least 1")
    size = os.path.getsize(path)
    cuts = [0]
    with open(path, "rb") as handle:
        for k in range(1, parts):
            target = k * size // parts
            if target <= cuts[-1]:
                continue  # inside the line that ended the previous range
            cut = _line_end(handle, target - 1)
            if cut >= size:
                break
            cuts.append(cut)
    if size > 0:
        cuts.append(size)
    return list(itertools.pairwise(cuts))


def _line_end(handle: IO[bytes], position: int) -> int:
    """The offset just after the first ``\\n`` at or after ``position`` (or the end of file)."""
    handle.seek(position)
    while chunk := handle.read(_SCAN):
        found = chunk.find(b"\n")
        if found >= 0:
            return position + found + 1
        position += len(chunk)
    return position


def range_lines(handle: IO[bytes], start: int, end: int) -> Iterator[bytes]:
    """The raw lines (endings kept) of ``handle``'s bytes ``start:end``, one at a time."""
    handle.seek(start)
    remaining = end - start
    while remaining > 0:
        line = handle.readline(remaining)
        if not line:
            return  # the file shrank since the ranges were made: its lines end here
        remaining -= len(line)
        yield line
