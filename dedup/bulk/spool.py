"""Shingle sets of a whole corpus, kept on disk instead of in memory.

A news article's shingle set (about 600 hashes, 4.8 KB) is larger than its text, so a bulk run
that kept every set in memory would grow with the corpus text after all. The spool appends each
batch's sets to a temporary file in input order and keeps only the offsets (8 bytes a document);
verification walks the sets of the documents in candidate pairs either where they lie, with
the files mapped (:meth:`ShingleSpool.mapped`), or read into arrays a chunk at a time
(:meth:`ShingleSpool.load`) when the spool is larger than the memory the stage may hold.

A spool may span several files: process-parallel ingest (:mod:`dedup.bulk.procs`) has each
worker fill a :meth:`TempFileSpool.segment` of its own, and the segments read back as one
file in order, so that nothing is copied to put the workers' output together.

Mapping instead of reading takes the verify stage of a 100,000-document run from 1.00 to
0.74 s on one thread, 0.80 to 0.41 s on two (``python -m benchmarks.bulk_parts``, in a warm
process; in the job's fresh one reading costs more, the arrays being memory it never touched).
But every page of a mapped file that is
touched counts in the process's resident memory, and the kernel maps pages around the one
asked for: walking the scattered sets of 1,000,000 documents mapped nearly all of a 4.8 GB
spool (RSS 9.6 GB, of it 7.6 GB file pages). Hence the size rule in the verify stage.
"""

from __future__ import annotations

import errno
import mmap
import os
import sys
import tempfile
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import numpy as np

from dedup.errors import StorageError

_ITEM = 8  # bytes per uint64 hash
_LITTLE_ENDIAN = sys.byteorder == "little"  # the spool is little-endian whatever the host


def spool_error(directory: str, exc: OSError) -> StorageError:
    """The error for a write to a spool's files that the system refused (a full disk, a
    file-size limit): the files have no names, so it names their directory."""
    return StorageError(
        directory,
        f"cannot write the run's temporary files ({exc.strerror or exc}); "
        "TMPDIR chooses where they go",
    )


class TempFileSpool:
    """Temporary files that one object appends to and reads back by offset, deleted on close.

    The shared part of the bulk job's spools: shingle sets, texts and output records. Offsets
    address the concatenation of the spool's files (one, unless :meth:`segment` added more).
    """

    def __init__(self, prefix: str, suffix: str, directory: str | os.PathLike[str] | None) -> None:
        self._naming = (prefix, suffix, directory)
        self._files: list[tuple[int, Path | None]] = []  # (descriptor, name while it has one)
        self._ends: list[int] | None = None  # cumulative file sizes, computed when reading
        self._new_file(named=False)

    def _new_file(self, named: bool) -> Path:
        """A new file of the spool; unless ``named``, its name is removed at once.

        A file without a name lives as long as a descriptor to it is open: a process killed
        (SIGKILL, the machine's OOM killer) leaves none of a spool's gigabytes behind.
        """
        prefix, suffix, directory = self._naming
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=directory)
        path: Path | None = Path(name)
        if not named:
            try:
                os.unlink(name)
            except OSError:  # a system that cannot remove an open file keeps the name
                pass
            else:
                path = None
        self._files.append((fd, path))
        self._ends = None
        return Path(name)

    def segment(self, named: bool = True) -> Path:
        """A new empty file continuing the spool, for another process to fill.

        Its bytes come after everything before it, and before anything appended later. With
        ``named`` the file keeps its name until :meth:`close`, for a process that opens it
        by that name. Without, the name is removed at once, and the path returned is
        ``/proc/self/fd/N``: it opens the file in this process and in any process forked from
        it after this call (Linux only), and a run killed before its end leaves nothing.
        """
        path = self._new_file(named)
        fd, kept = self._files[-1]
        return path if kept is not None else Path(f"/proc/self/fd/{fd}")

    def _write(self, data: bytes | memoryview) -> None:
        fd = self._files[-1][0]
        view = memoryview(data)
        try:
            os.lseek(fd, 0, os.SEEK_END)  # the last file may be a segment another process filled
            while view:
                view = view[os.write(fd, view) :]
        except OSError as exc:
            raise spool_error(self.directory, exc) from exc
        self._ends = None

    @property
    def directory(self) -> str:
        """The directory the spool's files are made in."""
        return os.fspath(self._naming[2] or tempfile.gettempdir())

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

    def _maps(self) -> list[tuple[int, mmap.mmap | None]]:
        """Every file's size in bytes and a read-only mapping of it (``None`` when empty).

        A mapping lasts as long as something refers to it, even after :meth:`close`.
        """
        maps: list[tuple[int, mmap.mmap | None]] = []
        for fd, _ in self._files:
            size = os.fstat(fd).st_size
            maps.append((size, mmap.mmap(fd, size, access=mmap.ACCESS_READ) if size else None))
        return maps

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
            if path is not None:
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


