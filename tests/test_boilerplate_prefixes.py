"""A key's first carriers in id order, as the SQLite store keeps them between judgements, are
always those of the whole sorted list: as documents are stored, replaced and removed, inside
transactions and savepoints that commit or roll back (with a transaction's views kept between
lookups or not), and as another connection reads them. Meanwhile every signed paragraph names
the one stored form of its masked text, which counts the paragraphs naming it."""

from __future__ import annotations

import itertools
import random
import sqlite3
import string
from collections import Counter
from pathlib import Path

import pytest

from dedup.boilerplate import BoilerplateModel
from dedup.boilerplate._prefixes import SIZE
from dedup.boilerplate.sqlite_lookups import tagged
from dedup.boilerplate.sqlite_store import SQLiteBoilerplateStore
from dedup.boilerplate.store import DocumentEntry, KeyKind, MemoryStore, SortedCarriers
from dedup.types import Document
from tests._boilerplate_support import RandomTransactions

FOOTER = "Follow us on every platform for the latest local news and weather updates today"
SIGN_UP = "Sign up for the morning newsletter to get every story of the day in your inbox"
LIMITS = (1, 3, 32, SIZE, SIZE + 1, None)


def _store(path: Path, keep_views: bool = False) -> SQLiteBoilerplateStore:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    store = SQLiteBoilerplateStore(conn, keep_views=keep_views)
    store.create()
    return store


def _entries(n: int, rng: random.Random) -> list[DocumentEntry]:
    """Documents with random ids (so that storing order is not id order) in two sources."""
    docs = []
    for k in range(n):
        doc_id = "".join(rng.choices(string.ascii_lowercase, k=6))
        place = rng.choice(["harbour", "council", "school"])
        # Half the stories are long enough to be signed: a form of their own, made and dropped.
        story = f"Story {k} about the {place} in town" + rng.choice([".", ", told by those there."])
        tail = rng.choice([FOOTER, f"{FOOTER}\n\n{SIGN_UP}", f"{FOOTER}\n\nMore.\n\n{FOOTER}"])
        docs.append(Document(doc_id, f"{story}\n\n{tail}", rng.choice(["north", "south"])))
    return BoilerplateModel().build(docs)


def _footer_keys(entry: DocumentEntry) -> list[tuple[KeyKind, int]]:
    occ = next(o for o in entry.occurrences if FOOTER in o.text)
    return [("exact", occ.exact), ("masked", occ.masked)]


def _expect_same(
    store: SQLiteBoilerplateStore, mirror: MemoryStore, keys: list[tuple[KeyKind, int]]
) -> None:
    """First ids and counts, both with the keys looked up ahead and looked up when asked for."""
    expected = SortedCarriers(mirror)
    for ordered in (store.carriers_in_order(keys), store.carriers_in_order(())):
        for (kind, key), source, limit in itertools.product(keys, ("north", "south", None), LIMITS):
            got = ordered.first(kind, key, source, limit)
            assert got == expected.first(kind, key, source, limit)
        for kind, key in keys:
            assert ordered.count(kind, key) == expected.count(kind, key)


def _expect_forms(store: SQLiteBoilerplateStore, stored: list[DocumentEntry]) -> None:
    """One ``bp_forms`` row per masked text of the stored signed paragraphs, counting them,
    and each of them naming it."""
    conn = store._conn
    wanted = Counter(o.masked for e in stored for o in e.occurrences if o.bands is not None)
    refs: dict[int, int] = {}
    for masked, count in conn.execute("SELECT masked, refs FROM bp_forms"):
        key = masked + (1 << 64) if masked < 0 else masked
        assert key not in refs
        refs[key] = count
    assert refs == dict(wanted)
    named = conn.execute(
        "SELECT o.masked, f.masked FROM bp_occurrences AS o "
        "LEFT JOIN bp_forms AS f ON f.seq = o.form WHERE o.form IS NOT NULL"
    ).fetchall()
    assert len(named) == sum(wanted.values())
    assert all(own == form for own, form in named)


