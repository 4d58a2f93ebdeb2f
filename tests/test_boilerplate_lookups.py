"""The SQLite boilerplate store's in-memory lookups follow the rows: a transaction's own,
rolled back ones, removals seen from another connection, and rebuilds."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from _faults import adding_pairs_fails

from dedup.boilerplate import BoilerplateModel, _inversion, sqlite_lookups
from dedup.boilerplate.sqlite_lookups import tagged
from dedup.boilerplate.sqlite_store import SQLiteBoilerplateStore
from dedup.boilerplate.store import DocumentEntry
from dedup.types import Document

FOOTER = "Follow us on every platform for the latest local news and weather updates today"


def _store(path: Path, keep_views: bool = False) -> SQLiteBoilerplateStore:
    conn = sqlite3.connect(path, isolation_level=None)  # each statement commits, or BEGIN
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    store = SQLiteBoilerplateStore(conn, keep_views=keep_views)
    store.create()
    return store


def _entry(doc_id: str, story: str, source: str | None = "site") -> DocumentEntry:
    doc = Document(doc_id, f"{story}\n\nA second paragraph of the story.\n\n{FOOTER}", source)
    return BoilerplateModel().build([doc])[0]


def _footer(entry: DocumentEntry) -> tuple[int, object]:
    """The footer's masked key and band keys."""
    occ = next(o for o in entry.occurrences if FOOTER in o.text)
    return occ.masked, occ.bands


def _carriers(store: SQLiteBoilerplateStore, entry: DocumentEntry) -> list[str]:
    return sorted(store.carriers("masked", _footer(entry)[0]))


def test_a_transaction_sees_its_own_rows_and_a_rollback_forgets_them(tmp_path: Path) -> None:
    store = _store(tmp_path / "bp.db")
    store.put(_entry("kept", "The council met on Tuesday."))
    entry = _entry("new", "The harbour reopened after the storm.")
    masked, bands = _footer(entry)
    store._conn.execute("BEGIN")
    store.put(entry)
    assert _carriers(store, entry) == ["kept", "new"]
    assert [k for k, _ in store.near(bands)] == [masked]  # type: ignore[arg-type]
    store._conn.execute("ROLLBACK")
    assert _carriers(store, entry) == ["kept"]
    assert [k for k, _ in store.near(bands)] == [masked]  # type: ignore[arg-type]


def test_a_seq_given_again_after_a_rollback_names_the_new_document(tmp_path: Path) -> None:
    store = _store(tmp_path / "bp.db")
    lost, kept = _entry("lost", "A story."), _entry("kept", "Another story.")
    store._conn.execute("BEGIN")
    store.put(lost)
    assert _carriers(store, lost) == ["lost"]
    store._conn.execute("ROLLBACK")
    store._conn.execute("BEGIN")
    store.put(kept)  # the seq "lost" had
    assert _carriers(store, kept) == ["kept"]
    store._conn.execute("COMMIT")
    assert _carriers(store, kept) == ["kept"]


def test_another_connection_sees_the_removal_of_a_document_it_had_read(tmp_path: Path) -> None:
    writer, reader = _store(tmp_path / "bp.db"), _store(tmp_path / "bp.db")
    first, second = _entry("a", "A story."), _entry("b", "Another story.")
    writer.put(first)
    writer.put(second)
    assert _carriers(reader, first) == ["a", "b"]
    writer.remove("a")
    assert _carriers(reader, first) == ["b"]
    writer.put(_entry("a", "A story, corrected."))
    assert _carriers(reader, first) == ["a", "b"]


def test_rows_whose_pairs_could_not_be_added_are_read_again_whole(tmp_path: Path) -> None:
    """A read adds its rows' pairs once all are read; if that fails (memory), the rows are
    not taken as indexed, and the next lookup reads every row again."""
    writer, reader = _store(tmp_path / "bp.db"), _store(tmp_path / "bp.db")
    first = _entry("a", "A story.")
    writer.put(first)
    with adding_pairs_fails(), pytest.raises(MemoryError):
        _carriers(reader, first)
    writer.put(_entry("b", "Another story."))
    assert _carriers(reader, first) == ["a", "b"]


def test_a_form_removed_then_stored_again_is_found_once(tmp_path: Path) -> None:
    writer, reader = _store(tmp_path / "bp.db"), _store(tmp_path / "bp.db")
    entry = _entry("a", "A story.")
    masked, bands = _footer(entry)
    writer.put(entry)
    assert [k for k, _ in reader.near(bands)] == [masked]  # type: ignore[arg-type]
    writer.remove("a")
    assert reader.near(bands) == []  # type: ignore[arg-type]
    writer.put(entry)
    assert [k for k, _ in reader.near(bands)] == [masked]  # type: ignore[arg-type]


