"""The SQLite index: one file, WAL mode; its tables are kept by :mod:`dedup.index._sqlite_store`."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path

from dedup.config import Config
from dedup.errors import DedupError
from dedup.index._as_run import place_as_run
from dedup.index._connect import DEFAULT_BUSY_TIMEOUT, connect, storage_errors_raised
from dedup.index._sqlite_store import Hook, SQLiteStore
from dedup.index.base import DEFAULT_BUCKET_CAP
from dedup.index.core import IndexCore


class SQLiteIndex(IndexCore):
    """An index in one SQLite file (created if missing).

    ``config=None`` opens an existing index with the config it was built with (the default
    config for a new file); a config whose :attr:`Config.id` differs from the stored one raises
    :class:`ConfigMismatchError`.

    ``cache_mb`` bounds SQLite's page cache, ``bulk_cache_mb`` the same while
    :meth:`~dedup.index.core.IndexCore.add_many` runs. A bulk insert is one transaction that
    updates the ``documents`` indexes at random places and streams the fingerprint blobs
    (about 5.7 KB per document) past them, so it gains from a cache that holds the whole
    transaction, while a long-lived reader (a service may keep several) would only fill a big
    cache with blobs it reads once. Pages are allocated as they are used and given back when
    the bulk insert ends. Band buckets are looked up in memory (:mod:`dedup.index._bands`).

    One connection per instance, used by one thread at a time (not necessarily the one that
    opened it); other instances and processes may read and write the same file, a writer
    waiting up to ``busy_timeout`` seconds for another's write lock, then raising
    :class:`~dedup.errors.IndexBusyError` with nothing written (the writes after it wait
    :data:`~dedup.index._connect.RETRY_WAIT` at most, until one gets the lock).
    """

    def __init__(
        self,
        path: str | Path,
        config: Config | None = None,
        *,
        bucket_cap: int = DEFAULT_BUCKET_CAP,
        cache_mb: int = 256,
        bulk_cache_mb: int = 1024,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        readonly: bool = False,
    ) -> None:
        self.path = Path(path)
        store = SQLiteStore(path, cache_mb, bulk_cache_mb, busy_timeout, readonly)
        try:
            with storage_errors_raised(str(path)):
                config = store.load_config(config)
        except BaseException:
            store.close()
            raise
        super().__init__(store, config, bucket_cap)

    def __repr__(self) -> str:
        return f"SQLiteIndex({str(self.path)!r}, config {self.config.id})"

    def storage_errors_raised(self) -> AbstractContextManager[None]:
        """A block in which SQLite's errors that speak of this index's file (full, failing,
        damaged, not writable) are raised as the library's. Its transactions do so already;
        this is for the reads outside them."""
        return storage_errors_raised(str(self.path))

    @property
    def connection(self) -> sqlite3.Connection:
        """The index's connection, for tables kept beside it in the same transactions."""
        return self._sqlite.connection

    def on_transaction(self, begin: Hook, rolled_back: Hook | None = None) -> None:
        """Call ``begin()`` as each outermost transaction begins, the write lock held and
        nothing written yet (so tables kept beside the index read what is committed), and in
        :meth:`read_ahead`; ``rolled_back()`` whenever a savepoint of :meth:`atomic` rolls
        back (a transaction that does is followed by the next one's ``begin()``)."""
        self._sqlite.hooks.append(begin)
        if rolled_back is not None:
            self._sqlite.rollback_hooks.append(rolled_back)

    def read_ahead(self) -> None:
        """Read what others committed into memory (band keys, and ``begin()`` of
        :meth:`on_transaction`) in a read transaction, without the write lock: a write
        transaction begun next reads only what is committed in between, while others wait."""
        self._sqlite.read_ahead()

    def place_as_run(self, run: Mapping[str, str]) -> set[str]:
        """Place documents a bulk load stored (id -> the id of its canonical in the load's own
        clusters) as the load's clusters do, not as their input order left them
        (:mod:`dedup.index._as_run`: which may move); the ids placed so, moved or not."""
        with self.atomic():
            return place_as_run(self._store, run)

    @property
    def _sqlite(self) -> SQLiteStore:
        store = self._store
        if not isinstance(store, SQLiteStore):  # pragma: no cover - set in __init__
            raise TypeError("SQLiteIndex without an SQLiteStore")
        return store


def stored_config(path: str | Path) -> Config | None:
    """The config the index in ``path`` was built with, read without opening it for use (or
    making anything): a command settles its settings on it before it reads its inputs, and
    opens the index only later (``dedup bulk --db``).

    ``None`` where there is none to read: no file, a file with no index in it yet, or one this
    cannot read; opening it then makes the index, or says what is wrong with the file.
    """
    where = str(path)
    if where == ":memory:" or not os.path.isfile(where):
        return None
    try:
        with contextlib.closing(connect(where, DEFAULT_BUSY_TIMEOUT, readonly=True)) as conn:
            tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if "meta" not in {name for (name,) in tables}:
                return None
            row = conn.execute("SELECT value FROM meta WHERE key = 'config'").fetchone()
        return None if row is None else Config.from_stored(json.loads(row[0]))
    except (DedupError, sqlite3.Error, ValueError, TypeError):  # see the docstring
        return None
