"""Where documents live: a persistent SQLite index and its in-memory twin.

>>> from dedup import Document
>>> from dedup.index import open_index
>>> story = "Leaders met at the summit on Monday to talk about trade, security and energy prices."
>>> with open_index(":memory:") as index:
...     index.add(Document("a", story, published="2024-05-01T09:00:00Z"))
...     index.add(Document("b", story.upper(), published="2024-05-01T10:00:00Z"))
...     [(m.id, m.relation.value) for m in index.similar("b").matches], index.cluster_of("b")
<AddOutcome.ADDED: 'added'>
<AddOutcome.ADDED: 'added'>
([('a', 'duplicate')], 'a')
"""

from __future__ import annotations

from pathlib import Path

from dedup.config import Config
from dedup.index._connect import DEFAULT_BUSY_TIMEOUT
from dedup.index._matching import window_bounds
from dedup.index.base import DEFAULT_BUCKET_CAP, Candidates, Index, StoredDocument
from dedup.index.core import IndexCore
from dedup.index.memory import MemoryIndex
from dedup.index.schema import SCHEMA, SCHEMA_VERSION
from dedup.index.sqlite import SQLiteIndex, stored_config

MEMORY = ":memory:"


def open_index(
    path: str | Path, config: Config | None = None, *, bucket_cap: int = DEFAULT_BUCKET_CAP
) -> IndexCore:
    """A :class:`MemoryIndex` for ``":memory:"``, else the :class:`SQLiteIndex` at ``path``."""
    if str(path) == MEMORY:
        return MemoryIndex(config, bucket_cap=bucket_cap)
    return SQLiteIndex(path, config, bucket_cap=bucket_cap)


__all__ = [
    "DEFAULT_BUCKET_CAP",
    "DEFAULT_BUSY_TIMEOUT",
    "MEMORY",
    "SCHEMA",
    "SCHEMA_VERSION",
    "Candidates",
    "Index",
    "IndexCore",
    "MemoryIndex",
    "SQLiteIndex",
    "StoredDocument",
    "open_index",
    "stored_config",
    "window_bounds",
]
