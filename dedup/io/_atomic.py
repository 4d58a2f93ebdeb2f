"""One output file written all at once or not at all."""

from __future__ import annotations

import contextlib
import errno
import os
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
