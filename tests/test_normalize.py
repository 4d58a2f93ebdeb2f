"""Specification of dedup.normalize: the tokenising rule, original-text spans, Unicode tables."""

from __future__ import annotations

import itertools
import random
import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from unicode_samples import (
    ALL_CODE_POINTS,
    CASE_CHANGED,
    COMBINING,
    NFKC_CHANGED,
    tricky_text,
)

from dedup._kernels import CLASS_MASK, SEP, SOLO, UNSAFE, WORD
from dedup.normalize import tables, token_streams, tokenize, tokenize_reference
from dedup.unicode_tables import _FOLD_LIMIT, _HANGUL_SECOND, _NFKC_LIMIT, _SOLO_RANGES


def cls(ch: str) -> int:
    return int(tables().classes[ord(ch)] & CLASS_MASK)


# --- The rule ------------------------------------------------------------------------------


def test_tokens_are_runs_of_letters_and_digits():
    """Punctuation, underscores and white space only separate tokens; letters and digits join."""
    assert tokenize("Hello, world_wide web2.0 (beta)!").words == [
        "hello",
        "world",
        "wide",
        "web2",
        "0",
        "beta",
    ]


def test_full_case_folding():
    """Case folding is full Unicode folding, so ß and SS compare equal."""
    assert tokenize("Straße").words == tokenize("STRASSE").words == ["strasse"]


def test_nfkc_unifies_compatibility_forms():
    """Ligatures, full-width letters and superscripts become their plain forms."""
    assert tokenize("\ufb01ne \uff26\uff35\uff2c\uff2c x\u00b2").words == ["fine", "full", "x2"]


def test_nfc_and_nfd_give_the_same_tokens():
    """A precomposed letter and its decomposed form give the same token."""
    nfc = unicodedata.normalize("NFC", "Café Zürich Ångström")
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd
    assert tokenize(nfc).words == tokenize(nfd).words == ["café", "zürich", "ångström"]


def test_quote_dash_and_space_variants_are_equivalent():
    """Curly and straight quotes, dashes, tabs and non-breaking spaces all just separate."""
    plain = tokenize('don\'t stop - "now" or  never')
    fancy = tokenize("don\u2019t\u00a0stop\u2014\u201cnow\u201d or\tnever")
    assert plain.words == fancy.words == ["don", "t", "stop", "now", "or", "never"]


def test_combining_marks_are_word_characters():
    """A combining mark stays inside its token instead of splitting it."""
    assert tokenize("n\u0303o a\u0301b").words == ["ño", "áb"]


def test_scripts_without_spaces_give_one_token_per_character():
    """Han, kana and Thai characters are single-character tokens, even next to Latin letters."""
    assert tokenize("東京都tokyo").words == ["東", "京", "都", "tokyo"]
    assert tokenize("ひらがなカタカナ").words == list("ひらがなカタカナ")
    assert tokenize("สวัสดี").words == ["ส", "ว", "ั", "ส", "ด", "ี"]


def test_right_to_left_and_mixed_scripts():
    """Arabic, Hebrew and Cyrillic words are ordinary tokens in their logical order."""
    assert tokenize("مرحبا بالعالم Привет שלום").words == [
        "مرحبا",
        "بالعالم",
        "привет",
        "שלום",
    ]


def test_emoji_and_symbols_are_separators():
    """Emoji and other symbols are not word characters, so an emoji-only text has no tokens."""
    assert tokenize("🎉 party 🎉🇫🇷 ★").words == ["party"]
    assert tokenize("🎉🎉 👍🏽").words == []


@pytest.mark.parametrize("text", ["", " ", "\n\t \u00a0\u3000", "... --- !!!"])
def test_no_tokens(text):
    """Empty, white-space-only and punctuation-only texts have no tokens and an empty span array."""
    tokens = tokenize(text)
    assert tokens.words == []
    assert tokens.stream == ""
    assert tokens.spans.shape == (0, 2)


