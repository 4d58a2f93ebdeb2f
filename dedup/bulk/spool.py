"""Shingle sets of a whole corpus, kept on disk instead of in memory.

A news article's shingle set (about 600 hashes, 4.8 KB) is larger than its text, so a bulk run
that kept every set in memory would grow with the corpus text after all. The spool appends each
batch's sets to a temporary file in input order and keeps only the offsets (8 bytes a document);
verification reads back just the documents that appear in candidate pairs, a chunk at a time.

A spool may span several files: process-parallel ingest (:mod:`dedup.bulk.procs`) has each
worker fill a :meth:`TempFileSpool.segment` of its own, and the segments read back as one
file in order, so that nothing is copied to put the workers' output together.
"""

from __future__ import annotations

import errno
import os
import sys
import tempfile
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import numpy as np

_ITEM = 8  # bytes per uint64 hash
_LITTLE_ENDIAN = sys.byteorder == "little"  # the spool is little-endian whatever the host


class TempFileSpool:
    """Temporary files that one object appends to and reads back by offset, deleted on close.

    The shared part of the bulk job's spools: shingle sets, texts and output records. Offsets
    address the concatenation of the spool's files (one, unless :meth:`segment` added more).
    """

    def __init__(self, prefix: str, suffix: str, directory: str | os.PathLike[str] | None) -> None:
        self._naming = (prefix, suffix, directory)
        self._files: list[tuple[int, Path]] = []
        self._ends: list[int] | None = None  # cumulative file sizes, computed when reading
        self._new_file()

    def _new_file(self) -> Path:
        prefix, suffix, directory = self._naming
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=directory)
        self._files.append((fd, Path(name)))
        self._ends = None
        return Path(name)

    def segment(self) -> Path:
        """A new empty file continuing the spool, for another process to fill by name.

        Its bytes come after everything before it, and before anything appended later; it is
        deleted on close like the rest, so a worker that dies leaves nothing behind.
        """
        return self._new_file()

    def _write(self, data: bytes) -> None:
        fd = self._files[-1][0]
        os.lseek(fd, 0, os.SEEK_END)  # the last file may be a segment another process filled
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        self._ends = None

    def _size(self) -> int:
        """Bytes in all the files together."""
        ends = self._layout()
        return ends[-1] if ends else 0

    def _layout(self) -> list[int]:
        if self._ends is None:
            ends, total = [], 0
            for fd, _ in self._files:
                total += os.fstat(fd).st_size
                ends.append(total)
            self._ends = ends
        return self._ends

    def _pieces(self, start: int, end: int) -> Iterator[tuple[int, int, int]]:
        """``(fd, offset in that file, length)`` of the bytes ``start:end``, file by file."""
        ends = self._layout()
        k = bisect_right(ends, start)
        while start < end:
            if k >= len(ends):
                raise OSError("spool ended early: a temporary file was truncated")
            stop = min(end, ends[k])
            if stop > start:
                yield self._files[k][0], start - (ends[k - 1] if k else 0), stop - start
            start = stop
            k += 1

    def _read(self, start: int, end: int) -> bytes:
        parts = [read_exactly(fd, n, offset) for fd, offset, n in self._pieces(start, end)]
        return parts[0] if len(parts) == 1 else b"".join(parts)  # b"" for no parts

    def _read_into(self, target: memoryview, start: int) -> None:
        done = 0
        for fd, offset, n in self._pieces(start, start + len(target)):
            read_into(fd, target[done : done + n], offset)
            done += n

    def _copy_out(self, ranges: Iterable[tuple[int, int]], target: IO[bytes]) -> None:
        """Append the bytes of each ``(start, end)`` range to ``target``, in order, copied by
        the kernel where it can.

        ``os.copy_file_range`` moves the bytes from file to file without passing them through
        this process. Where the kernel refuses (another filesystem on an older kernel, a target
        that is not a regular file) the bytes are read and written instead.
        """
        try:
            out = target.fileno()
        except (AttributeError, OSError, ValueError):  # not a file: bytes go through here
            out = -1
        else:
            target.flush()  # what the target buffered goes first
        moved = False
        for start, end in ranges:
            for fd, offset, n in self._pieces(start, end):
                while n and out >= 0:
                    try:
                        copied = os.copy_file_range(fd, out, n, offset)
                    except OSError as exc:
                        if exc.errno not in _NO_KERNEL_COPY:
                            raise
                        out = -1
                        break
                    if not copied:
                        raise OSError("spool ended early: a temporary file was truncated")
                    moved = True
                    offset += copied
                    n -= copied
                if n:
                    target.write(read_exactly(fd, n, offset))
        if moved:
            target.seek(0, os.SEEK_END)  # the buffered writer's position follows the file's

    def close(self) -> None:
        """Delete the temporary files."""
        for fd, path in self._files:
            os.close(fd)
            path.unlink(missing_ok=True)
        self._files = []

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def sealed_offsets(sizes: list[np.ndarray], nbytes: int, item: int = 1) -> np.ndarray:
    """Offsets (in items) from per-batch sizes, checked against the bytes the files hold.

    The check catches a segment that a worker filled with something else than it reported.
    """
    flat = np.concatenate(sizes) if sizes else np.empty(0, np.int64)
    offsets = np.zeros(flat.shape[0] + 1, dtype=np.int64)
    np.cumsum(flat, out=offsets[1:])
    if int(offsets[-1]) * item != nbytes:
        raise OSError(
            f"spool holds {nbytes} bytes, its entries say {int(offsets[-1]) * item}: "
            "a temporary file was changed or truncated"
        )
    return offsets


