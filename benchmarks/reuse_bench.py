"""Passage alignment on planted text reuse: pair detection, passage accuracy, speed.

``python -m benchmarks.reuse_bench [--seeds 0 1 2 3 4]``

Corpora come from :func:`dedup.synth.reuse_corpus` (real web articles; each reusing article
copies 1-3 lightly edited passages of its source; the other articles share nothing). For every
corpus it aligns every candidate pair, twice: all pairs, and the pairs proposed by a simple
paragraph-level candidate generator (:class:`ParagraphCandidates`). It prints

* pair level: precision, recall and F1 of ``ReuseRule.judge(...).shares_passages`` against the
  planted pairs;
* character level: precision, recall and F1 of the reported passages against the planted
  spans, counting a character only where a reported and a planted passage agree on both sides;
* the same for a baseline, ``difflib.SequenceMatcher`` over tokens (monotone, like passim);
* time per aligned pair (tokenised once per document), and for two 20 KB articles;
* the sample dump's pairs that share passages, side by side (what ``make demo`` shows).
"""

from __future__ import annotations

import argparse
import difflib
import itertools
import os
import platform
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.paragraph_candidates import ParagraphCandidates
from dedup.align import AlignConfig, Aligner, Passage, ReuseRule
from dedup.io import read_documents
from dedup.normalize import Tokens, tokenize
from dedup.synth import ReusePair, reuse_corpus
from dedup.types import Document

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "sample_dump.txt"
Span = tuple[int, int]
AlignFn = Callable[[Tokens, Tokens, str, str], list[Passage]]


def with_texts(aligner: Aligner) -> AlignFn:
    """``aligner`` as the library runs it: sides made with their texts, so that a passage's
    ends take in their punctuation (:func:`dedup.passage_ends.widened`)."""

    def align(a: Tokens, b: Tokens, text_a: str, text_b: str) -> list[Passage]:
        return aligner.align_sides(aligner.side(a, (), text_a), aligner.side(b, (), text_b))

    return align


def tokens_only(aligner: Aligner) -> AlignFn:
    """``aligner`` without the texts: each passage ends at its first and last tokens."""
    return lambda a, b, _text_a, _text_b: aligner.align_tokens(a, b)


def difflib_passages(a: Tokens, b: Tokens, min_tokens: int = 12) -> list[Passage]:
    """Baseline: difflib's matching blocks over tokens, at least ``min_tokens`` long.

    Matching blocks are monotone (each block lies after the previous one in both texts), so a
    moved paragraph is found only if no longer block crosses it.
    """
    matcher = difflib.SequenceMatcher(None, a.words, b.words, autojunk=False)
    out = []
    for i, j, size in matcher.get_matching_blocks():
        if size >= min_tokens:
            out.append(
                Passage(
                    a=(int(a.spans[i, 0]), int(a.spans[i + size - 1, 1])),
                    b=(int(b.spans[j, 0]), int(b.spans[j + size - 1, 1])),
                    score=1.0,
                    a_tokens=(i, i + size),
                    b_tokens=(j, j + size),
                )
            )
    return out


def overlap(x: Span, y: Span) -> int:
    return max(0, min(x[1], y[1]) - max(x[0], y[0]))


