"""The tables of an SQLite index (:class:`dedup.index.SQLiteIndex`) behind the store verbs of
:mod:`dedup.index._store`, written through sqlite-utils.

The tables are those of :mod:`dedup.index.schema`.

Durability: ``synchronous = NORMAL`` in WAL mode, so a crash never corrupts the file or leaves a
half-written transaction, and a power loss can lose only the last commits.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import sqlite_utils

from dedup._int64 import signed, unsigned
from dedup._json_param import json_array
from dedup._removal_log import prune
from dedup._snapshot import read_snapshot
from dedup.config import Config
from dedup.errors import ConfigMismatchError, InputError
from dedup.index._bands import BandIndex
from dedup.index._connect import WriteLock, connect, storage_errors_raised
from dedup.index._store import BandRows, Buckets, Entry, Row
from dedup.index.schema import SCHEMA, SCHEMA_VERSION

Hook = Callable[[], None]
_ROW = "doc, id, source, published, title, length, text_hash, content_hash, canonical"


def _row(r: tuple[Any, ...]) -> Row:
    return Row(r[0], r[1], r[2], r[3], r[4], r[5], unsigned(r[6]), unsigned(r[7]), r[8])


class SQLiteStore:
    """The tables of :data:`SCHEMA` behind the :class:`~dedup.index._store.Store` verbs."""

    def __init__(
        self,
        path: str | Path,
        cache_mb: int,
        bulk_cache_mb: int,
        busy_timeout: float,
        readonly: bool = False,
    ) -> None:
        self._where = str(path)
        self._readonly = readonly
        self._cache = f"PRAGMA cache_size = {-1024 * int(cache_mb)}"
        self._bulk_cache = f"PRAGMA cache_size = {-1024 * max(int(cache_mb), int(bulk_cache_mb))}"
        self._conn = conn = connect(self._where, busy_timeout, readonly=readonly)
        self._lock = WriteLock(conn, self._where, busy_timeout)
        self._bulk_depth = 0
        self._savepoints = 0  # savepoints open (see _savepoint)
        self._memo: tuple[bytes, int, Buckets] | None = None  # see buckets()
        self._next: int | None = None  # next_handle() in this write transaction, once read
        self._writing = False  # inside atomic()'s write transaction
        self._bands = BandIndex()  # the band keys inverted in memory: dedup.index._bands
        self._opened = False  # the schema is there and checked (load_config)
        self.hooks: list[Hook] = []  # see SQLiteIndex.on_transaction
        self.rollback_hooks: list[Hook] = []
        self._db = sqlite_utils.Database(conn)
        conn.execute(self._cache)
        conn.execute("PRAGMA synchronous = NORMAL")

    @property
    def connection(self) -> sqlite3.Connection:
        """The open connection (autocommit mode: transactions come from :meth:`atomic`)."""
        return self._conn

    # --- opening ---------------------------------------------------------------------------------

    def load_config(self, config: Config | None) -> Config:
        """Create the schema in an empty file, or check an existing index's version and config."""
        names = set(self._db.table_names())
        if "meta" not in names:
            if names:
                raise InputError("not a dedup index (it has tables but no meta table)", self._where)
            if self._readonly:
                raise InputError("no dedup index in this file (opened read-only)", self._where)
            self._create(config if config is not None else Config())
        meta = {r["key"]: r["value"] for r in self._db.table("meta").rows}
        version = meta.get("schema_version")
        if version != str(SCHEMA_VERSION):
            raise ConfigMismatchError(
                f"schema {SCHEMA_VERSION}", f"schema {version}", where=f"index {self._where}"
            )
        found = meta["config_id"]
        stored = Config.from_stored(json.loads(meta["config"]))
        wanted = config if config is not None else stored
        if wanted.id != found:
            raise ConfigMismatchError(wanted.id, found, where=f"index {self._where}")
        self._opened = True
        return wanted

    def _create(self, config: Config) -> None:
        self._db.enable_wal()
        with self.atomic():
            if "meta" in self._db.table_names():  # another connection was first
                return
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self._conn.execute(statement)
            self._db.table("meta").insert_all(
                [
                    {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                    {"key": "config_id", "value": config.id},
                    {"key": "config", "value": json.dumps(config.to_dict(), sort_keys=True)},
                ]
            )

    # --- transactions and lifetime -----------------------------------------------------------

    def reading(self) -> read_snapshot:
        """A block whose reads see one snapshot of the file (:mod:`dedup._snapshot`)."""
        return read_snapshot(self._conn)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """``BEGIN IMMEDIATE`` at the outermost level (the write lock is taken up front, so a
        concurrent writer waits for ``busy_timeout``, then raises
        :class:`~dedup.errors.IndexBusyError`, instead of failing half-way), savepoints
        through sqlite-utils inside. The in-memory band keys follow: read up to the commits
        of others at the start, and a savepoint rolled back takes its band rows along. Not
        inside :meth:`reading`: a write there would start from its stale snapshot."""
        if self._conn.reading:
            raise RuntimeError("a write inside a read snapshot (SQLiteStore.reading)")
        try:
            with storage_errors_raised(self._where):  # a full disk, a file not writable
                if self._conn.in_transaction:
                    saved = self._bands.savepoint()
                    try:
                        with self._savepoint():
                            yield
                    except BaseException:
                        self._bands.restore(saved)
                        self._next = None
                        for hook in self.rollback_hooks:
                            hook()
                        raise
                    return
                self._lock.begin()
                self._writing = True
                try:
                    try:
                        self._bands.begin(self._conn if self._opened else None)
                        for hook in self.hooks:
                            hook()
                        yield
                    except BaseException:
                        if self._conn.in_transaction:
                            self._conn.execute("ROLLBACK")
                        raise
                    try:
                        self._conn.execute("COMMIT")
                    except BaseException:
                        if self._conn.in_transaction:
                            self._conn.execute("ROLLBACK")
                        raise
                finally:
                    self._bands.end()
                    self._next, self._writing = None, False
        finally:
            self._memo = None

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        """A savepoint named by its depth, released at the end or rolled back to on an error.

        sqlite-utils' ``Database.atomic`` names each savepoint with 16 random bytes: a
        ``getrandom`` call and two statements no cache holds, for every nested level (a post in
        a service's batch opens three). Two nested levels took 7.3 us against 12.3 (by hand,
        session 23). A name may repeat: SQLite acts on the innermost savepoint of a name, and a
        level's name is free again once the level ends.
        """
        name = f"dedup_{self._savepoints}"
        self._savepoints += 1
        conn = self._conn
        try:
            conn.execute(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                # An error such as a full disk can end the whole transaction, savepoints and
                # all: rolling back to one then would hide the error with "no such savepoint".
                if conn.in_transaction:
                    conn.execute(f"ROLLBACK TO {name}")
                    conn.execute(f"RELEASE {name}")
                raise
            conn.execute(f"RELEASE {name}")
        finally:
            self._savepoints -= 1

    def read_ahead(self) -> None:
        conn = self._conn
        if conn.in_transaction or not self._opened:
            return
        conn.execute("BEGIN")  # every table from one snapshot, no lock taken
        try:
            self._bands.read(conn)
            for hook in self.hooks:
                hook()
        finally:
            conn.execute("COMMIT")

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """The bulk page cache inside, the usual one (pages given back) after the outermost
        block: a bulk load around many ``add_many`` calls keeps its pages between them."""
        self._bulk_depth += 1
        if self._bulk_depth == 1:
            self._conn.execute(self._bulk_cache)
        try:
            yield
        finally:
            self._bulk_depth -= 1
            if self._bulk_depth == 0:
                self._conn.execute(self._cache)

    def close(self) -> None:
        try:
            self._conn.execute("PRAGMA optimize")  # keeps the planner's statistics current
        except sqlite3.ProgrammingError:  # already closed
            return
        except sqlite3.DatabaseError:  # busy, a damaged page: statistics can wait, closing cannot
            pass
        self._conn.close()

    # --- lookups -------------------------------------------------------------------------------

    def count(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM documents").fetchone()[0])

    def ids(self) -> Iterator[str]:
        return iter([r[0] for r in self._conn.execute("SELECT id FROM documents ORDER BY doc")])

    def next_handle(self) -> int:
        """Read once a write transaction: only this connection writes in it, and its inserts
        (:meth:`insert`) say what follows. A post asked twice (its mark, then its insert),
        and the next post of the batch again."""
        if self._next is not None and self._writing:
            return self._next
        seq = self._conn.execute(
            "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'documents'"
        ).fetchone()[0]
        found = int(seq) + 1
        if self._writing:
            self._next = found
        return found

    def row(self, doc_id: str) -> Row | None:
        r = self._conn.execute(f"SELECT {_ROW} FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return None if r is None else _row(r)

    def rows_by_id(self, doc_ids: Sequence[str]) -> dict[str, Row]:
        if not doc_ids:
            return {}
        # One JSON parameter instead of one per id: no SQLite variable limit to chunk under.
        sql = f"SELECT {_ROW} FROM documents WHERE id IN (SELECT value FROM json_each(?))"
        return {r[1]: _row(r) for r in self._conn.execute(sql, (json_array(doc_ids),))}

    def rows(self, handles: Sequence[int]) -> dict[int, Row]:
        if not handles:  # a post with no candidates asks twice: a statement each time
            return {}
        sql = f"SELECT {_ROW} FROM documents WHERE doc IN (SELECT value FROM json_each(?))"
        return {r[0]: _row(r) for r in self._conn.execute(sql, (_json_ints(handles),))}

    def signatures(self, handles: Sequence[int]) -> dict[int, np.ndarray]:
        return self._blobs("signature", "<u4", np.uint32, handles)

    def shingles(self, handles: Sequence[int]) -> dict[int, np.ndarray]:
        return self._blobs("shingles", "<u8", np.uint64, handles)

    def _blobs(
        self, column: str, stored: str, dtype: type[np.generic], handles: Sequence[int]
    ) -> dict[int, np.ndarray]:
        if not handles:
            return {}
        sql = (
            f"SELECT doc, {column} FROM fingerprints WHERE doc IN (SELECT value FROM json_each(?))"
        )
        return {
            doc: np.frombuffer(blob, dtype=stored).astype(dtype, copy=False)
            for doc, blob in self._conn.execute(sql, (_json_ints(handles),))
        }

    def members(self, canonical: int) -> list[int]:
        sql = "SELECT doc FROM documents WHERE canonical = ? ORDER BY doc"
        return [r[0] for r in self._conn.execute(sql, (canonical,))]

    def clusters(self, min_size: int) -> Iterator[tuple[int, list[int]]]:
        sql = (
            "SELECT canonical, group_concat(doc) FROM documents WHERE canonical IS NOT NULL "
            "GROUP BY canonical HAVING count(*) >= ? ORDER BY canonical"
        )
        for canonical, docs in self._conn.execute(sql, (min_size,)).fetchall():
            yield canonical, sorted(int(d) for d in docs.split(","))

    def buckets(self, keys: np.ndarray, cap: int) -> Buckets:
        """The buckets of ``keys``; inside a write transaction, the last answer again when
        asked for the same keys with no write in between.

        A post asks twice for its own buckets: to find its matches, then to place it in a
        cluster. The answer is read-only (its arrays are frozen) and forgotten at every write
        and whenever a transaction or savepoint ends (a rollback changes what it read), so it
        is never stale. Outside a write transaction the band keys committed since the last
        lookup are read first, in the caller's read snapshot if it holds one.
        """
        token = b""
        writing = self._writing and self._conn.in_transaction
        if writing:
            token = np.ascontiguousarray(keys, dtype=np.uint64).tobytes()
            memo = self._memo
            if memo is not None and memo[0] == token and memo[1] == cap:
                return memo[2]
        else:
            self._bands.end()  # none pending without a transaction (one can end early)
            with self.reading():  # the band keys and removals from one snapshot
                self._bands.read(self._conn)
        found = self._bands.buckets(keys, cap)
        found.slot.flags.writeable = False
        found.truncated.flags.writeable = False
        for members in found.members:
            members.flags.writeable = False
        self._memo = (token, cap, found) if token else None
        return found

    def same_content(self, content_hash: int, cap: int) -> tuple[list[int], bool]:
        sql = "SELECT doc FROM documents WHERE content_hash = ? ORDER BY doc LIMIT ?"
        found = [r[0] for r in self._conn.execute(sql, (signed(content_hash), cap + 1))]
        return found[:cap], len(found) > cap

    # --- writes ----------------------------------------------------------------------------------

    def insert(self, entries: Sequence[Entry], bands: BandRows) -> None:
        conn = self._conn
        self._memo = None
        conn.executemany(
            "INSERT INTO documents (doc, id, source, published, title, length, text_hash, "
            "content_hash, canonical) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    e.handle,
                    e.document.id,
                    e.document.source,
                    e.document.published,
                    e.document.title,
                    len(e.document.text),
                    signed(e.text_hash),
                    signed(e.fingerprint.content_hash),
                    e.canonical,
                )
                for e in entries
            ],
        )
        conn.executemany(
            "INSERT INTO fingerprints (doc, signature, shingles) VALUES (?, ?, ?)",
            [
                (
                    e.handle,
                    e.fingerprint.signature.astype("<u4", copy=False).tobytes(),
                    e.fingerprint.shingles.astype("<u8", copy=False).tobytes(),
                )
                for e in entries
            ],
        )
        handles, keys = self._bands.add(bands)
        conn.executemany(
            "INSERT INTO band_keys (doc, keys) VALUES (?, ?)",
            zip(handles.tolist(), [k.astype("<u8").tobytes() for k in keys], strict=True),
        )
        # AUTOINCREMENT's sequence becomes the largest handle given, if past it.
        if self._next is not None and entries:
            self._next = max(self._next, max(e.handle for e in entries) + 1)

    def delete(self, handle: int, bands: BandRows) -> None:
        conn = self._conn
        self._memo = None
        conn.execute("DELETE FROM band_keys WHERE doc = ?", (handle,))
        n = conn.execute("INSERT INTO removed (doc) VALUES (?)", (handle,)).lastrowid or 0
        prune(conn, "removed", n, self._bands.removals_read)  # one row, once the log is full
        self._bands.remove(handle)
        conn.execute("DELETE FROM fingerprints WHERE doc = ?", (handle,))
        conn.execute("DELETE FROM documents WHERE doc = ?", (handle,))

    def set_canonical(self, handles: Sequence[int], canonicals: Sequence[int]) -> None:
        self._memo = None
        self._conn.executemany(
            "UPDATE documents SET canonical = ? WHERE doc = ?",
            zip(canonicals, handles, strict=True),
        )


def _json_ints(values: Sequence[int]) -> str:
    return json_array([int(v) for v in values])
