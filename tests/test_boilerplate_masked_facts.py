"""Specification of where masked keys and name templates apply: chrome, not news.

Templated chrome (a copyright year, "Posted 3 hours ago", a permalink, a byline) shares a masked
key or a name template across pages and is learned; a sentence of news whose figures, names or
dates are its content is not merged with the same sentence of other stories.
"""

from __future__ import annotations

from _boilerplate_support import body, page, removed_texts

from dedup.boilerplate import EntryBuilder, strip_documents
from dedup.mask import Masker
from dedup.types import Document

MASK = Masker()

# --- news: the fields are the content ---------------------------------------------------------


def test_a_lede_of_monthly_figures_is_content() -> None:
    """Ledes that differ only in their figures (numbers masked alike) are kept in every story."""
    figures = [("295,000", "4.3"), ("151,000", "3.9"), ("210,000", "4.1"), ("98,000", "4.0")]
    docs = [
        page(
            f"jobs{i}",
            "wire",
            [
                f"The U.S. economy added {jobs} jobs last month and the unemployment rate rose "
                f"to {rate} percent, the Labor Department said on Friday.",
                *body(i),
            ],
        )
        for i, (jobs, rate) in enumerate(figures)
    ]
    assert all(s.removed == [] for s in strip_documents(docs))


def test_a_closing_line_naming_a_defendant_is_content() -> None:
    """Short tail lines that differ in names, courts and dates (one template) are kept."""
    lines = [
        "John Smith will appear at Manchester Crown Court on 12 March.",
        "Anna Lee will appear at Leeds Magistrates Court on 3 April.",
        "Peter O'Neill will appear at Bolton Crown Court on 21 May.",
        "Sarah Khan will appear at Salford Magistrates Court on 30 June.",
    ]
    docs = [page(f"court{i}", "news", [*body(i), line]) for i, line in enumerate(lines)]
    assert all(s.removed == [] for s in strip_documents(docs))


def test_a_long_paragraph_has_its_exact_key_as_masked_key() -> None:
    """Fields are masked only in short lines: a long paragraph's numbers stay in its key."""
    lede = (
        "The U.S. economy added 295,000 jobs last month and the unemployment rate rose to 4.3 "
        "percent, the Labor Department said on Friday."
    )
    (occ,) = EntryBuilder().build([Document("d", lede)])[0].occurrences
    assert occ.masked == occ.exact


def test_template_keeps_a_name_that_is_the_subject_of_a_verb() -> None:
    """A name followed by a lower-case word other than a function word is not masked."""
    masked = MASK.mask("John Smith will appear at Manchester Crown Court on 12 March.")
    assert MASK.template(masked) == masked


# --- chrome: the fields are filled in per page ------------------------------------------------


def _tail_lines_are_learned(lines: list[str]) -> bool:
    docs = [page(f"d{i}", "ledger", [*body(i), line]) for i, line in enumerate(lines)]
    return all(
        removed_texts(doc, s.removed) == [line]
        for doc, s, line in zip(docs, strip_documents(docs), lines, strict=True)
    )


def test_still_strips_a_copyright_line_with_other_years() -> None:
    """ "© 2023 Acme" and "© 2024 Acme" share the masked key."""
    assert _tail_lines_are_learned(
        [f"© {y} Acme Media. All rights reserved." for y in (2022, 2023, 2024)]
    )


def test_still_strips_posted_hours_ago() -> None:
    """ "Posted 3 hours ago" and "Posted 12 hours ago" share the masked key."""
    assert _tail_lines_are_learned([f"Posted {n} hours ago" for n in (3, 12, 20)])


def test_still_strips_a_dateline_with_other_times() -> None:
    """ "Updated 10:22 4 March 2021" and its siblings share the masked key."""
    stamps = ["10:22 4 March 2021", "07:01 30 November 2019", "23:45 1 January 2024"]
    assert _tail_lines_are_learned([f"Updated {s}" for s in stamps])


def test_still_strips_a_permalink_with_other_paths() -> None:
    """Permalinks of one host with different paths share the masked key."""
    assert _tail_lines_are_learned(
        [f"Permalink: https://acme.com/a/{p}" for p in ("8f2k", "q7x1", "zz90")]
    )


def test_still_strips_a_print_edition_line() -> None:
    """A templated sentence of chrome with its page and date masked is still learned."""
    lines = [
        f"This article appeared in print on page A{n} of the {d} edition."
        for n, d in ((12, "03/04/2021"), (3, "11/30/2019"), (7, "01/01/2024"))
    ]
    assert _tail_lines_are_learned(lines)


def test_still_strips_bylines_with_other_names() -> None:
    """ "By Jane Doe | Published <date>" with other names and dates shares the name template."""
    lines = [
        "By Jane Whitfield | Published 2021-03-04 10:22 UTC",
        "By Sarah O'Connell | Published 2019-11-30 07:01 UTC",
        "By Omar Haddad | Published 2024-01-01 23:45 UTC",
    ]
    assert _tail_lines_are_learned(lines)


def test_still_strips_credit_lines_with_other_names() -> None:
    """Reuters-style credits ("Reporting by X; additional reporting by Y; ...") are learned."""
    lines = [
        "Reporting by John Roe; additional reporting by Jane Doe; Editing by Mark Potter",
        "Reporting by Mei Lin; additional reporting by Omar Haddad; Editing by Alex Richardson",
        "Reporting by Ana Silva; additional reporting by Tom Hale; Editing by Jan Harvey",
    ]
    assert _tail_lines_are_learned(lines)
