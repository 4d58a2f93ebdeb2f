"""A collection's connection and how it uses its file: when it checkpoints the WAL, where its
savepoint journal lives, and a checkpoint on demand. Settings for one long-running
process (a service's writer and its checkpoint thread), mixed into
:class:`~dedup.collection.Collection`."""

from __future__ import annotations

import sqlite3

from dedup.errors import ConfigError
from dedup.index import SQLiteIndex


class FileSettings:
    """The methods of :class:`~dedup.collection.Collection` that give its connection and set
    how it uses the file (see the module docstring)."""

    index: SQLiteIndex

    @property
    def connection(self) -> sqlite3.Connection:
        """The underlying connection (for maintenance such as ``PRAGMA integrity_check``)."""
        return self.index.connection

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open (an I/O error can end one before its block does)."""
        return self.index.connection.in_transaction

    def defer_checkpoints(self, pages: int) -> None:
        """Let the WAL grow to ``pages`` pages before a commit of this connection checkpoints.

        A checkpoint copies the WAL into the database file and syncs it: with the default
        (1,000 pages, a few posts' worth) it ran inside most commits and was most of their
        cost. A writer that has :meth:`checkpoint` called from elsewhere sets this high, as a
        bound on the WAL should that fall behind. Durability does not change: a commit is in
        the WAL either way.
        """
        if isinstance(pages, bool) or not isinstance(pages, int) or pages < 0:
            raise ConfigError(f"pages must be a non-negative integer, got {pages!r}")
        self.index.connection.execute(f"PRAGMA wal_autocheckpoint = {pages}")

    def journal_savepoints_in_memory(self) -> None:
        """Keep this connection's savepoint journal (and temporary tables and sorts) in memory.

        A writer running each post of a batch in a savepoint has SQLite copy every page a post
        changes into that journal first; past 64 KiB it went to a temporary file, twice as many
        writes as the WAL's (session 25 of ``docs/performance-log.md``). Jobs with large
        savepoints or sorts (a bulk load, a migration) leave this out: memory would hold them.
        """
        self.index.connection.execute("PRAGMA temp_store = MEMORY")

    def checkpoint(self) -> tuple[int, int]:
        """Copy committed WAL pages into the database file, waiting for no reader or writer.

        Allowed on a read-only collection: it changes no content, only where committed pages
        live, so another thread can take the checkpoints off the writer's commits. Returns
        SQLite's ``(WAL pages, pages checkpointed)``.
        """
        row = self.index.connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(row[1]), int(row[2])
