"""Documents placed again (a removed, corrected or refingerprinted canonical's members, a
refingerprinted document) offered the documents an index's ``place_with`` hook names, as a
post's report offers them, on both backends: an excerpt LSH does not propose finds its story."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _index_support import BACKENDS, CONFIG, Backends, at, doc, edited, head, text

from dedup.fingerprint import Fingerprinter
from dedup.index import IndexCore
from dedup.types import Document

STORY = text(21, 1200)
EXCERPT = head(STORY, 0.1)  # contained in STORY, at a Jaccard of about a tenth


@pytest.fixture(params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[IndexCore]:
    """An index whose hook names every other stored document (the placer verifies each)."""
    backends = Backends(request.param, tmp_path)
    opened = backends.open()
    opened.place_with(lambda doc_id: [d for d in list(opened) if d != doc_id])
    yield opened
    backends.close_all()


def joined_excerpt(index: IndexCore, *members: Document) -> None:
    """STORY, ``members``, then its EXCERPT, which LSH does not propose, placed with the story
    as a post's report places it (join_cluster)."""
    index.add_many([doc("story", STORY, at(9)), *members])
    index.add(doc("excerpt", EXCERPT, at(10)))
    assert index.cluster_of("excerpt") == "excerpt"  # the premise: LSH did not propose it
    assert index.join_cluster("excerpt", ["story"]) == "story"


def test_a_corrected_canonical_gets_its_excerpt_back(index: IndexCore) -> None:
    """An update of the story (a line appended) places its members again: the excerpt, which
    LSH does not find, joins the new version through the hook."""
    joined_excerpt(index)
    index.add(doc("story", f"{STORY} {text(22, 12)}", at(9)))
    assert index.cluster_members("story") == ["story", "excerpt"]


def test_removing_the_canonical_puts_its_excerpt_with_a_copy_that_remains(
    index: IndexCore,
) -> None:
    """The copy that remains founds the cluster; the excerpt, dated before the copy, waits
    for it (the joins come after every orphan is placed) and joins it."""
    joined_excerpt(index, doc("copy", edited(STORY, 60), at(11)))
    assert index.cluster_members("story") == ["story", "excerpt", "copy"]  # the premise
    index.remove("story")
    assert index.cluster_members("copy") == ["copy", "excerpt"]


def test_a_refingerprinted_excerpt_stays_with_its_story(index: IndexCore) -> None:
    """The refingerprinted document itself is offered the hook's documents (no post follows
    to do it): fingerprinted as a little less of the story, it is still an excerpt of it."""
    joined_excerpt(index)
    fingerprint = Fingerprinter(CONFIG).fingerprint_one(head(STORY, 0.09))
    assert index.refingerprint(doc("excerpt", EXCERPT, at(10)), fingerprint) is True
    assert index.cluster_members("story") == ["story", "excerpt"]


def test_a_document_whose_canonical_stays_is_not_moved(index: IndexCore) -> None:
    """An excerpt stored before its container founded a cluster; when the container's
    canonical is removed, the copy placed again contains the excerpt but does not take it in:
    documents never move while their canonical stays."""
    index.add(doc("brief", head(STORY, 0.1), at(8)))
    index.add(doc("story", STORY, at(9)))
    index.add(doc("copy", edited(STORY, 60), at(10)))
    index.remove("story")
    assert [index.cluster_of(d) for d in ("brief", "copy")] == ["brief", "copy"]


def test_the_replace_hook_hears_each_update_with_both_handles(index: IndexCore) -> None:
    """An update (a date-only correction too) names the document, its old handle and its new
    one to the ``on_replace`` hook; an addition and an unchanged re-add name nothing."""
    heard: list[tuple[str, int, int]] = []
    index.on_replace(lambda doc_id, was, now: heard.append((doc_id, was, now)))
    index.add_many([doc("story", STORY, at(9)), doc("other", text(22, 300), at(9))])
    was = index.marks(["story"])["story"]
    index.add(doc("story", STORY, at(9)))
    assert heard == []
    index.add(doc("story", STORY, at(11)))
    assert heard == [("story", was, index.marks(["story"])["story"])]
    assert heard[0][2] > was