@dataclass(frozen=True, slots=True)
class MappedSets:
    """The shingle sets of a sealed spool, mapped: document ``d``'s sorted unique hashes are
    ``arrays[files[d]][starts[d]:ends[d]]``."""

    arrays: list[np.ndarray]  # uint64, one per spool file (a file's hashes, in order)
    files: np.ndarray  # int64 per document: which file holds its set
    starts: np.ndarray  # int64 per document, in hashes from the start of that file
    ends: np.ndarray

    def set(self, doc: int) -> np.ndarray:
        """The set of document ``doc`` (a view of the mapping)."""
        return self.arrays[int(self.files[doc])][int(self.starts[doc]) : int(self.ends[doc])]


def _places(offsets: np.ndarray, file_ends: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """File, start and end within it of every set, from offsets into the files' concatenation.

    A batch is written whole to one file, so no set spans two; checked, as a truncated or
    rewritten file would otherwise send a walk into another file's hashes.
    """
    ends_items = np.asarray(file_ends, dtype=np.int64) // _ITEM
    firsts = np.concatenate(([0], ends_items[:-1])).astype(np.int64)
    starts, ends = offsets[:-1], offsets[1:]
    # The file whose range holds the set's first hash; an empty set at the very end goes to
    # the last file (it reads nothing either way).
    files = np.minimum(np.searchsorted(ends_items, starts, side="right"), len(file_ends) - 1)
    files = files.astype(np.int64)
    if np.any(ends > ends_items[files]) or np.any(starts < firsts[files]):
        raise OSError("a shingle set spans two spool files: a temporary file was changed")
    return files, starts - firsts[files], ends - firsts[files]


class ShingleSpool(TempFileSpool):
    """Append-only store of per-document shingle sets, addressed by input position."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        super().__init__("dedup-shingles-", ".u64", directory)
        self._sizes: list[np.ndarray] = []
        self._offsets: np.ndarray | None = None
        self._places: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def append(self, shingles: np.ndarray, offsets: np.ndarray) -> None:
        """Add a batch: ``shingles[offsets[i]:offsets[i + 1]]`` is the batch's document ``i``."""
        if self._offsets is not None:
            raise ValueError("the spool is closed for appending")
        self._write(np.ascontiguousarray(shingles, dtype="<u8").data.cast("B"))
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

    @property
    def nbytes(self) -> int:
        """Bytes of all the sets together (what mapping them all may make resident)."""
        return int(self._sealed()[-1]) * _ITEM

    def load(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The sets of ``docs`` (sorted unique positions) read into one array, as
        ``(flat, offsets)`` in that order. Runs of consecutive documents take one read each.
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

    def mapped(self) -> MappedSets:
        """Every set, read-only where it lies in the spool's files: nothing is read or copied.

        The mapping ends when the returned object (and every array taken from it) is dropped;
        until then the pages touched, and pages around them, count in the process's resident
        memory (as page cache, which the kernel can reclaim): up to :attr:`nbytes`.
        """
        offsets = self._sealed()
        if self._places is None:
            self._places = _places(offsets, self._layout())
        files, starts, ends = self._places
        arrays = []
        for size, mapping in self._maps():
            if mapping is None:
                arrays.append(np.empty(0, dtype=np.uint64))
                continue
            view = np.frombuffer(mapping, dtype="<u8", count=size // _ITEM)
            # The compiled kernels take native byte order only: a big-endian host copies.
            arrays.append(view if _LITTLE_ENDIAN else view.astype(np.uint64))
        return MappedSets(arrays, files, starts, ends)

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
