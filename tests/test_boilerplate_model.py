"""Specification of dedup.boilerplate, continued: stripping, boilerplate-aware text, the model."""

from __future__ import annotations

import random

import pytest
from _boilerplate_support import FOOTER, body, page, removed_texts, sentence

from dedup.boilerplate import (
    BoilerplateModel,
    MemoryStore,
    Rules,
    Stripper,
    content_texts,
    cut,
    strip_documents,
)
from dedup.config import Config
from dedup.errors import ConfigError
from dedup.fingerprint import Fingerprinter
from dedup.types import Document
from dedup.verify import jaccard

# --- stripping ----------------------------------------------------------------------------


def test_strip_never_removes_a_paragraph_that_occurs_once() -> None:
    """Paragraphs unique to one document always survive, whatever surrounds them."""
    docs = [page(f"d{i}", "ledger", [FOOTER[0], *body(i), *FOOTER]) for i in range(6)]
    for doc, stripped in zip(docs, strip_documents(docs), strict=True):
        unique = set(doc.text.split("\n\n")) - {*FOOTER}
        assert not unique & set(removed_texts(doc, stripped.removed))
        assert all(p in stripped.text for p in unique)


def test_removed_spans_are_exactly_paragraphs_of_the_original() -> None:
    """``text[start:end]`` of every removed span is a whole paragraph of the original."""
    docs = [
        Document(f"d{i}", f"  {FOOTER[0]}\r\n\r\n{body(i)[0]}\n\n{FOOTER[1]} \n", "s")
        for i in range(3)
    ]
    for doc, stripped in zip(docs, strip_documents(docs), strict=True):
        assert removed_texts(doc, stripped.removed) == FOOTER
        assert stripped.text == cut(doc.text, stripped.removed)


def test_cut_joins_what_remains_with_the_original_separators() -> None:
    """Cut paragraphs take the separator before them, or after them at the head of the text."""
    text = "H\n\nA\n\nX\n\nB\n\nF\n"
    spans = [(0, 1), (6, 7), (12, 13)]
    assert cut(text, spans) == "A\n\nB\n"


def test_cut_of_every_paragraph_leaves_no_text() -> None:
    """Removing all paragraphs leaves only the trailing white space."""
    assert cut("H1\n\nH2\n", [(0, 2), (4, 6)]) == ""


def test_stripping_an_unseen_text_uses_what_was_learned() -> None:
    """A new page of a learned source loses its footer and keeps its own paragraphs."""
    model = BoilerplateModel()
    model.observe_many(page(f"d{i}", "ledger", [*body(i), *FOOTER]) for i in range(3))
    new = page("new", "ledger", [*body(42), *FOOTER])
    assert Stripper(model).strip(new.text, "ledger").text == "\n\n".join(body(42))


def test_unseen_text_from_another_source_keeps_its_footer() -> None:
    """Learned boilerplate of one source is not removed from another source's text."""
    model = BoilerplateModel()
    model.observe_many(page(f"d{i}", "ledger", [*body(i), *FOOTER]) for i in range(3))
    new = page("new", "tribune", [*body(42), *FOOTER])
    assert Stripper(model).strip(new.text, "tribune").removed == []


# --- boilerplate-aware text ---------------------------------------------------------------


def fingerprints_jaccard(a: str, b: str) -> float:
    fa, fb = Fingerprinter(Config()).fingerprint([a, b])
    return jaccard(fa.shingles, fb.shingles)


def test_short_articles_sharing_only_footers_are_not_near_duplicates() -> None:
    """Briefs whose text is mostly the shared footer are near-duplicates only before stripping."""
    footer = [*FOOTER, sentence(random.Random(5), 45)]
    articles = [page(f"b{i}", "ledger", [*body(i), *footer]) for i in range(3)]
    briefs = [
        page(f"a{i}", "ledger", [sentence(random.Random(80 + i), 6), *footer]) for i in range(2)
    ]
    docs = briefs + articles
    texts = content_texts(docs)
    assert fingerprints_jaccard(briefs[0].text, briefs[1].text) >= 0.8
    assert fingerprints_jaccard(texts[0], texts[1]) < 0.2


