"""A judgement told which document it judges counts that document's stored version among no
carriers: a stored document so judged is judged as it was before it was stored."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from _boilerplate_support import FOOTER, body, page

from dedup.boilerplate import BoilerplateModel, MemoryStore
from dedup.boilerplate.sqlite_store import SQLiteBoilerplateStore
from dedup.boilerplate.store import BoilerplateStore
from dedup.synth import boilerplate_corpus
from dedup.types import Document


def sqlite_store(path: Path) -> SQLiteBoilerplateStore:
    """A store on a file whose every statement commits on its own (without an fsync), so that
    lookups read committed rows as a service's readers do."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    store = SQLiteBoilerplateStore(conn)
    store.create()
    return store


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BoilerplateStore:
    return MemoryStore() if request.param == "memory" else sqlite_store(tmp_path / "bp.db")


def ledger(n: int, story: int | None = None, doc_id: str | None = None) -> Document:
    """Article ``n`` of the Ledger (its own story unless ``story``), under the footer."""
    return page(doc_id or f"d{n}", "ledger", [*body(n if story is None else story), *FOOTER])


def found(model: BoilerplateModel, doc: Document, leave_out: str | None) -> list[str]:
    """The paragraphs of ``doc`` judged boilerplate, leaving ``leave_out`` out."""
    entry = model.build([doc])[0]
    return [occ.text for occ in model.judgement(leave_out).judge([entry])[0]]


def test_a_stored_document_left_out_does_not_carry_its_own_footer(
    store: BoilerplateStore,
) -> None:
    """Three stories carry the footer: one of them, judged without itself, sees two."""
    model = BoilerplateModel(store=store)
    model.observe_many([ledger(n) for n in range(3)])
    assert found(model, ledger(0), leave_out="d0") == []
    assert found(model, ledger(0), leave_out=None) == FOOTER  # counting itself


def test_leaving_out_an_id_not_stored_changes_nothing(store: BoilerplateStore) -> None:
    """A new id's judgement, told its id, counts the three stored stories."""
    model = BoilerplateModel(store=store)
    model.observe_many([ledger(n) for n in range(3)])
    assert found(model, ledger(3), leave_out="d3") == FOOTER


def test_the_carriers_a_judgement_lists_leave_the_document_out(store: BoilerplateStore) -> None:
    """:meth:`Judgement.carriers` lists the others only."""
    model = BoilerplateModel(store=store)
    model.observe_many([ledger(n) for n in range(3)])
    footer = model.build([ledger(0)])[0].occurrences[-1]
    assert sorted(model.judgement("d1").carriers(footer)) == ["d0", "d2"]


def test_a_stored_document_left_out_among_more_carriers_keeps_its_footer(
    store: BoilerplateStore,
) -> None:
    """Four stories carry the footer: each, judged without itself, still sees three, whether
    it was among the first three carriers or not."""
    model = BoilerplateModel(store=store)
    model.observe_many([ledger(n) for n in range(4)])
    assert found(model, ledger(0), leave_out="d0") == FOOTER
    assert found(model, ledger(3), leave_out="d3") == FOOTER


def test_a_busy_footers_kept_story_count_is_not_reused_without_its_first_carrier(
    tmp_path: Path,
) -> None:
    """A footer on 70 copies of two stories and on one more story, whose id comes first: read
    from the kept first carriers of a busy key, and from the story count a judgement
    counting that document kept, it is boilerplate only while that document counts."""
    model = BoilerplateModel(store=sqlite_store(tmp_path / "bp.db"))
    copies = [ledger(100 + n, story=100 + n % 2, doc_id=f"b-{n:02}") for n in range(70)]
    first = ledger(7, doc_id="a-first")
    model.observe_many([first, *copies])
    assert found(model, first, leave_out=None) == FOOTER
    assert found(model, first, leave_out="a-first") == []


def test_a_footer_that_varies_is_pooled_without_the_document_left_out(
    store: BoilerplateStore,
) -> None:
    """A footer whose every copy differs by its last word has one carrier per key, and three
    stories only pooled: the one judged, without itself, pools two."""
    footer = (
        "Thank you for reading the Daily Ledger, an independent newspaper funded by readers "
        "like you who believe that local news matters to every town and village across the {}."
    )
    words = ("county", "region", "valley")
    docs = [page(f"d{n}", "ledger", [*body(n), footer.format(w)]) for n, w in enumerate(words)]
    model = BoilerplateModel(store=store)
    model.observe_many(docs)
    assert found(model, docs[0], leave_out=None) == [footer.format("county")]
    assert found(model, docs[0], leave_out="d0") == []


def test_judging_without_itself_equals_judging_with_it_removed() -> None:
    """Over a corpus of six outlets with templated boilerplate, every stored document judged
    leaving itself out is judged as it is once it carries nothing (for 11 of its 48, that
    is not how it is judged counting itself). In memory: the SQLite store's lookups answer
    as the memory store's do (``test_boilerplate_sqlite.py``), and over this corpus, each
    write committed on its own, it took 4 s."""
    docs, _ = boilerplate_corpus(seed=3)
    store = MemoryStore()
    model = BoilerplateModel(store=store)
    for entry in model.observe_many(docs):
        left_out = [(o.start, o.end) for o in model.judgement(entry.doc_id).judge([entry])[0]]
        store.put(replace(entry, occurrences=()))  # stored, carrying nothing
        removed = [(o.start, o.end) for o in model.judgement().judge([entry])[0]]
        store.put(entry)
        assert left_out == removed, entry.doc_id
