"""Specification of ``fold_variants`` (dedup.normalize, step 2): spellings that must not count.

Invisible format characters and Arabic vowel marks are deleted inside words, Cyrillic io and
the alef variants folded; texts that differ only by them are duplicates, and every span still
points into the original text. The setting's old value (off) keeps the old tokens exactly.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from unicode_samples import ALL_CODE_POINTS, tricky_text

from dedup import Config, Fingerprinter, Similarity
from dedup._kernels import VARIANT
from dedup.align import Aligner
from dedup.normalize import tables, token_streams, tokenize, tokenize_reference
from dedup.types import Relation

WEB_ARTICLES = Path(__file__).resolve().parent.parent / "data" / "web-articles.jsonl"

# The characters the tester found in scraped news, each inside a word.
INVISIBLE = {
    "soft hyphen": "\u00ad",
    "zero width space": "\u200b",
    "zero width non-joiner": "\u200c",
    "zero width joiner": "\u200d",
    "word joiner": "\u2060",
    "byte order mark": "\ufeff",
    "left-to-right mark": "\u200e",
    "right-to-left mark": "\u200f",
    "right-to-left override": "\u202e",
    "first strong isolate": "\u2068",
}
# Format characters that are visible (number signs enclosing digits, the end of an ayah,
# annotation and hieroglyph controls): not default-ignorable, so not deleted.
VISIBLE_FORMAT = {
    *range(0x0600, 0x0606),
    0x06DD,
    0x070F,
    0x0890,
    0x0891,
    0x08E2,
    *range(0xFFF9, 0xFFFC),
    0x110BD,
    0x110CD,
    *range(0x13430, 0x13440),
}
ARABIC = (
    "قَالَ الرَّئِيسُ إِنَّ الحُكُومَةَ سَتُعْلِنُ عَنْ خُطَّةٍ جَدِيدَةٍ لِدَعْمِ الاِقْتِصَادِ فِي الأَسَابِيعِ "
    "المُقْبِلَةِ، وَأَضَافَ أَنَّ المُفَاوَضَاتِ مَعَ الشُّرَكَاءِ الدَّوْلِيِّينَ تَسِيرُ بِشَكْلٍ جَيِّدٍ."
)
RUSSIAN = (
    "Президент заявил, что всё будет решено в ближайшие дни. Ещё одна встреча пройдёт в Москве "
    "на следующей неделе. Её участники обсудят вопросы безопасности и торговли."
)


def german_article() -> str:
    with WEB_ARTICLES.open(encoding="utf-8") as handle:
        return next(r["text"] for line in handle if (r := json.loads(line)).get("lang") == "de")


def hyphenated(text: str) -> str:
    """``text`` with a soft hyphen after the third letter of every word longer than six, as a
    CMS that hyphenates for narrow columns writes it."""
    return " ".join(w[:3] + "\u00ad" + w[3:] if len(w) > 6 else w for w in text.split(" "))


def similarity(a: str, b: str) -> tuple[float, Relation | None]:
    x, y = Fingerprinter(Config()).fingerprint([a, b])
    found = Similarity.of(x.shingles, y.shingles)
    return found.jaccard, found.relation(0.7, x.content_hash == y.content_hash)


# --- The rule ------------------------------------------------------------------------------


@pytest.mark.parametrize("char", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_an_invisible_character_inside_a_word_is_deleted(char: str) -> None:
    """It neither splits the word nor stays in it."""
    assert tokenize(f"Bundes{char}regierung tagt").words == ["bundesregierung", "tagt"]


def test_every_invisible_format_character_is_deleted() -> None:
    """Each format character (Cf) that renders nothing is deleted; visible ones are not."""
    kept = [
        hex(cp)
        for cp in ALL_CODE_POINTS
        if unicodedata.category(chr(cp)) == "Cf"
        and cp not in VISIBLE_FORMAT
        and tokenize(f"a{chr(cp)}b").words != ["ab"]
    ]
    assert kept == []


def test_arabic_vowel_marks_and_tatweel_are_deleted() -> None:
    """A vocalised word and a word stretched with tatweel are the bare word."""
    assert tokenize("كِتَابٌ كتـــاب كتاب").words == ["كتاب"] * 3


def test_cyrillic_io_is_folded_to_ie() -> None:
    """Io (U+0451, U+0401) is written ie (U+0435, U+0415) in most Russian print."""
    assert tokenize("Ёлка всё еще").words == ["елка", "все", "еще"]
    assert tokenize("Ёлка", casefold=False).words == ["Елка"]


def test_alef_variants_are_folded_to_plain_alef() -> None:
    """Alef with hamza above or below, with madda, and alef wasla are plain alef."""
    assert tokenize("أحمد إلى آخر ٱلله").words == tokenize("احمد الى اخر الله").words


def test_the_old_setting_keeps_the_old_tokens() -> None:
    """With ``fold_variants`` off, tokens are those of indexes made before it existed."""
    text = "Bundes\u00adregierung كِتَابٌ Ёлка"
    assert tokenize(text, fold_variants=False).words == ["bundes", "regierung", "كِتَابٌ", "ёлка"]


def test_folding_commutes_with_case_folding() -> None:
    """No character case-folds into one that ``fold_variants`` changes unless it is changed
    itself: folding first or last gives the same word."""
    classes = tables().classes
    odd = [
        hex(cp)
        for cp in ALL_CODE_POINTS
        if not classes[cp] & VARIANT and any(classes[ord(c)] & VARIANT for c in chr(cp).casefold())
    ]
    assert odd == []


@settings(max_examples=300, deadline=None)
@given(tricky_text)
def test_compiled_tokens_equal_the_reference_with_the_setting_off(text: str) -> None:
    """Off, the compiled tokenizer still produces the reference's tokens."""
    assert (
        tokenize(text, fold_variants=False).words
        == tokenize_reference(text, fold_variants=False).words
    )


