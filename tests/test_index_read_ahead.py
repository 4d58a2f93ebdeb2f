"""``SQLiteIndex.read_ahead``: what others committed, read into memory without the write lock,
so that a write transaction begun next holds the lock only for what it writes."""

from __future__ import annotations

from pathlib import Path

from _index_support import CONFIG, doc, text

from dedup.index import SQLiteIndex

A = text(1)
B = text(2)


def test_it_reads_what_others_committed_while_another_holds_the_write_lock(
    tmp_path: Path,
) -> None:
    """With no wait allowed (``busy_timeout=0``) it still reads: it takes no lock; the
    transaction hooks run in it and see the committed rows only."""
    path = tmp_path / "i.db"
    seen: list[int] = []
    with SQLiteIndex(path, CONFIG) as writer, SQLiteIndex(path, busy_timeout=0) as late:
        late.on_transaction(lambda: seen.append(len(late)))
        writer.add(doc("a", A))
        with writer.atomic():
            writer.add(doc("b", B))  # not committed: not seen
            late.read_ahead()
        assert seen == [1]


def test_inside_a_transaction_it_reads_nothing(tmp_path: Path) -> None:
    """What a transaction sees may be rolled back: the hooks run as it began, not again."""
    seen: list[int] = []
    with SQLiteIndex(tmp_path / "i.db", CONFIG) as index:
        index.on_transaction(lambda: seen.append(len(index)))
        with index.atomic():
            index.add(doc("a", A))
            index.read_ahead()
        assert seen == [0]
