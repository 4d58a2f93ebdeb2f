"""A text-reuse corpus: articles that copy a few passages of another article, among others."""

from __future__ import annotations

import random
from collections.abc import Sequence

from dedup.synth.articles import Article, cap_paragraphs, clean_articles, load_articles
from dedup.synth.outlets import OUTLETS, iso_utc
from dedup.synth.records import ReusePair
from dedup.synth.transforms import (
    PARAGRAPH_SEP,
    SENTENCE_END_RE,
    Span,
    char_noise,
    edit_words,
)
from dedup.types import Document

START_EPOCH = 1717200000  # 2024-06-01T00:00:00Z
MIN_PASSAGE_BYTES = 150  # ~25 English words, ~50 CJK characters: enough to be a real passage


def reuse_corpus(
    seed: int = 0,
    n_pairs: int = 20,
    n_unrelated: int = 20,
    *,
    max_passages: int = 3,
    edit_rate: tuple[float, float] = (0.0, 0.03),
    noise_rate: tuple[float, float] = (0.0, 0.005),
    articles: Sequence[Article] | None = None,
    max_body_chars: int = 12000,
) -> tuple[list[Document], list[ReusePair]]:
    """``n_pairs`` (source a, reuser b) article pairs plus ``n_unrelated`` untouched articles.

    Every document is a distinct cleaned article (bodies capped at ``max_body_chars``), so the
    only shared text is what was planted. For each pair, b (an unrelated article, same language
    group when possible) copies 1..``max_passages`` passages of a (uniform; paragraphs of at
    least 150 UTF-8 bytes): with p=0.5 the whole paragraph, else a run of 2-4 consecutive
    sentences of it. Each copy is lightly edited, ``edit_words`` then ``char_noise`` at rates
    drawn uniformly from ``edit_rate`` and ``noise_rate``, and planted into b: with p=0.7 as a
    paragraph of its own at a random paragraph position, else inside a paragraph right after a
    sentence end. b is published 1 hour to 30 days after a.

    Returns documents sorted by ``published`` (ids ``r0000``, ...) and the pairs sorted by
    (a, b); ``a.text[a_start:a_end]`` is the copied source text and ``b.text[b_start:b_end]``
    the planted (edited) text.
    """
    for name, (lo, hi) in (("edit_rate", edit_rate), ("noise_rate", noise_rate)):
        if not 0.0 <= lo <= hi <= 1.0:
            raise ValueError(f"{name} must be a (low, high) pair within [0, 1], got {(lo, hi)!r}")
    if max_passages < 1:
        raise ValueError(f"max_passages must be >= 1, got {max_passages}")
    pool = clean_articles(load_articles() if articles is None else articles)
    sources = [a for a in pool if _candidates(_body(a, max_body_chars))]
    if (
        n_pairs < 0
        or n_unrelated < 0
        or n_pairs > len(sources)
        or (2 * n_pairs + n_unrelated > len(pool))
    ):
        raise ValueError(
            f"need n_pairs <= {len(sources)} and 2 * n_pairs + n_unrelated <= {len(pool)} "
            f"distinct usable articles; got n_pairs={n_pairs}, n_unrelated={n_unrelated}"
        )
    rng = random.Random(seed)
    rng.shuffle(sources)
    chosen_a = sources[:n_pairs]
    taken = {a.id for a in chosen_a}
    free = [a for a in pool if a.id not in taken]
    rng.shuffle(free)
    drafts: list[tuple[int, Article, str]] = []  # (published, article, final text)
    planted: list[tuple[Article, Article, list[tuple[Span, Span]]]] = []
    for a in chosen_a:
        b = next((x for x in free if x.group == a.group), free[0])
        free.remove(b)
        a_paras = _body(a, max_body_chars)
        passages = _pick_passages(rng, a_paras, max_passages)
        copies = []
        for _, text in passages:
            text = edit_words(text, rng, rng.uniform(*edit_rate))
            copies.append(char_noise(text, rng, rng.uniform(*noise_rate)))
        b_text, b_spans = _plant(rng, _body(b, max_body_chars), copies)
        when = START_EPOCH + rng.randrange(60 * 86400)
        drafts.append((when, a, PARAGRAPH_SEP.join(a_paras)))
        drafts.append((when + rng.randint(3600, 30 * 86400), b, b_text))
        planted.append((a, b, [(s, t) for (s, _), t in zip(passages, b_spans, strict=True)]))
    for art in free[:n_unrelated]:
        text = PARAGRAPH_SEP.join(_body(art, max_body_chars))
        drafts.append((START_EPOCH + rng.randrange(90 * 86400), art, text))
    drafts.sort(key=lambda d: (d[0], d[1].id))
    ids = {art.id: f"r{i:04d}" for i, (_, art, _) in enumerate(drafts)}
    docs = [
        Document(
            ids[art.id], text, OUTLETS[rng.randrange(len(OUTLETS))].name, iso_utc(when), art.title
        )
        for when, art, text in drafts
    ]
    pairs = [ReusePair(ids[a.id], ids[b.id], tuple(sorted(p))) for a, b, p in planted]
    pairs.sort(key=lambda p: (p.a, p.b))
    return docs, pairs


