"""Text reuse: which document pairs share passages, found without comparing every pair.

Document-level LSH proposes pairs whose *whole* texts are similar. An article that reuses two
paragraphs of a long article has a low Jaccard similarity with it, so reuse needs candidates of
its own (:class:`ReuseCandidates`), which :class:`ReuseFinder` then aligns and judges.

Candidates come from a deterministic sample of the shingles: a shingle is kept when its XXH64
hash is divisible by ``sample_mod`` (the same shingles in every document, so shared text keeps
sharing samples). Two documents are a candidate when they share at least ``min_shared`` kept
shingles; a kept shingle found in more than ``max_df`` documents is a set phrase or boilerplate
and is ignored. With the defaults (1 in 4, at least 2) a shared passage of 20 words — 16 word
5-grams, the :class:`~dedup.align.ReuseRule` minimum — is proposed with probability 0.94,
and anything longer or repeated more surely; unrelated articles rarely share two rare 5-grams,
and alignment rejects those that do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from dedup import _numba_start  # noqa: F401  (before any kernel runs: no BLAS probe)
from dedup.align import Aligner, AlignSide, PairReuse, ReuseRule, Spans
from dedup.errors import ConfigError
from dedup.normalize import Tokens


@njit(cache=True, nogil=True)
def _group_pairs(docs: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    total = 0
    for k in range(bounds.shape[0] - 1):
        m = bounds[k + 1] - bounds[k]
        total += m * (m - 1) // 2
    left = np.empty(total, dtype=np.int64)
    right = np.empty(total, dtype=np.int64)
    p = 0
    for k in range(bounds.shape[0] - 1):
        for x in range(bounds[k], bounds[k + 1]):
            for y in range(x + 1, bounds[k + 1]):
                left[p] = min(docs[x], docs[y])
                right[p] = max(docs[x], docs[y])
                p += 1
    return left, right


@dataclass(frozen=True, slots=True)
class ReuseCandidates:
    """The candidates stage for reuse: shingle sets in, document pairs sharing text out."""

    sample_mod: int = 4
    min_shared: int = 2
    max_df: int = 50

    def __post_init__(self) -> None:
        for name in ("sample_mod", "min_shared", "max_df"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        if self.max_df < 2:
            raise ConfigError("max_df must be at least 2 (a shingle in one document pairs nothing)")

    def sample(self, shingles: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The kept shingles of a batch and the batch position of the document of each."""
        doc = np.repeat(np.arange(offsets.shape[0] - 1, dtype=np.int64), np.diff(offsets))
        keep = shingles % np.uint64(self.sample_mod) == 0
        return shingles[keep], doc[keep]

    def pairs(
        self, hashes: np.ndarray, docs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Document pairs ``(left < right)`` sharing enough kept shingles, with the count shared.

        ``hashes`` and ``docs`` are the kept shingles of the whole corpus (from :meth:`sample`,
        with documents numbered corpus-wide).
        """
        order = np.lexsort((docs, hashes))
        hashes, docs = hashes[order], docs[order]
        boundary = np.flatnonzero(hashes[1:] != hashes[:-1]) + 1
        bounds = np.concatenate(([0], boundary, [hashes.shape[0]])).astype(np.int64)
        sizes = np.diff(bounds)
        useful = (sizes >= 2) & (sizes <= self.max_df)
        keep = np.repeat(useful, sizes)
        kept_bounds = np.zeros(int(useful.sum()) + 1, dtype=np.int64)
        np.cumsum(sizes[useful], out=kept_bounds[1:])
        left, right = _group_pairs(docs[keep], kept_bounds)
        if left.size == 0:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty.copy(), empty.copy()
        n = np.int64(max(int(docs.max()) + 1, 1))
        codes, counts = np.unique(left * n + right, return_counts=True)
        enough = counts >= self.min_shared
        a, b = np.divmod(codes[enough], n)
        return a, b, counts[enough].astype(np.int64)


class ReuseFinder:
    """Aligns a pair of texts and judges whether they share passages (the verify stage)."""

    def __init__(self, aligner: Aligner | None = None, rule: ReuseRule | None = None) -> None:
        self.aligner = aligner or Aligner()
        self.rule = rule or ReuseRule()

    def compare(
        self,
        a: Tokens,
        b: Tokens,
        exclude_a: Spans = (),
        exclude_b: Spans = (),
        texts: tuple[str, str] | None = None,
    ) -> PairReuse:
        """Passages of a pair of tokenised texts, boilerplate excluded, and the verdict;
        ``texts``, those the tokens came from, let the passages take in their punctuation
        (:func:`dedup.passage_ends.widened`)."""
        text_a, text_b = texts or (None, None)
        return self.compare_sides(
            self.aligner.side(a, exclude_a, text_a), self.aligner.side(b, exclude_b, text_b)
        )

    def side(self, tokens: Tokens, exclude: Spans = (), text: str | None = None) -> AlignSide:
        """One text ready to be compared with many (see :meth:`Aligner.side`)."""
        return self.aligner.side(tokens, exclude, text)

    def compare_sides(self, a: AlignSide, b: AlignSide) -> PairReuse:
        """:meth:`compare` for sides made by :meth:`side`."""
        passages = self.aligner.align_sides(a, b)
        return self.rule.judge(passages, a.countable, b.countable)
