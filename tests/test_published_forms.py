"""A library caller's publication dates, in any ISO 8601 form, are stored and compared as the
instants they name, as the readers and the service already store them."""

from __future__ import annotations

from pathlib import Path

import pytest

from dedup import Document
from dedup.collection import Collection
from dedup.errors import InputError
from dedup.index import MemoryIndex


@pytest.fixture
def dated(tmp_path: Path, article: str) -> Collection:
    """A collection holding ``article`` as ``a``, published ``2024-05-01`` (a date alone)."""
    collection = Collection.open(tmp_path / "c.db")
    collection.post(Document("a", article, published="2024-05-01"))
    return collection


def test_a_date_alone_is_stored_as_its_midnight_utc(dated: Collection) -> None:
    """The stored form is the one the readers and the service store."""
    assert dated.get("a").published == "2024-05-01T00:00:00Z"


def test_since_that_date_keeps_the_document(dated: Collection, article: str) -> None:
    """``since`` is inclusive: a document published on it is in the window."""
    verdict = dated.check(Document("copy", article), since="2024-05-01")
    assert verdict.duplicate_of == "a"


def test_until_that_date_leaves_the_document_out(dated: Collection, article: str) -> None:
    """``until`` is exclusive: a document published on it is out of the window."""
    assert dated.check(Document("copy", article), until="2024-05-01").status == "new"


def test_an_offset_is_compared_as_the_instant_it_names(tmp_path: Path, article: str) -> None:
    """23:30 at UTC-5 is 04:30 UTC the next day: in a window from then on."""
    with Collection.open(tmp_path / "c.db") as collection:
        collection.post(Document("a", article, published="2024-05-01T23:30:00-05:00"))
        verdict = collection.check(Document("copy", article), since="2024-05-02T04:30:00Z")
        assert verdict.duplicate_of == "a"


def test_reposting_it_as_given_changes_nothing(dated: Collection, article: str) -> None:
    """The same document, its date spelt as first given, is unchanged, not an update."""
    verdict = dated.post(Document("a", article, published="2024-05-01"))
    assert (verdict.stored, verdict.status) == ("unchanged", "duplicate")


def test_a_date_that_is_not_one_is_refused(dated: Collection, article: str) -> None:
    """Not ISO 8601: refused, naming the field, and nothing stored."""
    with pytest.raises(InputError, match="published of 'b'"):
        dated.post(Document("b", article, published="yesterday"))
    assert "b" not in dated


def test_an_index_stores_the_same_form(article: str) -> None:
    """Every way into an index stores the instant's form, the in-memory one's too."""
    index = MemoryIndex()
    index.add(Document("a", article, published="2024-05-01T02:00:00+02:00"))
    assert index.get("a").published == "2024-05-01T00:00:00Z"
