"""Specification of dedup.align: shared passages of two texts, and when a pair shares passages."""

from __future__ import annotations

import itertools
import json
from functools import cache
from pathlib import Path

import pytest

from dedup._align_kernels import seed_pairs_sorted
from dedup.align import AlignConfig, Aligner, Passage, ReuseRule
from dedup.errors import ConfigError
from dedup.normalize import tokenize

ARTICLES = Path(__file__).resolve().parent.parent / "data" / "web-articles.jsonl"
FOOTER = "Check out our Latest News and Follow us at Facebook. Original Source: The Daily Wire."


@cache
def paragraphs(article_id: str) -> tuple[str, ...]:
    """Paragraphs of at least 150 characters of one real article of the shipped corpus."""
    with ARTICLES.open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if record["id"] == article_id:
                return tuple(p for p in record["text"].split("\n\n") if len(p) >= 150)
    raise KeyError(article_id)


def article(article_id: str, count: int, skip: int = 0) -> str:
    """``count`` long paragraphs of a real article, starting after ``skip`` of them."""
    return "\n\n".join(paragraphs(article_id)[skip : skip + count])


P1, P2, P3, P4 = paragraphs("wapo-1")[:4]
OTHER = article("nytimes-2", 6)
ALIGNER = Aligner()


def words(text: str) -> list[str]:
    return tokenize(text).words


def between(text: str, start: str, end: str) -> tuple[int, int]:
    """The span of ``text`` from the first character of ``start`` to the last of ``end``."""
    s = text.index(start)
    return s, text.index(end, s) + len(end)


def test_identical_texts_are_one_exact_passage() -> None:
    """Two identical texts align as one passage over all of them, with score 1."""
    text = article("wapo-1", 5)
    (p,) = ALIGNER.align(text, text)
    tokens = tokenize(text)
    assert text == text.strip() and text.endswith(".")
    assert p.a == p.b == (0, len(text))  # the last token's full stop too
    assert p.a_tokens == p.b_tokens == (0, len(tokens.words))
    assert p.score == 1.0


def test_unrelated_articles_share_no_passage() -> None:
    """Two articles on different subjects, with their common phrases, share nothing."""
    assert ALIGNER.align(article("wapo-1", 12), article("nytimes-2", 12)) == []


def test_one_shared_sentence_in_long_texts_is_found_exactly() -> None:
    """A single sentence copied into a long unrelated article is the only passage."""
    sentence = P2.split(". ")[0] + "."
    b = article("nytimes-2", 6) + "\n\n" + sentence + "\n\n" + article("nytimes-2", 6, skip=6)
    a = article("wapo-1", 12)
    (p,) = ALIGNER.align(a, b)
    assert a[p.a[0] : p.a[1]] == sentence  # its final full stop taken in
    assert b[p.b[0] : p.b[1]] == sentence


def test_swapped_paragraphs_are_both_found() -> None:
    """Paragraphs in the opposite order in b are two passages, each at its own place."""
    a = "\n\n".join([P1, P2, P3])
    b = "\n\n".join([P3, OTHER, P1])
    passages = ALIGNER.align(a, b)
    assert [words(a[p.a[0] : p.a[1]]) for p in passages] == [words(P1), words(P3)]
    assert [words(b[p.b[0] : p.b[1]]) for p in passages] == [words(P1), words(P3)]


def test_passages_are_sorted_by_position_in_a() -> None:
    """Passages come in the order of text a even when b has them in another order."""
    a = "\n\n".join([P1, OTHER, P2, P3])
    b = "\n\n".join([P3, P2, P1])
    starts = [p.a[0] for p in ALIGNER.align(a, b)]
    assert starts == sorted(starts)
    assert len(starts) == 3


def test_passages_are_exact_substrings_of_both_texts() -> None:
    """Every passage's offsets cut out text that normalises to the same tokens on both sides."""
    a = "\n\n".join([P1, P2, P3])
    b = "\n\n".join([P2.upper(), OTHER, P1.replace(" ", "  ")])
    passages = ALIGNER.align(a, b)
    assert len(passages) == 2
    for p in passages:
        assert words(a[p.a[0] : p.a[1]]) == words(b[p.b[0] : p.b[1]])
        assert words(a[p.a[0] : p.a[1]]) == tokenize(a).words[p.a_tokens[0] : p.a_tokens[1]]


def test_an_inserted_sentence_splits_a_passage_around_it() -> None:
    """A full sentence inserted into a copied paragraph is left out, the rest is two passages."""
    inserted = "Nothing of this kind had been reported in the region for at least a decade before."
    cut = P3.index(". ") + 2
    b = P3[:cut] + inserted + " " + P3[cut:]
    passages = ALIGNER.align(P3, b)
    assert len(passages) == 2
    assert all(inserted not in b[p.b[0] : p.b[1]] for p in passages)
    assert passages[0].b[1] <= b.index(inserted) and passages[1].b[0] >= b.index(inserted)