def test_options_turn_steps_off():
    """With ``nfkc`` and ``casefold`` off, ligatures and case survive."""
    assert tokenize("\ufb01 Straße", nfkc=False, casefold=False).words == ["\ufb01", "Straße"]
    assert tokenize("\ufb01 Straße", nfkc=True, casefold=False).words == ["fi", "Straße"]


def test_stream_joins_tokens_with_single_spaces():
    """The token stream is the tokens joined by single spaces."""
    assert tokenize("  A,  b;\n\nC  ").stream == "a b c"


# --- Spans ---------------------------------------------------------------------------------


def test_spans_point_at_the_source_of_each_token():
    """Spans are half-open character ranges of the original text."""
    text = "Hello, Wörld! 東京"
    tokens = tokenize(text)
    assert tokens.spans.tolist() == [[0, 5], [7, 12], [14, 15], [15, 16]]
    assert [text[s:e] for s, e in tokens.spans] == ["Hello", "Wörld", "東", "京"]


def test_span_of_a_token_from_a_ligature_covers_just_its_source():
    """A token made partly of a ligature spans exactly the characters it came from."""
    text = "big \ufb01sh-bowl"
    tokens = tokenize(text)
    assert tokens.words == ["big", "fish", "bowl"]
    assert tokens.spans.tolist() == [[0, 3], [4, 7], [8, 12]]


def test_reference_span_covers_the_chunk_when_nfkc_changes_its_length():
    """The plain-Python reference maps tokens of a chunk NFKC lengthens to the whole chunk."""
    text = "big \ufb01sh-bowl"
    tokens = tokenize_reference(text)
    assert tokens.words == ["big", "fish", "bowl"]
    assert tokens.spans.tolist() == [[0, 3], [4, 12], [4, 12]]


@settings(max_examples=300, deadline=None)
@given(tricky_text)
def test_compiled_tokens_equal_the_reference(text):
    """The compiled tokenizer produces the reference's tokens for any text."""
    assert tokenize(text).words == tokenize_reference(text).words


def test_span_includes_a_combining_mark_merged_into_the_token():
    """A composed letter's span covers its combining mark, even when a ligature elsewhere in the
    chunk keeps the normalised chunk as long as the original one."""
    text = "e\u0301-\ufb01"  # NFKC: "é-fi", the same length as the original
    tokens = tokenize(text)
    assert tokens.words == ["é", "fi"]
    for word, (start, end) in zip(tokens.words, tokens.spans.tolist(), strict=True):
        assert word in tokenize(text[start:end]).words


@settings(max_examples=300, deadline=None)
@given(tricky_text)
def test_spans_are_inside_the_text_in_order_and_cover_their_source(text):
    """Every span is a non-empty range of the text, spans never go backwards, and the text under a
    span contains the token."""
    tokens = tokenize(text)
    spans = tokens.spans
    assert spans.shape == (len(tokens.words), 2)
    if len(tokens.words) == 0:
        return
    assert np.all(spans[:, 0] >= 0)
    assert np.all(spans[:, 0] < spans[:, 1])
    assert np.all(spans[:, 1] <= len(text))
    assert np.all(np.diff(spans[:, 0]) >= 0)
    assert np.all(np.diff(spans[:, 1]) >= 0)
    for word, (start, end) in zip(tokens.words, spans.tolist(), strict=True):
        assert word in tokenize(text[start:end]).words


# --- Tables --------------------------------------------------------------------------------


def test_case_folding_changes_nothing_above_the_fold_limit():
    """No code point at or above ``_FOLD_LIMIT`` changes under case folding."""
    changed = [cp for cp in ALL_CODE_POINTS if cp >= _FOLD_LIMIT and chr(cp).casefold() != chr(cp)]
    assert changed == []


