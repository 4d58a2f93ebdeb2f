"""Reuse postings stored as one sample row per document and inverted in memory: candidates
equal a brute-force reading of the rule, through adds, replacements and deletes made by
another connection, in one SQLite file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from _faults import adding_pairs_fails

from dedup._postings import Run
from dedup.collection import reuse_index
from dedup.collection.reuse_index import SCHEMA, ReuseSets
from dedup.reuse import ReuseCandidates

RULE = ReuseCandidates(sample_mod=4, min_shared=2, max_df=5)


def brute_force(
    stored: dict[str, np.ndarray], query: np.ndarray, own: str | None, exclude: set[str]
) -> list[str]:
    """The rule read literally: kept hashes held by 1..max_df other documents, documents
    sharing at least min_shared of them, most shared first, then by id."""
    sets = {k: {int(h) for h in v if int(h) % RULE.sample_mod == 0} for k, v in stored.items()}
    mine = {int(h) for h in query if int(h) % RULE.sample_mod == 0}
    others = {k: v for k, v in sets.items() if k != own}
    useful = {h for h in mine if 1 <= sum(h in v for v in others.values()) <= RULE.max_df}
    shared = {k: len(v & useful) for k, v in others.items()}
    found = [(-n, k) for k, n in shared.items() if n >= RULE.min_shared and k not in exclude]
    return [k for _, k in sorted(found)]


@pytest.fixture
def connections(tmp_path: Path) -> Iterator[tuple[sqlite3.Connection, sqlite3.Connection]]:
    """A writer and a reader connection on one file with the reuse table and ``meta``."""
    path = tmp_path / "reuse.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    writer.executescript(SCHEMA)
    reader = sqlite3.connect(path, isolation_level=None)
    yield writer, reader
    writer.close()
    reader.close()


def shingles(rng: np.random.Generator, pool: np.ndarray, size: int) -> np.ndarray:
    """A shingle set drawn from a small pool, so that documents share hashes."""
    return np.unique(rng.choice(pool, size=size))


@pytest.mark.parametrize("ids", [120, 10_000])  # many replacements / nearly all new ids
def test_candidates_follow_every_change_as_brute_force_reads_them(
    ids: int, connections: tuple[sqlite3.Connection, sqlite3.Connection]
) -> None:
    """Adds, replacements and deletes by the writer; the reader refreshes between queries
    (marking the rows of removals dead, merging runs of new rows)."""
    writer_conn, reader_conn = connections
    writer, reader = ReuseSets(writer_conn, RULE), ReuseSets(reader_conn, RULE)
    rng = np.random.default_rng(7)
    pool = rng.integers(0, 2**64, size=400, dtype=np.uint64)
    stored: dict[str, np.ndarray] = {}
    checked = 0
    for step in range(300):
        doc_id = f"d{rng.integers(0, ids)}"
        action = rng.random()
        if action < 0.08 and stored:
            victim = sorted(stored)[int(rng.integers(0, len(stored)))]
            writer.delete(victim)
            del stored[victim]
        else:
            text = shingles(rng, pool, int(rng.integers(5, 60)))
            writer.put(doc_id, text)  # a new id, or a replacement of a stored one
            stored[doc_id] = text
        if step % 3 == 0:
            query = shingles(rng, pool, int(rng.integers(5, 60)))
            own = doc_id if rng.random() < 0.5 else None
            exclude = {f"d{k}" for k in rng.integers(0, ids, size=3)}
            expected = brute_force(stored, query, own, exclude)
            assert reader.candidates(query, own, sorted(exclude)) == expected
            checked += bool(expected)
    assert checked > 20  # the draws made many non-empty answers


TEXT = np.arange(0, 80, 4, dtype=np.uint64)


def stored_and_read(
    connections: tuple[sqlite3.Connection, sqlite3.Connection], ids: str
) -> tuple[ReuseSets, ReuseSets]:
    """The writer's and the reader's sets once ``ids`` are stored with :data:`TEXT` and the
    reader has read them."""
    writer_conn, reader_conn = connections
    writer, reader = ReuseSets(writer_conn, RULE), ReuseSets(reader_conn, RULE)
    for doc_id in ids:
        writer.put(doc_id, TEXT)
    assert reader.candidates(TEXT, own="q") == list(ids)
    return writer, reader


def test_a_removal_is_read_from_its_log_without_reading_the_samples_again(
    connections: tuple[sqlite3.Connection, sqlite3.Connection],
) -> None:
    writer, reader = stored_and_read(connections, "abc")
    writer.delete("a")
    writer.put("b", np.arange(1000, 1080, 4, dtype=np.uint64))  # replaced: unlike TEXT now
    statements: list[str] = []
    connections[1].set_trace_callback(statements.append)
    assert reader.candidates(TEXT, own="q") == ["c"]
    read = [s for s in statements if "FROM reuse_sets" in s]
    assert read == ["SELECT seq, id, hashes FROM reuse_sets WHERE seq > 3 ORDER BY seq"]


def test_a_counter_moved_without_its_log_makes_a_reader_read_everything_again(
    connections: tuple[sqlite3.Connection, sqlite3.Connection],
) -> None:
    """As a file written by a version without the removal log leaves it."""
    _, reader = stored_and_read(connections, "abc")
    connections[0].execute("DELETE FROM reuse_sets WHERE id = 'b'")
    connections[0].execute("INSERT INTO meta VALUES ('reuse_removed', '1')")
    assert reader.candidates(TEXT, own="q") == ["a", "c"]


def test_a_reader_that_missed_pruned_removals_reads_everything_again(
    connections: tuple[sqlite3.Connection, sqlite3.Connection], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reuse_index, "LOG_KEPT", 2)
    writer, reader = stored_and_read(connections, "abcde")
    for doc_id in "abc":
        writer.delete(doc_id)
    assert connections[0].execute("SELECT count(*) FROM reuse_removed").fetchone()[0] == 2
    assert reader.candidates(TEXT, own="q") == ["d", "e"]


def test_bulk_rows_are_found_like_single_ones(
    connections: tuple[sqlite3.Connection, sqlite3.Connection],
) -> None:
    writer_conn, reader_conn = connections
    writer = ReuseSets(writer_conn, RULE)
    a = np.arange(0, 400, dtype=np.uint64)
    writer.put_many([("a", a), ("b", a[:200]), ("c", a[100:300])])
    found = ReuseSets(reader_conn, RULE).candidates(a, own="a")
    assert found == ["b", "c"]  # 50 kept hashes each: the tie goes by id


def test_a_document_never_counts_as_its_own_evidence(
    connections: tuple[sqlite3.Connection, sqlite3.Connection],
) -> None:
    """Stored or not, a document's own row changes neither the counts nor the answer."""
    writer_conn, reader_conn = connections
    writer, reader = ReuseSets(writer_conn, RULE), ReuseSets(reader_conn, RULE)
    text = np.arange(0, 80, 4, dtype=np.uint64)
    for k in range(RULE.max_df):  # every hash of ``text`` held by max_df others
        writer.put(f"other{k}", text)
    before = reader.candidates(text, own="new")
    writer.put("new", text)
    assert reader.candidates(text, own="new") == before == [f"other{k}" for k in range(5)]
    writer.put("one-more", text)  # now max_df + 1 others: every hash is a set phrase
    assert reader.candidates(text, own="new") == []


