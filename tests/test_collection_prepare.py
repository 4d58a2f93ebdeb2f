"""Preparing posts elsewhere than where they are stored (:meth:`Collection.prepare`,
:meth:`Collection.prepare_many`): a preparation is bound to its document, gives the verdict an
unprepared post gives, and several prepared at once are what each prepared alone is."""

from __future__ import annotations

from pathlib import Path

import pytest

from dedup.collection import Collection
from dedup.collection.tables import decompress
from dedup.errors import InputError
from dedup.synth import news_corpus
from dedup.types import Document
from tests._collection_support import same_preparation


def mixed_batch(sample: list[Document]) -> list[Document]:
    """Scraped articles with footers, generated news, a Chinese text and a one-liner: their
    paragraphs, templates and labels differ in number and kind from one to the next."""
    news = list(news_corpus(4, seed=11, fresh_bodies=True))
    label = "相关阅读\uff1a今日新闻"  # a label behind a full-width colon
    chinese = Document("zh", label + "\n\n" + "这是一个关于城市交通的长篇报道。" * 12, "zh")
    return [*sample[:5], *news, chinese, Document("short", "One line.", "x"), *sample[5:]]


def test_a_batch_prepares_each_post_as_it_would_be_prepared_alone(
    collection: Collection, sample: list[Document]
) -> None:
    docs = mixed_batch(sample)
    together = collection.prepare_many(docs)
    assert len(together) == len(docs)
    for doc, made in zip(docs, together, strict=True):
        assert same_preparation(made, collection.prepare(doc)), doc.id


def test_a_batch_leaves_the_text_uncompressed_when_asked(
    collection: Collection, sample: list[Document]
) -> None:
    assert all(p.compressed is None for p in collection.prepare_many(sample, compress=False))


def test_an_empty_batch_prepares_nothing(collection: Collection) -> None:
    assert collection.prepare_many([]) == []


def test_a_batch_with_something_not_a_document_is_an_input_error(
    collection: Collection, sample: list[Document]
) -> None:
    with pytest.raises(InputError, match="expected a Document, got dict"):
        collection.prepare_many([sample[0], {"id": "x", "text": "y"}])  # type: ignore[list-item]


def test_posts_prepared_together_store_what_posts_prepared_alone_store(
    tmp_path: Path, sample: list[Document]
) -> None:
    with (
        Collection.open(tmp_path / "alone.db") as alone,
        Collection.open(tmp_path / "together.db") as together,
    ):
        prepared = together.prepare_many(sample)
        for doc, ready in zip(sample, prepared, strict=True):
            assert together.post(doc, prepared=ready) == alone.post(doc)


def test_a_prepared_post_gives_the_verdict_of_an_unprepared_one(
    tmp_path: Path, sample: list[Document]
) -> None:
    """Posts prepared elsewhere (another instance on the same file) store and answer exactly
    what unprepared posts do: their texts too, compressed by the preparer."""
    texts = [*sample, Document("copy", sample[0].text, sample[0].source)]
    with (
        Collection.open(tmp_path / "plain.db") as plain,
        Collection.open(tmp_path / "prepared.db") as prepared,
        Collection.open(tmp_path / "prepared.db", readonly=True) as preparer,
    ):
        for doc in texts:
            expected = plain.post(doc)
            assert prepared.post(doc, prepared=preparer.prepare(doc)) == expected
        assert sorted(plain) == sorted(prepared)
        texts_stored = "SELECT id, text, boilerplate FROM texts ORDER BY id"
        assert (
            plain.connection.execute(texts_stored).fetchall()
            == prepared.connection.execute(texts_stored).fetchall()
        )


def test_a_preparation_holds_the_text_as_stored_unless_it_serves_a_check_only(
    collection: Collection, sample: list[Document]
) -> None:
    """A post stores the text its preparation compressed; a check, which stores nothing, has
    it prepared without (``compress=False``) and pays no compression."""
    compressed = collection.prepare(sample[0]).compressed
    assert compressed is not None and decompress(compressed) == sample[0].text
    assert collection.prepare(sample[0], compress=False).compressed is None


def test_a_post_refuses_what_was_prepared_for_another_document(
    collection: Collection, sample: list[Document]
) -> None:
    """A preparation is bound to its document: using it for another is an input error."""
    ready = collection.prepare(sample[0])
    with pytest.raises(InputError, match="prepared for another document"):
        collection.post(sample[1], prepared=ready)
    assert len(collection) == 0
