"""Shingle sets of a whole corpus, kept on disk instead of in memory.

A news article's shingle set (about 600 hashes, 4.8 KB) is larger than its text, so a bulk run
that kept every set in memory would grow with the corpus text after all. The spool appends each
batch's sets to a temporary file in input order and keeps only the offsets (8 bytes a document);
verification reads back just the documents that appear in candidate pairs, a chunk at a time.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

import numpy as np

_ITEM = 8  # bytes per uint64 hash
_LITTLE_ENDIAN = sys.byteorder == "little"  # the spool is little-endian whatever the host


class TempFileSpool:
    """A temporary file that one object appends to and reads back by offset, deleted on close.

    The shared part of the bulk job's spools: shingle sets, texts and output records.
    """

    def __init__(self, prefix: str, suffix: str, directory: str | os.PathLike[str] | None) -> None:
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=directory)
        self._path = Path(name)
        self._fd = fd

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]

    def _read(self, start: int, end: int) -> bytes:
        return read_exactly(self._fd, end - start, start)

    def close(self) -> None:
        """Delete the temporary file."""
        os.close(self._fd)
        self._path.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


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

    def seal(self) -> None:
        """Finish appending; after this, sets can be read back."""
        if self._offsets is None:
            sizes = np.concatenate(self._sizes) if self._sizes else np.empty(0, np.int64)
            self._offsets = np.zeros(sizes.shape[0] + 1, dtype=np.int64)
            np.cumsum(sizes, out=self._offsets[1:])
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
        fd = self._fd
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
                read_into(fd, target.view(np.uint8).data, offset)
            else:
                target[:] = np.frombuffer(read_exactly(fd, target.nbytes, offset), dtype="<u8")
        return flat, local

    def _sealed(self) -> np.ndarray:
        if self._offsets is None:
            raise ValueError("seal() the spool before reading from it")
        return self._offsets


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
