"""An outlet of short articles under a long footer, posted to a collection (a real SQLite
file): once three of them are stored, the footer is boilerplate and later posts are new, not
near-duplicates of the earlier ones through the footer (as each post was, before the story
count left the judged paragraph out)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dedup import Document
from dedup.collection import Collection
from tests._collection_support import OUTLET_FOOTER, brief_post


@pytest.fixture
def briefs(tmp_path: Path) -> Collection:
    """A collection holding the first three briefs of an outlet."""
    collection = Collection.open(tmp_path / "c.db")
    for n in range(3):
        collection.post(brief_post(n))
    return collection


def test_the_fourth_brief_is_stripped_of_the_footer(briefs: Collection) -> None:
    doc = brief_post(3)
    verdict = briefs.post(doc)
    assert [doc.text[s:e] for s, e in verdict.boilerplate] == [OUTLET_FOOTER]


def test_briefs_posted_once_the_footer_is_learned_are_new(briefs: Collection) -> None:
    verdicts = [briefs.post(brief_post(n)) for n in range(3, 6)]
    assert [(v.status, v.matches) for v in verdicts] == [("new", ())] * 3


def test_an_early_brief_matches_no_other_brief_once_the_footer_is_learned(
    briefs: Collection,
) -> None:
    """The briefs stored before were fingerprinted anew without the footer (the refresh):
    a copy of one of them is its duplicate, and related to no other brief."""
    briefs.post(brief_post(3))
    verdict = briefs.check(Document("copy", brief_post(1).text, source="brief-outlet"))
    assert (verdict.status, [m.id for m in verdict.matches]) == ("duplicate", ["brief-outlet-1"])