def _stored_and_read(
    path: Path, n: int
) -> tuple[SQLiteBoilerplateStore, SQLiteBoilerplateStore, list[DocumentEntry]]:
    """A writer that stored ``n`` stories sharing a footer, and a reader that has read them."""
    writer, reader = _store(path), _store(path)
    entries = [_entry(f"d{i:03}", f"Story number {i} about the town.") for i in range(n)]
    for entry in entries:
        writer.put(entry)
    assert len(_carriers(reader, entries[0])) == n
    return writer, reader, entries


def test_after_most_documents_are_removed_a_reader_holds_only_the_living(tmp_path: Path) -> None:
    """The inversion is rebuilt once the removed outnumber the stored: it answers as a fresh
    one does and no longer holds the removed."""
    writer, reader, entries = _stored_and_read(tmp_path / "bp.db", 300)
    for entry in entries[:250]:
        writer.remove(entry.doc_id)
    expected = [e.doc_id for e in entries[250:]]
    assert _carriers(reader, entries[0]) == expected
    assert _carriers(reader, entries[0]) == expected  # the read that rebuilds
    assert _carriers(_store(tmp_path / "bp.db"), entries[0]) == expected
    carriers = reader._lookups._carriers
    assert len(carriers.ids) == 50 and not carriers.dead


def test_a_connection_opened_after_removals_holds_no_dead_row(tmp_path: Path) -> None:
    """The rows in the file are the living ones: a first read starts the removal log where
    it ends (a service's log grows with every update) rather than reading it all."""
    writer = _store(tmp_path / "bp.db")
    entries = [_entry(f"d{i:03}", f"Story number {i} about the town.") for i in range(40)]
    for entry in entries:
        writer.put(entry)
    for entry in entries[:30]:
        writer.remove(entry.doc_id)
    fresh = _store(tmp_path / "bp.db")
    statements: list[str] = []
    fresh._conn.set_trace_callback(statements.append)
    assert _carriers(fresh, entries[0]) == [e.doc_id for e in entries[30:]]
    carriers = fresh._lookups._carriers
    assert len(carriers.ids) == 10 and not carriers.dead
    log_reads = [s for s in statements if "FROM bp_removed WHERE n >" in s]
    assert log_reads and all(s.endswith("n > 30 ORDER BY n") for s in log_reads)


def _removals(store: SQLiteBoilerplateStore) -> tuple[int, int]:
    low, count = store._conn.execute("SELECT min(n), count(*) FROM bp_removed").fetchone()
    return int(low or 0), int(count)


def test_the_removal_log_keeps_its_last_rows_and_a_reader_behind_them_reads_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("dedup._removal_log.KEPT", 4)
    writer, reader, entries = _stored_and_read(tmp_path / "bp.db", 20)
    for entry in entries[:10]:
        writer._conn.execute("BEGIN")
        writer.catch_up()  # as a Collection's writer does as each transaction begins
        writer.remove(entry.doc_id)
        writer._conn.execute("COMMIT")
    low, count = _removals(writer)
    assert count == 4 and low > 1  # every removal logs rows; only the last four are kept
    assert _carriers(reader, entries[0]) == [e.doc_id for e in entries[10:]]
    carriers = reader._lookups._carriers
    assert len(carriers.ids) == 10 and not carriers.dead  # read whole: no dead row


def test_a_writer_keeps_the_removals_its_own_lookups_have_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("dedup._removal_log.KEPT", 1)
    store = _store(tmp_path / "bp.db", keep_views=True)
    entries = [_entry(f"d{i}", f"Story number {i} about the bay.") for i in range(6)]
    for entry in entries:
        store.put(entry)
    store._conn.execute("BEGIN")
    store.catch_up()  # its lookups read the log as the transaction begins (as a Collection's)
    for k, entry in enumerate(entries[:3]):
        store.remove(entry.doc_id)
        assert _carriers(store, entries[5]) == [e.doc_id for e in entries[k + 1 :]]
    assert _removals(store)[0] == 1  # none pruned: its lookups had not read them
    store._conn.execute("COMMIT")


def test_a_key_stands_apart_from_the_same_value_of_another_kind() -> None:
    assert len({tagged(kind, 12345) for kind in ("exact", "masked", "template", "label")}) == 4


