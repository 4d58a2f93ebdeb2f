"""Specification of dedup.paragraphs and dedup.mask: segmentation, offsets, paragraph keys."""

from __future__ import annotations

import sys
import unicodedata

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedup.config import Config
from dedup.fingerprint import Fingerprinter
from dedup.mask import _ASCII_FIELD, _COLONS, _FIELD, Masker, _mask_field
from dedup.paragraphs import Paragraph, ParagraphFingerprinter, Segmenter

SPLIT = Segmenter().split
FINGERPRINTER = ParagraphFingerprinter()
MASK = Masker()


def texts(text: str, segmenter: Segmenter | None = None) -> list[str]:
    return [p.text for p in (segmenter or Segmenter()).split(text)]


def masked_key(paragraph: str) -> int:
    return int(FINGERPRINTER.fingerprint([paragraph]).masked[0])


def exact_key(paragraph: str) -> int:
    return int(FINGERPRINTER.fingerprint([paragraph]).exact[0])


# --- segmentation ----------------------------------------------------------------------------


def test_blank_lines_separate_paragraphs() -> None:
    """Paragraphs are the runs of text between blank lines."""
    assert texts("One.\n\nTwo.\n\n\n\nThree.") == ["One.", "Two.", "Three."]


def test_offsets_point_into_the_original_text() -> None:
    """Each paragraph's start/end are str indices into the original text."""
    text = "  Title\r\n\r\nBody one.\n \t\nBody two  \n"
    paragraphs = SPLIT(text)
    assert paragraphs == [
        Paragraph(2, 7, "Title"),
        Paragraph(11, 20, "Body one."),
        Paragraph(24, 32, "Body two"),
    ]
    assert all(text[p.start : p.end] == p.text for p in paragraphs)


def test_a_line_of_only_white_space_is_blank() -> None:
    """A line holding spaces or tabs separates paragraphs like an empty line."""
    assert texts("One.\n   \t \nTwo.") == ["One.", "Two."]


def test_unicode_paragraph_separator_separates_paragraphs() -> None:
    """U+2029 PARAGRAPH SEPARATOR is a paragraph break."""
    assert texts("One.\u2029Two.") == ["One.", "Two."]


@pytest.mark.parametrize("blank", ["\r\r", "\r \r", "\u2028\u2028", "\x85\x85", "\n\r\n"])
def test_a_blank_line_of_any_line_break_separates_paragraphs(blank: str) -> None:
    """A lone CR (old Mac files), U+2028 and NEL end lines in the fallback, and two of them
    make a blank line as two LFs do."""
    assert texts(f"Footer line.{blank}Body of the story.") == ["Footer line.", "Body of the story."]


def test_one_crlf_is_one_line_break_not_a_blank_line() -> None:
    assert texts("Title\r\nBody") == ["Title\r\nBody"]


@given(st.lists(st.sampled_from(["Words here.", "more", " ", "\t", "\n"]), max_size=30))
def test_paragraphs_are_the_same_whatever_ends_the_lines(parts: list[str]) -> None:
    """CRLF, a lone CR, U+2028 or NEL in place of every LF cut the same paragraphs."""
    text = "".join(parts)
    for ending in ("\r\n", "\r", "\u2028", "\x85"):
        cut = texts(text.replace("\n", ending))
        assert [t.replace(ending, "\n") for t in cut] == texts(text)


def test_single_line_breaks_stay_inside_paragraphs_when_there_are_blank_lines() -> None:
    """In a text with blank lines, a single line break does not end a paragraph."""
    assert texts("Line one\nline two\n\nNext") == ["Line one\nline two", "Next"]


def test_lines_are_paragraphs_when_a_text_has_many_lines_and_no_blank_line() -> None:
    """Without a blank line, three or more lines are split at every line break."""
    assert texts("Title\nFirst para.\r\nSecond para.\n") == ["Title", "First para.", "Second para."]


def test_two_lines_without_a_blank_line_stay_one_paragraph() -> None:
    """Fewer lines than ``min_lines`` do not trigger the line fallback."""
    assert texts("Title\nBody") == ["Title\nBody"]


def test_empty_and_blank_texts_have_no_paragraphs() -> None:
    """A text of only white space has no paragraph."""
    assert SPLIT("") == [] and SPLIT(" \n\n\t\n") == []


