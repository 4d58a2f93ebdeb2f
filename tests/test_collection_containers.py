"""A post that contains a stored document (a long article quoting a stored brief) is new content:
answered ``new`` with the ``contains`` match listed, and not placed in the brief's cluster; an
excerpt posted after its story is still its near duplicate, in its cluster."""

from __future__ import annotations

from dedup import Document
from dedup.collection import Collection

BRIEF = (
    "The Federal Reserve said on Wednesday it would hold interest rates steady, citing continued"
    " uncertainty about inflation and a labour market that remains tight despite recent signs of"
    " cooling."
)


def quoting(article: str) -> str:
    """``article`` with BRIEF as a paragraph in its middle."""
    paragraphs = article.split("\n\n")
    paragraphs.insert(len(paragraphs) // 2, BRIEF)
    return "\n\n".join(paragraphs)


def test_a_long_article_quoting_a_stored_brief_is_new(
    collection: Collection, long_english_articles: list[str]
) -> None:
    """Its only whole-text match is the brief it contains: status new, no duplicate_of, and
    the match still listed as contains."""
    collection.post(Document("brief", BRIEF))
    verdict = collection.post(Document("long", quoting(long_english_articles[0])))
    assert (verdict.status, verdict.duplicate_of) == ("new", None)
    assert [(m.id, m.relation) for m in verdict.matches] == [("brief", "contains")]


def test_articles_quoting_a_stored_brief_stay_out_of_its_cluster(
    collection: Collection, long_english_articles: list[str]
) -> None:
    """Two unrelated articles quoting the brief each found a cluster; the brief keeps its own."""
    collection.post(Document("brief", BRIEF))
    for k in range(2):
        collection.post(Document(f"long{k}", quoting(long_english_articles[k])))
    clusters = [collection.get(d).cluster for d in ("brief", "long0", "long1")]
    assert clusters == ["brief", "long0", "long1"]


def test_an_excerpt_posted_after_its_story_joins_it(
    collection: Collection, long_english_articles: list[str]
) -> None:
    """Two thirds of a story, posted after it, is found by LSH and contained in it: a near
    duplicate of the story, in the story's cluster."""
    story = long_english_articles[0]
    paragraphs = story.split("\n\n")
    collection.post(Document("story", story))
    excerpt = Document("excerpt", "\n\n".join(paragraphs[: 2 * len(paragraphs) // 3]))
    assert [m.relation for m in collection.index.query(excerpt).matches] == ["contained_in"]
    verdict = collection.post(excerpt)
    assert (verdict.status, verdict.duplicate_of) == ("near_duplicate", "story")
    assert collection.get("excerpt").cluster == "story"