def _forms_and_names(store: SQLiteBoilerplateStore) -> tuple[list[object], list[object]]:
    conn = store._conn
    forms = conn.execute("SELECT seq, masked, refs FROM bp_forms ORDER BY seq").fetchall()
    names = conn.execute("SELECT doc_id, ord, form FROM bp_occurrences ORDER BY 1, 2").fetchall()
    return forms, names


def test_storing_a_batch_writes_what_storing_one_by_one_writes(tmp_path: Path) -> None:
    """Within a batch, documents replace earlier ones (dropping their own forms) and share new
    forms: the rows are those of storing each in turn."""
    places = ["harbour", "council", "school", "market", "bridge", "station"]
    stories = [f"A story about the {place}, told at length by those there." for place in places]
    entries = [_entry(f"d{k % 4}", stories[k % len(stories)]) for k in range(14)]
    entries += [_entry("d1", stories[0]), _entry("d9", "Short.")]
    one, batch = _store(tmp_path / "one.db"), _store(tmp_path / "batch.db")
    for entry in entries:
        one.put(entry)
    batch.put_many(entries)
    assert _forms_and_names(batch) == _forms_and_names(one)
    assert len(_forms_and_names(one)[0]) > 2  # the footer and stories still stored


def _writers_transaction(
    tmp_path: Path, committed: DocumentEntry, steps: list[DocumentEntry | None]
) -> tuple[SQLiteBoilerplateStore, SQLiteBoilerplateStore]:
    """A writer (``keep_views``: told as each transaction begins and whenever a savepoint
    rolls back) that stores ``steps`` in one transaction after ``committed``, and a plain
    store that stores the same one by one, each lookup read from the file. A step of None
    is a savepoint that stores a document (the next step), then rolls back."""
    plain, writer = _store(tmp_path / "plain.db"), _store(tmp_path / "writer.db", keep_views=True)
    plain.put(committed)
    writer.put(committed)
    conn = writer._conn
    conn.execute("BEGIN IMMEDIATE")
    writer.catch_up()
    it = iter(steps)
    for entry in it:
        if entry is None:
            conn.execute("SAVEPOINT s")
            writer.put(next(it))  # type: ignore[arg-type]
            conn.execute("ROLLBACK TO s")
            conn.execute("RELEASE s")
            writer.rolled_back()
            continue
        plain.put(entry)
        writer.put(entry)
        assert _near(writer, entry) == _near(plain, entry)
    conn.execute("COMMIT")
    return plain, writer


def _near(store: SQLiteBoilerplateStore, entry: DocumentEntry) -> list[list[object]]:
    """The forms near each signed paragraph of ``entry``, as ``store`` sees them now."""
    bands = [o.bands for o in entry.occurrences if o.bands is not None]
    return [[(k, s.tolist()) for k, s in found] for found in store.near_many(bands)]


def test_a_writers_transaction_finds_the_forms_it_made_and_dropped_itself(tmp_path: Path) -> None:
    """A writer's transaction looks its own forms up from what it made and dropped, over the
    committed ones: the rows are those of storing each document in turn, a form made twice
    over by documents replaced meanwhile, and one made in the transaction found again."""
    places = ["harbour", "council", "school", "market", "bridge", "station"]
    stories = [f"A story about the {place}, told at length by those there." for place in places]
    entries = [_entry(f"d{k % 4}", stories[k % len(stories)]) for k in range(14)]
    pier = "A story about the pier, told at length by those who were there."
    steps = [*entries[1:], _entry("e1", pier), _entry("e2", pier)]
    plain, writer = _writers_transaction(tmp_path, entries[0], steps)  # type: ignore[arg-type]
    assert _forms_and_names(writer) == _forms_and_names(plain)


def test_a_form_a_rolled_back_savepoint_made_is_not_found_again(tmp_path: Path) -> None:
    """Its seq goes to the next form made: the document that stores its text again makes
    a form of its own, as storing one by one does."""
    lost = "A story about the lighthouse, told at length by those who were there."
    other = "A story about the ferry, told at length by those who were there."
    steps = [None, _entry("gone", lost), _entry("x", other), _entry("y", lost)]
    plain, writer = _writers_transaction(tmp_path, _entry("a", "The council met."), steps)
    assert _forms_and_names(writer) == _forms_and_names(plain)


