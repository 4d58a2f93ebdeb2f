"""A document is never its own carrier: a check or a re-post of a stored id is judged as if
that id were not stored, so it finds the boilerplate its first post found, no more."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from dedup import Document
from dedup.collection import Collection
from tests._collection_support import OUTLET_FOOTER, outlet_post, short_story


@pytest.fixture
def three(tmp_path: Path) -> Iterator[Collection]:
    """Three stories of an outlet carrying its footer, none of them judging it boilerplate:
    counting one of them, the footer has exactly ``Rules.min_documents`` stories."""
    with Collection.open(tmp_path / "c.db") as collection:
        for n in range(3):
            assert collection.post(outlet_post(n)).boilerplate == ()
        yield collection


def test_the_footer_is_boilerplate_for_a_fourth_story(three: Collection) -> None:
    """The fixture sits at the threshold: a new id's check finds the footer."""
    assert three.check(outlet_post(3)).boilerplate != ()


def test_an_unchanged_repost_finds_no_boilerplate_its_first_post_did_not(
    three: Collection,
) -> None:
    """A client's retry of a stored post answers as its first post did, changing nothing."""
    before = three.index.fingerprint_of("new-outlet-0").shingles.tobytes()
    pending = three.post_pending(outlet_post(0))
    verdict = pending.verdict
    assert (verdict.stored, verdict.status, verdict.duplicate_of) == (
        "unchanged",
        "duplicate",
        "new-outlet-0",
    )
    assert verdict.boilerplate == () and pending.refreshed == ()
    assert three.index.fingerprint_of("new-outlet-0").shingles.tobytes() == before


def test_a_correction_is_judged_without_the_version_it_replaces(three: Collection) -> None:
    """A stored id posted with another story under the footer counts the two other stories
    carrying it, as its first post did: the footer stays."""
    correction = Document("new-outlet-0", f"{short_story(50)}\n\n{OUTLET_FOOTER}", "new-outlet")
    verdict = three.post(correction)
    assert verdict.stored == "updated" and verdict.boilerplate == ()


def test_a_check_of_a_stored_id_is_judged_as_its_first_post_was(three: Collection) -> None:
    """Checking a stored document's id and text finds the boilerplate its post found."""
    verdict = three.check(outlet_post(1))
    assert (verdict.status, verdict.duplicate_of) == ("duplicate", "new-outlet-1")
    assert verdict.boilerplate == ()


def test_a_check_of_a_stored_id_with_another_text_leaves_the_stored_one_out(
    three: Collection,
) -> None:
    """Checking a stored id with a new story counts the other two stories carrying the footer,
    where a new id with that story counts all three."""
    text = f"{short_story(50)}\n\n{OUTLET_FOOTER}"
    assert three.check(Document("new-outlet-2", text, "new-outlet")).boilerplate == ()
    assert three.check(Document("new-outlet-9", text, "new-outlet")).boilerplate != ()


def test_a_view_judging_a_stored_document_anew_leaves_it_out(tmp_path: Path) -> None:
    """A document whose spans are not stored (NULL: judge them when needed) is judged when
    viewed as a post of it is: the footer of three stories counting it stays in its passages."""
    path = tmp_path / "c.db"
    reprint = Document("reprint", outlet_post(0).text, source="aggregator")
    with Collection.open(path) as collection:
        for doc in (outlet_post(0), outlet_post(1), outlet_post(2), reprint):
            collection.post(doc)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE texts SET boilerplate = NULL WHERE id = 'new-outlet-0'")
    with Collection.open(path) as collection:
        view = collection.get("new-outlet-0")
        (passage,) = next(m for m in view.matches if m.id == "reprint").passages
        assert passage.a[0] == 0 and passage.a[1] > reprint.text.index(OUTLET_FOOTER)
