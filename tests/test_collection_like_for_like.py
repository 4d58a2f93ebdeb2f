"""Two documents fingerprinted with different boilerplate removed are compared like for like:
the same text is a duplicate whatever source posts it, a copy a near duplicate, and a long
article quoting a stored brief stays new (:mod:`dedup.collection.like_for_like`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from dedup import Document
from dedup.collection import Collection, MatchReport
from dedup.fingerprint import Fingerprinter
from tests._collection_support import OUTLET_FOOTER, outlet_post, short_story
from tests._index_support import edited, text

#: The outlet whose footer the collection learns; its fourth story is the stored brief.
BRIEF = "new-outlet-3"


@pytest.fixture
def learned(tmp_path: Path) -> Collection:
    """Four stories of an outlet, its footer boilerplate there from the fourth on (the first
    three refreshed then): every one stored without the footer."""
    collection = Collection.open(tmp_path / "c.db")
    for n in range(4):
        collection.post(outlet_post(n))
    assert collection.check(outlet_post(3)).boilerplate, "the footer is the outlet's boilerplate"
    return collection


def brief_text() -> str:
    return outlet_post(3).text


def relations(matches: Sequence[MatchReport]) -> list[tuple[str, str]]:
    return [(m.id, m.relation) for m in matches]


def test_the_same_text_from_another_source_is_a_duplicate(learned: Collection) -> None:
    """An aggregator reposting the brief verbatim, footer included (not boilerplate there):
    a duplicate of the brief, where its footer made it only contain the brief (new)."""
    verdict = learned.post(Document("agg", brief_text(), source="aggregator"))
    assert (verdict.status, verdict.duplicate_of) == ("duplicate", BRIEF)
    assert relations(verdict.matches) == [(BRIEF, "duplicate")]


def test_the_same_text_from_another_source_joins_the_cluster(learned: Collection) -> None:
    """Placed as answered: in the brief's cluster, not founding one of its own."""
    learned.post(Document("agg", brief_text(), source="aggregator"))
    assert learned.get("agg").cluster == BRIEF
    assert learned.get(BRIEF).members == (BRIEF, "agg")


def test_the_same_text_without_a_source_is_a_duplicate(learned: Collection) -> None:
    """A check with no source (no boilerplate learned for it): a duplicate of the brief."""
    verdict = learned.check(Document("anon", brief_text()))
    assert (verdict.status, verdict.duplicate_of) == ("duplicate", BRIEF)


@pytest.mark.parametrize(
    "footer",
    [OUTLET_FOOTER.upper(), OUTLET_FOOTER.replace(" ", "  "), OUTLET_FOOTER.replace(". ", ".\n")],
    ids=["upper-case", "spaced", "wrapped"],
)
def test_a_copy_whose_footer_differs_in_case_or_spacing_is_a_duplicate(
    learned: Collection, footer: str
) -> None:
    """The copy normalises as the brief does, so the footer is found in it as the outlet's."""
    verdict = learned.check(Document("agg", f"{short_story(3)}\n\n{footer}", "aggregator"))
    assert (verdict.status, verdict.duplicate_of) == ("duplicate", BRIEF)


def test_both_sides_list_each_other_as_duplicates(learned: Collection) -> None:
    """A stored document's matches are compared like for like too: each lists the other."""
    learned.post(Document("agg", brief_text(), source="aggregator"))
    assert relations(learned.get("agg").matches) == [(BRIEF, "duplicate")]
    assert relations(learned.get(BRIEF).matches) == [("agg", "duplicate")]