def test_long_paragraph_is_cut_at_sentence_ends() -> None:
    """A paragraph over ``max_chars`` is cut into sentence-aligned pieces within the limit."""
    sentences = [f"Sentence number {i} is here." for i in range(100)]
    text = " ".join(sentences)
    pieces = SPLIT(text)
    assert len(pieces) > 1
    assert all(len(p.text) <= 2000 for p in pieces)
    assert all(p.text.endswith("here.") for p in pieces)
    assert " ".join(p.text for p in pieces) == text


def test_long_paragraph_pieces_are_packed_up_to_the_limit() -> None:
    """Sentences are packed greedily: each piece but the last could not take the next sentence."""
    text = " ".join(f"Short sentence {i:02d}." for i in range(30))  # 18 characters each
    pieces = texts(text, Segmenter(max_chars=100))
    assert [len(p) for p in pieces] == [94] * 6  # five sentences fit (94), six do not (113)


def test_sentence_longer_than_the_limit_is_cut_at_white_space() -> None:
    """A single over-long sentence is cut at the last white space before the limit."""
    pieces = texts("word " * 30, Segmenter(max_chars=22))
    assert pieces[0] == "word word word word"
    assert all(len(p) <= 22 for p in pieces)


def test_text_without_white_space_is_cut_at_the_limit() -> None:
    """With no sentence end and no white space, the cut falls at exactly ``max_chars``."""
    assert [len(p) for p in texts("字" * 25, Segmenter(max_chars=10))] == [10, 10, 5]


def test_cjk_full_stops_end_sentences() -> None:
    """A CJK full stop is a sentence end even without a following space."""
    pieces = texts("这是第一句。这是第二句。这是第三句。", Segmenter(max_chars=12))
    assert pieces == ["这是第一句。这是第二句。", "这是第三句。"]


def test_long_paragraph_pieces_have_exact_offsets() -> None:
    """Pieces of a cut paragraph still map back to the original text exactly."""
    text = "Intro.\n\n" + " ".join(f"Sentence {i} goes on." for i in range(200))
    assert all(text[p.start : p.end] == p.text for p in SPLIT(text))


# --- paragraph keys --------------------------------------------------------------------------


def test_exact_key_is_the_fingerprinter_content_hash_of_the_paragraph() -> None:
    """The exact key equals the content hash Fingerprinter computes for the paragraph text."""
    table = FINGERPRINTER.fingerprint(["Alpha beta gamma.\n\nDelta epsilon zeta eta."])
    hashes = Fingerprinter(Config()).fingerprint(["Alpha beta gamma.", "Delta epsilon zeta eta."])
    assert table.exact.tolist() == hashes.content_hashes.tolist()


def test_exact_key_ignores_case_and_punctuation() -> None:
    """Paragraphs with equal normalised text have equal exact keys."""
    assert exact_key("Share this ARTICLE!") == exact_key("share this article")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("© 2023 Acme", "© 2024 Acme"),
        ("Posted 3 hours ago", "Posted 12 hours ago"),
        ("Posted 1 hour ago", "Posted 12 hours ago"),
        ("Permalink: https://acme.com/a/8f2k", "Permalink: https://www.acme.com/b/q7x1?x=1"),
        ("Email tips to jane@acme.com", "Email tips to tom.roe@acme.com"),
        ("Follow @acme_news on X", "Follow @acme on X"),
        ("Updated 4 March 2021, 10:22", "Updated 12 July 2020, 9:05"),
        ("Updated 2021-03-04 10:22 UTC", "Updated 03/04/2021 09:05 UTC"),
        ("Updated: Monday, 4 March 2021", "Updated: Friday, Sept. 30, 2022"),
        ("4,800 comments", "3 comments"),
        ("Printed on page A12", "Printed on page A7"),
    ],
)
def test_masked_key_catches_templated_variants(a: str, b: str) -> None:
    """Lines that differ only in numbers, dates, times, URL paths, e-mails or handles share it."""
    assert exact_key(a) != exact_key(b)
    assert masked_key(a) == masked_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("The minister resigned on 4 May.", "The minister was re-elected on 4 May."),
        ("Read the report at https://acme.com/r/1", "Read the report at https://other.org/r/1"),
        ("By Jane Doe", "By John Roe"),
        ("7 May 1856", "26 September 1907"),
        ("4,699,755", "33.0"),
    ],
)
def test_masked_key_keeps_different_lines_apart(a: str, b: str) -> None:
    """Different sentences, sites and names differ; a line that is only numbers is not masked."""
    assert masked_key(a) != masked_key(b)


def test_masked_key_equals_exact_key_when_nothing_is_masked() -> None:
    """A paragraph without variable fields has its exact key as its masked key."""
    assert masked_key("Share this article") == exact_key("Share this article")