def test_fold_table_is_python_casefold():
    """The fold table (with its multi-character extension) reproduces ``str.casefold``."""
    tab = tables()
    for cp in range(_FOLD_LIMIT):
        if 0xD800 <= cp < 0xE000:
            continue
        f = int(tab.fold[cp])
        folded = chr(f) if f >= 0 else "".join(chr(c) for c in tab.fold_ext[-f - 1] if c)
        assert folded == chr(cp).casefold(), hex(cp)


def test_nfkc_changes_nothing_above_the_nfkc_limit():
    """No code point at or above ``_NFKC_LIMIT`` changes under NFKC, combines or composes."""
    for cp in ALL_CODE_POINTS:
        if cp < _NFKC_LIMIT:
            continue
        ch = chr(cp)
        assert unicodedata.normalize("NFKC", ch) == ch, hex(cp)
        assert unicodedata.combining(ch) == 0, hex(cp)
    # Nothing above the limit is the second half of a canonical pair either.
    for cp in ALL_CODE_POINTS:
        parts = unicodedata.decomposition(chr(cp)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            assert int(parts[1], 16) < _NFKC_LIMIT


def test_nfkc_table_is_per_character_nfkc():
    """The NFKC table maps each code point below the limit to ``unicodedata``'s NFKC of it."""
    tab = tables()
    for cp in range(_NFKC_LIMIT):
        if 0xD800 <= cp < 0xE000:
            continue
        k = int(tab.nfkc_index[cp])
        if k < 0:
            got = chr(cp)
        else:
            lo, hi = tab.nfkc_offsets[k], tab.nfkc_offsets[k + 1]
            got = "".join(chr(c) for c in tab.nfkc_chars[lo:hi])
            assert got != chr(cp), hex(cp)
        assert got == unicodedata.normalize("NFKC", chr(cp)), hex(cp)


def test_character_classes():
    """Letters, digits and marks are word characters, everything else separates; scripts written
    without spaces are single-character tokens."""
    tab = tables()
    for cp in ALL_CODE_POINTS:
        ch = chr(cp)
        got = int(tab.classes[cp] & CLASS_MASK)
        wordlike = (ch.isalnum() and ch != "_") or unicodedata.category(ch)[0] == "M"
        if not wordlike:
            assert got == SEP, hex(cp)
        elif any(lo <= cp <= hi for lo, hi in _SOLO_RANGES):
            assert got == SOLO, hex(cp)
        else:
            assert got == WORD, hex(cp)
    assert cls("_") == SEP
    assert cls("\u00a0") == SEP
    assert cls("\u0301") == WORD


def test_unsafe_marks_every_character_that_can_interact_with_a_neighbour():
    """Combining marks, second halves of canonical pairs, Hangul vowels and trailing consonants,
    and characters whose NFKC contains one of them are all flagged UNSAFE."""
    tab = tables()
    unsafe = (tab.classes & UNSAFE) != 0
    for cp in ALL_CODE_POINTS:
        ch = chr(cp)
        if unicodedata.combining(ch):
            assert unsafe[cp], hex(cp)
        parts = unicodedata.decomposition(ch).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            assert unsafe[int(parts[1], 16)], hex(cp)
    for lo, hi in _HANGUL_SECOND:
        assert unsafe[lo : hi + 1].all()
    for ch in NFKC_CHANGED:
        if any(unsafe[ord(c)] for c in unicodedata.normalize("NFKC", ch)):
            assert unsafe[ord(ch)], hex(ord(ch))


def test_per_character_nfkc_agrees_with_whole_text_nfkc_unless_flagged():
    """For every character with a non-trivial NFKC next to a sample of neighbours (letters, marks,
    jamo, other compatibility characters), per-character NFKC equals NFKC of the pair unless one of
    the two characters is flagged UNSAFE."""
    unsafe = (tables().classes & UNSAFE) != 0
    rng = random.Random(2)
    neighbours = sorted(
        set(
            "aeAEoOuU0 .-\u00a0ﬁ漢\u1100\u1161\u11a8\uac00\uac01\u3131\u314f\u0cc6\u0cc2\u09c7"
            "\u0b47\u0bc6\u0dd9\u1025\u1b05\u0627\u0653\u05d0"
        )
        | set(rng.sample(NFKC_CHANGED, 150))
        | set(rng.sample(COMBINING, 30))
        | set(rng.sample(CASE_CHANGED, 30))
    )
    flagged_needed = []
    for ch in NFKC_CHANGED:
        nf = unicodedata.normalize("NFKC", ch)
        for other in neighbours:
            for pair, pieces in (
                (ch + other, nf + unicodedata.normalize("NFKC", other)),
                (other + ch, unicodedata.normalize("NFKC", other) + nf),
            ):
                if unicodedata.normalize("NFKC", pair) != pieces and not (
                    unsafe[ord(ch)] or unsafe[ord(other)]
                ):
                    flagged_needed.append(pair)
    assert flagged_needed == []


def test_expansion_bounds_the_bytes_of_every_code_point():
    """``expansion[cp]`` is at least the UTF-8 bytes (plus one separating space per produced
    character) that code point can produce, with NFKC and case folding each on or off."""
    tab = tables()
    short = []
    for cp in ALL_CODE_POINTS:
        have = int(tab.expansion[cp]) if cp < tab.expansion.shape[0] else 5
        ch = chr(cp)
        for chars in (ch, unicodedata.normalize("NFKC", ch)) if cp < _NFKC_LIMIT else (ch,):
            unfolded = sum(len(c.encode()) + 1 for c in chars)
            folded = sum(len(c.casefold().encode()) + 1 for c in chars)
            if max(unfolded, folded) > have:
                short.append((hex(cp), chars, max(unfolded, folded), have))
    assert short == []


def test_streams_without_spans_are_the_same_streams() -> None:
    """``spans=False`` (fingerprinting) changes nothing but leaving ``sources`` empty, also for
    texts that need whole-text NFKC (spliced in from a second run)."""
    texts = [
        "Hello, World! ﬁne…",
        "cafe\u0301 au lait",
        "",
        "\uff21\uff42\uff43 123 déjà vu",
        "한국어 텍스트",
    ]
    full = token_streams(texts)
    lean = token_streams(texts, spans=False)
    assert not full.exact.all()  # the combining accent took the whole-text way
    for field in ("buf", "offsets", "token_starts", "token_offsets", "exact"):
        assert np.array_equal(getattr(full, field), getattr(lean, field)), field
    assert full.sources.shape[0] == full.token_starts.shape[0]
    assert lean.sources.shape == (0, 2)


@settings(max_examples=200, deadline=None)
@given(st.lists(tricky_text, max_size=6), st.data())
def test_joined_streams_are_the_streams_of_the_joined_texts(texts, data) -> None:
    """Streams taken from a batch, alone or joined in groups, are the streams of those texts
    joined by blank lines: fingerprinting them needs no second tokenising."""
    rows = data.draw(st.lists(st.integers(0, len(texts) - 1), max_size=8) if texts else st.just([]))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(rows)), max_size=3)))
    groups = np.array([0, *cuts, len(rows)], dtype=np.int64)
    batch = token_streams(texts, spans=False)
    joined = batch.joined(np.array(rows, dtype=np.int64), groups)
    expected = token_streams(
        ["\n\n".join(texts[r] for r in rows[lo:hi]) for lo, hi in itertools.pairwise(groups)],
        spans=False,
    )
    for field in ("buf", "offsets", "token_starts", "token_offsets", "exact"):
        assert np.array_equal(getattr(joined, field), getattr(expected, field)), field
    alone = batch.joined(np.array(rows, dtype=np.int64))
    one_each = token_streams([texts[r] for r in rows], spans=False)
    assert np.array_equal(alone.buf, one_each.buf)
    assert np.array_equal(alone.token_starts, one_each.token_starts)
