"""The SQLite boilerplate store behaves exactly like the in-memory one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dedup.boilerplate import BoilerplateModel, MemoryStore, Stripper
from dedup.boilerplate.sqlite_store import SQLiteBoilerplateStore
from dedup.io import read_documents
from dedup.synth import boilerplate_corpus
from dedup.types import Document
from tests.conftest import SAMPLE_DUMP


def _sqlite_store(path: Path) -> SQLiteBoilerplateStore:
    # The store leaves transactions to its owner; Python's default (implicit transactions,
    # committed on demand) stands in for the Collection's here, without an fsync per statement.
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    store = SQLiteBoilerplateStore(conn)
    store.create()
    conn.commit()
    return store


@pytest.fixture(params=["sample", "synth"])
def corpus(request: pytest.FixtureRequest) -> list[Document]:
    """The shipped sample, or a seeded corpus with per-source templated boilerplate."""
    if request.param == "sample":
        return list(read_documents([str(SAMPLE_DUMP)]))
    docs, _ = boilerplate_corpus(seed=1)
    return docs


def test_same_patterns_as_memory(corpus: list[Document], tmp_path: Path) -> None:
    """Learning into SQLite gives the same boilerplate patterns as learning in memory."""
    memory = BoilerplateModel(store=MemoryStore())
    memory.observe_many(corpus)
    stored = BoilerplateModel(store=_sqlite_store(tmp_path / "bp.db"))
    stored.observe_many(corpus)
    assert [p.to_record() for p in stored.patterns()] == [p.to_record() for p in memory.patterns()]


def test_same_stripping_as_memory(corpus: list[Document], tmp_path: Path) -> None:
    """Stripping against the SQLite store removes the same spans as against memory."""
    memory = BoilerplateModel(store=MemoryStore())
    memory.observe_many(corpus)
    stored = BoilerplateModel(store=_sqlite_store(tmp_path / "bp.db"))
    stored.observe_many(corpus)
    assert [s.removed for s in Stripper(stored).strip_many(corpus)] == [
        s.removed for s in Stripper(memory).strip_many(corpus)
    ]


def test_survives_reopening(tmp_path: Path) -> None:
    """What was learned is still there after the connection is closed and opened again."""
    docs = list(read_documents([str(SAMPLE_DUMP)]))
    first = _sqlite_store(tmp_path / "bp.db")
    BoilerplateModel(store=first).observe_many(docs)
    first._conn.commit()
    again = BoilerplateModel(store=_sqlite_store(tmp_path / "bp.db"))
    assert len(again.store) == 10
    assert len(again.patterns()) == 2


def test_replacing_a_document_keeps_counts_right(tmp_path: Path) -> None:
    """Putting a document twice, then removing it, leaves no trace of it."""
    docs = list(read_documents([str(SAMPLE_DUMP)]))
    store = _sqlite_store(tmp_path / "bp.db")
    model = BoilerplateModel(store=store)
    model.observe_many(docs)
    model.observe_many(docs[:1])
    assert len(store) == 10
    store.remove(docs[0].id)
    assert store.get(docs[0].id) is None
    assert all(docs[0].id not in model.carriers(p.text).documents for p in model.patterns())