def test_an_edited_copy_from_another_source_is_a_near_duplicate(learned: Collection) -> None:
    """The brief with a word changed, footer included: a copy (near_duplicate, in the brief's
    cluster), measured without the footer on either side."""
    story, changed = short_story(3), edited(short_story(3), 100, 30)
    copy = Document("agg", changed + "\n\n" + OUTLET_FOOTER, source="aggregator")
    verdict = learned.post(copy)
    assert (verdict.status, verdict.duplicate_of) == ("near_duplicate", BRIEF)
    fingerprint = Fingerprinter(learned.config).fingerprint
    alike = fingerprint([changed, story])
    inter = len(set(alike[0].shingles.tolist()) & set(alike[1].shingles.tolist()))
    union = len(set(alike[0].shingles.tolist()) | set(alike[1].shingles.tolist()))
    assert verdict.matches[0].jaccard == pytest.approx(inter / union)
    assert learned.get("agg").cluster == BRIEF


def test_a_long_article_quoting_the_brief_with_its_footer_stays_new(
    learned: Collection, long_english_articles: list[str]
) -> None:
    """The excerpt rule holds: an aggregator's long article quoting the brief, the brief's
    footer at its end, contains the brief like for like too: new, in a cluster of its own."""
    paragraphs = long_english_articles[0].split("\n\n")
    paragraphs.insert(len(paragraphs) // 2, short_story(3))
    article = "\n\n".join([*paragraphs, OUTLET_FOOTER])
    verdict = learned.post(Document("long", article, source="aggregator"))
    assert (verdict.status, verdict.duplicate_of) == ("new", None)
    assert relations(verdict.matches) == [(BRIEF, "contains")]
    assert learned.get("long").cluster == "long"


def test_a_brief_with_an_added_paragraph_answers_as_under_its_own_source(
    learned: Collection,
) -> None:
    """The brief plus a paragraph of 25 words, footer included: it contains the brief (new)
    whichever source posts it. Compared whole, the footer both carry would count as shared
    text and make the aggregator's a copy (containments 0.70 and 0.95)."""
    text_of = short_story(3) + "\n\n" + text(999, 25) + ".\n\n" + OUTLET_FOOTER
    own = learned.check(Document("own", text_of, source="new-outlet"))
    other = learned.check(Document("other", text_of, source="aggregator"))
    assert (own.status, relations(own.matches)) == ("new", [(BRIEF, "contains")])
    assert (other.status, relations(other.matches)) == ("new", [(BRIEF, "contains")])
    assert other.matches[0].containment == pytest.approx(own.matches[0].containment)


def test_a_reprint_with_a_footer_of_its_own_is_measured_as_before(learned: Collection) -> None:
    """Nothing one removed is carried by the other (the reprint's footer is its own): the
    match is the index's, measured on the fingerprints as stored."""
    reprint = Document("reprint", short_story(3) + "\n\nReprinted by The Other Paper.", "other")
    expected = [
        (m.id, m.relation.value, m.jaccard, m.containment_a_in_b)
        for m in learned.index.query(reprint).matches
    ]
    verdict = learned.post(reprint)
    assert verdict.status == "near_duplicate"
    found = [(m.id, m.relation, m.jaccard, m.containment) for m in verdict.matches]
    assert found == expected


def test_a_copy_of_a_document_loaded_with_its_footer_is_a_duplicate(tmp_path: Path) -> None:
    """Loaded whole (as ``dedup bulk --db`` without learning boilerplate), never judged again;
    once posts make the footer boilerplate, a post of the same text is stripped of it: still a
    duplicate of the loaded document, in its cluster."""
    collection = Collection.open(tmp_path / "c.db")
    loaded = [outlet_post(n, "ledger") for n in range(3)]
    fingerprint = Fingerprinter(collection.config).fingerprint_one
    collection.load(loaded, [fingerprint(doc.text) for doc in loaded])
    for n in range(10, 14):
        collection.post(outlet_post(n, "ledger"))
    verdict = collection.post(Document("copy", loaded[0].text, source="ledger"))
    assert verdict.boilerplate, "the footer is boilerplate now"
    assert (verdict.status, verdict.duplicate_of) == ("duplicate", "ledger-0")
    assert collection.get("copy").cluster == "ledger-0"
