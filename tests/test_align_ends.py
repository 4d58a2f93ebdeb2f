"""Specification of a passage's ends (dedup.passage_ends.widened): the punctuation attached to its
first and last words is part of it, nothing of a word it does not hold."""

from __future__ import annotations

from dedup.align import Aligner
from dedup.normalize import tokenize
from dedup.passage_ends import MAX_ATTACHED, widened

ALIGNER = Aligner()
QUOTE = (
    "The regional water authority said on Tuesday that the reservoir had fallen to its lowest "
    "level in thirty years after a long dry summer"
)


def only(a: str, b: str) -> tuple[str, str]:
    """The one passage of ``a`` and ``b``, as the text it covers on each side."""
    (p,) = ALIGNER.align(a, b)
    return a[p.a[0] : p.a[1]], b[p.b[0] : p.b[1]]


def test_a_quoted_sentence_keeps_its_quotes_and_full_stop() -> None:
    """An opening quote before the first word and '."' after the last are the passage's."""
    a = f'Officials spoke. "{QUOTE}." Then other news followed here.'
    b = f"Another start entirely. {QUOTE}. A different ending."
    assert only(a, b) == (f'"{QUOTE}."', f"{QUOTE}.")


def test_each_side_takes_its_own_punctuation() -> None:
    """Each side's ends take the punctuation that side has: a comma here, a full stop there."""
    a = f"Unrelated opening words. {QUOTE}, officials added in a statement."
    b = f"Something else first. ({QUOTE}.) Nothing more."
    assert only(a, b) == (f"{QUOTE},", f"({QUOTE}.)")


def test_the_end_stops_at_a_word_the_passage_does_not_hold() -> None:
    """Punctuation that runs into another word ("U.S." ended after "U") is not taken in."""
    text = "the U.S. said"
    tokens = tokenize(text)
    assert tokens.words[:3] == ["the", "u", "s"]
    assert widened(text, tokens.spans, 0, 2) == (0, 5)  # "the U", not "the U."
    assert widened(text, tokens.spans, 2, 4) == (6, 13)  # "S. said", not ".S. said"


def test_a_long_run_of_punctuation_stays_outside() -> None:
    """More than MAX_ATTACHED characters of punctuation (a rule of dashes) are not taken in;
    MAX_ATTACHED of them are."""
    text = "word " + "-" * (MAX_ATTACHED + 1) + "next and" + "!" * MAX_ATTACHED
    tokens = tokenize(text)
    assert tokens.words == ["word", "next", "and"]
    assert widened(text, tokens.spans, 1, 3) == (tokens.spans[1, 0], len(text))


def test_ends_at_the_edges_of_the_text() -> None:
    """Punctuation at the very start or end of a text is taken in like any other."""
    text = "«Bonjour tout le monde»"
    tokens = tokenize(text)
    assert widened(text, tokens.spans, 0, len(tokens)) == (0, len(text))


def test_without_the_text_the_ends_are_the_tokens_own() -> None:
    """Sides made without their text give the first and last tokens' spans."""
    text = f'"{QUOTE}."'
    tokens = tokenize(text)
    assert widened(None, tokens.spans, 0, len(tokens)) == (1, len(text) - 2)


def test_adjacent_passages_never_overlap() -> None:
    """Two passages a space apart each take their own punctuation and stop at the space."""
    first = QUOTE + "."
    second = (
        "Farmers in the valley were told to expect cuts to their allowance of irrigation water "
        "through the autumn months."
    )
    a = f"{first} {second}"
    b = f"{second}\n\nSomething else in between here.\n\n{first}"
    passages = ALIGNER.align(a, b)
    assert [a[p.a[0] : p.a[1]] for p in passages] == [first, second]
    assert passages[0].a[1] < passages[1].a[0]
