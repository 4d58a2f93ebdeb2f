"""Two texts fingerprinted with different boilerplate removed: whether they were, and both cut
alike, for a comparison like for like.

Boilerplate is judged per source, so two copies of one text can be fingerprinted with different
paragraphs removed: an outlet's footer is cut from the outlet's brief and kept in the same text
posted by an aggregator, whose other stories do not carry it. Compared as fingerprinted, the
copy with the footer contains the other. The collection
(:mod:`dedup.collection.like_for_like`, where the rule and its reasons are written) and the
bulk job (:mod:`dedup.bulk.like_for_like`) compare such pairs again with every paragraph either
had removed cut from both; these functions are what they share.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from dedup.boilerplate import Stripped, content_or_full, cut
from dedup.fingerprint import Fingerprinter
from dedup.paragraphs import Segmenter
from dedup.types import Relation
from dedup.verify import Similarity

Span = tuple[int, int]

#: The segmentation boilerplate spans come from (``tables.stored_settings``: the default).
SEGMENTER = Segmenter()


def folded(text: str) -> str:
    """``text`` case-folded, its runs of white space one space: the form in which a removed
    paragraph is looked for in the other text. A copy whose footer an aggregator upper-cased,
    spaced or wrapped otherwise normalises as the original does (a ``duplicate`` by content
    hash) but was not found to carry the footer, and stayed measured footer against none."""
    return " ".join(text.casefold().split())


def removed_texts(text: str, spans: Sequence[Span]) -> set[str]:
    """The paragraphs of ``text`` that its boilerplate ``spans`` cut, :func:`folded`."""
    return {folded(text[s:e]) for s, e in spans}


def treated_apart(
    text_a: str,
    spans_a: Sequence[Span],
    text_b: str,
    spans_b: Sequence[Span],
    fold: Callable[[str], str] = folded,
) -> bool:
    """Whether a paragraph one text had removed (its ``spans``) is in the other, which kept it:
    the same words (:func:`folded`), anywhere in its text. Texts with nothing removed were
    treated alike. ``fold`` is :func:`folded` for the whole texts: one that keeps what it
    folded, for a text compared with several others."""
    if not spans_a and not spans_b:
        return False
    a, b = removed_texts(text_a, spans_a), removed_texts(text_b, spans_b)
    # Each whole text folded once: folding it again for each paragraph looked for was 9 % of
    # a writer's instructions (session 37 of docs/performance-log.md).
    if b - a:
        whole_a = fold(text_a)
        if any(p in whole_a for p in b - a):
            return True
    if a - b:
        whole_b = fold(text_b)
        return any(p in whole_b for p in a - b)
    return False


def aware_text(text: str, spans: Sequence[Span]) -> str:
    """The boilerplate-aware text of ``text`` without ``spans``, as it is fingerprinted (whole
    if nothing with a word is left)."""
    every = sorted(spans)
    return content_or_full(text, Stripped(cut(text, every), every))


def cut_alike(
    text_a: str, spans_a: Sequence[Span], text_b: str, spans_b: Sequence[Span]
) -> tuple[str | None, str | None]:
    """Each text's boilerplate-aware text without every paragraph either had removed: its own
    ``spans``, and those of its paragraphs (by :data:`SEGMENTER`) whose text is one the other
    removed. None for a text that loses nothing more: it is the text it was fingerprinted by."""
    removed = removed_texts(text_a, spans_a) | removed_texts(text_b, spans_b)
    return _cut(text_a, spans_a, removed), _cut(text_b, spans_b, removed)


def _cut(text: str, spans: Sequence[Span], removed: set[str]) -> str | None:
    own = set(spans)
    extra = [
        (p.start, p.end)
        for p in SEGMENTER.split(text)
        if folded(p.text) in removed and (p.start, p.end) not in own
    ]
    return aware_text(text, [*spans, *extra]) if extra else None


def same_text(fingerprinter: Fingerprinter, a: str, b: str) -> bool:
    """Whether two whole texts normalise alike (a duplicate, however their paragraphs were
    cut: text segmented another way, a blank line for a line break, cuts apart)."""
    if a == b:
        return True
    hashes: np.ndarray = fingerprinter.content_hashes([a, b])
    return bool(hashes[0] == hashes[1])


def relation_of(
    found: tuple[Similarity, bool], threshold: float
) -> tuple[Similarity, Relation] | None:
    """The relation of two texts compared like for like (their measures, and whether they are
    identical), with the measures to report: a duplicate's are 1.0 each, as the index reports
    one; None if they reach none."""
    sim, identical = found
    if identical:
        return Similarity(1.0, 1.0, 1.0), Relation.DUPLICATE
    relation = sim.relation(threshold)
    return None if relation is None else (sim, relation)
