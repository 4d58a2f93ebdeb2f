"""One output file: written all at once or not at all where it is a file that can be replaced.

:func:`atomic_text_file` replaces a regular file atomically, writes through a symlink into the
file it points to, and writes straight into what cannot be replaced (a device, a FIFO);
:func:`output_text_file` adds ``-`` for standard output, as ``-`` is standard input among the
inputs.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from dedup.errors import InputError, StorageError

#: What a write, not a read, is refused with: the disk is full, a quota or size limit reached.
WRITE_REFUSALS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})

#: The name an output given as ``-`` is shown by in messages.
STDOUT_NAME = "standard output"


def refused_write(exc: OSError, shown: str) -> StorageError | None:
    """The error naming ``shown`` for an OSError that says a write was refused, else None.

    Writes to an open handle raise OSErrors that name no file; the caller that knows what the
    handle writes names it.
    """
    if exc.errno not in WRITE_REFUSALS:
        return None
    return StorageError(shown, f"cannot write it ({exc.strerror}); nothing of it was kept")


@contextlib.contextmanager
def atomic_text_file(path: str | os.PathLike[str]) -> Iterator[TextIO]:
    """A text handle whose content replaces the file at ``path`` only if the block ends without
    error.

    ``path`` is resolved first (:func:`os.path.realpath`): through a symlink it is the file the
    link points to that is replaced, and the link stays. Renaming over the link itself would
    turn it into a regular file and leave the file it pointed to stale.

    The data goes to a temporary file beside that file (same file system), is flushed to disk,
    and is renamed over it at the end; on an exception the temporary file is removed and the
    file is untouched. A directory where no file can be made, or ``path`` naming a directory,
    is an :class:`InputError`, a full disk a :class:`StorageError`, both naming ``path``.

    Where ``path`` exists and is not a regular file (a character device such as ``/dev/null``,
    a FIFO, a socket), the data is written straight into it, not atomically: there is no file
    to replace, and a rename would put a regular file in place of the device node or the pipe
    (as root, in place of the machine's ``/dev/stdout``). As with a shell's ``>``, a FIFO's
    open waits for its reader, the reader sees the data as it comes, and a failure part-way
    leaves what was written.
    """
    shown = os.fspath(path)
    target = Path(os.path.realpath(path))
    mode = _existing_mode(target, shown)
    if mode is not None and stat.S_ISDIR(mode):
        raise InputError("cannot write a file there: it is a directory", shown)
    if mode is not None and not stat.S_ISREG(mode):
        with _direct_text_file(target, shown) as handle:
            yield handle
        return
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise InputError(f"cannot write a file there: {exc.strerror}", shown) from None
    try:
        os.fchmod(fd, _mode_for(target))  # mkstemp's 0600 would hide the file from others
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and (refused := refused_write(exc, shown)):
            raise refused from exc
        raise


@contextlib.contextmanager
def output_text_file(path: str | os.PathLike[str]) -> Iterator[TextIO]:
    """:func:`atomic_text_file`, except that ``-`` is standard output (UTF-8, ``\\n`` newlines).

    ``-`` names standard input among the inputs, so a user giving it as the output means
    standard output, not a file named ``-``. That is a stream: it is written as the block
    writes, and a failure part-way leaves what was written. A write the system refuses (a
    full disk under a redirection) is a :class:`StorageError` naming standard output.
    """
    if os.fspath(path) != "-":
        with atomic_text_file(path) as handle:
            yield handle
        return
    sys.stdout.flush()  # what was printed before comes first
    stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
    try:
        yield stream
        stream.flush()
    except OSError as exc:
        if refused := refused_write(exc, STDOUT_NAME):
            raise refused from exc
        raise
    finally:
        with contextlib.suppress(OSError, ValueError):  # a failed flush is already raised
            stream.detach()  # standard output stays open for the rest of the program


def _existing_mode(target: Path, shown: str) -> int | None:
    """The ``st_mode`` of what is at ``target`` (symlinks resolved), None if nothing is."""
    try:
        return os.stat(target).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:  # a symlink loop, a path through a file, no permission
        raise InputError(f"cannot write a file there: {exc.strerror}", shown) from None


@contextlib.contextmanager
def _direct_text_file(target: Path, shown: str) -> Iterator[TextIO]:
    """A text handle writing straight into the device, FIFO or socket at ``target``."""
    try:
        handle = open(target, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
    except OSError as exc:  # a socket cannot be opened, a device may refuse
        raise InputError(f"cannot write to it: {exc.strerror}", shown) from None
    try:
        with handle:
            yield handle
    except OSError as exc:
        if refused := refused_write(exc, shown):
            raise refused from exc
        raise


def _mode_for(target: Path) -> int:
    """The permissions a file written to ``target`` gets: those of the file it replaces, or
    what ``open`` gives a new file (0666 less the process's umask)."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mask = os.umask(0o022)  # read by setting it, then set back at once
        os.umask(mask)
        return 0o666 & ~mask