def test_rows_written_inside_an_open_transaction_are_seen_by_their_own_connection(
    connections: tuple[sqlite3.Connection, sqlite3.Connection],
) -> None:
    writer_conn, reader_conn = connections
    writer = ReuseSets(writer_conn, RULE)
    text = np.arange(0, 80, 4, dtype=np.uint64)
    writer_conn.execute("BEGIN")
    writer.put("a", text)
    assert writer.candidates(text, own="b") == ["a"]
    assert ReuseSets(reader_conn, RULE).candidates(text, own="b") == []  # not committed
    writer_conn.execute("COMMIT")
    assert ReuseSets(reader_conn, RULE).candidates(text, own="b") == ["a"]


def test_a_lookup_inside_a_transaction_leaves_out_the_rows_removed_before_it(
    connections: tuple[sqlite3.Connection, sqlite3.Connection],
) -> None:
    writer, _ = stored_and_read(connections, "abc")
    assert writer.candidates(TEXT, own="q") == ["a", "b", "c"]  # the writer's index is read
    writer.delete("b")
    assert writer.candidates(TEXT, own="q") == ["a", "c"]  # and marks "b" dead
    connections[0].execute("BEGIN")
    writer.put("d", TEXT)
    assert writer.candidates(TEXT, own="q") == ["a", "c", "d"]
    connections[0].execute("ROLLBACK")


def test_rows_of_a_rolled_back_transaction_are_never_kept(
    connections: tuple[sqlite3.Connection, sqlite3.Connection],
) -> None:
    """A lookup inside a transaction sees its rows; after a rollback, the next row takes the
    same seq number, and a lookup must find that row and not the rolled-back one."""
    writer_conn, _ = connections
    writer = ReuseSets(writer_conn, RULE)
    text = np.arange(0, 80, 4, dtype=np.uint64)
    writer.put("first", np.arange(1000, 1080, 4, dtype=np.uint64))
    assert writer.candidates(text, own="q") == []  # the committed index is built
    writer_conn.execute("BEGIN")
    writer.put("lost", text)
    assert writer.candidates(text, own="q") == ["lost"]
    writer_conn.execute("ROLLBACK")
    writer.put("kept", text)  # the seq "lost" had
    assert writer.candidates(text, own="q") == ["kept"]


def told_of_a_transaction(conn: sqlite3.Connection, sets: ReuseSets) -> None:
    """A transaction begun as :meth:`SQLiteIndex.atomic` begins one, its hook called."""
    conn.execute("BEGIN IMMEDIATE")
    sets.began()