# --- Duplicates ----------------------------------------------------------------------------


def test_a_copy_with_soft_hyphens_is_a_duplicate() -> None:
    """A German article and its copy hyphenated for narrow columns are the same text."""
    article = german_article()
    assert hyphenated(article) != article
    assert similarity(article, hyphenated(article)) == (1.0, Relation.DUPLICATE)


def test_a_copy_with_harakat_is_a_duplicate() -> None:
    """Arabic with and without its vowel marks is the same text."""
    bare = "".join(ch for ch in ARABIC if unicodedata.category(ch) != "Mn")
    assert similarity(ARABIC, bare) == (1.0, Relation.DUPLICATE)


def test_a_copy_with_tatweel_is_a_duplicate() -> None:
    """Arabic stretched with tatweel after every article is the same text."""
    bare = "".join(ch for ch in ARABIC if unicodedata.category(ch) != "Mn")
    assert similarity(bare, bare.replace("ال", "الـ")) == (1.0, Relation.DUPLICATE)


def test_a_copy_with_io_is_a_duplicate() -> None:
    """Russian with io and the same with ie are the same text."""
    plain = RUSSIAN.replace("\u0451", "\u0435").replace("\u0401", "\u0415")
    assert plain != RUSSIAN
    assert similarity(RUSSIAN, plain) == (1.0, Relation.DUPLICATE)


def test_one_text_alone_and_in_a_batch_are_fingerprinted_alike() -> None:
    """The one-call path and the batch path (which NFKCs marked texts whole) agree."""
    fp = Fingerprinter(Config())
    texts = [ARABIC, hyphenated(german_article()), RUSSIAN]
    batch = fp.fingerprint(texts)
    for text, together in zip(texts, batch, strict=True):
        assert fp.fingerprint_one(text).content_hash == together.content_hash


# --- Offsets in the original text ----------------------------------------------------------


def test_spans_cover_the_deleted_characters_inside_a_token() -> None:
    """A token's span runs over the invisible characters inside it, not those around it."""
    text = "\u200bBundes\u00adregierung\u200b tagt"
    tokens = tokenize(text)
    assert tokens.spans.tolist() == [[1, 17], [19, 23]]
    assert [text[s:e] for s, e in tokens.spans] == ["Bundes\u00adregierung", "tagt"]


def test_batch_sources_are_the_spans() -> None:
    """The batch path's token sources are the same spans (exact: no whole-text NFKC)."""
    text = hyphenated(german_article())
    streams = token_streams([text])
    assert bool(streams.exact[0])
    assert streams.sources.tolist() == tokenize(text).spans.tolist()


def test_a_passage_in_a_text_with_soft_hyphens_has_exact_offsets() -> None:
    """A sentence copied with soft hyphens is found, and its offsets are the copy's own."""
    story = (
        "Die Bundesregierung hat am Montag ein umfangreiches Entlastungspaket für Familien und "
        "Unternehmen beschlossen"
    )
    copy = hyphenated(story)
    a = f"Vorweg etwas anderes. {story}. Und zum Schluss noch mehr."
    b = f"Ganz andere Worte hier. {copy}. Unverwandtes Ende folgt hier."
    passages = Aligner().align(a, b)
    assert len(passages) == 1
    start = b.index(copy)
    assert passages[0].b == (start, start + len(copy) + 1)  # and its full stop
    assert passages[0].a == (a.index(story), a.index(story) + len(story) + 1)
