"""An excerpt that joined its story's cluster through the reuse candidates (LSH does not
propose it) stays with the story, or goes with a copy of it, whenever the story's cluster is
placed again: a correction or a new title of the story, its refresh, its deletion."""

from __future__ import annotations

import pytest

from dedup import Document
from dedup.collection import Collection
from tests._collection_support import OUTLET_FOOTER, outlet_post


@pytest.fixture
def story(long_english_articles: list[str]) -> str:
    """A long story: six articles end to end."""
    return "\n\n".join(long_english_articles[:6])


@pytest.fixture
def excerpt(long_english_articles: list[str]) -> Document:
    """One article of the story, from another source: a tenth of it, which LSH does not
    propose as a candidate of the story (Jaccard about 0.1)."""
    return Document("excerpt", long_english_articles[2], source="aggregator")


def posted(collection: Collection, story: Document, excerpt: Document) -> None:
    """The story, then its excerpt, which joins its cluster through the reuse candidates."""
    collection.post(story)
    assert not collection.index.query(excerpt).matches  # the premise: LSH does not propose it
    collection.post(excerpt)
    assert collection.get("excerpt").cluster == "story"


def test_a_corrected_story_keeps_its_excerpt(
    collection: Collection, story: str, excerpt: Document
) -> None:
    """A correction (a line appended) places the story's members again; the excerpt joins the
    new version, as it would join it in a collection holding the final texts."""
    posted(collection, Document("story", story), excerpt)
    verdict = collection.post(Document("story", f"{story}\n\nCorrection: a name was misspelt."))
    assert verdict.stored == "updated"
    assert collection.get("excerpt").members == ("story", "excerpt")


def test_a_retitled_story_keeps_its_excerpt(
    collection: Collection, story: str, excerpt: Document
) -> None:
    """A new title alone is an update too: the excerpt stays in the story's cluster."""
    posted(collection, Document("story", story, title="Old headline"), excerpt)
    verdict = collection.post(Document("story", story, title="New headline"))
    assert verdict.stored == "updated"
    assert collection.get("excerpt").members == ("story", "excerpt")


def test_deleting_the_story_puts_its_excerpt_with_a_copy_that_remains(
    collection: Collection, story: str, excerpt: Document
) -> None:
    """The excerpt is contained in the copy as it was in the story: it joins the copy, which
    founds the cluster though it is dated after the excerpt."""
    collection.post(Document("story", story, published="2024-05-01"))
    collection.post(Document("copy", story.replace("the", "teh", 3), published="2024-05-03"))
    posted_excerpt = Document(excerpt.id, excerpt.text, excerpt.source, "2024-05-02")
    collection.post(posted_excerpt)
    assert collection.get("excerpt").members == ("story", "excerpt", "copy")  # the premise
    collection.delete("story")
    assert collection.get("excerpt").members == ("copy", "excerpt")


def test_a_refreshed_story_keeps_its_excerpt(
    collection: Collection, story: str, excerpt: Document
) -> None:
    """The story was posted with its outlet's footer before the footer was boilerplate; the
    post that finds it fingerprints the story anew, which places its members again."""
    posted(collection, Document("story", f"{story}\n\n{OUTLET_FOOTER}", "new-outlet"), excerpt)
    for n in (1, 2):
        collection.post(outlet_post(n))
    assert "story" in collection.post_pending(outlet_post(3)).refreshed  # the premise
    assert collection.get("excerpt").members == ("story", "excerpt")


def test_a_refreshed_excerpt_stays_with_its_story(
    collection: Collection, story: str, excerpt: Document
) -> None:
    """The excerpt was posted with its own outlet's footer; fingerprinted anew without it, it
    is placed again, and joins the story as its post did."""
    footed = Document("excerpt", f"{excerpt.text}\n\n{OUTLET_FOOTER}", "new-outlet")
    posted(collection, Document("story", story, "wire"), footed)
    for n in (1, 2):
        collection.post(outlet_post(n))
    assert "excerpt" in collection.post_pending(outlet_post(3)).refreshed  # the premise
    assert collection.get("excerpt").members == ("story", "excerpt")


def test_a_delete_after_a_post_in_one_transaction_places_the_excerpt(
    collection: Collection, story: str, excerpt: Document
) -> None:
    """A writer that commits a batch at a time (the service's) deletes after posts in the same
    transaction: the reuse candidates it looks up then see the batch's writes."""
    collection.post(Document("story", story, published="2024-05-01"))
    collection.post(Document(excerpt.id, excerpt.text, excerpt.source, "2024-05-02"))
    with collection.transaction():
        collection.post(Document("copy", story.replace("the", "teh", 3), published="2024-05-03"))
        collection.delete("story")
    assert collection.get("excerpt").members == ("copy", "excerpt")
