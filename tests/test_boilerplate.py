"""Specification of dedup.boilerplate: learning recurring paragraphs, judging, stripping."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from dedup.boilerplate import (
    BoilerplateModel,
    MemoryStore,
    PageChrome,
    Rules,
    Stripper,
    content_texts,
    cut,
    strip_documents,
)
from dedup.config import Config
from dedup.errors import ConfigError
from dedup.fingerprint import Fingerprinter
from dedup.io import read_documents
from dedup.types import Document
from dedup.verify import jaccard

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "sample_dump.txt"
SAMPLE_FOOTERS = {"Check out our Latest News and Follow us at Facebook", "Original Source"}
WORDS = (
    "river stone bridge market council harbour winter engine garden letter silver station "
    "painter doctor valley forest signal ladder museum kitchen island tower rocket camera "
    "orchard violin desert castle pilot farmer theatre anchor lantern meadow compass mirror "
    "thunder basket candle harvest glacier ferry cottage marble parade saddle timber canyon"
)
VOCABULARY = WORDS.split()
FOOTER = ["Share this article", "© 2024 The Daily Ledger. All rights reserved."]


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(VOCABULARY) for _ in range(words)).capitalize() + "."


def body(seed: int, paragraphs: int = 4, words: int = 40) -> list[str]:
    """Paragraphs of an article no other seed shares a paragraph with."""
    rng = random.Random(seed)
    return [sentence(rng, words) for _ in range(paragraphs)]


def page(doc_id: str, source: str | None, paragraphs: list[str]) -> Document:
    return Document(doc_id, "\n\n".join(paragraphs), source)


def removed_texts(doc: Document, spans: list[tuple[int, int]]) -> list[str]:
    return [doc.text[s:e] for s, e in spans]


def sample() -> list[Document]:
    return list(read_documents([str(SAMPLE)]))


# --- the sample dump --------------------------------------------------------------------------


def test_sample_learns_exactly_the_two_footers() -> None:
    """On the 10-article sample the learned patterns are the two footer lines, in all 10."""
    docs = sample()
    model = BoilerplateModel()
    model.observe_many(docs)
    records = [p.to_record() for p in model.patterns()]
    assert {r["text"] for r in records} == SAMPLE_FOOTERS
    assert all(r["documents"] == [d.id for d in docs] and r["sources"] == [] for r in records)


def test_sample_removes_only_the_footer_lines() -> None:
    """Every removed span of the sample is one of the two footer lines, two per article."""
    docs = sample()
    for doc, stripped in zip(docs, strip_documents(docs), strict=True):
        assert sorted(removed_texts(doc, stripped.removed)) == sorted(SAMPLE_FOOTERS)


def test_sample_exit_mobile_version_is_not_claimed_by_frequency() -> None:
    """The page-chrome line seen once stays, unless the separate chrome rule is enabled."""
    docs = sample()
    stripped = strip_documents(docs)
    assert stripped[-1].text.endswith("Exit mobile version")
    assert all(s.chrome == [] for s in stripped)


def test_chrome_rule_removes_exit_mobile_version_and_reports_it_apart() -> None:
    """With PageChrome, the trailing chrome line is cut and listed in ``chrome`` only."""
    docs = sample()
    stripped = strip_documents(docs, chrome=PageChrome())
    last = stripped[-1]
    assert removed_texts(docs[-1], last.chrome) == ["Exit mobile version"]
    assert sorted(removed_texts(docs[-1], last.removed)) == sorted(SAMPLE_FOOTERS)
    assert not last.text.rstrip().endswith(("Exit mobile version", "Original Source"))


def test_chrome_rule_ignores_listed_lines_inside_the_text() -> None:
    """A listed line with content after it is not at the edge, so it stays."""
    text = "Intro.\n\nBack to top\n\nMore content here."
    assert PageChrome().find(text) == []


# --- counting -----------------------------------------------------------------------------


def test_quote_in_five_sources_once_each_is_content() -> None:
    """A paragraph reprinted once by each of five publishers is not boilerplate."""
    quote = "“We will not back down,” the minister said on the steps of the court."
    docs = [page(f"d{i}", f"source{i}", [*body(i), quote]) for i in range(5)]
    assert all(s.removed == [] for s in strip_documents(docs))


def test_footer_in_five_documents_of_one_source_is_boilerplate() -> None:
    """A paragraph on five pages of one publisher is boilerplate on each of them."""
    docs = [page(f"d{i}", "ledger", [*body(i), *FOOTER]) for i in range(5)]
    for doc, stripped in zip(docs, strip_documents(docs), strict=True):
        assert removed_texts(doc, stripped.removed) == FOOTER


def test_paragraph_in_fewer_than_min_documents_is_kept() -> None:
    """A footer seen on two pages of a source is below the default of three."""
    docs = [page(f"d{i}", "ledger", [*body(i), *FOOTER]) for i in range(2)]
    assert all(s.removed == [] for s in strip_documents(docs))


def test_documents_without_source_are_counted_together() -> None:
    """Without sources, recurrence is counted across all source-less documents."""
    docs = [page(f"d{i}", None, [*body(i), *FOOTER]) for i in range(3)]
    assert all(len(s.removed) == 2 for s in strip_documents(docs))


def test_per_source_off_counts_across_sources() -> None:
    """With ``per_source=False`` the quote in five sources becomes boilerplate."""
    quote = "“We will not back down,” the minister said on the steps of the court."
    docs = [page(f"d{i}", f"source{i}", [*body(i), quote]) for i in range(5)]
    model = BoilerplateModel(rules=Rules(per_source=False))
    assert all(len(s.removed) == 1 for s in strip_documents(docs, model))


def test_copies_of_one_story_count_once() -> None:
    """Three copies of one article by one outlet keep the paragraphs they share."""
    story = body(7)
    docs = [page(f"d{i}", "ledger", [f"Updated edition {i}.", *story]) for i in range(3)]
    assert all(s.removed == [] for s in strip_documents(docs))


def test_lightly_edited_copies_count_once() -> None:
    """Copies whose every long paragraph was edited still count as one story."""
    story = body(7, paragraphs=5)
    caption = "Photo: the harbour at dawn"
    docs = []
    for i in range(3):
        edited = [p.replace(p.split()[3 + i], "edited", 1) for p in story]
        docs.append(page(f"d{i}", "ledger", [*edited[:2], caption, *edited[2:]]))
    assert all(s.removed == [] for s in strip_documents(docs))


def test_long_paragraph_repeated_mid_article_is_content() -> None:
    """A paragraph over ``mid_max_tokens`` repeated in the middle of articles is never claimed."""
    background = sentence(random.Random(99), 45)
    docs = [
        page(f"d{i}", "ledger", [*body(i, 6)[:3], background, *body(i, 6)[3:]]) for i in range(5)
    ]
    model = BoilerplateModel(rules=Rules(edge_paragraphs=2))
    assert all(s.removed == [] for s in strip_documents(docs, model))


def test_templated_footer_with_dates_and_urls_is_boilerplate() -> None:
    """A footer whose year, counts and permalink change on every page is still learned."""
    docs = [
        page(
            f"d{i}",
            "ledger",
            [*body(i), f"{3 + 7 * i} comments", f"Permalink: https://ledger.com/{2020 + i}/x{i}z"],
        )
        for i in range(3)
    ]
    assert all(len(s.removed) == 2 for s in strip_documents(docs))


def test_bylines_with_different_names_are_boilerplate_at_the_head() -> None:
    """Short head lines that differ only in a person's name share the name template."""
    names = ["Jane Whitfield", "Omar Haddad", "Mei Lin"]
    docs = [page(f"d{i}", "ledger", [f"By {n} | Staff", *body(i)]) for i, n in enumerate(names)]
    for doc, stripped in zip(docs, strip_documents(docs), strict=True):
        assert removed_texts(doc, stripped.removed) == [doc.text.split("\n\n")[0]]


