"""Specification of dedup.fields: what a document's id may hold, when a text is blank, and the
patterns that state both in the service's OpenAPI document."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from dedup.fields import (
    ID_PATTERN,
    TEXT_PATTERN,
    WHITESPACE,
    id_problem,
    is_blank,
    text_problem,
)

# Every character of the Basic Multilingual Plane, where every range of the rules lies, and one
# beyond it; each in the places a pattern treats differently: alone, after and before others.
CHARACTERS = [chr(c) for c in range(0x10000)] + ["\U0001f600"]
CONTEXTS = ["{}", "a{}", "{}a", " {}", "{} ", "a{}\n"]


def ecma(pattern: str) -> re.Pattern[str]:
    """``pattern`` as JSON Schema reads it: ECMA-262's closing ``$`` is Python's ``\\Z``."""
    return re.compile(pattern.removesuffix("$") + r"\Z")


def samples() -> list[str]:
    return [context.format(c) for context in CONTEXTS for c in CHARACTERS]


@pytest.mark.parametrize("doc_id", [" ", "   ", "\u3000", "\u00a0\u2003", " \t\n"])
def test_an_id_of_only_white_space_is_refused(doc_id: str) -> None:
    """An id that is only white space, of any kind, says so."""
    assert id_problem(doc_id) == "is only whitespace"


@pytest.mark.parametrize(
    ("doc_id", "code", "where"),
    [
        ("a\tb", "0009", 1),
        ("line\n", "000A", 4),
        ("\x07bell", "0007", 0),
        ("nul\x00", "0000", 3),
        ("del\x7f", "007F", 3),
        ("c1\x80", "0080", 2),
        ("c1\x9f end", "009F", 2),
    ],
)
def test_an_id_with_a_control_character_names_it_and_where_it_is(
    doc_id: str, code: str, where: int
) -> None:
    """A control character (C0, DEL, C1) is named with its code point and its offset from 0."""
    assert id_problem(doc_id) == f"contains a control character (U+{code} at character {where})"


@pytest.mark.parametrize("doc_id", [" a", "a ", "\u3000id\u3000", "a b", "x\u00a0y", "7", "é"])
def test_spaces_around_or_inside_other_characters_are_a_valid_id(doc_id: str) -> None:
    """Spaces beside other characters are kept: some sources' ids have them."""
    assert id_problem(doc_id) is None


def test_an_empty_id_is_refused() -> None:
    """The empty string is no id."""
    assert id_problem("") == "is empty"


def test_white_space_is_what_python_calls_white_space() -> None:
    """The rules' white space is exactly ``str.isspace()``'s, so ``not text.strip()`` agrees."""
    listed = {chr(c) for lo, hi in WHITESPACE for c in range(lo, hi + 1)}
    assert listed == {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}


@pytest.mark.parametrize("text", ["", " ", "\n\n\t ", "\u3000\u2028\r\n"])
def test_a_text_of_only_white_space_is_blank(text: str) -> None:
    """Empty and white-space-only texts are blank, and the problem says there is no text."""
    assert is_blank(text)
    assert text_problem(text) == "is empty or only white space: there is no text"


@pytest.mark.parametrize("text", [".", " a ", "\u200b", "\n\n-\n"])
def test_a_text_with_any_other_character_is_not_blank(text: str) -> None:
    """One character that is not white space (punctuation, a zero-width space) is enough."""
    assert not is_blank(text)
    assert text_problem(text) is None


def test_the_id_pattern_takes_exactly_the_valid_ids() -> None:
    """The published pattern and :func:`id_problem` agree on every character in every place."""
    pattern = ecma(ID_PATTERN)
    disagree = [s for s in samples() if (pattern.search(s) is None) != (id_problem(s) is not None)]
    assert disagree == []


def test_the_text_pattern_takes_exactly_the_texts_with_words_and_no_nul() -> None:
    """The published pattern and :func:`text_problem` agree on every character in every place."""
    pattern = ecma(TEXT_PATTERN)
    texts = ["", *samples()]
    disagree = [t for t in texts if (pattern.search(t) is None) != (text_problem(t) is not None)]
    assert disagree == []


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node for an ECMA-262 engine")
@pytest.mark.parametrize("flags", ["", "u"])
def test_the_patterns_read_the_same_in_ecma_262(flags: str) -> None:
    """Node's own RegExp, with and without the ``u`` flag, takes what Python's reading takes."""
    values = ["", *samples()]
    script = (
        "const [patterns, values] = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        f"const out = patterns.map(p => new RegExp(p, '{flags}'));"
        "process.stdout.write(JSON.stringify(out.map(r => values.map(v => r.test(v) ? 1 : 0))));"
    )
    patterns = [ID_PATTERN, TEXT_PATTERN]
    answer = subprocess.run(
        ["node", "-e", script],
        input=json.dumps([patterns, values]),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    in_node = json.loads(answer.stdout)
    for pattern, taken in zip(patterns, in_node, strict=True):
        python = ecma(pattern)
        assert [v for v, t in zip(values, taken, strict=True) if t != bool(python.search(v))] == []


@pytest.mark.parametrize(
    ("pattern", "value"),
    [
        (TEXT_PATTERN, " " * 1_000_000),
        (TEXT_PATTERN, "a" * 1_000_000 + "\x00"),
        (TEXT_PATTERN, " " * 500_000 + "a" * 500_000 + "\x00"),
        (ID_PATTERN, " " * 100_000),
        (ID_PATTERN, "a" * 100_000 + "\t"),
        (ID_PATTERN, " " * 50_000 + "a" * 50_000 + "\t"),
    ],
)
def test_a_pattern_refuses_a_long_value_in_linear_time(pattern: str, value: str) -> None:
    """The worst inputs for backtracking are refused. Linear patterns do it in one pass over
    the million characters; one that backtracked quadratically would take hours, so this test
    would not end (speed itself is measured in benchmarks/, not here)."""
    assert ecma(pattern).search(value) is None
