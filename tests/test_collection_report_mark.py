"""A post's report answers as of its verdict: what was stored before the post was decided, as
it is now (a bulk body or concurrent posts store later lines before an earlier line's report)."""

from __future__ import annotations

from pathlib import Path

from dedup import Document
from dedup.collection import Collection
from tests._index_support import text

EXCERPT = f"{text(1201, 50)}."
ARTICLE = "\n\n".join(
    [f"{text(1200, 150)}.", EXCERPT, f"{text(1202, 150)}.", f"{text(1203, 150)}."]
)


def article(published: str = "2024-03-01") -> Document:
    """A long article that holds :data:`EXCERPT` as one of its paragraphs."""
    return Document("L", ARTICLE, title="Long", published=published)


def excerpt(doc_id: str = "E") -> Document:
    """A 50-word paragraph of :func:`article`: LSH misses it, the reuse candidates find it."""
    return Document(doc_id, EXCERPT, title="Short", published="2024-03-02")


def test_a_date_only_correction_after_the_decision_keeps_the_excerpts_container(
    tmp_path: Path,
) -> None:
    """The article, corrected (its date only) between an excerpt's decision and its report,
    existed when the excerpt was decided: the excerpt is ``contained_in`` it, and joins its
    cluster."""
    with Collection.open(tmp_path / "c.db") as collection:
        collection.post(article())
        with collection.transaction():
            pending = collection.post_pending(excerpt())
            assert collection.post_pending(article("2024-03-05")).verdict.stored == "updated"
        report = collection.report_post(pending)
        assert (report.verdict.status, report.verdict.duplicate_of) == ("near_duplicate", "L")
        assert [(m.id, m.relation) for m in report.verdict.matches] == [("L", "contained_in")]
        assert report.related == ("L",)
        collection.join_cluster("E", report.related)
        assert collection.index.cluster_of("E") == "L"


def test_a_correction_is_measured_by_its_current_text(tmp_path: Path) -> None:
    """A document corrected after the decision is measured as it is now (the version the post
    was decided against is gone): an article corrected to drop the excerpt's paragraph only
    shares what is left, so the excerpt is no longer ``contained_in`` it."""
    with Collection.open(tmp_path / "c.db") as collection:
        collection.post(article())
        without = ARTICLE.replace(EXCERPT, f"{text(1204, 50)}.")
        with collection.transaction():
            pending = collection.post_pending(excerpt())
            collection.post_pending(Document("L", without, title="Long", published="2024-03-01"))
        report = collection.report_post(pending)
        assert report.verdict.status == "new"
        assert report.verdict.matches == () and report.related == ()


def test_a_document_first_stored_after_the_decision_is_not_a_whole_text_match(
    tmp_path: Path,
) -> None:
    """An excerpt decided before its article was stored answers ``new`` and lists nothing,
    as it did posted alone: the article is the later one and joins the excerpt by its own
    report."""
    with Collection.open(tmp_path / "c.db") as collection:
        with collection.transaction():
            pending = collection.post_pending(excerpt())
            later = collection.post_pending(article())
        report = collection.report_post(pending)
        assert (report.verdict.status, report.verdict.matches, report.related) == ("new", (), ())
        assert [(m.id, m.relation) for m in collection.report(later).matches] == [("E", "contains")]


def test_a_document_first_stored_after_the_decision_does_not_share_passages(
    tmp_path: Path,
) -> None:
    """Documents stored after a post was decided are not listed as ``shares_passages`` either:
    of eight outlets' posts sharing one passage, decided in turn, each report lists the
    earlier ones only, as each post alone would."""
    shared = f"{text(1300, 60)}."
    docs = [
        Document(f"D{n}", f"{text(1400 + n, 100)}.\n\n{shared}\n\n{text(1500 + n, 100)}.", f"s{n}")
        for n in range(8)
    ]
    with Collection.open(tmp_path / "c.db") as collection:
        with collection.transaction():
            pendings = [collection.post_pending(doc) for doc in docs]
        for n, pending in enumerate(pendings):
            matches = collection.report(pending).matches
            assert [m.id for m in matches] == [f"D{k}" for k in range(n)]
            assert {m.relation for m in matches} <= {"shares_passages"}


def test_a_document_deleted_and_stored_again_after_the_decision_is_not_listed(
    tmp_path: Path,
) -> None:
    """A document deleted and posted again after a post was decided is a later document, not
    one that existed when the post was decided, though its id did."""
    with Collection.open(tmp_path / "c.db") as collection:
        collection.post(article())
        collection.delete("L")
        with collection.transaction():
            pending = collection.post_pending(excerpt())
            collection.post_pending(article())
        assert collection.report_post(pending).verdict.matches == ()
