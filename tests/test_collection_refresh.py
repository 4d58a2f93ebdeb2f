"""Posts stored before their source's footer was learned are fingerprinted anew once it is."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from dedup import Document
from dedup.boilerplate import BoilerplateModel, content_or_full, strip_documents
from dedup.boilerplate.store import DocumentEntry
from dedup.collection import Collection
from dedup.errors import InputError
from dedup.fingerprint import Fingerprinter
from tests._collection_support import OUTLET_FOOTER, outlet_post, short_story
from tests._index_support import text


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
        for table in ("refreshed", "refreshed_documents", "settled"):
            conn.execute(f"DROP TABLE {table}")
    with Collection.open(path) as collection:
        pending = collection.post_pending(outlet_post(3))
        assert pending.verdict.boilerplate != () and pending.refreshed == ()


def load_learned(collection: Collection, docs: list[Document]) -> None:
    """Load ``docs`` as a bulk job with their boilerplate learned would: settled, so that no
    post judges them again, and refreshing nothing themselves."""
    found = strip_documents(docs)
    fingerprinter = Fingerprinter(collection.config)
    fps = [
        fingerprinter.fingerprint_one(content_or_full(d.text, s))
        for d, s in zip(docs, found, strict=True)
    ]
    entries = BoilerplateModel().observe_many(docs)
    collection.load(docs, fps, entries, [s.removed for s in found])


def test_an_unchanged_repost_that_finds_the_footer_refreshes_its_stored_version(
    early: Collection,
) -> None:
    """A client's retry of an early post, once a bulk load gave the footer a third other
    story, finds the footer and refreshes that post too: it stores nothing new, but its
    stored fingerprint had the footer."""
    load_learned(early, [outlet_post(3)])
    pending = early.post_pending(outlet_post(0))
    assert pending.verdict.stored == "unchanged" and pending.verdict.boilerplate != ()
    assert pending.refreshed == ("new-outlet-0", "new-outlet-1", "new-outlet-2")
    copy = early.check(Document("reprint", short_story(0), source="aggregator"))
    assert (copy.status, copy.duplicate_of) == ("duplicate", "new-outlet-0")


def test_a_report_decided_before_a_refresh_still_finds_the_refreshed_story(
    tmp_path: Path,
) -> None:
    """An excerpt whose report runs after its story was refreshed (stored anew in the index)
    is still ``contained_in`` the story, and placed in its cluster."""
    story = "\n\n".join(f"{text(900 + k, 60)}." for k in range(8))
    long_post = Document("long", f"{story}\n\n{OUTLET_FOOTER}", source="new-outlet")
    excerpt = Document("excerpt", f"{text(903, 60)}.\n\n{text(904, 60)}.", source="agg")
    with Collection.open(tmp_path / "c.db") as collection:
        for doc in (long_post, outlet_post(1), outlet_post(2)):
            collection.post(doc)
        with collection.transaction():
            pending = collection.post_pending(excerpt)
            assert "long" in collection.post_pending(outlet_post(3)).refreshed
        report = collection.report_post(pending)
        assert report.verdict.status == "near_duplicate"
        assert [(m.id, m.relation) for m in report.verdict.matches] == [("long", "contained_in")]
        collection.join_cluster("excerpt", report.related)
        assert collection.index.cluster_of("excerpt") == "long"


def test_posts_between_a_loads_commits_are_not_settled_by_it(tmp_path: Path) -> None:
    """A service's posts stored while a bulk load commits as it goes are refreshed later like
    any post: only the load's own documents are settled."""
    wire = [
        Document(f"wire-{n}", f"{short_story(100 + n)}\n\nCopyright Wire. All rights reserved.")
        for n in range(5)
    ]
    found = strip_documents(wire)
    entries = BoilerplateModel().observe_many(wire)
    fingerprinter = Fingerprinter(Collection.open(":memory:").config)
    fps = [
        fingerprinter.fingerprint_one(content_or_full(d.text, s))
        for d, s in zip(wire, found, strict=True)
    ]
    path = tmp_path / "c.db"
    with Collection.open(path) as loader, Collection.open(path) as service:

        def entries_while_the_service_posts() -> Iterator[DocumentEntry]:
            for n, entry in enumerate(entries):
                if n < 3:
                    service.post(outlet_post(n))
                yield entry

        with loader.loading(commit_every=1) as load:
            load.add(wire, fps, [s.removed for s in found])
            load.add_boilerplate(entries_while_the_service_posts())
        pending = service.post_pending(outlet_post(3))
        assert pending.refreshed == ("new-outlet-0", "new-outlet-1", "new-outlet-2")


def test_an_unchanged_reposts_stored_version_is_judged_again_counting_itself(
    tmp_path: Path,
) -> None:
    """A retry that finds a paragraph boilerplate judges its stored version again as any
    stored carrier is judged, counting itself: the footer an earlier refresh stripped from
    it stays stripped, though the retry's own answer, judged without it, keeps the footer."""
    promo = "Download our app for breaking news alerts, live coverage and the evening briefing."
    first = Document(
        "new-outlet-0", f"{short_story(0)}\n\n{promo}\n\n{OUTLET_FOOTER}", "new-outlet"
    )
    with Collection.open(tmp_path / "c.db") as collection:
        for doc in (first, outlet_post(1), outlet_post(2), outlet_post(3)):
            collection.post(doc)  # the fourth strips the footer from the first three
        collection.delete("new-outlet-3")  # the footer's carriers: exactly three stories
        load_learned(  # three other stories carry the promo, settled: judged by nobody
            collection,
            [
                Document(f"p{n}", f"{short_story(10 + n)}\n\n{promo}", "new-outlet")
                for n in range(3)
            ],
        )
        pending = collection.post_pending(first)
        assert pending.verdict.stored == "unchanged"
        assert [first.text[s:e] for s, e in pending.verdict.boilerplate] == [promo]
        assert pending.refreshed == ("new-outlet-0",)
        stored = collection.index.fingerprint_of("new-outlet-0").shingles.tobytes()
        story = Fingerprinter(collection.config).fingerprint_one(short_story(0))
        assert stored == story.shingles.tobytes()