def _mirror(entries: list[DocumentEntry]) -> MemoryStore:
    mirror = MemoryStore()
    for entry in entries:
        mirror.put(entry)
    return mirror


@pytest.mark.parametrize("removals_kept", [4096, 3])
@pytest.mark.parametrize("keep_views", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_first_carriers_follow_puts_removals_and_rollbacks(
    tmp_path: Path, seed: int, keep_views: bool, removals_kept: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Random puts and removals in transactions that commit or roll back, with savepoints
    released or rolled back inside them; with ``keep_views``, the hooks a Collection wires
    (catch_up as a transaction begins, rolled_back after a savepoint's rollback). With a
    removal log of three rows, the reader keeps missing pruned ones and reads whole again."""
    monkeypatch.setattr("dedup._removal_log.KEPT", removals_kept)
    rng = random.Random(seed)
    entries = _entries(3 * SIZE, rng)
    keys = _footer_keys(entries[0])
    writer, reader = _store(tmp_path / "bp.db", keep_views), _store(tmp_path / "bp.db")
    conn = writer._conn
    stored: list[DocumentEntry] = []
    mirror = [MemoryStore()]

    def restore(saved: list[DocumentEntry]) -> None:
        stored[:] = saved
        mirror[0] = _mirror(stored)

    transactions = RandomTransactions(
        writer, rng, lambda: list(stored), restore, begin=0.2, end=0.3, rollback=0.3
    )
    for step in range(300):
        roll = rng.random()
        if transactions.step(roll):
            pass
        elif stored and roll < 0.45:
            gone = stored.pop(rng.randrange(len(stored)))
            writer.remove(gone.doc_id)
            mirror[0]._remove(gone.doc_id)
        else:
            entry = entries[step % len(entries)]
            writer.put(entry)
            mirror[0].put(entry)
            stored[:] = [e for e in stored if e.doc_id != entry.doc_id] + [entry]
        if step % 4 == 0:
            _expect_same(writer, mirror[0], keys)
            _expect_forms(writer, stored)
        if step % 20 == 0 and not conn.in_transaction:
            _expect_same(reader, mirror[0], keys)
    transactions.close()
    _expect_same(writer, mirror[0], keys)
    _expect_same(reader, mirror[0], keys)
    _expect_forms(writer, stored)


@pytest.mark.parametrize("keep_views", [False, True])
def test_busy_keys_without_removals_are_counted_from_their_pairs(
    tmp_path: Path, keep_views: bool
) -> None:
    """With no row removed, a key's count comes from its pairs and only keys with few
    carriers are listed (Carriers.census): counts and first ids still match a whole sort,
    around SIZE carriers, committed and in an open transaction with rows of its own."""
    entries = _entries(2 * SIZE + 8, random.Random(7))
    keys = _footer_keys(entries[0])
    writer = _store(tmp_path / "bp.db", keep_views)
    conn = writer._conn
    stored: list[DocumentEntry] = []
    for entry in entries[: SIZE - 2]:
        writer.put(entry)
        stored.append(entry)
    for entry in entries[SIZE - 2 : 2 * SIZE]:  # through SIZE, committed
        writer.put(entry)
        stored.append(entry)
        _expect_same(writer, _mirror(stored), keys)
    conn.execute("BEGIN")
    writer.catch_up()
    for entry in entries[2 * SIZE :]:  # the transaction's own rows among the committed
        writer.put(entry)
        stored.append(entry)
        _expect_same(writer, _mirror(stored), keys)
    conn.execute("COMMIT")
    _expect_same(writer, _mirror(stored), keys)


@pytest.mark.parametrize("keep_views", [False, True])
def test_busy_keys_with_removed_carriers_are_counted_from_their_pairs_less_the_dead(
    tmp_path: Path, keep_views: bool
) -> None:
    """Rows of removed documents stay in the inversion, dead, until a rebuild; a busy key's
    count is its pairs less theirs (Carriers.census): counts and first ids match a whole
    sort as removals take the footer's carriers down through SIZE, committed and inside a
    transaction that removes some of its own rows and some committed ones."""
    entries = _entries(2 * SIZE + 8, random.Random(11))
    keys = _footer_keys(entries[0])
    writer = _store(tmp_path / "bp.db", keep_views)
    reader = _store(tmp_path / "bp.db")
    conn = writer._conn
    stored = list(entries[: SIZE + 10])
    for entry in stored:
        writer.put(entry)
    for entry in list(stored[:14]):  # down through SIZE, committed: fewer dead than a rebuild
        writer.remove(entry.doc_id)
        stored.remove(entry)
        _expect_same(writer, _mirror(stored), keys)
        _expect_same(reader, _mirror(stored), keys)
    conn.execute("BEGIN")
    writer.catch_up()
    for entry in entries[SIZE + 10 : SIZE + 20]:
        writer.put(entry)
        stored.append(entry)
    for entry in [stored[0], stored[-1], stored[-2]]:  # committed and the transaction's own
        writer.remove(entry.doc_id)
        stored.remove(entry)
        _expect_same(writer, _mirror(stored), keys)
    conn.execute("COMMIT")
    _expect_same(writer, _mirror(stored), keys)
    _expect_same(reader, _mirror(stored), keys)


def test_a_removal_takes_its_carrier_out_of_the_prefixes_and_keeps_the_others(
    tmp_path: Path,
) -> None:
    """A reader keeps its prefixes across removals: the removed carrier leaves those of its
    source, the other source's stay as they are, and first ids and counts match a whole
    sort as the smallest ids of one source go, through the point where a prefix holds too
    few and is made again."""
    entries = _entries(3 * SIZE, random.Random(13))
    keys = _footer_keys(entries[0])
    writer, reader = _store(tmp_path / "bp.db"), _store(tmp_path / "bp.db")
    for entry in entries:
        writer.put(entry)
    stored = list(entries)
    _expect_same(reader, _mirror(stored), keys)  # the prefixes are made here
    prefixes = reader._lookups._carriers.prefixes
    south = [prefixes.get(tagged(kind, key), "south") for kind, key in keys]
    assert all(p is not None and not p.complete for p in south)
    north = sorted((e for e in stored if e.source == "north"), key=lambda e: e.doc_id)
    for entry in north[: SIZE // 2 + 8]:
        writer.remove(entry.doc_id)
        stored.remove(entry)
        _expect_same(reader, _mirror(stored), keys)
        assert [prefixes.get(tagged(kind, key), "south") for kind, key in keys] == south


def _judge_footer(store: SQLiteBoilerplateStore | MemoryStore) -> bool:
    model = BoilerplateModel(store=store)
    post = Document("post", f"A new story about the bridge.\n\n{FOOTER}", "north")
    entry = model.build([post])[0]
    return any(FOOTER in occ.text for occ in model.judge([entry])[0])


@pytest.mark.parametrize("others", [0, 3])
def test_a_footer_first_carried_by_copies_is_judged_by_all_its_carriers(
    tmp_path: Path, others: int
) -> None:
    """The first carriers of a footer are 40 copies of one story (one story among them): the
    stories with later ids decide, as they would with the whole list sorted."""
    story = "The same wire story about the storm, reprinted word for word by the site."
    docs = [Document(f"a{k:02d}", f"{story}\n\n{FOOTER}", "north") for k in range(40)]
    bodies = [
        "The library reopened on Monday after a year of repairs to its leaking roof and walls.",
        "Fishing boats returned to the harbour at dawn, their crews weary but their holds full.",
        "Tickets for the stadium's final match of the season sold out within twenty minutes.",
    ]
    docs += [Document(f"z{k}", f"{b}\n\n{FOOTER}", "north") for k, b in enumerate(bodies[:others])]
    sqlite_store, memory = _store(tmp_path / "bp.db"), MemoryStore()
    for store in (sqlite_store, memory):
        BoilerplateModel(store=store).observe_many(docs)
    assert _judge_footer(sqlite_store) == _judge_footer(memory) == (others == 3)
