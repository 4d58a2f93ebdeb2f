"""Posts stored before their source's footer was learned are fingerprinted anew once it is."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dedup import Document
from dedup.boilerplate import BoilerplateModel, content_or_full, strip_documents
from dedup.collection import Collection
from dedup.errors import InputError
from dedup.fingerprint import Fingerprinter
from tests._collection_support import outlet_post, short_story


@pytest.fixture
def early(tmp_path: Path) -> Collection:
    """A collection holding the first articles of a new outlet, posted before its footer was
    boilerplate there (three stories: the next post's footer is judged boilerplate)."""
    collection = Collection.open(tmp_path / "c.db")
    for n in range(3):
        assert collection.post_pending(outlet_post(n)).verdict.boilerplate == ()
    return collection


def stripped_fingerprint(collection: Collection, doc: Document) -> bytes:
    """The fingerprint ``doc`` gets with its footer stripped, as the bulk job would give it."""
    stripped = strip_documents([doc, *(outlet_post(n) for n in range(4, 8))])[0]
    assert stripped.removed, "the footer is boilerplate among five stories"
    fp = Fingerprinter(collection.config).fingerprint_one(content_or_full(doc.text, stripped))
    return fp.shingles.tobytes()


def test_the_post_that_finds_the_footer_refreshes_the_earlier_carriers(
    early: Collection,
) -> None:
    """The first post stripped of the footer fingerprints the earlier ones anew, without it."""
    pending = early.post_pending(outlet_post(3))
    assert pending.verdict.boilerplate != ()
    assert pending.refreshed == ("new-outlet-0", "new-outlet-1", "new-outlet-2")
    stored = early.index.fingerprint_of("new-outlet-0").shingles.tobytes()
    assert stored == stripped_fingerprint(early, outlet_post(0))


def test_a_copy_without_the_footer_then_finds_the_early_article(early: Collection) -> None:
    """A reprint of an early article without the outlet's footer is its duplicate."""
    copy = Document("reprint", short_story(0), source="aggregator")
    assert early.check(copy).status != "duplicate"  # fingerprinted with the footer still
    early.post(outlet_post(3))
    verdict = early.check(copy)
    assert (verdict.status, verdict.duplicate_of) == ("duplicate", "new-outlet-0")


def test_a_key_refreshed_once_is_not_refreshed_again(early: Collection) -> None:
    """Later posts carrying the same footer judge no stored document again."""
    early.post(outlet_post(3))
    assert early.post_pending(outlet_post(4)).refreshed == ()


def test_carriers_of_another_source_are_left_alone(early: Collection) -> None:
    """A footer boilerplate in one source refreshes none of another source's carriers."""
    early.post(outlet_post(0, source="other-outlet"))
    pending = early.post_pending(outlet_post(3))
    assert "other-outlet-0" not in pending.refreshed


def test_a_refresh_rolls_back_with_its_post(early: Collection) -> None:
    """A post whose transaction is rolled back leaves the early fingerprints as they were."""
    before = early.index.fingerprint_of("new-outlet-0").shingles.tobytes()
    with pytest.raises(RuntimeError), early.transaction():
        assert early.post_pending(outlet_post(3)).refreshed != ()
        raise RuntimeError("the batch fails")
    assert early.index.fingerprint_of("new-outlet-0").shingles.tobytes() == before
    assert early.post_pending(outlet_post(3)).refreshed != ()


def test_a_post_refused_in_a_batch_takes_its_refresh_back(early: Collection) -> None:
    """A post refused after its refresh ran (its id) leaves the next post of the batch to
    refresh the same documents, and the batch commits them refreshed."""
    refused = Document(" ", outlet_post(3).text, source="new-outlet")
    with early.transaction():
        with pytest.raises(InputError):
            early.post_pending(refused)
        assert early.post_pending(outlet_post(3)).refreshed != ()
    assert early.post_pending(outlet_post(4)).refreshed == ()


def test_documents_loaded_with_their_boilerplate_are_settled(tmp_path: Path) -> None:
    """A bulk load judged its documents against its whole model: posts never judge them again."""
    docs = [outlet_post(n) for n in range(5)]
    model = BoilerplateModel()
    entries = model.observe_many(docs)
    found = strip_documents(docs)
    fingerprinter = Fingerprinter(Collection.open(":memory:").config)
    fps = [
        fingerprinter.fingerprint_one(content_or_full(d.text, s))
        for d, s in zip(docs, found, strict=True)
    ]
    with Collection.open(tmp_path / "c.db") as collection:
        collection.load(docs, fps, entries, [s.removed for s in found])
        pending = collection.post_pending(outlet_post(5))
        assert pending.verdict.boilerplate != () and pending.refreshed == ()


def test_a_file_from_before_refreshing_is_settled_when_opened(tmp_path: Path) -> None:
    """Documents a file held before this code first opened it are not judged again."""
    path = tmp_path / "c.db"
    with Collection.open(path) as collection:
        for n in range(3):
            collection.post(outlet_post(n))
    with sqlite3.connect(path) as conn:  # as an older version of the code left it
        conn.execute("DROP TABLE refreshed")
        conn.execute("DELETE FROM meta WHERE key = 'boilerplate_settled'")
    with Collection.open(path) as collection:
        pending = collection.post_pending(outlet_post(3))
        assert pending.verdict.boilerplate != () and pending.refreshed == ()
