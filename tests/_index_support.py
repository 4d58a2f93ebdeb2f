"""Texts with known overlaps and backend helpers for the index tests.

Words are drawn (seeded) from the vocabulary of the real articles in data/web-articles.jsonl, so
two texts from different seeds share no word 5-gram, and an edit of every ``k``-th word leaves a
Jaccard similarity of about ``(1 - 5/k) / (1 + 5/k)`` (each edit breaks the five shingles that
cover it): 0.85 for ``k = 60``.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

from dedup.config import Config
from dedup.index import IndexCore, MemoryIndex, SQLiteIndex
from dedup.types import Document

WEB_ARTICLES = Path(__file__).resolve().parent.parent / "data" / "web-articles.jsonl"


def _vocabulary() -> tuple[str, ...]:
    words: set[str] = set()
    with WEB_ARTICLES.open(encoding="utf-8") as handle:
        for line in handle:
            words.update(re.findall(r"\b[a-z]{3,12}\b", json.loads(line)["text"]))
    return tuple(sorted(words))


VOCAB = _vocabulary()


def text(seed: int, n: int = 120) -> str:
    """``n`` random words; different seeds give unrelated texts."""
    rng = random.Random(seed)
    return " ".join(rng.choice(VOCAB) for _ in range(n))


def edited(source: str, every: int, offset: int = 0) -> str:
    """``source`` with every ``every``-th word (from ``offset``) replaced by a new word."""
    words = source.split(" ")
    for i in range(offset, len(words), every):
        words[i] = f"edit{i}x{every}"
    return " ".join(words)


def head(source: str, fraction: float) -> str:
    """The first ``fraction`` of ``source``'s words (an excerpt)."""
    words = source.split(" ")
    return " ".join(words[: round(len(words) * fraction)])


BACKENDS = ("memory", "sqlite")
# Pinned rather than the default so that the designed overlaps stay on the intended side.
CONFIG = Config(threshold=0.8)


class Backends:
    """Opens indexes of one backend kind in a test's directory and closes them afterwards."""

    def __init__(self, kind: str, directory: Path) -> None:
        self.kind = kind
        self.directory = directory
        self._opened: list[IndexCore] = []

    def open(
        self, config: Config | None = CONFIG, name: str = "index", **options: int
    ) -> IndexCore:
        """A new (or, for SQLite, reopened) index called ``name``."""
        index: IndexCore
        if self.kind == "memory":
            index = MemoryIndex(config, **options)
        else:
            index = SQLiteIndex(self.directory / f"{name}.db", config, **options)
        self._opened.append(index)
        return index

    def close_all(self) -> None:
        for index in self._opened:
            index.close()


def doc(
    doc_id: str,
    body: str,
    published: str | None = None,
    source: str | None = None,
    title: str | None = None,
) -> Document:
    """A Document, positional-friendly."""
    return Document(doc_id, body, source=source, published=published, title=title)


def at(hour: int) -> str:
    """A publication time on 2024-05-01, ``hour`` o'clock UTC (the stored form)."""
    return f"2024-05-01T{hour:02d}:00:00Z"


def written_between(conn: sqlite3.Connection, after: str, write: Callable[[], object]) -> list[str]:
    """Run ``write`` (through another connection) once, as the first statement on ``conn``
    after one whose SQL contains ``after`` begins to run: between the two, where a writer in
    another process may commit. The list gets the statement it ran before once ``write``
    has returned: a test asserts it, so that one whose reads changed cannot pass unraced.

    SQLite calls the trace callback as a statement starts, before it takes its read
    snapshot, so an autocommit statement sees the write and one inside a read transaction
    begun earlier does not."""
    seen: list[str] = []
    done: list[str] = []

    def trace(sql: str) -> None:
        if len(seen) == 1:  # once, even if it raises (SQLite drops a callback's errors)
            seen.append(sql)
            write()
            done.append(sql)
        elif not seen and after in sql:
            seen.append(sql)

    conn.set_trace_callback(trace)
    return done
