"""Specification of dedup.boilerplate: learning recurring paragraphs, judging, stripping."""

from __future__ import annotations

import random

from _boilerplate_support import FOOTER, SAMPLE_FOOTERS, body, page, removed_texts, sample, sentence

from dedup.boilerplate import (
    BoilerplateModel,
    PageChrome,
    Rules,
    strip_documents,
)

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
