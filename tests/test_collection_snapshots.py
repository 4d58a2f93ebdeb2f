"""A read-only verb of a collection (a check, a view, a post's report) answers from one
snapshot of the file: a writer that corrects or deletes a document between two of its
statements (another connection, as the service's writer process is) changes nothing in the
answer, which is the one it would have given just before that commit."""

from __future__ import annotations

from pathlib import Path

import pytest

from dedup import Document
from dedup.collection import Collection
from tests._index_support import text, written_between

SHARED = text(3001, 40) + "."


def story(n: int, doc_id: str, source: str) -> Document:
    """A story of its own around the passage every story here shares."""
    body = f"{text(3002 + n, 60)}.\n\n{SHARED}\n\n{text(3010 + n, 60)}."
    return Document(doc_id, body, source=source)


@pytest.fixture
def stored(tmp_path: Path) -> Path:
    """A file holding ``x`` and ``y``, two stories that share a passage."""
    path = tmp_path / "c.db"
    with Collection.open(path) as collection:
        collection.post(story(0, "x", "S"))
        collection.post(story(20, "y", "T"))
    return path


def test_a_check_reports_a_document_corrected_meanwhile_as_it_was(stored: Path) -> None:
    """``x`` corrected between the reuse lookup that finds it and the reads that measure it:
    the check still reports the passage it shares, as before the correction; the next check
    reads the correction."""
    probe = Document("z", story(20, "z", "U").text, source="U")
    with Collection.open(stored) as writer, Collection.open(stored, readonly=True) as reader:
        before = reader.check(probe)
        raced = written_between(
            reader.connection, "FROM reuse_sets WHERE seq", lambda: writer.post(story(1, "x", "S"))
        )
        during = reader.check(probe)
        assert raced
        assert during == before
        assert {m.id for m in during.matches} == {"x", "y"}
        assert reader.check(probe) != before  # the next check reads the corrected x


def test_a_view_of_a_document_deleted_meanwhile_is_the_document_as_it_was(
    stored: Path,
) -> None:
    """``y`` deleted after its row is read and before its text is: the view is the whole of
    ``y`` as stored, not a 404 half-way."""
    with Collection.open(stored) as writer, Collection.open(stored, readonly=True) as reader:
        before = reader.get("y")
        raced = written_between(reader.connection, "WHERE id = 'y'", lambda: writer.delete("y"))
        during = reader.get("y")
        assert raced
        assert during == before
        assert [m.id for m in during.matches] == ["x"]


def test_a_posts_report_counts_a_document_corrected_meanwhile_as_it_was(stored: Path) -> None:
    """A post's report (on a reader, after the writer committed the post) while ``x`` is
    corrected between two of its reads: the report of the collection as it was."""
    post = story(20, "z", "U")
    with Collection.open(stored) as writer, Collection.open(stored, readonly=True) as reader:
        pending = writer.post_pending(post)
        before = reader.report_post(pending)
        raced = written_between(
            reader.connection, "FROM reuse_sets WHERE seq", lambda: writer.post(story(1, "x", "S"))
        )
        during = reader.report_post(pending)
        assert raced
        assert during == before
        assert {m.id for m in during.verdict.matches} == {"x", "y"}


def test_a_write_inside_a_read_snapshot_is_refused(stored: Path) -> None:
    """A write begun inside a read snapshot would start from its stale state: refused, and
    nothing is written."""
    with Collection.open(stored) as collection:
        with pytest.raises(RuntimeError, match="read snapshot"), collection.index.reading():
            collection.index.remove("x")
        assert "x" in collection
