"""The SQLite index's connection: opening the file, taking its write lock and writing, with
SQLite's errors turned into the library's (:mod:`dedup.errors`)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from dedup._snapshot import SnapshotConnection
from dedup.errors import (
    ConfigError,
    DedupError,
    IndexBusyError,
    IndexCorruptError,
    IndexFullError,
    IndexIOError,
    InputError,
    ReadOnlyError,
)

#: How long a write waits for another connection's write lock by default, in seconds.
DEFAULT_BUSY_TIMEOUT = 10.0
#: The longest wait for another connection's write lock a caller may ask for, in seconds.
MAX_BUSY_TIMEOUT = 86400.0


def connect(where: str, busy_timeout: float, *, readonly: bool = False) -> SnapshotConnection:
    """A connection to the SQLite file ``where`` in autocommit mode, waiting up to
    ``busy_timeout`` seconds for another connection's lock before giving up (its reads of
    several statements take a snapshot: :mod:`dedup._snapshot`).

    ``readonly``: the file must exist (it is not made), and where no file can be made beside it
    (a read-only mount, a snapshot, a directory this user may not write) it is opened
    immutable, since SQLite cannot make the WAL and shared-memory files a WAL-mode file is read
    through there. Immutable, SQLite takes the file for one nobody writes (a snapshot), so one
    whose WAL file holds commits is refused: the read would leave them out. A file a writer
    has open has those files beside it, and is read through them (its commits seen) without
    coming to this; a writer that opens it later, one whose user may write the directory, is
    not followed: serve a copy nobody writes."""
    if isinstance(busy_timeout, bool) or not isinstance(busy_timeout, int | float):
        raise ConfigError(f"busy_timeout must be a number of seconds, got {busy_timeout!r}")
    if not 0 <= busy_timeout <= MAX_BUSY_TIMEOUT:  # (a NaN fails this too)
        raise ConfigError(f"busy_timeout must be 0-{MAX_BUSY_TIMEOUT:g} s, got {busy_timeout}")
    if readonly and where != ":memory:" and not os.path.isfile(where):
        raise InputError("no such file (a collection opened read-only is not made)", where)
    try:
        return _connect(where, busy_timeout, where)
    except InputError as error:
        if not (_unable_to_open(error) and os.path.isfile(where)):  # else: a missing directory
            raise
        if not readonly:
            message = "cannot open it to write (is its directory writable?): open it read-only"
            raise InputError(message, where) from error
    wal = Path(where + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise InputError(
            "its directory cannot be written and its WAL file holds commits: open it read-write "
            "once where it can be written (which moves them into the file), then serve that copy",
            where,
        )
    immutable = Path(where).resolve().as_uri() + "?mode=ro&immutable=1"
    return _connect(immutable, busy_timeout, where, uri=True)


def _connect(target: str, busy_timeout: float, where: str, uri: bool = False) -> SnapshotConnection:
    # One thread at a time uses a connection, but not always the one that opened it (a
    # service opens its connections, then hands each to its own worker thread).
    try:
        conn = sqlite3.connect(
            target,
            isolation_level=None,
            check_same_thread=False,
            uri=uri,
            factory=SnapshotConnection,
        )
    except sqlite3.OperationalError as exc:  # say, a directory that does not exist
        raise InputError(f"cannot open the database ({exc})", where) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {round(busy_timeout * 1000)}")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_NOTADB:
            raise InputError(f"not an SQLite database ({exc})", where) from exc
        raise InputError(f"cannot read the database ({exc})", where) from exc
    return conn


#: SQLite's codes for a WAL-mode file whose WAL or shared-memory file it cannot make beside it:
#: ``SQLITE_CANTOPEN`` where the system refuses any new file there (a read-only mount, a
#: directory made immutable), ``SQLITE_READONLY_DIRECTORY`` where the directory's permissions
#: refuse this user (no override capability, as for root).
_CANNOT_MAKE_BESIDE = frozenset({sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY_DIRECTORY})


def _unable_to_open(error: InputError) -> bool:
    """Whether SQLite could not open the file for want of the files it makes beside it
    (:data:`_CANNOT_MAKE_BESIDE`)."""
    cause = error.__cause__
    return isinstance(cause, sqlite3.Error) and (
        getattr(cause, "sqlite_errorcode", 0) in _CANNOT_MAKE_BESIDE
    )


#: Once a write has waited its whole ``busy_timeout`` in vain, the next ones wait this long
#: at most (seconds), until one gets the lock: a ``dedup bulk --db`` run holds it for minutes,
#: and a service's writes behind the first should be told so at once, not each after the
#: whole wait (the writer thread would spend that wait on every batch).
RETRY_WAIT = 0.5


class WriteLock:
    """Beginning write transactions on one connection (``BEGIN IMMEDIATE``: the lock is taken
    up front, so a write waits for another connection's instead of failing half-way)."""

    def __init__(self, conn: sqlite3.Connection, where: str, busy_timeout: float) -> None:
        self._conn = conn
        self._where = where
        self._timeout = busy_timeout
        self._wait = busy_timeout  # what the connection's busy_timeout is now

    def begin(self) -> None:
        """Begin one, waiting up to the connection's wait for the lock, or raise
        :class:`IndexBusyError` (nothing is written then; see :data:`RETRY_WAIT`)."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF != sqlite3.SQLITE_BUSY:
                raise
            waited = self._wait
            self._set_wait(min(self._timeout, RETRY_WAIT))
            raise IndexBusyError(self._where, waited) from exc
        if self._wait != self._timeout:
            self._set_wait(self._timeout)

    def _set_wait(self, seconds: float) -> None:
        self._conn.execute(f"PRAGMA busy_timeout = {round(seconds * 1000)}")
        self._wait = seconds


class storage_errors_raised:  # named as the with statement reads it
    """Inside the block, SQLite's errors that speak of the file at ``where`` are raised as the
    library's (:func:`storage_error`); the others as they are.

    A class rather than a generator: every transaction, savepoint and collection verb enters
    one, and a class's enter and exit cost a fraction of a generator's."""

    __slots__ = ("_where",)

    def __init__(self, where: str) -> None:
        self._where = where

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, trace: object) -> None:
        if isinstance(exc, sqlite3.Error):
            translated = storage_error(exc, self._where)
            if translated is not None:
                raise translated from exc


def storage_error(error: BaseException, where: str) -> DedupError | None:
    """The library's error for what SQLite's ``error`` (or one it was raised while handling:
    a savepoint's release after SQLite rolled the transaction back) says of the file: full
    (:class:`IndexFullError`), failing (:class:`IndexIOError`: a disk's I/O error, a file-size
    limit), damaged (:class:`IndexCorruptError`) or not writable (:class:`ReadOnlyError`); None
    for the rest."""
    seen: BaseException | None = error
    while isinstance(seen, sqlite3.Error):
        code = getattr(seen, "sqlite_errorcode", 0) & 0xFF
        if code == sqlite3.SQLITE_FULL:
            return IndexFullError(where)
        if code == sqlite3.SQLITE_IOERR:
            return IndexIOError(where, getattr(seen, "sqlite_errorname", "SQLITE_IOERR"))
        if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            return IndexCorruptError(where, str(seen))
        if code == sqlite3.SQLITE_READONLY:
            return ReadOnlyError(
                f"{where}: the index file cannot be written (its permissions or a read-only "
                "mount); nothing was written"
            )
        seen = seen.__context__
    return None
