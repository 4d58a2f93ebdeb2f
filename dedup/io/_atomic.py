"""One output file written all at once or not at all."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from dedup.errors import InputError, StorageError

#: What a write, not a read, is refused with: the disk is full, a quota or size limit reached.
WRITE_REFUSALS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


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
    """A text handle whose content replaces ``path`` only if the block ends without error.

    The data goes to a temporary file beside ``path`` (same file system), is flushed to disk,
    and is renamed over ``path`` at the end; on an exception the temporary file is removed and
    ``path`` is untouched. A directory where no file can be made is an :class:`InputError`, a
    full disk a :class:`StorageError`, both naming ``path``.
    """
    target = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or "."
        )
    except OSError as exc:
        raise InputError(f"cannot write a file there: {exc.strerror}", os.fspath(path)) from None
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
        if isinstance(exc, OSError) and (refused := refused_write(exc, os.fspath(path))):
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