def test_copies_with_different_footers_stay_near_duplicates() -> None:
    """Two copies of one story with their outlets' different footers compare on the story."""
    ledger = [page(f"l{i}", "ledger", [*body(i), *FOOTER]) for i in range(3)]
    tribune_footer = ["Share on Facebook", "© 2024 Pacific Tribune"]
    tribune = [page(f"t{i}", "tribune", [*body(10 + i), *tribune_footer]) for i in range(3)]
    story = body(77, paragraphs=1, words=25)
    copy_a = page("ca", "ledger", [*story, *FOOTER])
    copy_b = page("cb", "tribune", [*story, *tribune_footer])
    texts = content_texts([*ledger, *tribune, copy_a, copy_b])
    assert fingerprints_jaccard(copy_a.text, copy_b.text) < 0.8
    assert texts[-2] == texts[-1] == story[0]


def test_all_boilerplate_document_falls_back_to_its_full_text() -> None:
    """A page that is nothing but boilerplate is fingerprinted by its full text."""
    docs = [page(f"d{i}", "ledger", [*body(i), *FOOTER]) for i in range(3)]
    empty = page("e", "ledger", FOOTER)
    assert content_texts([*docs, empty])[-1] == empty.text


# --- the model ----------------------------------------------------------------------------


def corpus() -> list[Document]:
    names = ["Jane Whitfield", "Omar Haddad", "Mei Lin", "Tom Becker", "Aisha Bello"]
    docs = []
    for i in range(10):
        source = "ledger" if i % 2 else "tribune"
        head = [f"By {names[i % 5]} | {2020 + i}-01-0{1 + i % 9}"]
        docs.append(
            page(
                f"d{i:02d}",
                source,
                [*head, *body(i), f"Read more: {body(50 + i)[0][:60]}", *FOOTER],
            )
        )
    return docs


def test_observing_one_by_one_equals_a_rebuild() -> None:
    """Decisions and patterns do not depend on observation order or batching."""
    docs = corpus()
    rebuilt = BoilerplateModel()
    rebuilt.rebuild(docs)
    incremental = BoilerplateModel()
    for doc in reversed(docs):
        incremental.observe(doc)
    entries = rebuilt.build(docs)
    assert rebuilt.judge(entries) == incremental.judge(entries)
    assert rebuilt.patterns() == incremental.patterns()


def test_observing_a_document_again_replaces_it() -> None:
    """Re-observing an id does not count its paragraphs twice."""
    docs = [page(f"d{i}", "ledger", [*body(i), *FOOTER]) for i in range(2)]
    model = BoilerplateModel()
    model.observe_many([*docs, docs[0], docs[0]])
    assert len(model.store) == 2
    assert model.patterns() == []


def test_rebuild_forgets_what_was_observed_before() -> None:
    """``rebuild`` starts from an empty store."""
    model = BoilerplateModel()
    model.observe_many(page(f"d{i}", "ledger", [*body(i), *FOOTER]) for i in range(3))
    model.rebuild([page("x", "ledger", body(1))])
    assert len(model.store) == 1 and model.patterns() == []


def test_carriers_list_documents_and_sources_of_a_pattern() -> None:
    """``carriers`` answers which stored documents and sources carry a paragraph's pattern."""
    model = BoilerplateModel()
    model.observe_many(corpus())
    carriers = model.carriers("© 2031 The Daily Ledger. All rights reserved.")
    assert carriers.documents == tuple(f"d{i:02d}" for i in range(10))
    assert carriers.sources == ("ledger", "tribune")


def test_patterns_are_grouped_with_a_representative_text() -> None:
    """Templated variants form one pattern per source group, shown by their commonest text."""
    model = BoilerplateModel()
    model.observe_many(corpus())
    records = [p.to_record() for p in model.patterns()]
    texts = [r["text"] for r in records]
    assert FOOTER[0] in texts and FOOTER[1] in texts
    assert any(str(t).startswith("By ") for t in texts)
    assert any(str(t).startswith("Read more: ") for t in texts)


def test_models_sharing_a_store_agree() -> None:
    """The model keeps no corpus state of its own: the store is the whole memory."""
    store = MemoryStore()
    first = BoilerplateModel(store=store)
    first.observe_many(corpus())
    second = BoilerplateModel(store=store)
    assert second.patterns() == first.patterns() != []


@pytest.mark.parametrize(
    "settings",
    [{"min_documents": 1}, {"near_threshold": 0.0}, {"story_threshold": 1.5}, {"min_tokens": 0}],
)
def test_rules_reject_settings_out_of_range(settings: dict[str, float]) -> None:
    """Settings that would claim single paragraphs or are not fractions are refused."""
    with pytest.raises(ConfigError):
        Rules(**settings)  # type: ignore[arg-type]
