"""A footer that removals left on too few stories, learned again: the posts stored meanwhile,
which kept it, are refreshed as the first early posts were (dedup.collection.refresh)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from dedup import Document
from dedup.collection import Collection, Verdict
from tests._collection_support import outlet_post, short_story

#: An aggregator's reprint of the outlet's fifth article, without the outlet's footer.
REPRINT = Document("reprint", short_story(4), source="aggregator")


def learned(path: Path) -> Collection:
    """A collection whose fourth post of the outlet learned its footer (and refreshed the
    first three)."""
    collection = Collection.open(path)
    for n in range(4):
        collection.post(outlet_post(n))
    return collection


def as_fresh(path: Path, docs: Sequence[Document]) -> Verdict:
    """The reprint's verdict in a collection that was only ever posted ``docs``."""
    with Collection.open(path) as fresh:
        for doc in docs:
            fresh.post(doc)
        return fresh.check(REPRINT)


def answer(verdict: Verdict) -> tuple[str, str | None]:
    return verdict.status, verdict.duplicate_of


def test_posts_stored_while_deletions_left_the_footer_too_rare_are_refreshed(
    tmp_path: Path,
) -> None:
    """Deletions leave one story with the footer, the next two posts keep it, the third finds
    it again: a reprint of one of the two answers as in a collection without the deleted."""
    with learned(tmp_path / "c.db") as collection:
        for n in (1, 2, 3):
            collection.delete(f"new-outlet-{n}")
        for n in (4, 5):
            assert collection.post_pending(outlet_post(n)).verdict.boilerplate == ()
        assert collection.post_pending(outlet_post(6)).refreshed == (
            "new-outlet-4",
            "new-outlet-5",
        )
        verdict = collection.check(REPRINT)
    wanted = as_fresh(tmp_path / "fresh.db", [outlet_post(n) for n in (0, 4, 5, 6)])
    assert answer(verdict) == answer(wanted) == ("duplicate", "new-outlet-4")


def test_updates_that_drop_the_footer_count_as_its_carriers_removed(tmp_path: Path) -> None:
    """Posts updated without the footer leave it on too few stories as deletions do."""
    updates = [Document(f"new-outlet-{n}", short_story(n), source="new-outlet") for n in (1, 2, 3)]
    with learned(tmp_path / "c.db") as collection:
        for doc in updates:
            assert collection.post(doc).stored == "updated"
        for n in (4, 5, 6):
            collection.post(outlet_post(n))
        verdict = collection.check(REPRINT)
    wanted = as_fresh(
        tmp_path / "fresh.db", [outlet_post(0), *updates, *map(outlet_post, (4, 5, 6))]
    )
    assert answer(verdict) == answer(wanted) == ("duplicate", "new-outlet-4")


def test_deletions_by_another_writer_of_the_file_are_seen(tmp_path: Path) -> None:
    """A writer that already looked its reopened keys up sees those another one's deletions
    reopened since."""
    path = tmp_path / "c.db"
    with learned(path) as collection, Collection.open(path) as other:
        collection.post(outlet_post(4))  # stripped of the footer, its keys looked up
        for n in (1, 2, 3, 4):
            other.delete(f"new-outlet-{n}")
        for n in (5, 6, 7):
            collection.post(outlet_post(n))
        verdict = collection.check(Document("reprint", short_story(5), source="aggregator"))
    assert answer(verdict) == ("duplicate", "new-outlet-5")


def test_a_file_from_before_reopening_gets_its_table_when_opened(tmp_path: Path) -> None:
    """A file written without the ``reopened`` table is given it by the first writer, whose
    deletions then reopen the footer."""
    path = tmp_path / "c.db"
    learned(path).close()
    with sqlite3.connect(path) as conn:  # as the code before reopening left it
        conn.execute("DROP TABLE reopened")
    with Collection.open(path, readonly=True) as reader:
        assert answer(reader.check(REPRINT))[0] != "duplicate"
    with Collection.open(path) as collection:
        for n in (1, 2, 3):
            collection.delete(f"new-outlet-{n}")
        for n in (4, 5, 6):
            collection.post(outlet_post(n))
        assert answer(collection.check(REPRINT)) == ("duplicate", "new-outlet-4")
