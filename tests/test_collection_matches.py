"""What a collection's answers say of the stored documents they match: passages, the reuse
candidates (excerpts LSH misses, passages shared), a stored document's view and its window."""

from __future__ import annotations

import json
import random
from pathlib import Path

from dedup import Document
from dedup.collection import Collection
from dedup.synth import char_noise, reuse_corpus
from tests._collection_support import FOOTERS


def test_cut_reprint_is_near_duplicate_with_passages(
    collection: Collection, long_english_articles: list[str]
) -> None:
    """A reprint keeping half the article is contained in it, with the passage located."""
    original = long_english_articles[1]
    collection.post(Document("original", original))
    half = original[: len(original) // 2]
    verdict = collection.check(Document("reprint", half))
    assert verdict.status == "near_duplicate"
    match = verdict.matches[0]
    assert (match.id, match.relation) == ("original", "contained_in")
    assert match.containment > 0.9
    passage = max(match.passages, key=lambda p: p.a[1] - p.a[0])
    assert half[passage.a[0] : passage.a[1]] == original[passage.b[0] : passage.b[1]]


def test_an_ocr_noised_whole_copy_is_a_near_duplicate_of_its_original(
    collection: Collection, article: str
) -> None:
    """A whole copy with 1 % of its characters changed (Jaccard 0.64, containment about 0.78
    each way) is answered as a copy: relation and status near_duplicate, not contained_in."""
    collection.post(Document("original", article))
    verdict = collection.post(Document("ocr", char_noise(article, random.Random(1), 0.01)))
    assert (verdict.status, verdict.duplicate_of) == ("near_duplicate", "original")
    match = verdict.matches[0]
    assert match.jaccard < 0.7
    assert (match.id, match.relation) == ("original", "near_duplicate")


def test_the_original_checked_against_its_ocr_noised_copy_is_a_near_duplicate(
    collection: Collection, article: str
) -> None:
    """The other direction agrees: the clean text is a copy of the noisy one, which is stored
    in its cluster."""
    collection.post(Document("ocr", char_noise(article, random.Random(1), 0.01)))
    collection.post(Document("original", article))
    view = collection.get("original")
    assert [(m.id, m.relation) for m in view.matches] == [("ocr", "near_duplicate")]
    assert (view.cluster, view.members) == ("ocr", ("ocr", "original"))


def test_a_short_excerpt_lsh_misses_is_contained_in_its_story(
    collection: Collection, long_english_articles: list[str]
) -> None:
    """An excerpt a tenth of its story's length is no LSH candidate of it (Jaccard about 0.1);
    the reuse candidates propose it, and measured whole it is contained in the story: the
    post says so, as it would of an LSH match, and points to its story."""
    story = "\n\n".join(long_english_articles[:6])
    collection.post(Document("story", story))
    excerpt = Document("excerpt", long_english_articles[2])
    assert not collection.index.query(excerpt).matches  # the premise: LSH did not propose it
    verdict = collection.post(excerpt)
    assert (verdict.status, verdict.duplicate_of) == ("near_duplicate", "story")
    match = verdict.matches[0]
    assert (match.id, match.relation, match.containment) == ("story", "contained_in", 1.0)
    assert match.passages


def test_a_short_excerpt_lsh_misses_joins_its_storys_cluster(
    collection: Collection, long_english_articles: list[str]
) -> None:
    """The post that finds its story among the reuse candidates also places the excerpt in the
    story's cluster: a stored document's view agrees with what its post answered."""
    collection.post(Document("story", "\n\n".join(long_english_articles[:6])))
    excerpt = Document("excerpt", long_english_articles[2])
    assert not collection.index.query(excerpt).matches  # the premise: LSH did not propose it
    collection.post(excerpt)
    view = collection.get("excerpt")
    assert (view.cluster, view.members) == ("story", ("story", "excerpt"))
    assert [(m.id, m.relation) for m in view.matches] == [("story", "contained_in")]


def test_a_posts_window_narrows_its_answer_but_not_its_placement(
    collection: Collection, long_english_articles: list[str]
) -> None:
    """Posted with a window that leaves its story out (the same source, or published before
    ``since``), an excerpt answers new, as the window asks, and still joins the story's
    cluster: the index places every document by everything stored."""
    story = "\n\n".join(long_english_articles[:6])
    collection.post(Document("story", story, source="Wire", published="2024-05-01"))
    windows = ({"exclude_same_source": True}, {"since": "2024-05-02"})
    for k, window in enumerate(windows):
        excerpt = Document(f"excerpt{k}", long_english_articles[2 + k], "Wire", "2024-05-03")
        assert not collection.index.query(excerpt).matches  # the premise: LSH did not propose it
        verdict = collection.post(excerpt, **window)
        assert (verdict.status, verdict.matches) == ("new", ())
        assert collection.get(excerpt.id).cluster == "story"


def test_a_post_report_names_nothing_to_place_for_a_re_post(
    collection: Collection, long_english_articles: list[str]
) -> None:
    """A re-post of a stored document places nothing (the index placed it when it was stored),
    window or not."""
    collection.post(Document("story", "\n\n".join(long_english_articles[:6]), source="Wire"))
    excerpt = Document("excerpt", long_english_articles[2], source="Wire")
    collection.post(excerpt)
    for window in ({}, {"exclude_same_source": True}):
        report = collection.report_post(collection.post_pending(excerpt, **window))
        assert (report.verdict.stored, report.related) == ("unchanged", ())


def test_a_storys_view_lists_an_excerpt_stored_after_it(
    collection: Collection, long_english_articles: list[str]
) -> None:
    """A stored document's matches include what LSH does not propose: its excerpts."""
    collection.post(Document("story", "\n\n".join(long_english_articles[:6])))
    collection.post(Document("excerpt", long_english_articles[2]))
    match = collection.get("story").matches[0]
    assert (match.id, match.relation, match.containment_reverse) == ("excerpt", "contains", 1.0)
    assert match.passages


def test_a_post_reported_after_a_later_copy_is_stored_stays_new(
    collection: Collection, long_english_articles: list[str]
) -> None:
    """A report may run after later posts are stored (a service's readers report while its
    writer goes on): a copy stored after the post was decided is no match of it, so the first
    of many posts of one article stays the one ``new``."""
    text = long_english_articles[0]
    with collection.transaction():
        first = collection.post_pending(Document("first", text))
    assert collection.post(Document("second", text)).duplicate_of == "first"
    verdict = collection.report(first)
    assert (verdict.status, verdict.duplicate_of) == ("new", None)


def test_reused_paragraphs_are_found_with_offsets(collection: Collection) -> None:
    """An article reusing passages of a stored one is matched as shares_passages."""
    docs, pairs = reuse_corpus(seed=4)
    by_id = {d.id: d for d in docs}
    pair = pairs[0]
    collection.post(by_id[pair.a])
    verdict = collection.check(by_id[pair.b])
    assert verdict.status == "new"
    match = next(m for m in verdict.matches if m.id == pair.a)
    assert match.relation == "shares_passages"
    planted_b = {b for _, b in pair.passages}
    found_b = [p.a for p in match.passages]
    for start, end in planted_b:
        assert any(s < end and start < e for s, e in found_b)


def test_footers_are_boilerplate_and_not_reuse(
    collection: Collection, sample: list[Document]
) -> None:
    """Once the sample is stored, a new article's footers are boilerplate, never a passage."""
    for doc in sample[:9]:
        collection.post(doc)
    last = sample[9]
    verdict = collection.check(last)
    assert sorted(last.text[s:e] for s, e in verdict.boilerplate) == sorted(FOOTERS)
    for match in verdict.matches:
        for passage in match.passages:
            assert not any(f in last.text[passage.a[0] : passage.a[1]] for f in FOOTERS)


def test_get_returns_cluster_and_matches(collection: Collection, sample: list[Document]) -> None:
    """get() shows a stored article's cluster, members and matches."""
    collection.post(sample[0])
    collection.post(Document("copy", sample[0].text, published="2030-01-01T00:00:00Z"))
    view = collection.get("copy")
    assert view.cluster == sample[0].id
    assert view.members == (sample[0].id, "copy")
    assert [m.id for m in view.matches] == [sample[0].id]
    assert view.to_dict()["canonical"] is False


def test_get_filters_its_matches_by_the_window_but_not_its_cluster(
    collection: Collection, long_english_articles: list[str]
) -> None:
    """A window narrows a stored document's matches, LSH's and the reuse candidates' alike;
    its cluster and members stay whole."""
    text, story = long_english_articles[0], "\n\n".join(long_english_articles[1:7])
    collection.post(Document("a", text, source="Wire", published="2024-05-01"))
    collection.post(Document("story", story, source="Wire", published="2024-05-01"))
    collection.post(Document("b", text, source="Wire", published="2024-05-02"))
    excerpt = long_english_articles[3]
    collection.post(Document("excerpt", excerpt, source="Wire", published="2024-05-03"))
    for doc_id, match in (("b", "a"), ("excerpt", "story")):
        assert [m.id for m in collection.get(doc_id).matches] == [match]
        assert collection.get(doc_id, exclude_same_source=True).matches == ()
        assert collection.get(doc_id, since="2024-05-02").matches == ()
        assert collection.get(doc_id, until="2024-05-02").matches[0].id == match
        assert collection.get(doc_id, since="2024-05-02").cluster == match


def test_exclude_same_source_drops_matches_from_the_source(collection: Collection) -> None:
    """With exclude_same_source, an article from the same outlet is not a match."""
    text = "A wire story about the summit of leaders on trade, energy and security policy."
    collection.post(Document("a", text, source="Wire"))
    probe = Document("b", text, source="Wire")
    assert collection.check(probe).status == "duplicate"
    assert collection.check(probe, exclude_same_source=True).status == "new"


def test_stored_boilerplate_spans_are_used_for_alignment(
    collection: Collection, sample: list[Document]
) -> None:
    """A stored article's boilerplate is judged once, at post time, and kept with its text."""
    for doc in sample:
        collection.post(doc)
    row = collection.connection.execute(
        "SELECT boilerplate FROM texts WHERE id = ?", (sample[9].id,)
    ).fetchone()
    assert row[0] is not None and len(json.loads(row[0])) == 2


def test_a_post_reported_on_another_instance_gives_the_verdict_of_a_plain_post(
    tmp_path: Path,
) -> None:
    """post_pending stores and decides the status; report, on a read-only instance of the
    file after the commit, adds the passages: together exactly what post answers."""
    docs, _ = reuse_corpus(seed=3)
    with (
        Collection.open(tmp_path / "plain.db") as plain,
        Collection.open(tmp_path / "split.db") as writer,
        Collection.open(tmp_path / "split.db", readonly=True) as reader,
    ):
        reported = 0
        for doc in docs[:40]:
            expected = plain.post(doc)
            pending = writer.post_pending(doc)
            assert (pending.verdict.status, pending.verdict.stored) == (
                expected.status,
                expected.stored,
            )
            assert reader.report(pending) == expected
            reported += bool(expected.matches)
        assert reported  # the corpus has matches whose passages were aligned


def test_passages_follow_a_stored_text_replaced_after_it_was_aligned(
    tmp_path: Path, long_english_articles: list[str]
) -> None:
    """A reader that aligned against a stored text keeps it ready for the next post, and must
    notice when that text is replaced: the passages are located in the new stored text."""
    first, second = long_english_articles[1], long_english_articles[2]
    with (
        Collection.open(tmp_path / "a.db") as writer,
        Collection.open(tmp_path / "a.db", readonly=True) as reader,
    ):
        writer.post(Document("original", first))
        before = reader.check(Document("r1", first[: len(first) // 2]))
        assert [m.id for m in before.matches] == ["original"]
        writer.post(Document("original", "Update. " + second))
        reprint = second[: len(second) // 2]
        after = reader.check(Document("r2", reprint))
        match = after.matches[0]
        assert match.id == "original"
        stored = "Update. " + second
        assert match.passages
        for passage in match.passages:
            assert reprint[passage.a[0] : passage.a[1]] == stored[passage.b[0] : passage.b[1]]


def test_a_stored_view_lists_back_what_lists_it(
    collection: Collection, long_english_articles: list[str]
) -> None:
    """Three posts of an outlet carry its footer, not yet boilerplate when each was stored (a
    post is judged without itself); another outlet's page carrying the footer shares it with
    them. Each view aligns its own side as stored, as it aligns the other's, so the relation
    is listed from both ends with the same passages mirrored."""
    footer = (
        "Copyright 2024 The Daily Ledger. All rights reserved. This material may not be "
        "published, broadcast, rewritten or redistributed without the prior written permission "
        "of the publisher.\n\nFollow The Daily Ledger on X and Facebook for the latest news "
        "from around the world."
    )
    for k in range(3):
        collection.post(Document(f"ledger{k}", f"{long_english_articles[k]}\n\n{footer}", "L"))
    collection.post(Document("other", f"{long_english_articles[5]}\n\n{footer}", "Gazette"))
    listed = {m.id: m for m in collection.get("other").matches}
    assert set(listed) == {"ledger0", "ledger1", "ledger2"}
    for k in range(3):
        back = {m.id: m for m in collection.get(f"ledger{k}").matches}
        assert [(p.b, p.a) for p in back["other"].passages] == [
            (p.a, p.b) for p in listed[f"ledger{k}"].passages
        ]