def test_a_lookup_told_of_transactions_keeps_no_row_of_one_rolled_back(
    connections: tuple[sqlite3.Connection, sqlite3.Connection],
) -> None:
    """Told of transactions, a lookup inside one reads its rows into a view of its own: after
    a rollback, the next row takes the rolled-back one's seq, and is the one found."""
    writer_conn, _ = connections
    writer = ReuseSets(writer_conn, RULE)
    writer.put("first", np.arange(1000, 1080, 4, dtype=np.uint64))
    told_of_a_transaction(writer_conn, writer)
    assert writer.candidates(TEXT, own="q") == []  # committed rows only, read into the index
    writer.put("lost", TEXT)
    assert writer.candidates(TEXT, own="q") == ["lost"]
    writer_conn.execute("ROLLBACK")
    told_of_a_transaction(writer_conn, writer)
    writer.put("kept", TEXT)  # the seq "lost" had
    assert writer.candidates(TEXT, own="q") == ["kept"]
    writer_conn.execute("COMMIT")
    assert writer.candidates(TEXT, own="q") == ["kept"]


def test_a_transactions_view_follows_each_of_its_writes(
    connections: tuple[sqlite3.Connection, sqlite3.Connection],
) -> None:
    """The view kept through a transaction reads the rows written and removed since its last
    lookup."""
    writer_conn, _ = connections
    writer = ReuseSets(writer_conn, RULE)
    told_of_a_transaction(writer_conn, writer)
    writer.put("a", TEXT)
    assert writer.candidates(TEXT, own="q") == ["a"]
    writer.put("b", TEXT)
    assert writer.candidates(TEXT, own="q") == ["a", "b"]
    writer.delete("a")
    assert writer.candidates(TEXT, own="q") == ["b"]
    writer_conn.execute("ROLLBACK")


def test_a_savepoint_rolled_back_takes_its_rows_out_of_the_view(
    connections: tuple[sqlite3.Connection, sqlite3.Connection],
) -> None:
    """Told that a savepoint rolled back, the transaction's view is read again: the row
    written after it (with the rolled-back row's seq) is found, the rolled-back one not."""
    writer_conn, _ = connections
    writer = ReuseSets(writer_conn, RULE)
    told_of_a_transaction(writer_conn, writer)
    writer.put("a", TEXT)
    writer_conn.execute("SAVEPOINT s")
    writer.put("lost", TEXT)
    assert writer.candidates(TEXT, own="q") == ["a", "lost"]
    writer_conn.execute("ROLLBACK TO s")
    writer.rolled_back()
    writer.put("kept", TEXT)
    assert writer.candidates(TEXT, own="q") == ["a", "kept"]
    writer_conn.execute("ROLLBACK")


def test_a_read_whose_pairs_could_not_be_added_is_made_again_whole(
    connections: tuple[sqlite3.Connection, sqlite3.Connection],
) -> None:
    """A read adds its rows' pairs after reading them all; if that fails (memory), the rows
    counted as read are not taken as indexed: the next lookup reads everything again."""
    writer_conn, reader_conn = connections
    writer, reader = ReuseSets(writer_conn, RULE), ReuseSets(reader_conn, RULE)
    text = np.arange(0, 80, 4, dtype=np.uint64)
    writer.put("a", text)
    with adding_pairs_fails(), pytest.raises(MemoryError):
        reader.candidates(text, own="q")
    writer.put("b", text)
    assert reader.candidates(text, own="q") == ["a", "b"]


@pytest.mark.parametrize("pairs", [0, 1, 7, 300, 50_000])
def test_a_runs_directory_finds_what_a_search_of_the_whole_run_finds(pairs: int) -> None:
    """Repeated hashes, hashes crowded into a few directory entries, and queries absent from
    the run, below and above every hash: the same spans as ``np.searchsorted``."""
    rng = np.random.default_rng(pairs)
    spread = rng.integers(0, 2**64 - 1, pairs, dtype=np.uint64, endpoint=True)
    crowded = spread[: pairs // 2] >> np.uint64(40)  # all in the directory's first entries
    hashes = np.sort(np.concatenate([spread, crowded, spread[: pairs // 3]]))
    run = Run.of(hashes, np.zeros(hashes.shape[0], dtype=np.uint32))
    present = hashes[rng.integers(0, hashes.shape[0], 200)] if hashes.shape[0] else hashes
    absent = rng.integers(0, 2**64 - 1, 200, dtype=np.uint64, endpoint=True)
    ends = np.array([0, 1, 2**64 - 1], dtype=np.uint64)
    query = np.unique(np.concatenate([present, present + np.uint64(1), absent, ends]))
    lo, hi = run.spans(query)
    assert lo.tolist() == np.searchsorted(hashes, query, "left").tolist()
    assert hi.tolist() == np.searchsorted(hashes, query, "right").tolist()