@dataclass
class Tally:
    """Running counts of one method on one candidate set."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    char_hit: int = 0
    char_reported: int = 0
    char_planted: int = 0

    def pair(self, predicted: bool, planted: bool) -> None:
        self.tp += predicted and planted
        self.fp += predicted and not planted
        self.fn += planted and not predicted

    def chars(self, reported: Sequence[Passage], planted: Sequence[tuple[Span, Span]]) -> None:
        """Characters of reported passages that a planted passage covers on the same sides."""
        self.char_reported += sum(p.a[1] - p.a[0] + p.b[1] - p.b[0] for p in reported)
        self.char_planted += sum(ga[1] - ga[0] + gb[1] - gb[0] for ga, gb in planted)
        for p in reported:
            for ga, gb in planted:
                oa, ob = overlap(p.a, ga), overlap(p.b, gb)
                if oa and ob:
                    self.char_hit += oa + ob

    def row(self, name: str) -> str:
        pr = prf(self.tp, self.tp + self.fp, self.tp + self.fn)
        cr = prf(self.char_hit, self.char_reported, self.char_planted)
        return (
            f"  {name:<34} pairs P {pr[0]:.3f} R {pr[1]:.3f} F1 {pr[2]:.3f}"
            f" (tp {self.tp} fp {self.fp} fn {self.fn})   chars P {cr[0]:.3f} R {cr[1]:.3f}"
            f" F1 {cr[2]:.3f}"
        )


def prf(hit: int, reported: int, truth: int) -> tuple[float, float, float]:
    p = hit / reported if reported else 1.0
    r = hit / truth if truth else 1.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Corpus:
    """A reuse corpus with its documents tokenised once and its candidate pairs."""

    docs: list[Document]
    gold: list[ReusePair]
    tokens: list[Tokens]
    candidates: set[tuple[int, int]]

    @classmethod
    def build(cls, seed: int, edit: Span, noise: Span) -> Corpus:
        """``reuse_corpus(seed)`` with edit and noise rates in per mille."""
        docs, gold = reuse_corpus(
            seed,
            edit_rate=(edit[0] / 1e3, edit[1] / 1e3),
            noise_rate=(noise[0] / 1e3, noise[1] / 1e3),
        )
        tokens = [tokenize(d.text) for d in docs]
        return cls(docs, gold, tokens, ParagraphCandidates().pairs(docs))

    def pairs(self, which: str) -> list[tuple[int, int]]:
        if which == "all":
            return list(itertools.combinations(range(len(self.docs)), 2))
        return sorted(self.candidates)


def evaluate(
    corpora: Sequence[Corpus],
    method: AlignFn,
    rule: ReuseRule,
    which: str,
) -> tuple[Tally, int]:
    """Align the ``which`` ("all" or "candidates") pairs of every corpus; tally against gold."""
    tally = Tally()
    n_pairs = 0
    for corpus in corpora:
        docs, tokens = corpus.docs, corpus.tokens
        planted = {frozenset((g.a, g.b)): g for g in corpus.gold}
        found: set[frozenset[str]] = set()
        for x, y in corpus.pairs(which):
            n_pairs += 1
            passages = method(tokens[x], tokens[y], docs[x].text, docs[y].text)
            verdict = rule.judge(passages, len(tokens[x].words), len(tokens[y].words))
            key = frozenset((docs[x].id, docs[y].id))
            g = planted.get(key)
            tally.pair(verdict.shares_passages, g is not None)
            spans = [] if g is None else oriented(g, docs[x].id)
            tally.chars(passages if verdict.shares_passages else [], spans)
            if g is not None:
                found.add(key)
        for key, g in planted.items():  # planted pairs the candidate generator missed
            if key not in found:
                tally.pair(False, True)
                tally.chars([], g.passages)
    return tally, n_pairs


def oriented(g: ReusePair, first: str) -> list[tuple[Span, Span]]:
    """The planted passages with the side of document ``first`` first."""
    if g.a == first:
        return list(g.passages)
    return [(b, a) for a, b in g.passages]


def speed_pairs(aligner: Aligner, corpora: Sequence[Corpus]) -> None:
    """Time of every pair of the corpora: the median of three runs, so that other processes
    on a shared machine disturb the figures less (single runs are printed for comparison)."""
    times, single, kb = [], [], []
    for corpus in corpora:
        for x, y in corpus.pairs("all"):
            runs = []
            for _ in range(3):
                start = time.perf_counter()
                aligner.align_tokens(corpus.tokens[x], corpus.tokens[y])
                runs.append(time.perf_counter() - start)
            times.append(float(np.median(runs)))
            single.append(runs[0])
            kb.append((len(corpus.docs[x].text) + len(corpus.docs[y].text)) / 2000)
    print(
        f"  {len(times)} pairs, article size mean {np.mean(kb):.1f} KB (max {max(kb):.1f}):"
        f" mean {1e3 * np.mean(times):.3f} ms, p99 {1e3 * percentile(times, 99):.3f} ms,"
        f" max {1e3 * max(times):.3f} ms per pair (single runs: mean"
        f" {1e3 * np.mean(single):.3f} ms, p99 {1e3 * percentile(single, 99):.3f} ms)"
    )


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def speed_20kb(aligner: Aligner) -> None:
    """Two ~20 KB articles built from real text, sharing three passages in another order."""
    docs = list(read_documents([str(ROOT / "data" / "web-articles.jsonl")]))
    pool = "\n\n".join(d.text for d in docs if d.text.isascii())
    a = pool[:20_000]
    shared = [a[2_000:2_600], a[9_000:10_200], a[15_000:15_400]]
    b_parts = [pool[40_000:46_000], shared[2], pool[50_000:56_000], shared[0]]
    b = "\n\n".join([*b_parts, pool[60_000:66_000], shared[1]])[:20_000]
    ta, tb = tokenize(a), tokenize(b)
    runs = []
    for _ in range(50):
        start = time.perf_counter()
        passages = aligner.align_tokens(ta, tb)
        runs.append(time.perf_counter() - start)
    start = time.perf_counter()
    tokenize(a)
    tok = time.perf_counter() - start
    print(
        f"  two 20 KB articles ({len(ta.words)} and {len(tb.words)} tokens, {len(passages)}"
        f" passages): align {1e3 * np.median(runs):.2f} ms median"
        f" (p99 {1e3 * percentile(runs, 99):.2f} ms); tokenize() {1e3 * tok:.1f} ms per article"
    )


def demo(aligner: Aligner, rule: ReuseRule, width: int = 60) -> None:
    """The sample dump's pairs that share passages, with a few passages side by side."""
    docs = list(read_documents([str(SAMPLE)]))
    boiler = repeated_paragraphs(docs)
    tokens = [tokenize(d.text) for d in docs]
    below: list[str] = []
    for x, y in itertools.combinations(range(len(docs)), 2):
        passages = aligner.align_tokens(
            tokens[x], tokens[y], exclude_a=boiler[x], exclude_b=boiler[y]
        )
        verdict = rule.judge(passages, len(tokens[x].words), len(tokens[y].words))
        if not verdict.shares_passages:
            if passages:
                text = " ".join(docs[x].text[passages[0].a[0] : passages[0].a[1]].split())
                below.append(f"{docs[x].id} <-> {docs[y].id}: {verdict.longest} tokens, {text!r}")
            continue
        a, b = docs[x], docs[y]
        print(
            f"\n  {a.id} <-> {b.id}: {len(passages)} passage(s), covering"
            f" {verdict.coverage_a:.0%} / {verdict.coverage_b:.0%}, longest {verdict.longest}"
            f" tokens\n    {a.title}\n    {b.title}"
        )
        for p in passages[:3]:
            print(f"    a[{p.a[0]}:{p.a[1]}] ~ b[{p.b[0]}:{p.b[1]}]  score {p.score:.2f}")
            left = wrap(a.text[p.a[0] : p.a[1]], width)
            right = wrap(b.text[p.b[0] : p.b[1]], width)
            for la, lb in itertools.zip_longest(left, right, fillvalue=""):
                print(f"      {la:<{width}} | {lb}")
    print(f"\n  aligned but below the rule ({rule}):")
    for line in below:
        print(f"    {line}")


