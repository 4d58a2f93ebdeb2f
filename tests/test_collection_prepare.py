"""Preparing posts in batches (:meth:`Collection.prepare_many`): what a reader of the service
computes for several posts at once is what it computes for each alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dedup.collection import Collection
from dedup.errors import InputError
from dedup.synth import news_corpus
from dedup.types import Document
from tests._collection_support import same_preparation


@pytest.fixture
def collection(tmp_path: Path) -> Iterator[Collection]:
    with Collection.open(tmp_path / "articles.db") as articles:
        yield articles


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
