"""Passage alignment: which stretches of text two articles share, wherever they are.

Near-duplicate detection says "these two articles are mostly the same"; alignment says "this
article reuses these three paragraphs of that one" and gives their exact character offsets in
both original texts. :class:`Aligner` finds the passages; :class:`ReuseRule` decides whether a
pair *shares passages* and measures how much of each text they cover.

The algorithm (seed, chain, resolve) for texts of ``n`` and ``m`` tokens:

1. **Seed.** Hash every run of ``seed_n`` consecutive normalised tokens of each text (XXH64 of
   the same bytes as a document shingle) and join the two lists by sorting:
   ``O(n log n + m log m + s)`` for ``s`` seed matches ``(i, j)``. A hash occurring more than
   ``max_repeats`` times in either text (a refrain, a table row) is skipped, which bounds ``s``
   by ``max_repeats * min(n, m)`` however repetitive the texts are.
2. **Chain.** Seeds sorted by position in a are linked when they follow each other on both sides
   with at most ``max_gap`` unmatched tokens in between and their diagonals (``j - i``) differ
   by at most ``max_gap``: a changed word, a typo, or an inserted or deleted phrase of up to
   ``max_gap`` tokens stays inside one passage; an inserted sentence splits it in two. Chains
   are looked up by diagonal, ``O(s * max_gap)``. Nothing forces chains to run in the same
   order in both texts, so moved and swapped paragraphs are found (unlike passim's monotone
   alignment).
3. **Resolve.** Chains are taken heaviest first (most matched tokens); each is trimmed to the
   tokens no heavier passage (and no excluded span) has taken, cut where such tokens break it,
   and extended at both ends by an X-drop walk (+1 per equal token, -1 per substituted,
   inserted or deleted one, stopping at the best score once it has dropped by 3), so an edited
   word at the edge of a copy, which no seed covers, still belongs to the passage. A piece is
   kept if at least ``min_tokens`` tokens are matched on each side. So passages never overlap
   on either side, and a paragraph repeated in one text is paired with one copy only.
   ``O(s * seed_n + n + m)`` plus ``O(max_gap)`` per extension step.

Total: ``O(n log n + m log m + s log s + s * max_gap)``; two 20 KB articles take about a
millisecond once tokenised (see ``benchmarks/reuse_bench.py``).

Tokens come from :func:`dedup.normalize.tokenize`, so offsets are in the original texts and
passages compare equal under the project's normalisation (case, Unicode forms, punctuation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dedup import _align_kernels as _k
from dedup.errors import ConfigError
from dedup.normalize import Tokens, tokenize
from dedup.passage_ends import widened

#: Character spans ``(start, end)`` to leave out of alignment (boilerplate, for example).
Spans = Sequence[tuple[int, int]]

_SEED = np.uint64(0)  # same hash seed as document shingles


@dataclass(frozen=True, slots=True)
class Passage:
    """A passage shared by texts a and b.

    ``a`` and ``b`` are half-open character spans of the original texts; ``a_tokens`` and
    ``b_tokens`` the same passage as token index ranges. ``score`` is the fraction of the
    passage's tokens, both sides together, that are matched to an equal token of the other
    side (inside a shared run of ``seed_n`` tokens, or by the extension at either end): 1.0 for
    a verbatim copy, lower as edits accumulate.
    """

    a: tuple[int, int]
    b: tuple[int, int]
    score: float
    a_tokens: tuple[int, int]
    b_tokens: tuple[int, int]

    @property
    def length(self) -> int:
        """Tokens in the passage, on the shorter side."""
        return min(self.a_tokens[1] - self.a_tokens[0], self.b_tokens[1] - self.b_tokens[0])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "a": list(self.a),
            "b": list(self.b),
            "score": round(self.score, 4),
            "a_tokens": list(self.a_tokens),
            "b_tokens": list(self.b_tokens),
        }


@dataclass(frozen=True, slots=True)
class AlignConfig:
    """Parameters of :class:`Aligner`; the defaults suit news articles.

    * ``seed_n = 4``: shorter than the document shingle (5), so a passage with an edit every
      eight words still has seeds; long enough that unrelated articles share few seeds, and
      those isolated ones never reach ``min_tokens``.
    * ``max_gap = 8`` tokens: bridges a few changed words, a typo or an inserted clause (it is
      also the widest insertion or deletion the end extension crosses); an inserted sentence,
      usually longer, splits the passage, which is the truth.
    * ``min_tokens = 12``: matched tokens each side for a passage to be reported (a short
      sentence; a byline or a set phrase does not make it).
    * ``max_repeats = 16``: seed hashes more frequent than this in either text are ignored.
    * ``nfkc``/``casefold``/``fold_variants``: the normalisation, as in
      :class:`dedup.config.Config` (passages are found afresh on each call, never stored, so
      this need not be the one a collection's fingerprints were made with).
    """

    seed_n: int = 4
    max_gap: int = 8
    min_tokens: int = 12
    max_repeats: int = 16
    nfkc: bool = True
    casefold: bool = True
    fold_variants: bool = True

    def __post_init__(self) -> None:
        for name, lo, hi in (
            ("seed_n", 1, 64),
            ("max_gap", 0, 1000),
            ("min_tokens", 1, 100_000),
            ("max_repeats", 1, 10_000),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise ConfigError(f"{name} must be an integer between {lo} and {hi}, got {value!r}")
        if self.min_tokens < self.seed_n:
            raise ConfigError(
                f"min_tokens ({self.min_tokens}) must be at least seed_n ({self.seed_n})"
            )


class Aligner:
    """Finds the shared passages of two texts (see the module docstring for the algorithm).

    >>> story = "The minister said the new rules would take effect on the first of March."
    >>> a = "Other news first. " + story + " And more."
    >>> b = story.upper() + " Unrelated closing words here."
    >>> [p.a for p in Aligner().align(a, b)] == [(18, 18 + len(story))]  # "March" and its "."
    True
    """

    def __init__(self, config: AlignConfig | None = None) -> None:
        self.config = config or AlignConfig()

    def align(
        self, a_text: str, b_text: str, *, exclude_a: Spans = (), exclude_b: Spans = ()
    ) -> list[Passage]:
        """Shared passages of two texts, sorted by position in a.

        Tokens touching an ``exclude_*`` span (character offsets, e.g. boilerplate) are never
        part of a passage: a passage running into one is cut there.
        """
        cfg = self.config
        norm = {"nfkc": cfg.nfkc, "casefold": cfg.casefold, "fold_variants": cfg.fold_variants}
        a = tokenize(a_text, **norm)
        b = tokenize(b_text, **norm)
        return self.align_sides(self.side(a, exclude_a, a_text), self.side(b, exclude_b, b_text))

    def align_tokens(
        self, a: Tokens, b: Tokens, *, exclude_a: Spans = (), exclude_b: Spans = ()
    ) -> list[Passage]:
        """:meth:`align` for texts already tokenised (tokenising is most of the cost), without
        the texts: each passage's ends are its first and last tokens' spans."""
        return self.align_sides(self.side(a, exclude_a), self.side(b, exclude_b))

    def side(self, tokens: Tokens, exclude: Spans = (), text: str | None = None) -> AlignSide:
        """One text made ready to be aligned against others: its token stream, excluded
        tokens and seed hashes, computed once however many texts it meets (a checked article
        against each of its matches; a stored article met again by the next reprint).

        ``text`` is the text ``tokens`` came from: with it, a passage's ends take in the
        punctuation attached to them (:func:`widened`); without it they are its first and
        last tokens' own spans.
        """
        k = self.config.seed_n
        buf, starts = tokens.utf8()
        excluded = excluded_tokens(tokens, exclude)
        if starts.shape[0] < k:
            empty = np.empty(0, dtype=np.uint64)
            none = np.empty(0, dtype=np.int64)
            return AlignSide(tokens, excluded, empty, none, np.empty(0, dtype=bool), empty, text)
        seeds = _k.window_hashes(buf, starts, k, _SEED)
        return AlignSide(
            tokens,
            excluded,
            seeds,
            np.argsort(seeds, kind="stable"),
            _free_windows(excluded, k),
            _k.window_hashes(buf, starts, 1, _SEED),
            text,
        )

    def align_sides(self, a: AlignSide, b: AlignSide) -> list[Passage]:
        """:meth:`align_tokens` for sides made by :meth:`side` (of this aligner)."""
        cfg = self.config
        k = cfg.seed_n
        if a.seeds.shape[0] == 0 or b.seeds.shape[0] == 0:
            return []
        si, sj = _k.seed_pairs_sorted(
            a.seeds, a.order, b.seeds, b.order, a.free, b.free, cfg.max_repeats
        )
        if si.shape[0] == 0:
            return []
        n_a, n_b = a.units.shape[0], b.units.shape[0]
        label, weight = _k.chain_seeds(si, sj, k, cfg.max_gap, n_a, n_b)
        rows = _k.resolve(
            si,
            sj,
            label,
            weight,
            a.units,
            b.units,
            a.excluded.copy(),  # the kernel marks the tokens it takes
            b.excluded.copy(),
            k,
            cfg.max_gap,
            cfg.min_tokens,
        )
        return _passages(rows, a, b)


@dataclass(frozen=True, slots=True)
class AlignSide:
    """A text ready for :meth:`Aligner.align_sides` (see :meth:`Aligner.side`).

    ``excluded`` marks the tokens touching an excluded span; ``seeds`` are the hashes of every
    window of ``seed_n`` tokens (empty when the text is shorter) and ``order`` their stable
    sort order, ``free`` whether each window is clear of excluded tokens, ``units`` the
    hash of each token, and ``text`` the text the tokens came from, when known.
    """

    tokens: Tokens
    excluded: np.ndarray
    seeds: np.ndarray
    order: np.ndarray
    free: np.ndarray
    units: np.ndarray
    text: str | None = None

    @property
    def countable(self) -> int:
        """Tokens outside the excluded spans: coverage is a share of these."""
        return int(self.excluded.shape[0] - np.count_nonzero(self.excluded))


def excluded_tokens(tokens: Tokens, spans: Spans) -> np.ndarray:
    """Boolean mask of the tokens whose character span meets any of ``spans``."""
    n = len(tokens)
    mask = np.zeros(n, dtype=bool)
    if not spans or n == 0:
        return mask
    edges = np.zeros(n + 1, dtype=np.int64)
    starts = tokens.spans[:, 0]
    ends = tokens.spans[:, 1]
    for start, end in spans:
        if end <= start:
            continue
        lo = int(np.searchsorted(ends, start, side="right"))  # first token ending after start
        hi = int(np.searchsorted(starts, end, side="left"))  # first token starting at/after end
        if lo < hi:
            edges[lo] += 1
            edges[hi] -= 1
    mask[:] = np.cumsum(edges[:n]) > 0
    return mask


def _free_windows(excluded: np.ndarray, k: int) -> np.ndarray:
    """For each window of ``k`` tokens, whether none of its tokens is excluded."""
    counts = np.concatenate(([0], np.cumsum(excluded, dtype=np.int64)))
    free: np.ndarray = (counts[k:] - counts[:-k]) == 0
    return free


def _passages(rows: np.ndarray, a: AlignSide, b: AlignSide) -> list[Passage]:
    """Passages from the kernel's token rows, in character offsets, sorted by position in a.

    Token ranges never overlap, but where NFKC changes the length of a white-space-delimited
    chunk all its tokens share the chunk's span (see :func:`dedup.normalize.tokenize`), so two
    passages meeting inside such a chunk would overlap in characters: the later one then
    starts where the earlier one ends (and is dropped if nothing is left). Each side's ends
    are :func:`widened` when its text is known.
    """
    rows = rows[np.lexsort((rows[:, 2], rows[:, 0]))] if rows.shape[0] else rows
    spans_a, spans_b = a.tokens.spans, b.tokens.spans
    chars = [
        [
            *widened(a.text, spans_a, r[0], r[1]),
            *widened(b.text, spans_b, r[2], r[3]),
        ]
        for r in rows.tolist()
    ]
    for side in (0, 2):
        end = 0
        for c in sorted(chars, key=lambda c: c[side]):
            c[side] = max(c[side], end)
            end = max(end, c[side + 1])
    out: list[Passage] = []
    for (as_, ae, bs, be, ma, mb), c in zip(rows.tolist(), chars, strict=True):
        if c[0] < c[1] and c[2] < c[3]:
            out.append(
                Passage(
                    a=(c[0], c[1]),
                    b=(c[2], c[3]),
                    score=(ma + mb) / (ae - as_ + be - bs),
                    a_tokens=(as_, ae),
                    b_tokens=(bs, be),
                )
            )
    return out


@dataclass(frozen=True, slots=True)
class PairReuse:
    """What two texts share: their passages, how much of each they cover, and the verdict.

    ``coverage_a`` is the fraction of a's tokens inside a passage (likewise ``coverage_b``);
    ``longest`` is the longest passage's :attr:`Passage.length` (0 without passages).
    """

    passages: tuple[Passage, ...]
    coverage_a: float
    coverage_b: float
    longest: int
    shares_passages: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (what a ``shares_passages`` match carries)."""
        return {
            "shares_passages": self.shares_passages,
            "coverage_a": round(self.coverage_a, 4),
            "coverage_b": round(self.coverage_b, 4),
            "longest": self.longest,
            "passages": [p.to_dict() for p in self.passages],
        }


@dataclass(frozen=True, slots=True)
class ReuseRule:
    """When a pair *shares passages*: a long passage, or passages covering much of a text.

    A pair shares passages when its longest passage has at least ``min_longest`` tokens on
    each side (20: a full sentence; a repeated byline, sign-off or set phrase is shorter), or
    when its passages cover at least ``min_coverage`` of either text's tokens (so a short
    brief made of a few shorter quoted pieces of a longer article counts too). Boilerplate
    should be excluded before aligning: a long shared footer is a long passage.
    """

    min_longest: int = 20
    min_coverage: float = 0.3

    def __post_init__(self) -> None:
        if isinstance(self.min_longest, bool) or not isinstance(self.min_longest, int):
            raise ConfigError(f"min_longest must be an integer, got {self.min_longest!r}")
        if self.min_longest < 1:
            raise ConfigError(f"min_longest must be at least 1, got {self.min_longest}")
        if not 0.0 < self.min_coverage <= 1.0:
            raise ConfigError(f"min_coverage must be in (0, 1], got {self.min_coverage}")

    def judge(self, passages: Sequence[Passage], a_tokens: int, b_tokens: int) -> PairReuse:
        """The verdict on a pair from its passages and the token counts of both texts.

        Pass as counts the tokens that could have been aligned: all of them, or those outside
        the excluded (boilerplate) spans, so that boilerplate does not dilute the coverage.
        """
        cov_a = sum(p.a_tokens[1] - p.a_tokens[0] for p in passages) / a_tokens if a_tokens else 0.0
        cov_b = sum(p.b_tokens[1] - p.b_tokens[0] for p in passages) / b_tokens if b_tokens else 0.0
        cov_a, cov_b = min(cov_a, 1.0), min(cov_b, 1.0)
        longest = max((p.length for p in passages), default=0)
        shares = bool(passages) and (
            longest >= self.min_longest or max(cov_a, cov_b) >= self.min_coverage
        )
        return PairReuse(tuple(passages), cov_a, cov_b, longest, shares)