def repeated_paragraphs(docs: Sequence[Document], min_docs: int = 3) -> list[list[Span]]:
    """Stand-in for the boilerplate stage: paragraphs found verbatim in ``min_docs`` documents."""
    where: dict[str, list[tuple[int, Span]]] = {}
    for d, doc in enumerate(docs):
        for m in re.finditer(r"[^\n]+", doc.text):
            where.setdefault(m.group().strip(), []).append((d, m.span()))
    out: list[list[Span]] = [[] for _ in docs]
    for places in where.values():
        if len({d for d, _ in places}) >= min_docs:
            for d, span in places:
                out[d].append(span)
    return out


def wrap(text: str, width: int) -> list[str]:
    words = " ".join(text.split()).split(" ")
    lines, line = [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    return [*lines, line] if line else lines


#: Edit levels (word edits, character noise; ranges in per mille, drawn per passage).
LEVELS = {
    "light (synth default)": ((0, 30), (0, 5)),
    "medium": ((30, 80), (5, 20)),
    "heavy": ((80, 150), (20, 40)),
}
SWEEP: list[dict[str, Any]] = [
    {},
    {"seed_n": 3},
    {"seed_n": 5},
    {"max_gap": 4},
    {"max_gap": 16},
    {"min_tokens": 8},
    {"min_tokens": 20},
]


def real_articles(aligner: Aligner, rule: ReuseRule) -> None:
    """All pairs of the unmodified web articles: nothing is planted, so every hit is shown."""
    docs = list(read_documents([str(ROOT / "data" / "web-articles.jsonl")]))
    tokens = [tokenize(d.text) for d in docs]
    hits: dict[str, list[str]] = {}
    n = 0
    for x, y in itertools.combinations(range(len(docs)), 2):
        n += 1
        passages = aligner.align_tokens(tokens[x], tokens[y])
        verdict = rule.judge(passages, len(tokens[x].words), len(tokens[y].words))
        if verdict.shares_passages:
            p = max(passages, key=lambda p: p.length)
            text = " ".join(docs[x].text[p.a[0] : p.a[1]].split())[:50]
            hits.setdefault(text, []).append(f"{docs[x].id}~{docs[y].id}")
    print(
        f"\nunmodified web articles ({len(docs)}, {n} pairs, no planted reuse):"
        f" {sum(map(len, hits.values()))} pairs share passages; longest passage of each:"
    )
    for text, pairs in sorted(hits.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(pairs):>3} pairs  {text!r}  e.g. {pairs[0]}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--no-baseline", action="store_true", help="skip the slow difflib run")
    parser.add_argument("--sweep", action="store_true", help="also vary the aligner settings")
    args = parser.parse_args(argv)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python"
        f" {platform.python_version()}, numpy {np.__version__}"
    )
    cfg, rule = AlignConfig(), ReuseRule()
    aligner = Aligner(cfg)
    print(f"aligner: {cfg}\nrule: {rule}")
    aligner.align("warm up the compiled kernels once " * 3, "warm up the compiled kernels once")
    light: list[Corpus] = []
    for level, (edit, noise) in LEVELS.items():
        corpora = [Corpus.build(seed, edit, noise) for seed in args.seeds]
        light = light or corpora
        n_docs = sum(len(c.docs) for c in corpora)
        n_passages = sum(len(g.passages) for c in corpora for g in c.gold)
        print(
            f"\n{level} edits: words {edit[0] / 10:g}-{edit[1] / 10:g} %, characters"
            f" {noise[0] / 10:g}-{noise[1] / 10:g} %; seeds {args.seeds}: {n_docs} documents,"
            f" {sum(len(c.gold) for c in corpora)} planted pairs, {n_passages} planted passages"
        )
        for which in ("all", "candidates"):
            tally, n = evaluate(corpora, with_texts(aligner), rule, which)
            name = "all pairs" if which == "all" else "paragraph candidates"
            print(tally.row(f"{name} ({n})"))
        tally, n = evaluate(corpora, tokens_only(aligner), rule, "all")
        print(tally.row(f"all pairs, token ends ({n})"))
        if not args.no_baseline:
            base, n = evaluate(
                corpora, lambda a, b, _x, _y: difflib_passages(a, b), rule, "candidates"
            )
            print(base.row(f"difflib baseline, candidates ({n})"))
        if args.sweep:
            for change in SWEEP[1:]:
                tally, _ = evaluate(
                    corpora, with_texts(Aligner(AlignConfig(**change))), rule, "all"
                )
                print(tally.row(f"all pairs, {change}"))
    print(f"\nspeed (pre-tokenised, one thread; load average {os.getloadavg()[0]:.1f}):")
    speed_pairs(aligner, light)
    speed_20kb(aligner)
    real_articles(aligner, rule)
    print(f"\nsample dump ({SAMPLE.name}): pairs that share passages (boilerplate excluded)")
    demo(aligner, rule)


if __name__ == "__main__":
    main()
