"""The SQLite boilerplate store behaves exactly like the in-memory one."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

import pytest

from dedup.boilerplate import BoilerplateModel, MemoryStore, Stripper
from dedup.boilerplate.sqlite_lookups import tagged
from dedup.boilerplate.sqlite_store import SQLiteBoilerplateStore
from dedup.boilerplate.store import BatchLookups, SortedCarriers, keys_of
from dedup.io import read_documents
from dedup.synth import boilerplate_corpus
from dedup.types import Document
from tests.conftest import SAMPLE_DUMP


def _sqlite_store(path: Path) -> SQLiteBoilerplateStore:
    # The store leaves transactions to its owner; here every statement commits on its own
    # (without an fsync), so lookups read committed rows as a service's readers do.
    conn = sqlite3.connect(path, isolation_level=None)
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


def test_batched_lookups_answer_what_single_ones_do(corpus: list[Document], tmp_path: Path) -> None:
    """Carriers, near forms and signatures looked up many at once equal the one-by-one
    answers, in both stores."""
    for store in (MemoryStore(), _sqlite_store(tmp_path / "bp.db")):
        model = BoilerplateModel(store=store)
        entries = model.observe_many(corpus)
        occurrences = [occ for e in entries for occ in e.occurrences]
        keys = {key for occ in occurrences for key in keys_of(occ)}
        in_order, whole = store.carriers_in_order(keys), SortedCarriers(store)
        sources = {doc.source for doc in corpus}
        for (kind, key), source, limit in itertools.product(keys, sources, (3, None)):
            assert in_order.first(kind, key, source, limit) == whole.first(kind, key, source, limit)
        bands = [o.bands for o in occurrences if o.bands is not None]
        for batched, single in zip(store.near_many(bands), bands, strict=True):
            expected = store.near(single)
            assert [k for k, _ in batched] == [k for k, _ in expected]
            assert all((a == b).all() for (_, a), (_, b) in zip(batched, expected, strict=True))
        ids = [e.doc_id for e in entries] + ["not stored"]
        signatures = store.signatures(ids)
        assert sorted(signatures) == sorted(e.doc_id for e in entries)
        for entry in entries:
            stored = store.get(entry.doc_id)
            assert stored is not None and (signatures[entry.doc_id] == stored.signature).all()


class _OneByOne:
    """A store offering only the BoilerplateStore protocol (no batched lookups)."""

    def __init__(self, inner: MemoryStore) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> object:
        if name in ("carriers_in_order", "near_many", "signatures"):
            raise AttributeError(name)
        return getattr(self._inner, name)

    def __len__(self) -> int:
        return len(self._inner)


def test_stores_without_batched_lookups_strip_the_same(corpus: list[Document]) -> None:
    """A store with only the protocol's lookups gives the same stripping as a batching one."""
    batching = BoilerplateModel(store=MemoryStore())
    batching.observe_many(corpus)
    plain_store = _OneByOne(MemoryStore())
    plain = BoilerplateModel(store=plain_store)  # type: ignore[arg-type]
    plain.observe_many(corpus)
    assert [s.removed for s in Stripper(plain).strip_many(corpus)] == [
        s.removed for s in Stripper(batching).strip_many(corpus)
    ]


def test_only_batching_stores_are_batch_lookups() -> None:
    """The model recognises which stores batch their lookups."""
    assert isinstance(MemoryStore(), BatchLookups)
    assert not isinstance(_OneByOne(MemoryStore()), BatchLookups)


def test_a_form_lives_while_any_paragraph_refers_to_it(tmp_path: Path) -> None:
    """A footer twice in one document and once in another is one stored form with three
    references: removing the first document keeps it (found by its band keys), removing the
    second drops it, and band lookups find it no more."""
    footer = "Follow us on every platform for the latest local news and weather updates today"
    docs = [
        Document("twice", f"A story about the harbour.\n\n{footer}\n\nMore words.\n\n{footer}"),
        Document("once", f"A story about the council meeting on Tuesday.\n\n{footer}"),
    ]
    store = _sqlite_store(tmp_path / "bp.db")
    entries = BoilerplateModel(store=store).observe_many(docs)
    signed = [o for o in entries[0].occurrences if o.bands is not None and footer in o.text]
    assert len(signed) == 2 and signed[0].masked == signed[1].masked
    form, bands = signed[0].masked, signed[0].bands
    refs = "SELECT refs FROM bp_forms WHERE masked = ?"
    key = form - (1 << 64) if form >= 1 << 63 else form
    assert store._conn.execute(refs, (key,)).fetchone() == (3,)
    store.remove("twice")
    assert store._conn.execute(refs, (key,)).fetchone() == (1,)
    assert [k for k, _ in store.near(bands)] == [form]
    store.remove("once")
    assert store._conn.execute(refs, (key,)).fetchone() is None
    assert store.near(bands) == []
    assert store._conn.execute("SELECT count(*) FROM bp_forms").fetchone() == (0,)


def test_near_forms_after_most_documents_are_replaced(tmp_path: Path) -> None:
    """Re-storing every document with another text, most of them a one-line note, removes
    hundreds of forms (past the in-memory store's rebuild): both stores then find exactly the
    forms of a store that only ever held the new texts."""
    first, _ = boilerplate_corpus(seed=1)
    other, _ = boilerplate_corpus(seed=2)
    second = [
        Document(a.id, b.text if k % 4 == 0 else f"A short note, number {k}.", a.source)
        for k, (a, b) in enumerate(zip(first, other, strict=False))
    ]
    builder = BoilerplateModel()
    old, new = builder.build(first), builder.build(second)
    fresh = MemoryStore()
    for entry in new:
        fresh.put(entry)
    bands = [o.bands for e in old + new for o in e.occurrences if o.bands is not None]
    for store in (MemoryStore(), _sqlite_store(tmp_path / "bp.db")):
        for entry in old + new:
            store.put(entry)
        for b in bands:
            assert [k for k, _ in store.near(b)] == [k for k, _ in fresh.near(b)]


def test_removal_hooks_are_told_of_removed_and_replaced_documents(tmp_path: Path) -> None:
    """A hook hears the source and tagged keys of each document removed or replaced, before
    its rows go; a document stored for the first time tells it nothing."""
    docs = list(read_documents([str(SAMPLE_DUMP)]))
    store = _sqlite_store(tmp_path / "bp.db")
    model = BoilerplateModel(store=store)
    told: list[tuple[str | None, list[int]]] = []
    store.on_removal(lambda source, tags: told.append((source, sorted(tags.tolist()))))
    model.observe_many(docs)
    assert told == []
    entry = store.get(docs[0].id)
    assert entry is not None
    keys = sorted({tagged(kind, key) for o in entry.occurrences for kind, key in keys_of(o)})
    model.observe(docs[0])
    store.remove(docs[0].id)
    store.remove(docs[0].id)  # not stored any more: nothing to tell
    assert told == [(docs[0].source, keys)] * 2
