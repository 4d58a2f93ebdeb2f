"""Matches LSH does not propose, found among the reuse candidates, are compared like for like
too (:mod:`dedup.collection.like_for_like`): an aggregator's excerpt of an outlet's story that
kept the outlet's footer is an excerpt of the story, and a brief whose footer outweighs it a
duplicate of its copy, in answers, in ``get`` and in where they are placed."""

from __future__ import annotations

from pathlib import Path

import pytest

from dedup import Document
from dedup.collection import Collection, MatchReport
from tests._collection_support import OUTLET_FOOTER, outlet_post
from tests._index_support import text


@pytest.fixture
def learned(tmp_path: Path) -> Collection:
    """Four stories of an outlet: its footer is its boilerplate from the fourth on."""
    collection = Collection.open(tmp_path / "c.db")
    for n in range(4):
        collection.post(outlet_post(n))
    return collection


@pytest.fixture
def story(learned: Collection, long_english_articles: list[str]) -> Collection:
    """The outlet's long story, stored without its footer."""
    verdict = learned.post(
        Document("story", f"{long_english_articles[0]}\n\n{OUTLET_FOOTER}", "new-outlet")
    )
    assert verdict.boilerplate, "the footer is the outlet's boilerplate"
    return learned


def excerpt(long_english_articles: list[str]) -> Document:
    """An aggregator's copy of the story's first paragraph, the outlet's footer kept: as
    fingerprinted, 0.53 of it is in the story, and LSH does not propose the pair."""
    first = long_english_articles[0].split("\n\n")[0]
    return Document("excerpt", f"{first}\n\n{OUTLET_FOOTER}", source="aggregator")


def brief(doc_id: str, source: str) -> Document:
    """A brief of 15 words with the outlet's footer: copies of it, one with the footer cut,
    have a Jaccard of 0.29 as fingerprinted, which LSH does not propose."""
    return Document(doc_id, f"{text(500, 15)}.\n\n{OUTLET_FOOTER}", source=source)


def relations(matches: tuple[MatchReport, ...]) -> list[tuple[str, str]]:
    return [(m.id, m.relation) for m in matches]


def test_an_excerpt_that_kept_the_footer_is_a_near_duplicate(
    story: Collection, long_english_articles: list[str]
) -> None:
    """Found by the reuse candidates only, it is contained in the story like for like (it
    shared passages with it, as fingerprinted: new)."""
    doc = excerpt(long_english_articles)
    assert not story.index.query(doc).matches  # the premise: LSH does not propose it
    verdict = story.post(doc)
    assert (verdict.status, verdict.duplicate_of) == ("near_duplicate", "story")
    assert relations(verdict.matches) == [("story", "contained_in")]
    assert verdict.matches[0].containment == pytest.approx(1.0)


def test_an_excerpt_that_kept_the_footer_joins_the_storys_cluster(
    story: Collection, long_english_articles: list[str]
) -> None:
    """Placed as answered, where its stored fingerprint verifies against nothing."""
    story.post(excerpt(long_english_articles))
    assert story.get("story").members == ("story", "excerpt")


def test_an_excerpt_joins_the_story_its_window_left_out(
    story: Collection, long_english_articles: list[str]
) -> None:
    """A window without the story (undated) answers new, and places it with the story all the
    same, as the index places a document by every stored one."""
    verdict = story.post(excerpt(long_english_articles), since="2024-01-01")
    assert verdict.status == "new"
    assert story.get("excerpt").cluster == "story"


def test_a_get_of_either_lists_the_other_like_for_like(
    story: Collection, long_english_articles: list[str]
) -> None:
    """The stored excerpt is contained in the story, and the story contains it."""
    story.post(excerpt(long_english_articles))
    assert relations(story.get("excerpt").matches) == [("story", "contained_in")]
    assert relations(story.get("story").matches) == [("excerpt", "contains")]


def test_the_excerpt_rejoins_its_story_after_a_correction(
    story: Collection, long_english_articles: list[str]
) -> None:
    """The story's new title places its members again: the excerpt goes back to it like for
    like, as its post placed it."""
    story.post(excerpt(long_english_articles))
    corrected = f"{long_english_articles[0]}\n\n{OUTLET_FOOTER}"
    verdict = story.post(Document("story", corrected, "new-outlet", title="Corrected"))
    assert verdict.stored == "updated"
    assert story.get("story").members == ("story", "excerpt")


def test_a_copy_of_a_brief_its_footer_outweighs_is_a_duplicate(learned: Collection) -> None:
    """The outlet's brief is stored without its footer; an aggregator's copy keeps it: found
    by the reuse candidates only, a duplicate (it contained the brief, as fingerprinted)."""
    learned.post(brief("brief", "new-outlet"))
    copy = brief("agg", "aggregator")
    assert not learned.index.query(copy).matches  # the premise: LSH does not propose it
    verdict = learned.post(copy)
    assert (verdict.status, verdict.duplicate_of) == ("duplicate", "brief")
    assert learned.get("brief").members == ("brief", "agg")


def test_a_get_of_the_copy_of_a_brief_says_duplicate(learned: Collection) -> None:
    """The copy's matches answer as its post did: a duplicate of the brief, not containing it."""
    learned.post(brief("brief", "new-outlet"))
    learned.post(brief("agg", "aggregator"))
    assert relations(learned.get("agg").matches) == [("brief", "duplicate")]