def test_name_template_does_not_apply_mid_article() -> None:
    """The same name-varying lines in the middle of long articles are not merged."""
    names = ["Jane Whitfield", "Omar Haddad", "Mei Lin"]
    docs = [
        page(f"d{i}", "ledger", [*body(i, 12)[:6], f"By {n} | Staff", *body(i, 12)[6:]])
        for i, n in enumerate(names)
    ]
    assert all(s.removed == [] for s in strip_documents(docs))


def test_label_lines_with_different_values_are_boilerplate() -> None:
    """ "Read more: <headline>" once per article, with different headlines, is learned."""
    docs = [
        page(f"d{i}", "ledger", [*body(i)[:2], f"Read more: {sentence(random.Random(50 + i), 8)}"])
        for i in range(3)
    ]
    assert all(len(s.removed) == 1 for s in strip_documents(docs))


def test_cjk_characters_count_as_half_a_word() -> None:
    """A Chinese line of 23 characters is 11.5 words: short enough to be eligible mid-article."""
    lines = [
        "相关阅读:宇航员在太空中喝酒会怎么样后果很严重",
        "相关阅读:海外留学生看两会出国前后关注点大不同",
        "相关阅读:新竹尖石美樹營地賞楓史蒂文的家藍天白",
    ]
    docs = [
        page(f"d{i}", "huadong", [*body(i, 12)[:6], line, *body(i, 12)[6:]])
        for i, line in enumerate(lines)
    ]
    model = BoilerplateModel(rules=Rules(mid_max_tokens=16))
    assert all(len(s.removed) == 1 for s in strip_documents(docs, model))


def test_labels_repeated_within_an_article_are_its_structure() -> None:
    """An interview's "Q:" lines recur in every article but are not boilerplate."""
    docs = [
        page(f"d{i}", "ledger", [q for j in range(3) for q in (f"Q: {s}", body(10 * i + j)[0])])
        for i, s in enumerate(("Why now?", "What next?", "Who pays?"))
    ]
    assert all(s.removed == [] for s in strip_documents(docs))


def test_near_duplicate_long_lines_are_boilerplate() -> None:
    """A long footer line that differs in one word on every page matches by similarity."""
    bios = [
        f"The author {w} is a staff reporter who has covered the courts, crime, housing and city "
        "politics for this newspaper since the great flood of that year."
        for w in ("Whitfield", "Haddad", "Okafor")
    ]
    docs = [page(f"d{i}", "ledger", [*body(i), bio]) for i, bio in enumerate(bios)]
    assert all(len(s.removed) == 1 for s in strip_documents(docs))


def test_lines_of_only_numbers_are_not_merged() -> None:
    """Paragraphs that are nothing but numbers or dates do not share a masked form."""
    docs = [page(f"d{i}", "wiki", [*body(i), f"{i + 1} May 18{50 + i}"]) for i in range(3)]
    assert all(s.removed == [] for s in strip_documents(docs))


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