def test_a_few_inserted_words_stay_inside_one_passage() -> None:
    """An insertion shorter than max_gap tokens does not split the passage."""
    cut = P3.index(" ", len(P3) // 2)
    b = P3[:cut] + " (as officials put it)" + P3[cut:]
    (p,) = ALIGNER.align(P3, b)
    assert words(P3[p.a[0] : p.a[1]]) == words(P3)
    assert p.score < 1.0


def test_character_noise_inside_a_passage_keeps_it_whole() -> None:
    """Typos in a few words inside a copied paragraph still give one passage over all of it."""
    third = len(P4) // 3
    middle = P4[third : 2 * third].replace("e", "é", 2).replace("the", "teh", 1)
    noisy = P4[:third] + middle + P4[2 * third :]
    (p,) = ALIGNER.align(P4, noisy)
    assert (p.a, p.b) == ((0, len(P4)), (0, len(noisy)))
    assert 0.5 < p.score < 1.0


def test_edited_words_at_the_edges_of_a_copy_belong_to_the_passage() -> None:
    """A word changed or dropped two words from either end is still inside the passage."""
    assert P4.startswith("Tunisian Prime Minister")
    edited = P4.replace("Minister", "Ministre", 1)
    last = P4.rsplit(" ", 3)
    edited = edited.rsplit(" ", 3)[0] + " " + last[2] + " " + last[3]  # drop the third-last word
    (p,) = ALIGNER.align(P4, edited)
    assert (p.a, p.b) == ((0, len(P4)), (0, len(edited)))


def test_a_paragraph_repeated_in_b_is_paired_once() -> None:
    """Passages never overlap: a paragraph of a that b contains twice is matched to one copy."""
    b = "\n\n".join([P1, OTHER, P1])
    passages = ALIGNER.align(P1, b)
    assert len(passages) == 1


def test_passages_never_overlap_on_either_side() -> None:
    """However the texts are shuffled and repeated, passages are disjoint in a and in b."""
    a = "\n\n".join([P1, P2, P1, P3, P2])
    b = "\n\n".join([P2, P3, P1, P2, P3, P1])
    passages = ALIGNER.align(a, b)
    for side in ("a", "b"):
        spans = sorted(getattr(p, side) for p in passages)
        assert all(x[1] <= y[0] for x, y in itertools.pairwise(spans))
    assert len(passages) >= 4


def test_hot_repeated_phrases_do_not_blow_up() -> None:
    """A phrase repeated thousands of times in both texts hides no passage and adds no work:
    its seeds are over ``max_repeats``, so the seed pairs are those of the real passage alone
    (without the cap, each of its windows would pair 5,000 x 5,000 times)."""
    noise = " breaking news update" * 5000
    a = noise + "\n\n" + P1 + "\n\n" + noise
    b = P1 + "\n\n" + OTHER + "\n\n" + noise
    side_a, side_b = ALIGNER.side(tokenize(a)), ALIGNER.side(tokenize(b))
    pairs, _ = seed_pairs_sorted(
        side_a.seeds,
        side_a.order,
        side_b.seeds,
        side_b.order,
        side_a.free,
        side_b.free,
        ALIGNER.config.max_repeats,
    )
    assert pairs.shape[0] <= len(tokenize(P1).words)
    passages = ALIGNER.align_sides(side_a, side_b)
    assert [a[p.a[0] : p.a[1]] for p in passages] == [P1[:-1]]


def test_excluded_spans_are_never_part_of_a_passage() -> None:
    """A shared footer excluded on one side is cut off the passage that runs into it."""
    a = P1 + "\n\n" + FOOTER
    b = P1 + "\n\n" + FOOTER
    footer = (a.index(FOOTER), len(a))
    (p,) = ALIGNER.align(a, b, exclude_a=[footer])
    assert p.a[1] <= footer[0]
    assert p.b[1] <= footer[0]


def test_excluded_span_in_the_middle_splits_the_passage() -> None:
    """Excluding a sentence inside a copied paragraph gives the passages before and after it."""
    a = "\n\n".join([P1, P2, P3])
    excluded = (a.index(P2), a.index(P2) + len(P2))
    passages = ALIGNER.align(a, a, exclude_b=[excluded])
    assert len(passages) == 2
    assert all(p.b[1] <= excluded[0] or p.b[0] >= excluded[1] for p in passages)


def test_shared_text_that_is_entirely_excluded_is_not_reported() -> None:
    """Boilerplate shared by two unrelated articles is no passage once excluded."""
    a = article("wapo-1", 3) + "\n\n" + FOOTER
    b = OTHER + "\n\n" + FOOTER
    assert ALIGNER.align(a, b) != []
    fa, fb = (a.index(FOOTER), len(a)), (b.index(FOOTER), len(b))
    assert ALIGNER.align(a, b, exclude_a=[fa], exclude_b=[fb]) == []


def test_align_tokens_finds_the_passages_align_finds() -> None:
    """Aligning pre-tokenised texts finds the same passages as aligning the texts; without the
    texts, their ends are the tokens' own (no punctuation taken in)."""
    a = "\n\n".join([P1, P2, P3])
    b = "\n\n".join([P3, OTHER, P1])
    tokens_a, tokens_b = tokenize(a), tokenize(b)
    bare = ALIGNER.align_tokens(tokens_a, tokens_b)
    full = ALIGNER.align(a, b)
    assert [(p.a_tokens, p.b_tokens, p.score) for p in bare] == [
        (p.a_tokens, p.b_tokens, p.score) for p in full
    ]
    assert [p.a for p in bare] == [
        (int(tokens_a.spans[p.a_tokens[0], 0]), int(tokens_a.spans[p.a_tokens[1] - 1, 1]))
        for p in full
    ]


def test_empty_and_tiny_texts_align_to_nothing() -> None:
    """Texts with fewer tokens than a seed have no passages (and raise nothing)."""
    assert ALIGNER.align("", P1) == []
    assert ALIGNER.align("Yes, no", "Yes, no") == []


def test_cjk_copy_is_found_with_exact_offsets() -> None:
    """Chinese text (one token per character) copied into another is found character-exactly."""
    zh = article_text("pixnet")
    copied = zh[200:320]
    b = zh[600:900] + copied + zh[1000:1200]
    passages = ALIGNER.align(zh[:400], b)
    assert len(passages) == 1
    p = passages[0]
    assert words(zh[p.a[0] : p.a[1]]) == words(copied)
    assert b[p.b[0] : p.b[1]] == zh[p.a[0] : p.a[1]]


def test_unrelated_cjk_texts_share_no_passage() -> None:
    """Common characters and two-character words of Chinese and Japanese make no passage."""
    zh = article_text("pixnet")
    assert ALIGNER.align(zh[: len(zh) // 2], zh[len(zh) // 2 :]) == []
    assert ALIGNER.align(zh, article_text("yahoo-4")) == []


def article_text(article_id: str) -> str:
    with ARTICLES.open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if record["id"] == article_id:
                return str(record["text"])
    raise KeyError(article_id)


def test_min_tokens_drops_short_shared_phrases() -> None:
    """A shared passage with fewer than min_tokens matched tokens is not reported."""
    phrase = "the committee will meet again on the ninth of May"  # 10 tokens
    a, b = P1 + " " + phrase, OTHER + " " + phrase
    assert ALIGNER.align(a, b) == []
    assert len(Aligner(AlignConfig(min_tokens=8)).align(a, b)) == 1


def test_config_rejects_impossible_settings() -> None:
    """min_tokens below seed_n and non-integer settings are configuration errors."""
    with pytest.raises(ConfigError):
        AlignConfig(seed_n=6, min_tokens=5)
    with pytest.raises(ConfigError):
        AlignConfig(max_gap=-1)
    with pytest.raises(ConfigError):
        ReuseRule(min_coverage=0.0)


def passage(a_tokens: tuple[int, int], b_tokens: tuple[int, int]) -> Passage:
    return Passage(a=a_tokens, b=b_tokens, score=1.0, a_tokens=a_tokens, b_tokens=b_tokens)


def test_a_long_passage_makes_a_pair_share_passages() -> None:
    """One passage of min_longest tokens is enough, however long the texts are."""
    verdict = ReuseRule(min_longest=20).judge([passage((0, 20), (100, 125))], 1000, 2000)
    assert verdict.shares_passages
    assert verdict.longest == 20
    assert (verdict.coverage_a, verdict.coverage_b) == (0.02, 0.0125)


def test_short_passages_covering_little_do_not_share() -> None:
    """Passages shorter than min_longest covering little of both texts are not reuse."""
    verdict = ReuseRule(min_longest=20).judge([passage((0, 12), (0, 12))], 1000, 1000)
    assert not verdict.shares_passages


def test_short_passages_covering_much_of_a_short_text_share() -> None:
    """Short passages covering min_coverage of the shorter text make a pair share passages."""
    passages = [passage((0, 15), (300, 315)), passage((20, 35), (500, 515))]
    verdict = ReuseRule(min_longest=20, min_coverage=0.3).judge(passages, 60, 1000)
    assert verdict.shares_passages
    assert verdict.coverage_a == 0.5


def test_no_passages_share_nothing() -> None:
    """A pair without passages never shares passages and covers nothing."""
    verdict = ReuseRule().judge([], 100, 100)
    assert (verdict.shares_passages, verdict.coverage_a, verdict.longest) == (False, 0.0, 0)
