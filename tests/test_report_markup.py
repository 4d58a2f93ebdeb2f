"""The report's markup builder and text highlighting: text never becomes markup."""

from __future__ import annotations

import pytest

from dedup.report.highlight import Highlight, render_text
from dedup.report.markup import Markup, el, escape, join

HOSTILE = "<img src=x onerror=\"document.title='pwned'\"><script>alert(1)</script>&"


def test_text_children_are_escaped() -> None:
    """Angle brackets, quotes and ampersands in a text child come out as entities."""
    out = el("p", None, HOSTILE)
    assert "<img" not in out and "<script" not in out
    assert out.startswith("<p>&lt;img src=x onerror=&quot;document.title=&#x27;pwned&#x27;&quot;")


def test_attribute_values_are_escaped() -> None:
    """A value cannot close its quotes and add an attribute."""
    out = el("div", {"data-doc": '" onmouseover="alert(1)'})
    assert out == '<div data-doc="&quot; onmouseover=&quot;alert(1)"></div>'


def test_markup_children_pass_through() -> None:
    """Markup made by el() is nested as is, not escaped twice."""
    assert el("p", None, el("b", None, "a&b")) == "<p><b>a&amp;b</b></p>"


def test_element_and_attribute_names_must_be_plain() -> None:
    """A tag or attribute name that is not a plain identifier is a programming error."""
    with pytest.raises(ValueError, match="element name"):
        el("p onclick=x", None)
    with pytest.raises(ValueError, match="attribute name"):
        el("p", {"x onclick": "1"})


def test_boolean_and_missing_attributes() -> None:
    """True writes the bare name; None and False leave the attribute out."""
    assert (
        el("details", {"open": True, "hidden": False, "title": None}) == "<details open></details>"
    )


def test_void_elements_have_no_end_tag() -> None:
    """<meta> and <br> are written without an end tag and refuse children."""
    assert el("br") == "<br>"
    with pytest.raises(ValueError, match="cannot have children"):
        el("meta", None, "x")


def test_join_escapes_plain_strings_only() -> None:
    """join() escapes str children and keeps Markup ones."""
    assert join(["<", Markup("<i>"), None]) == "&lt;<i>"
    assert escape("'") == "&#x27;"


def test_highlight_wraps_exactly_the_passage() -> None:
    """A passage [4, 9) becomes one <mark> holding text[4:9] with its offsets as data."""
    out = render_text("The quick brown fox", [Highlight(4, 9, 0, 5, 1.0)])
    assert '<mark data-start="4" data-end="9"' in out
    assert ">quick</mark>" in out
    assert out.startswith("The ")


def test_highlighted_text_is_escaped() -> None:
    """A passage made of hostile text is escaped inside its <mark>."""
    text = "x " + HOSTILE
    out = render_text(text, [Highlight(2, len(text), 0, 1, 1.0)])
    assert "<script" not in out and "<img" not in out
    assert "&lt;script&gt;" in out


def test_boilerplate_is_shaded_inside_and_outside_marks() -> None:
    """Boilerplate spans become <span class="bp">, also where they cross a passage."""
    out = render_text("aaaa bbbb cccc", [Highlight(5, 14, 0, 9, 1.0)], [(0, 4), (10, 14)])
    assert out.startswith('<span class="bp" title="boilerplate">aaaa</span> ')
    assert 'bbbb <span class="bp" title="boilerplate">cccc</span></mark>' in out


def test_a_cut_text_says_how_much_is_missing() -> None:
    """Showing a prefix adds a note with the number of characters left out; marks are cut."""
    out = render_text("abcdef", [Highlight(4, 10, 0, 6, 1.0)], length=10)
    assert ">ef</mark>" in out
    assert "4 more characters not shown" in out


def test_overlapping_highlights_keep_the_first() -> None:
    """Of two overlapping passages only the earlier one is marked."""
    out = render_text("abcdefghij", [Highlight(2, 6, 0, 4, 1.0), Highlight(4, 8, 0, 4, 1.0)])
    assert out.count("<mark") == 1
    assert ">cdef</mark>" in out
