"""A library caller's document fields that no file can store are refused with an
:class:`InputError` naming the field, before anything is written: the readers and the service
refuse them at their edge, and a bare ``UnicodeEncodeError`` from SQLite halfway through a post
told the caller nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from dedup import Document
from dedup.collection import Collection
from dedup.errors import InputError
from dedup.index import SQLiteIndex


@pytest.fixture
def collection(tmp_path: Path) -> Collection:
    return Collection.open(tmp_path / "c.db")


@pytest.mark.parametrize("field", ["id", "text", "source", "title"])
def test_a_lone_surrogate_is_refused_naming_its_field(
    collection: Collection, article: str, field: str
) -> None:
    fields = {"id": "a1", "text": article, "source": "outlet", "title": "A title"}
    fields[field] = fields[field][:2] + "\ud800" + fields[field][2:]
    with pytest.raises(InputError, match=rf"^{field} of .* lone surrogate \\ud800 at character 2"):
        collection.post(
            Document(fields["id"], fields["text"], fields["source"], title=fields["title"])
        )


def test_a_refused_post_stores_nothing(collection: Collection, article: str) -> None:
    with pytest.raises(InputError):
        collection.post(Document("a1", article + "\udfff", source="outlet"))
    assert len(collection) == 0
    assert collection.post(Document("a1", article, source="outlet")).status == "new"


def test_a_check_refuses_it_too(collection: Collection, article: str) -> None:
    with pytest.raises(InputError, match=r"^text of 'q' holds a lone surrogate"):
        collection.check(Document("q", "\ud83d" + article))


def test_a_paired_surrogate_is_a_character_like_any_other(
    collection: Collection, article: str
) -> None:
    """An emoji is one code point in a Python string; only an unpaired half is refused."""
    assert collection.post(Document("a1", article + " \U0001f600")).status == "new"


def test_an_index_refuses_it_as_a_collection_does(tmp_path: Path, article: str) -> None:
    index = SQLiteIndex(tmp_path / "i.db")
    with pytest.raises(InputError, match=r"^text of 'a1' holds a lone surrogate"):
        index.add(Document("a1", article + "\ud800"))
    assert len(index) == 0


def test_a_text_that_is_not_a_string_is_refused(collection: Collection) -> None:
    with pytest.raises(InputError, match=r"^text of 'a1' must be a string, got bytes"):
        collection.post(Document("a1", b"bytes are not a text"))  # type: ignore[arg-type]
