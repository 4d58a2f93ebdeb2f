"""The SQLite index's connection: opening the file, taking its write lock and writing, with
SQLite's errors turned into the library's (:mod:`dedup.errors`)."""

from __future__ import annotations

import sqlite3

from dedup.errors import ConfigError, IndexBusyError, IndexFullError, InputError

#: The longest wait for another connection's write lock a caller may ask for, in seconds.
MAX_BUSY_TIMEOUT = 86400.0


def connect(where: str, busy_timeout: float) -> sqlite3.Connection:
    """A connection to the SQLite file ``where`` in autocommit mode, waiting up to
    ``busy_timeout`` seconds for another connection's lock before giving up."""
    if isinstance(busy_timeout, bool) or not isinstance(busy_timeout, int | float):
        raise ConfigError(f"busy_timeout must be a number of seconds, got {busy_timeout!r}")
    if not 0 <= busy_timeout <= MAX_BUSY_TIMEOUT:  # (a NaN fails this too)
        raise ConfigError(f"busy_timeout must be 0-{MAX_BUSY_TIMEOUT:g} s, got {busy_timeout}")
    # One thread at a time uses a connection, but not always the one that opened it (a
    # service opens its connections, then hands each to its own worker thread).
    try:
        conn = sqlite3.connect(where, isolation_level=None, check_same_thread=False)
    except sqlite3.OperationalError as exc:  # say, a directory that does not exist
        raise InputError(f"cannot open the database ({exc})", where) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {round(busy_timeout * 1000)}")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise InputError(f"not an SQLite database ({exc})", where) from exc
    return conn


def begin_immediate(conn: sqlite3.Connection, where: str, busy_timeout: float) -> None:
    """Begin a write transaction, its lock taken now: :class:`IndexBusyError` if another
    connection held it all ``busy_timeout`` seconds (nothing is written then)."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF != sqlite3.SQLITE_BUSY:
            raise
        raise IndexBusyError(where, busy_timeout) from exc


def full_disk(error: BaseException, where: str) -> IndexFullError | None:
    """:class:`IndexFullError` if SQLite's ``error`` (or one it was raised while handling: a
    savepoint's release after SQLite rolled the transaction back) says the disk is full."""
    seen: BaseException | None = error
    while isinstance(seen, sqlite3.Error):
        if getattr(seen, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_FULL:
            return IndexFullError(where)
        seen = seen.__context__
    return None
