"""The settings of the boilerplate decision, with the reasons for their defaults."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dedup.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Rules:
    """When a paragraph counts as boilerplate.

    A paragraph is *eligible* when it has a token and is at the head or tail of its document
    (among the first or last ``edge_paragraphs``) or short (at most ``mid_max_tokens`` tokens).
    An eligible paragraph is boilerplate when eligible paragraphs matching it (same exact key,
    same masked key when short, same name template at the head/tail, or a near-duplicate
    masked text) occur in at least ``min_documents`` distinct *stories* of its source.

    * ``min_documents = 3``: two articles of one outlet sharing a paragraph may be a follow-up
      repeating a background line; three unrelated ones sharing it is a pattern. It works for
      the 10-article sample (its footers are in all 10) and is the least that tells a template
      from a coincidence. Sources with fewer than 3 articles yield no boilerplate.
    * ``edge_paragraphs = 5``: bylines, datelines, "N min read" above an article and share
      prompts, newsletter plugs, copyright and tag lines below it take up to about five
      paragraphs on news pages; further in, only short inserts ("Advertisement",
      "Read more: ...") are boilerplate.
    * ``mid_max_tokens = 30``: the inserts above are well under 30 tokens, while a reused
      background paragraph or quote mid-article usually is not; a long paragraph that recurs
      in the middle of articles is content, never claimed. Lengths are in words, a CJK or Thai
      character (one token each) counting as half a word.
    * ``template_max_tokens = 16``: fields (numbers, dates, URLs: the masked key) are masked
      only in paragraphs this short, and names (:meth:`dedup.mask.Masker.template`) only in
      paragraphs this short at the head or tail (bylines, credits): in longer ones a figure or a
      name is content ("The economy added 295,000 jobs last month and ..."; see
      :mod:`dedup.mask`).
    * ``min_tokens = 8`` and ``near_threshold = 0.7``: paragraphs of 8+ tokens also match
      by Jaccard similarity of their masked word 5-shingles >= 0.7 (LSH candidates, exactly
      verified), which catches templates with a changed name or headline word that masking
      cannot see, e.g. an author bio, without merging different sentences.
    * ``story_threshold = 0.5``: carriers whose whole (masked) texts have an estimated
      Jaccard similarity of this or more are copies of one story and count once, so that
      three reprints of one article by one outlet (or in a corpus without sources), even cut
      or lightly edited, do not turn the article into boilerplate.
    * ``per_source = True``: count within the paragraph's source (documents without a source
      form one group of their own): a quote reprinted once by each of many publishers is
      content; a footer on many pages of one publisher is boilerplate. With no sources at all
      the whole corpus is one group.
    """

    min_documents: int = 3
    edge_paragraphs: int = 5
    mid_max_tokens: int = 30
    template_max_tokens: int = 16
    min_tokens: int = 8
    near_threshold: float = 0.7
    story_threshold: float = 0.5
    per_source: bool = True

    def __post_init__(self) -> None:
        if self.min_documents < 2:
            raise ConfigError(
                "min_documents must be at least 2: a paragraph seen once is never boilerplate"
            )
        for name in ("edge_paragraphs", "mid_max_tokens", "template_max_tokens"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must not be negative")
        if self.min_tokens < 1:
            raise ConfigError("min_tokens must be at least 1")
        for name in ("near_threshold", "story_threshold"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ConfigError(f"{name} must be in (0, 1], got {value}")

    def edge(self, index: np.ndarray, count: np.ndarray) -> np.ndarray:
        """Whether paragraph ``index`` of ``count`` is at the head or tail of its document."""
        edge: np.ndarray = (index < self.edge_paragraphs) | (index >= count - self.edge_paragraphs)
        return edge

    def eligible(self, index: np.ndarray, count: np.ndarray, words: np.ndarray) -> np.ndarray:
        """Whether each paragraph may be boilerplate at all (see the class rule).

        ``words`` is a paragraph's length in tokens, a CJK/Thai character counting as half.
        """
        eligible: np.ndarray = (words > 0) & (
            self.edge(index, count) | (words <= self.mid_max_tokens)
        )
        return eligible
