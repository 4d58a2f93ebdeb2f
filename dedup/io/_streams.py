"""Byte streams to numbered text lines: opening inputs, gzip sniffing, BOM and UTF-8 checks.

Everything works line by line so that memory never depends on the size of an input file, and so
that every decoding problem can be reported with the 1-based line it happened on.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING

from dedup.errors import InputError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
_BUFFER_SIZE = 1 << 16
# Zero-width: just after a CR that no LF follows (a CR at the end of a line is the file's end).
_AFTER_LONE_CR = re.compile(rb"(?<=\r)(?!\n)")


class _PushbackReader(io.RawIOBase):
    """A raw reader that replays bytes already taken from ``source``, then continues with it.

    Sniffing the gzip magic on a pipe (stdin, ``<(zcat ...)``) consumes bytes that cannot be
    un-read with ``seek``; this puts them back without reading anything ahead.
    """

    def __init__(self, head: bytes, source: IO[bytes]) -> None:
        super().__init__()
        self._head = head
        self._source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            chunk = self._head[: len(view)]
            self._head = self._head[len(chunk) :]
        else:
            # read1 returns what a pipe has now instead of waiting for a full buffer, so a slow
            # producer's documents are not held back.
            read = getattr(self._source, "read1", self._source.read)
            chunk = read(len(view))
        view[: len(chunk)] = chunk
        return len(chunk)


def sniff_gzip(source: IO[bytes]) -> tuple[bool, IO[bytes]]:
    """Tell whether ``source`` starts with the gzip magic; return a stream that still does."""
    if source.seekable():
        start = source.tell()
        head = source.read(len(GZIP_MAGIC))
        source.seek(start)
        return head == GZIP_MAGIC, source
    head = source.read(len(GZIP_MAGIC))
    stream = io.BufferedReader(_PushbackReader(head, source), _BUFFER_SIZE)
    return head == GZIP_MAGIC, stream


def gunzip(source: IO[bytes]) -> gzip.GzipFile:
    """Decompress lazily; corruption surfaces while iterating, see :func:`decoded_lines`."""
    return gzip.GzipFile(fileobj=source, mode="rb")


def numbered_lines(stream: Iterable[bytes], path: str) -> Iterator[tuple[int, bytes]]:
    """Yield ``(line number, raw line)`` with the line ending kept, one line at a time.

    Corrupt or truncated gzip data is an :class:`InputError` on the line where it occurs.
    """
    lines = iter(stream)
    lineno = 0
    while True:
        try:
            raw = next(lines)
        except StopIteration:
            return
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise InputError(f"corrupt or truncated gzip data: {exc}", path, lineno + 1) from None
        lineno += 1
        yield lineno, raw


def decoded_lines(stream: Iterable[bytes], path: str) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, line)`` with the line ending kept, one line in memory at a time.

    A UTF-8 byte order mark at the very start is dropped (editors on Windows add it); anything
    that is not strict UTF-8, and any corrupt or truncated gzip data, is an :class:`InputError`
    on the line where it occurs.
    """
    for lineno, raw in numbered_lines(stream, path):
        yield lineno, decode_line(raw, path, lineno)


def decode_line(raw: bytes, path: str, lineno: int) -> str:
    """One raw line as text: strict UTF-8, a BOM dropped from line 1 (see :func:`decoded_lines`).

    Separate so that readers which get their lines elsewhere (the Spark engine's executors)
    accept and reject exactly the same bytes, with the same message.
    """
    if lineno == 1 and raw.startswith(UTF8_BOM):
        raw = raw[len(UTF8_BOM) :]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"invalid UTF-8: byte 0x{raw[exc.start]:02x} at byte {exc.start + 1} of the line",
            path,
            lineno,
        ) from None


def text_lines(lines: Iterable[tuple[int, bytes]]) -> Iterator[tuple[int, bytes]]:
    """The lines of a text file, where a lone CR ends a line as LF and CRLF do: renumbered,
    line endings kept.

    Text is split into paragraphs on the same three line ends (:mod:`dedup.paragraphs`), so a
    file saved with classic Mac line ends is a dump of articles, and its errors name the line
    an editor shows, as with the other two. JSON Lines are split on LF only, as the format
    says. Splitting bytes is safe: no UTF-8 sequence holds the byte 0x0d but CR itself.
    """
    number = 0
    for _, raw in lines:
        pieces = _AFTER_LONE_CR.split(raw) if b"\r" in raw else (raw,)
        for piece in pieces:
            if piece:
                number += 1
                yield number, piece