def _body(article: Article, max_chars: int) -> list[str]:
    return cap_paragraphs(article.paragraphs, max_chars)


def _long_enough(text: str) -> bool:
    return len(text.encode("utf-8")) >= MIN_PASSAGE_BYTES


def _candidates(paragraphs: Sequence[str]) -> list[int]:
    """Indices of paragraphs long enough to be a copied passage."""
    return [i for i, p in enumerate(paragraphs) if _long_enough(p)]


def _sentences(paragraph: str) -> list[Span]:
    """Sentence spans of a paragraph (without the whitespace between sentences)."""
    spans: list[Span] = []
    start = 0
    for m in SENTENCE_END_RE.finditer(paragraph):
        spans.append((start, m.end()))
        start = m.end()
        while start < len(paragraph) and paragraph[start].isspace():
            start += 1
    if start < len(paragraph):
        spans.append((start, len(paragraph)))
    return spans


def _pick_passages(
    rng: random.Random, paragraphs: list[str], max_passages: int
) -> list[tuple[Span, str]]:
    """Choose passages of a: (span in the joined text, passage text), in text order."""
    offsets = []
    pos = 0
    for p in paragraphs:
        offsets.append(pos)
        pos += len(p) + len(PARAGRAPH_SEP)
    candidates = _candidates(paragraphs)
    k = min(len(candidates), rng.randint(1, max_passages))
    out: list[tuple[Span, str]] = []
    for i in sorted(rng.sample(candidates, k)):
        para = paragraphs[i]
        start, end = 0, len(para)
        sentences = _sentences(para)
        if rng.random() >= 0.5 and len(sentences) >= 3:
            length = rng.randint(2, min(4, len(sentences) - 1))
            first = rng.randrange(len(sentences) - length + 1)
            s, e = sentences[first][0], sentences[first + length - 1][1]
            if _long_enough(para[s:e]):
                start, end = s, e
        out.append(((offsets[i] + start, offsets[i] + end), para[start:end]))
    return out


def _plant(rng: random.Random, paragraphs: list[str], copies: list[str]) -> tuple[str, list[Span]]:
    """Insert each copy into b as its own paragraph or after a sentence end; return spans."""
    # entries: (paragraph text, [(copy index, offset in paragraph, length)], is original b text)
    entries: list[tuple[str, list[tuple[int, int, int]], bool]] = [
        (p, [], True) for p in paragraphs
    ]
    for k, copy in enumerate(copies):
        inside = [
            j
            for j, (text, marks, original) in enumerate(entries)
            if original and not marks and len(_sentences(text)) >= 2
        ]
        if inside and rng.random() >= 0.7:
            j = inside[rng.randrange(len(inside))]
            text = entries[j][0]
            cut = _sentences(text)[rng.randrange(len(_sentences(text)) - 1)][1]
            lead = " " if text[cut : cut + 1].isspace() else ""  # CJK: no space after 。
            new = text[:cut] + lead + copy + text[cut:]
            entries[j] = (new, [(k, cut + len(lead), len(copy))], True)
        else:
            entries.insert(rng.randint(0, len(entries)), (copy, [(k, 0, len(copy))], False))
    spans: list[Span] = [(0, 0)] * len(copies)
    offset = 0
    for text, marks, _ in entries:
        for k, start, length in marks:
            spans[k] = (offset + start, offset + start + length)
        offset += len(text) + len(PARAGRAPH_SEP)
    return PARAGRAPH_SEP.join(text for text, _, _ in entries), spans
