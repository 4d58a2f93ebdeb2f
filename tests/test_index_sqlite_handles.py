"""What only the SQLite index does with its handles and transactions: handles never reused,
a transaction's reads following its writes and rollbacks, other connections and readers
following removals, and the hooks run as each outermost transaction begins."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from _index_support import CONFIG, doc, edited, text

from dedup.index import SQLiteIndex

A = text(1)
B = text(2)


def test_handles_are_never_reused(tmp_path: Path) -> None:
    """Removing the newest document and adding another gives the new one a fresh handle."""
    with SQLiteIndex(tmp_path / "i.db", CONFIG) as index:
        index.add_many([doc("a", A), doc("b", B)])
        index.remove("b")
        index.add(doc("c", B))
    with sqlite3.connect(tmp_path / "i.db") as conn:
        assert conn.execute("SELECT id, doc FROM documents ORDER BY doc").fetchall() == [
            ("a", 1),
            ("c", 3),
        ]


def test_buckets_read_inside_a_transaction_follow_its_writes_and_rollbacks(
    tmp_path: Path,
) -> None:
    """The buckets a transaction has read are asked again after a write, a rolled-back
    savepoint and the commit: each answer is what the file holds then. The documents repeat
    one cycle of words a different number of times: the same shingles, so the same buckets,
    but different texts, so only the buckets can find them."""
    cycle = " ".join(f"word{k}" for k in range(40))
    with SQLiteIndex(tmp_path / "index.db", CONFIG) as index:
        index.add(doc("a", " ".join([cycle] * 2)))
        probe = doc("probe", " ".join([cycle] * 3))

        def found() -> list[str]:
            return sorted(m.id for m in index.query(probe).matches)

        with index.atomic():
            assert found() == ["a"]
            assert found() == ["a"]  # asked again with nothing written between
            index.add(doc("b", " ".join([cycle] * 4)))
            assert found() == ["a", "b"]
            with pytest.raises(RuntimeError), index.atomic():  # a savepoint
                index.add(doc("c", " ".join([cycle] * 5)))
                assert found() == ["a", "b", "c"]
                raise RuntimeError("rolled back")
            assert found() == ["a", "b"]
        assert found() == ["a", "b"]


def test_a_transactions_next_handle_follows_its_writes_as_the_file_does(tmp_path: Path) -> None:
    """Inside a write transaction the next handle (a post's mark) is what the file's sequence
    says after each insert, removal and rolled-back savepoint, read from the file only as the
    transaction begins and after the rollback."""
    with SQLiteIndex(tmp_path / "i.db", CONFIG) as index:
        index.add(doc("a", A))
        conn = index.connection
        reads: list[str] = []

        def agrees() -> bool:
            mark = index.mark()
            conn.set_trace_callback(None)
            row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'documents'")
            conn.set_trace_callback(reads.append)
            return mark == int(row.fetchone()[0]) + 1

        with index.atomic():
            conn.set_trace_callback(reads.append)
            assert agrees()
            index.add(doc("b", B))
            assert agrees()
            index.remove("b")
            assert agrees()
            with pytest.raises(RuntimeError), index.atomic():
                index.add(doc("c", edited(A, 50)))
                assert agrees()
                raise RuntimeError("rolled back")
            assert agrees()
            index.add(doc("d", edited(B, 50)))
            assert agrees()
            conn.set_trace_callback(None)
        assert len([r for r in reads if "sqlite_sequence" in r]) == 2
        assert index.mark() == 4  # a 1, b 2 (removed), d 3: the handle c had, rolled back


def test_another_connection_stops_finding_a_removed_document(tmp_path: Path) -> None:
    """A reader that has read a document's band keys no longer finds it once it is removed,
    and finds the document stored again under the same id."""
    with SQLiteIndex(tmp_path / "i.db", CONFIG) as writer, SQLiteIndex(tmp_path / "i.db") as reader:
        writer.add_many([doc("a", A), doc("b", edited(A, 50))])
        assert sorted(m.id for m in reader.query(A).matches) == ["a", "b"]
        writer.remove("a")
        assert [m.id for m in reader.query(A).matches] == ["b"]
        writer.add(doc("a", edited(A, 70)))
        assert sorted(m.id for m in reader.query(A).matches) == ["a", "b"]


def test_a_handle_given_again_after_a_rollback_finds_the_new_document(tmp_path: Path) -> None:
    """A transaction rolled back gives its handles to the next documents: lookups, in the
    writer and in another connection, find those and never the rolled-back ones."""
    with SQLiteIndex(tmp_path / "i.db", CONFIG) as writer, SQLiteIndex(tmp_path / "i.db") as reader:
        with pytest.raises(RuntimeError), writer.atomic():
            writer.add(doc("lost", A))
            assert [m.id for m in writer.query(edited(A, 40)).matches] == ["lost"]
            raise RuntimeError("rolled back")
        assert writer.query(edited(A, 40)).matches == ()
        writer.add(doc("kept", B))  # the handle "lost" had
        for index in (writer, reader):
            assert index.query(edited(A, 40)).matches == ()
            assert [m.id for m in index.query(edited(B, 40)).matches] == ["kept"]


def test_after_most_documents_are_removed_a_reader_holds_only_the_living(tmp_path: Path) -> None:
    """Once the removed outnumber the stored, a reader's in-memory band keys are rebuilt from
    the file: the same answers, without the removed documents' keys."""
    docs = [doc(f"d{i:03}", text(i, 40)) for i in range(200)]
    with SQLiteIndex(tmp_path / "i.db", CONFIG) as writer, SQLiteIndex(tmp_path / "i.db") as reader:
        writer.add_many(docs)
        assert [m.id for m in reader.query(docs[7].text).matches] == ["d007"]
        for d in docs[:150]:
            writer.remove(d.id)
        for _ in range(2):  # the first read marks them removed, the next rebuilds
            assert reader.query(docs[7].text).matches == ()
            assert [m.id for m in reader.query(docs[170].text).matches] == ["d170"]
        bands = reader._store._bands  # type: ignore[attr-defined]
        assert bands._rows == 50 and not bands._dead


def test_a_reader_opened_after_removals_holds_no_dead_document(tmp_path: Path) -> None:
    """The band rows in the file are the living ones: a first read skips the removals logged
    before it instead of marking every removed handle dead."""
    docs = [doc(f"d{i:03}", text(i, 40)) for i in range(60)]
    with SQLiteIndex(tmp_path / "i.db", CONFIG) as writer:
        writer.add_many(docs)
        for d in docs[:40]:
            writer.remove(d.id)
    with SQLiteIndex(tmp_path / "i.db") as reader:
        assert reader.query(docs[7].text).matches == ()
        assert [m.id for m in reader.query(docs[50].text).matches] == ["d050"]
        bands = reader._store._bands  # type: ignore[attr-defined]
        assert bands._rows == 20 and not bands._dead


def _removed_log(path: Path) -> tuple[int, int]:
    with closing(sqlite3.connect(path)) as conn:
        low, count = conn.execute("SELECT min(n), count(*) FROM removed").fetchone()
        return int(low or 0), int(count)


def test_the_removal_log_keeps_its_last_rows_and_a_reader_behind_them_reads_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer prunes the ``removed`` log to its last rows; a reader that read the log
    before the pruned rows reads the band keys whole again and finds only the living."""
    monkeypatch.setattr("dedup._removal_log.KEPT", 5)
    docs = [doc(f"d{i:03}", text(i, 40)) for i in range(40)]
    with SQLiteIndex(tmp_path / "i.db", CONFIG) as writer, SQLiteIndex(tmp_path / "i.db") as reader:
        writer.add_many(docs)
        assert [m.id for m in reader.query(docs[3].text).matches] == ["d003"]
        for d in docs[:12]:
            writer.remove(d.id)
        assert _removed_log(tmp_path / "i.db") == (8, 5)  # 12 removals, the last 5 kept
        assert reader.query(docs[3].text).matches == ()
        assert [m.id for m in reader.query(docs[20].text).matches] == ["d020"]
        bands = reader._store._bands  # type: ignore[attr-defined]
        assert bands._rows == 28 and not bands._dead  # read whole: no dead handle


def test_a_writer_keeps_the_removals_its_own_lookups_have_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("dedup._removal_log.KEPT", 2)
    docs = [doc(f"d{i:03}", text(i, 40)) for i in range(10)]
    with SQLiteIndex(tmp_path / "i.db", CONFIG) as writer:
        writer.add_many(docs)
        with writer.atomic():  # its inversion read the log as the transaction began
            for d in docs[:6]:
                writer.remove(d.id)
            assert _removed_log(tmp_path / "i.db")[1] == 0  # uncommitted, unseen from outside
        assert _removed_log(tmp_path / "i.db") == (1, 6)  # none read when they were made
        writer.remove(docs[6].id)  # its inversion has read the six now
        assert _removed_log(tmp_path / "i.db") == (6, 2)


def test_transaction_hooks_run_as_each_outermost_transaction_begins(tmp_path: Path) -> None:
    """A hook runs once per outermost transaction, before its writes (a savepoint inside
    runs none), and sees only committed rows."""
    seen: list[int] = []
    with SQLiteIndex(tmp_path / "i.db", CONFIG) as index:
        index.on_transaction(lambda: seen.append(len(index)))
        index.add(doc("a", A))
        with index.atomic():
            index.add(doc("b", B))
            with index.atomic():
                index.add(doc("c", text(3)))
        assert seen == [0, 1]
