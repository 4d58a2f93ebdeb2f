"""Documents the index places again (the orphans of a refreshed, corrected or deleted
canonical) are placed like for like too, as their posts were: an aggregator's copy of an
outlet's story, its footer kept, stays in the story's cluster when the story's footer is cut
from it later (:meth:`dedup.collection.like_for_like.LikeForLike.settle`)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from dedup import Document
from dedup.collection import Collection
from tests._collection_support import outlet_post


def story(k: int) -> Document:
    return replace(outlet_post(k), published=f"2024-01-0{k + 1}")


def copy_of(k: int, doc_id: str = "agg") -> Document:
    """An aggregator's verbatim copy of story ``k``, the outlet's footer kept, a day later."""
    return Document(doc_id, story(k).text, source="aggregator", published="2024-01-09")


@pytest.fixture
def collection(tmp_path: Path) -> Collection:
    return Collection.open(tmp_path / "c.db")


def test_a_copy_stays_with_its_story_when_the_storys_footer_is_learned(
    collection: Collection,
) -> None:
    """The copy joined while the footer was nobody's boilerplate; the outlet's later posts
    make it so and refresh the story, which the index then places apart from the copy."""
    for k in range(2):
        collection.post(story(k))
    collection.post(copy_of(1))
    for k in range(2, 4):
        collection.post(story(k))
    assert collection.get("agg").cluster == "new-outlet-1"
    assert collection.get("new-outlet-1").members == ("new-outlet-1", "agg")


def test_a_title_correction_keeps_the_storys_cluster_and_its_copy(
    collection: Collection,
) -> None:
    """The corrected story, published first, keeps its cluster id and the copy as member."""
    for k in range(4):
        collection.post(story(k))
    collection.post(copy_of(3))
    collection.post(replace(story(3), title="Corrected headline"))
    assert collection.get("new-outlet-3").members == ("new-outlet-3", "agg")


def test_a_deleted_storys_copies_are_placed_together(collection: Collection) -> None:
    """The outlet's own reprint and the aggregator's copy of a deleted story: one cluster,
    named after the better ranked of them (the reprint, published first)."""
    for k in range(4):
        collection.post(story(k))
    collection.post(replace(story(3), id="reprint", published="2024-01-08"))
    collection.post(copy_of(3))
    collection.delete("new-outlet-3")
    assert collection.get("agg").cluster == "reprint"