def test_template_masks_runs_of_capitalised_words() -> None:
    """The name template turns bylines with different names into one text."""
    a = MASK.template(MASK.mask("By Jane Whitfield | Published 2021-03-04 10:22 UTC"))
    b = MASK.template(MASK.mask("By Sarah O'Connell | Published 2019-11-30 07:01 UTC"))
    assert a == b


def test_template_keeps_single_capitalised_words() -> None:
    """A lone capitalised word (a site, an outlet) is not a name run."""
    assert MASK.template("Follow us on Facebook") == "Follow us on Facebook"


def test_template_leaves_a_line_that_is_only_names() -> None:
    """A title-case line with nothing else is left as it is."""
    assert MASK.template("What Happens Next") == "What Happens Next"


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Read more: Putin arrives in China", "Read more"),
        ("Lire aussi : Le projet de loi", "Lire aussi"),
        ("相关阅读：宇航员在太空中", "相关阅读"),  # noqa: RUF001 - Chinese punctuation
        ("https://acme.com/a", None),
        ("Published 10:22 UTC", None),
        ("Step 1: Open the box", None),
        ("A long sentence with several words in it: and then more", None),
    ],
)
def test_label_of_label_value_paragraphs(text: str, label: str | None) -> None:
    """A label is one to three words without digits before a colon that starts a value."""
    assert MASK.label(text) == label


_FIELD_ATOMS = (
    *("January", "JAN", "Sept.", "Sep", "May", "Mayor", "Dec", "mxnum", "mxnumx", "m", "Monday"),
    *(" of ", " ", "\n", "\x1c", "2021", "12", "3rd", "a.m.", "PM", ":", "/", "-", ".", ","),
    *("hours", "s", "_", "x", "J"),
)


@given(st.lists(st.sampled_from(_FIELD_ATOMS), max_size=12).map("".join))
def test_ascii_texts_mask_alike_by_either_field_pattern(text: str) -> None:
    """The date/number pattern for ASCII texts (each branch starts with its character, which
    the engine scans for) masks what the general one does."""
    assert _ASCII_FIELD.sub(_mask_field, text) == _FIELD.sub(_mask_field, text)


# --- the table -------------------------------------------------------------------------------


def test_signatures_only_for_paragraphs_with_min_tokens() -> None:
    """Paragraphs under ``min_tokens`` tokens get no signature (None in their row)."""
    table = FINGERPRINTER.fingerprint(
        ["Share this article\n\none two three four five six seven eight"]
    )
    rows = list(table.rows(["d"]))
    assert rows[0].signature is None
    assert rows[1].signature is not None


def test_signature_is_the_fingerprinter_signature_of_the_paragraph() -> None:
    """A paragraph's signature and shingles are those Fingerprinter gives its text."""
    paragraph = "one two three four five six seven eight nine"
    table = FINGERPRINTER.fingerprint([f"Title\n\n{paragraph}"])
    expected = Fingerprinter(Config()).fingerprint_one(paragraph)
    assert np.array_equal(table.signatures[1], expected.signature)
    assert np.array_equal(table.paragraph_shingles(1), expected.shingles)


def test_rows_name_their_document_and_offsets() -> None:
    """Rows carry the document id and the paragraph's offsets in that document's text."""
    docs = ["A.\n\nB b.", "C c c."]
    rows = list(FINGERPRINTER.fingerprint(docs).rows(["x", "y"]))
    assert [(r.doc_id, r.start, r.end) for r in rows] == [("x", 0, 2), ("x", 4, 8), ("y", 0, 6)]


def test_table_groups_paragraphs_by_document() -> None:
    """``doc_offsets`` delimit each document's rows, including a document without any."""
    table = FINGERPRINTER.fingerprint(["A.\n\nB.", "", "C."])
    assert table.doc_offsets.tolist() == [0, 2, 2, 3]
    assert table.doc.tolist() == [0, 0, 2]


def test_label_colons_are_every_character_nfkc_gives_a_colon() -> None:
    """The characters a label looks for before normalising are all those NFKC turns into a
    colon (in any Unicode version this Python has): a text without them has no label."""
    colons = {":", "："}  # noqa: RUF001 - the fullwidth colon the label pattern takes
    found = {
        c
        for c in map(chr, range(sys.maxunicode + 1))
        if colons & set(unicodedata.normalize("NFKD", c))
    }
    assert found == set(_COLONS)