@pytest.mark.parametrize("few_rows", [sqlite_lookups._FEW_ROWS, 0], ids=["one-by-one", "arrays"])
def test_a_sources_carriers_come_sorted_by_id_from_committed_and_own_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, few_rows: int
) -> None:
    """What a story count walks: one source's carriers of a key, the committed ones and a
    transaction's own together, each id with its own row, the first few alone if asked;
    looked at row by row, and through the rows' source codes as a busy key's are."""
    monkeypatch.setattr(sqlite_lookups, "_FEW_ROWS", few_rows)
    store = _store(tmp_path / "bp.db")
    committed = [("c3", "site"), ("a1", "other"), ("c1", "site"), ("d4", None)]
    own = [("b2", "site"), ("z9", "other"), ("a0", "site"), ("e5", None)]
    for doc_id, source in committed:
        store.put(_entry(doc_id, f"Story {doc_id}.", source))
    store._conn.execute("BEGIN")
    for doc_id, source in own:
        store.put(_entry(doc_id, f"Story {doc_id}.", source))
    carriers = store._lookups.carriers()
    tag = tagged("masked", _footer(_entry("any", "Any story."))[0])
    numbers = carriers.numbers([tag])[0]
    rows = {n: doc_id for n, doc_id, _ in carriers.rows(numbers)}
    site = carriers.pairs(numbers, "site")
    assert [doc_id for doc_id, _ in site] == ["a0", "b2", "c1", "c3"]
    assert all(rows[n] == doc_id for doc_id, n in site)
    assert carriers.pairs(numbers, "site", 3) == site[:3]
    assert [doc_id for doc_id, _ in carriers.pairs(numbers, None)] == ["d4", "e5"]
    assert carriers.pairs(numbers, "nowhere") == []
    store._conn.execute("ROLLBACK")


def test_a_writers_views_take_the_rows_it_stores_and_read_back_after_a_removal(
    tmp_path: Path,
) -> None:
    """Between a writer's lookups in one transaction, its views take the rows the writer
    stored as it stores them: no statement reads their rows or the removal log back, and
    they find what views read from the file find. A replaced document (a removal) has the
    next lookups read the tables back, and they still agree."""
    writer = _store(tmp_path / "bp.db", keep_views=True)
    writer.put(_entry("a", "The council met on Tuesday."))
    conn = writer._conn
    conn.execute("BEGIN IMMEDIATE")
    writer.catch_up()  # as a Collection's writer does as each transaction begins
    places = ["harbour", "school", "market", "bridge"]
    entries = [
        _entry(f"d{k}", f"A story about the {p}, told by those there.")
        for k, p in enumerate(places)
    ]
    replaced = _entry("d1", "A story about the station, told by those who were there.")
    statements: list[str] = []
    for k, entry in enumerate([*entries, replaced]):
        writer.put(entry)
        conn.set_trace_callback(statements.append)
        found = (_carriers(writer, entry), _near(writer, entry))
        conn.set_trace_callback(None)
        fresh = SQLiteBoilerplateStore(conn)  # its views read every row from the file
        assert found == (_carriers(fresh, entry), _near(fresh, entry))
        read_back = [s for s in statements if "WHERE seq >" in s or "FROM bp_removed" in s]
        if 0 < k < len(entries):  # the views were made by the first lookup
            assert read_back == []
        statements.clear()
    assert read_back  # after the replacement
    conn.execute("ROLLBACK")


def test_a_writers_views_read_back_rows_past_what_they_keep_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows stored past what a view keeps told for it (a bulk load between lookups) are
    read back at the next lookup, which finds what a view read from the file finds."""
    monkeypatch.setattr(_inversion, "_TOLD_MOST", 2)
    writer = _store(tmp_path / "bp.db", keep_views=True)
    conn = writer._conn
    conn.execute("BEGIN IMMEDIATE")
    writer.catch_up()
    first = _entry("a", "The council met on Tuesday.")
    writer.put(first)
    _carriers(writer, first)  # the views are made
    _near(writer, first)
    entries = [_entry(f"d{k}", f"A story about the {p}, told.") for k, p in enumerate("xyz")]
    for entry in entries:
        writer.put(entry)
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    found = (_carriers(writer, entries[-1]), _near(writer, entries[-1]))
    conn.set_trace_callback(None)
    assert any("WHERE seq >" in s for s in statements)
    fresh = SQLiteBoilerplateStore(conn)
    assert found == (_carriers(fresh, entries[-1]), _near(fresh, entries[-1]))
    assert found[0] == ["a", "d0", "d1", "d2"]
    conn.execute("ROLLBACK")
