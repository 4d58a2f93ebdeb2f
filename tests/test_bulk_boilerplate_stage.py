"""The bulk job's boilerplate stage reuses what it computed: the entries it learned, to rewrite
documents, and each rewrite's cut, for deduped.jsonl. Both answer what judging afresh does."""

from __future__ import annotations

import pytest

from dedup.boilerplate import content_or_full
from dedup.bulk.boilerplate import BoilerplateStage
from dedup.config import Config
from dedup.synth import boilerplate_corpus
from dedup.types import Document


@pytest.fixture(scope="module")
def corpus() -> list[Document]:
    return boilerplate_corpus(seed=3)[0]


def _learned(corpus: list[Document]) -> BoilerplateStage:
    stage = BoilerplateStage(Config())
    stage.learn(corpus)
    return stage


def test_rewrites_equal_stripping_each_document_afresh(corpus: list[Document]) -> None:
    stage = _learned(corpus)
    rewritten = stage.content(corpus)
    fresh = stage.stripper.strip_many(corpus)
    assert sum(len(s.removed) for s in fresh) > 0
    assert [d.text for d in rewritten] == [
        content_or_full(d.text, s) for d, s in zip(corpus, fresh, strict=True)
    ]


def test_a_rewritten_document_strips_as_judged_afresh(corpus: list[Document]) -> None:
    stage = _learned(corpus)
    stage.content(corpus)
    for doc in corpus:
        assert stage.strip(doc) == stage.stripper.strip(doc.text, doc.source)


def test_a_batch_strips_as_each_document_judged_afresh(corpus: list[Document]) -> None:
    """``dedup strip`` strips batches from the entries learned: the same as judging each
    document's text again."""
    stage = _learned(corpus)
    batch = stage.strip_many(corpus)
    assert sum(len(s.removed) for s in batch) > 0
    assert batch == [stage.stripper.strip(d.text, d.source) for d in corpus]


def test_a_repeated_id_is_judged_by_the_text_at_hand(corpus: list[Document]) -> None:
    """Two texts under one id: each is rewritten and stripped by its own text, not by the
    entry or the cut remembered for the other."""
    footer = next(d for d in corpus if d.source == corpus[0].source and d is not corpus[0])
    first = Document("same", corpus[0].text, corpus[0].source)
    second = Document("same", footer.text, footer.source)
    stage = _learned([*corpus, first, second])
    assert stage.content([first]) == [
        Document("same", _content(stage, first), first.source, first.published, first.title)
    ]
    stage.content([second])
    assert stage.strip(first) == stage.stripper.strip(first.text, first.source)
    assert stage.strip(second) == stage.stripper.strip(second.text, second.source)


def _content(stage: BoilerplateStage, doc: Document) -> str:
    return content_or_full(doc.text, stage.stripper.strip_many([doc])[0])
