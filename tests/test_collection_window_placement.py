"""A post's window narrows what it answers, not where it is placed: a post is placed where the
same post without a window is, like for like included (:mod:`dedup.collection.like_for_like`).

The setup defeats the reuse candidates' way round: an outlet's brief is stored without its
footer, then more aggregator copies of it (footer kept, so each is the brief's duplicate like
for like only) than a report aligns; they share more with a new copy than the brief does, so
the brief is no reuse candidate a report reaches, and only LSH's match with the brief, compared
like for like, places the new copy with it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dedup import Document
from dedup.collection import Collection
from dedup.collection.passages import MAX_REUSE_CANDIDATES
from tests._collection_support import outlet_post

BRIEF = "new-outlet-3"
#: More copies than a report aligns reuse candidates, all published before the window's bound.
EARLY = MAX_REUSE_CANDIDATES + 1


def copy(doc_id: str, published: str) -> Document:
    """An aggregator's verbatim copy of the outlet's brief, the outlet's footer kept."""
    return Document(doc_id, outlet_post(3).text, source="aggregator", published=published)


def build(path: Path) -> Path:
    """The brief (2024-01-04, its footer learned), EARLY copies (2024-01-05), one late copy
    (2024-01-07), all in the brief's cluster, stored in ``path``."""
    with Collection.open(path) as collection:
        for n in range(4):
            post = outlet_post(n)
            collection.post(Document(post.id, post.text, post.source, f"2024-01-0{n + 1}"))
        for k in range(EARLY):
            collection.post(copy(f"early-{k}", "2024-01-05"))
        collection.post(copy("late", "2024-01-07"))
        assert len(collection.get(BRIEF).members) == EARLY + 2  # the premise
    return path


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("window") / "base.db")


@pytest.fixture
def collection(stored: Path, tmp_path: Path) -> Collection:
    path = tmp_path / "c.db"
    shutil.copy(stored, path)
    return Collection.open(path)


def test_without_a_window_a_copy_joins_the_brief(collection: Collection) -> None:
    """The reference: a duplicate, placed in the brief's cluster."""
    verdict = collection.post(copy("agg", "2024-01-09"))
    assert verdict.status == "duplicate"
    assert collection.get("agg").cluster == BRIEF


def test_a_window_until_before_the_brief_places_the_copy_with_it(
    collection: Collection,
) -> None:
    """``until`` leaves the brief and every copy out: new, and placed with the brief."""
    verdict = collection.post(copy("agg", "2024-01-09"), until="2024-01-04")
    assert (verdict.status, verdict.matches) == ("new", ())
    assert collection.get("agg").cluster == BRIEF


def test_a_window_since_after_the_brief_places_the_copy_with_it(
    collection: Collection,
) -> None:
    """``since`` after every stored copy leaves all out: new, and placed with the brief."""
    verdict = collection.post(copy("agg", "2024-01-09"), since="2024-01-08")
    assert (verdict.status, verdict.matches) == ("new", ())
    assert collection.get("agg").cluster == BRIEF


def test_a_window_keeping_another_copy_answers_it_and_places_with_the_brief(
    collection: Collection,
) -> None:
    """The late copy is the one match inside the window: the answer names it alone, and the
    post goes where the late copy is, the brief's cluster."""
    verdict = collection.post(copy("agg", "2024-01-09"), since="2024-01-06")
    assert (verdict.status, verdict.duplicate_of) == ("duplicate", "late")
    assert [m.id for m in verdict.matches] == ["late"]
    assert collection.get("agg").cluster == BRIEF
