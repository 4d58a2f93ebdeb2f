"""Unicode samples shared by the tests: the characters on which normalisation does something."""

from __future__ import annotations

import unicodedata

from hypothesis import strategies as st

MAX_CP = 0x110000
ALL_CODE_POINTS = [cp for cp in range(MAX_CP) if not 0xD800 <= cp < 0xE000]

# Characters on which normalisation does something: the interesting part of the alphabet.
NFKC_CHANGED = "".join(
    chr(cp) for cp in ALL_CODE_POINTS if unicodedata.normalize("NFKC", chr(cp)) != chr(cp)
)
COMBINING = "".join(chr(cp) for cp in ALL_CODE_POINTS if unicodedata.combining(chr(cp)))
CASE_CHANGED = "".join(chr(cp) for cp in ALL_CODE_POINTS if chr(cp).casefold() != chr(cp))
# Characters ``fold_variants`` deletes or replaces: invisible format characters, Arabic marks and
# tatweel, Cyrillic io, alef variants.
VARIANTS = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202e"
    "\u2060\u2066\u2069\u3164\ufe0f\ufeff\uffa0\U0001d173\U000e0001\U000e0041\U000e0100"
    "\u0640\u064b\u064e\u0651\u0652\u0653\u0654\u0655\u0670\u06d6\u06ed"
    "\u0401\u0451\u0622\u0623\u0625\u0671"
)

# Text made of the characters most likely to break the rule, mixed with plain words.
tricky_text = st.lists(
    st.one_of(
        st.sampled_from(NFKC_CHANGED),
        st.sampled_from(COMBINING),
        st.sampled_from(CASE_CHANGED),
        st.sampled_from(VARIANTS),
        st.sampled_from("\u1100\u1161\u11a8\uac00\uac01\u3131\u314f"),  # Hangul jamo, syllables
        st.sampled_from(["e\u0301", "A\u030a", "n\u0303", "\ufb01", "\u2163", "\u00bd", "ß"]),
        st.sampled_from("ab e-.,\u00a0\u3000\t\n\u2019漢กxyz"),
        st.characters(exclude_categories=["Cs"]),
    ),
    max_size=30,
).map("".join)