class ShingleSpool(TempFileSpool):
    """Append-only store of per-document shingle sets, addressed by input position."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        super().__init__("dedup-shingles-", ".u64", directory)
        self._sizes: list[np.ndarray] = []
        self._offsets: np.ndarray | None = None

    def append(self, shingles: np.ndarray, offsets: np.ndarray) -> None:
        """Add a batch: ``shingles[offsets[i]:offsets[i + 1]]`` is the batch's document ``i``."""
        if self._offsets is not None:
            raise ValueError("the spool is closed for appending")
        self._write(np.ascontiguousarray(shingles, dtype="<u8").tobytes())
        self._sizes.append(np.diff(offsets).astype(np.int64))

    def extend(self, sizes: np.ndarray) -> None:
        """Count in documents whose sets another process wrote to a :meth:`segment`.

        ``sizes`` are their set sizes in order; calls follow the order of the segments.
        """
        if self._offsets is not None:
            raise ValueError("the spool is closed for appending")
        self._sizes.append(np.asarray(sizes, dtype=np.int64))

    def seal(self) -> None:
        """Finish appending; after this, sets can be read back."""
        if self._offsets is None:
            self._offsets = sealed_offsets(self._sizes, self._size(), _ITEM)
            self._sizes = []

    @property
    def sizes(self) -> np.ndarray:
        """Number of distinct shingles of every document."""
        sizes: np.ndarray = np.diff(self._sealed())
        return sizes

    def load(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The sets of ``docs`` (sorted unique positions) as ``(flat, offsets)`` in that order.

        Runs of consecutive documents are read with one call each.
        """
        offsets = self._sealed()
        docs = np.asarray(docs, dtype=np.int64)
        starts = offsets[docs]
        ends = offsets[docs + 1]
        local = np.zeros(docs.shape[0] + 1, dtype=np.int64)
        np.cumsum(ends - starts, out=local[1:])
        flat = np.empty(int(local[-1]), dtype=np.uint64)
        # Group consecutive positions into runs that are contiguous on disk.
        breaks = np.flatnonzero(np.diff(docs) != 1) + 1
        for run in np.split(np.arange(docs.shape[0]), breaks):
            if run.size == 0:
                continue
            first, last = int(run[0]), int(run[-1])
            if ends[last] == starts[first]:
                continue
            target = flat[local[first] : local[last + 1]]
            offset = int(starts[first]) * _ITEM
            if _LITTLE_ENDIAN:  # the file's byte order: read straight into the array
                self._read_into(target.view(np.uint8).data, offset)
            else:
                end = offset + target.nbytes
                target[:] = np.frombuffer(self._read(offset, end), dtype="<u8")
        return flat, local

    def _sealed(self) -> np.ndarray:
        if self._offsets is None:
            raise ValueError("seal() the spool before reading from it")
        return self._offsets


#: Errors of ``os.copy_file_range`` that mean "not here", after which bytes are copied by hand.
_NO_KERNEL_COPY = frozenset(
    {errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EBADF}
)


def read_into(fd: int, target: memoryview, offset: int) -> None:
    """Fill ``target`` from ``offset`` with ``os.preadv``, without an intermediate copy.

    Loops because Linux returns at most about 2 GiB per call.
    """
    done = 0
    while done < len(target):
        got = os.preadv(fd, [target[done:]], offset + done)
        if not got:
            raise OSError("shingle spool ended early: the temporary file was truncated")
        done += got


def read_exactly(fd: int, nbytes: int, offset: int) -> bytes:
    """``os.pread`` until ``nbytes`` arrived (Linux returns at most about 2 GiB per call)."""
    parts: list[bytes] = []
    while nbytes:
        chunk = os.pread(fd, nbytes, offset)
        if not chunk:
            raise OSError("shingle spool ended early: the temporary file was truncated")
        parts.append(chunk)
        nbytes -= len(chunk)
        offset += len(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)
