"""Every exception dedup raises on purpose, in one place.

Adapters translate these at the edge: the CLI turns them into a one-line message and exit code 2,
the service into a 4xx ``application/problem+json`` answer. Anything else escaping is a bug.
"""

from __future__ import annotations


class DedupError(Exception):
    """Base class of every error dedup raises deliberately."""


class ConfigError(DedupError, ValueError):
    """A setting is out of range or inconsistent (for example bands x rows > num_perm)."""


class ConfigMismatchError(DedupError):
    """An index was built with other settings than the ones it is opened or merged with."""

    def __init__(self, expected: str, found: str, where: str = "index") -> None:
        self.expected = expected
        self.found = found
        self.where = where
        super().__init__(
            f"{where} was built with config {found}, but config {expected} was requested; "
            "rebuild the index, or leave out the settings that differ (a command on an "
            "existing index takes the ones it was built with)"
        )

    def __reduce__(self) -> tuple[type[ConfigMismatchError], tuple[str, str, str]]:
        # Pickled as its constructor's arguments: the service's reader processes send errors
        # back to the parent, which answers them by type.
        return type(self), (self.expected, self.found, self.where)


def shown_path(path: str) -> str:
    """``path`` as an error message names it: as it is, or, if it holds a character that
    does not print (a line break, a tab, an undecodable byte's surrogate escape), quoted and
    escaped as a Python string literal, so that the message stays one line and can be echoed."""
    return path if path.isprintable() else repr(path)


class InputError(DedupError, ValueError):
    """Bad input data, located as precisely as we can (file and 1-based line)."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.path = path
        self.line = line
        where = ""
        if path is not None:
            shown = shown_path(path)
            where = f"{shown}:{line}: " if line is not None else f"{shown}: "
        super().__init__(f"{where}{message}")

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str | None, int | None]]:
        return type(self), (self.message, self.path, self.line)


class DocumentNotFoundError(DedupError, KeyError):
    """No document with that id is stored."""

    def __init__(self, doc_id: str) -> None:
        self.doc_id = doc_id
        super().__init__(doc_id)

    def __str__(self) -> str:
        return f"no document with id {self.doc_id!r}"


class ReadOnlyError(DedupError):
    """A write was asked of a collection opened read-only, or of one whose file cannot be
    written (its permissions, a read-only mount); nothing was written."""


class IndexBusyError(DedupError):
    """Another connection held the index's write lock for longer than this one waits for it
    (``busy_timeout``): a ``dedup bulk --db`` run holds it until its end. Nothing was written;
    the same write can be made again later."""

    def __init__(self, path: str, waited: float) -> None:
        self.path = path
        self.waited = waited
        super().__init__(
            f"{path}: another process is writing the index (this one waited {waited:g} s for "
            "its write lock; a `dedup bulk --db` run holds it to its end); nothing was written"
        )

    def __reduce__(self) -> tuple[type[IndexBusyError], tuple[str, float]]:
        return type(self), (self.path, self.waited)


class StorageError(DedupError):
    """The system refused to write (or read back) a file: a full disk, an I/O error, a file-size
    limit. What was being written is not kept: an index's transaction is rolled back, a run's
    outputs are staged and removed, its temporary files have no names. ``path`` names the file
    or directory; ``reason`` says what the system said."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")

    def __reduce__(self) -> tuple[type[StorageError], tuple[str, str]]:
        return type(self), (self.path, self.reason)


class IndexFullError(StorageError):
    """The disk holding the index is full (or the file reached a size limit): the write's
    transaction was rolled back, nothing of it was written."""

    def __init__(self, path: str) -> None:
        super().__init__(
            path, "the disk holding the index is full; nothing of this write was stored"
        )

    def __reduce__(self) -> tuple[type[IndexFullError], tuple[str]]:  # type: ignore[override]
        return type(self), (self.path,)


class IndexIOError(StorageError):
    """SQLite reported an I/O error on the index's files (a failing disk, a file-size limit, a
    file changed under it), writing or reading: a write's transaction was rolled back, nothing
    of it was written. ``code`` is SQLite's name for it (``SQLITE_IOERR_WRITE``, ...)."""

    def __init__(self, path: str, code: str) -> None:
        self.code = code
        super().__init__(path, f"an I/O error on the index's files ({code}); nothing was written")

    def __reduce__(self) -> tuple[type[IndexIOError], tuple[str, str]]:
        return type(self), (self.path, self.code)


class IndexCorruptError(StorageError):
    """SQLite found the index file damaged (``SQLITE_CORRUPT``: "database disk image is
    malformed"): pages overwritten or cut by something other than SQLite, such as a copy taken
    while it was written without its WAL file, a failing disk or an edit in place. Nothing was
    written; the file must be restored from a copy or built again. ``detail`` is SQLite's
    message."""

    def __init__(self, path: str, detail: str) -> None:
        self.detail = detail
        super().__init__(
            path,
            f"the index file is damaged ({detail}); nothing was written: restore a copy of "
            "it, or build it again with dedup bulk --db",
        )

    def __reduce__(self) -> tuple[type[IndexCorruptError], tuple[str, str]]:
        return type(self), (self.path, self.detail)
