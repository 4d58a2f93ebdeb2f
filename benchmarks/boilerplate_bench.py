"""Boilerplate removal quality: ours next to two baselines, run on the same data in one run.

    python -m benchmarks.boilerplate_bench [--seeds N] [--docs N]

1. Character-level precision / recall / F1 of the removed spans against the gold spans of
   :func:`dedup.synth.boilerplate_corpus_detailed` (real web articles wrapped in the templated
   headers, footers and inline blocks of fictional outlets, plus a quote and a wire paragraph
   legitimately repeated across outlets), per seed and pooled over seeds, for the methods of
   :mod:`benchmarks.boilerplate_methods`: ours (sources known, and hidden), CCNet-style exact
   hashing and the trafilatura rule. All cut the same paragraphs. "repeated" counts removed
   characters of the legitimately repeated quote/wire paragraphs (should stay 0).

2. False duplicate pairs among short unrelated articles that share only their outlet's chrome:
   48 briefs (the start of distinct real articles, cut to 60, 120 or 200 characters) on pages
   of the six default outlets, with either a static header/footer plus an "about" blurb per
   outlet (built here: synth's outlets have no long static chrome) or header and footer
   rendered per page. The briefs are learned together with the outlets' regular pages of the
   boilerplate corpus (carrying the same blurb), and alone. Pairs are counted as
   near-duplicates (exact Jaccard of word 5-shingles >= ``Config.threshold`` = 0.8) and in any
   relation (that, or containment >= 0.8); every pair of briefs is a false one. Then on
   :func:`dedup.synth.dedup_corpus` (reprints carry other outlets' chrome; hard negatives share
   chrome): gold pairs found and false pairs, by the same two measures.

3. Throughput of learning and judging next to document fingerprinting, same documents.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
import platform
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from benchmarks._common import cpu_model
from benchmarks.boilerplate_methods import METHODS, Removal, Span
from dedup import _set_kernels
from dedup.boilerplate import BoilerplateModel, Stripped, content_or_full, cut
from dedup.config import Config
from dedup.fingerprint import Fingerprinter
from dedup.paragraphs import ParagraphFingerprinter
from dedup.synth import (
    OUTLETS,
    Article,
    add_boilerplate,
    boilerplate_corpus_detailed,
    clean_articles,
    dedup_corpus,
    load_articles,
    news_corpus,
    render_template,
)
from dedup.synth.outlets import Outlet, date_values
from dedup.types import Document

Pair = tuple[int, int]


def machine() -> str:
    """One line describing where the figures were measured."""
    model = cpu_model()
    python = platform.python_version()
    return f"{model}, {os.cpu_count()} cores, Python {python}, numpy {np.__version__}"


# --- part 1: span quality -------------------------------------------------------------------


@dataclass
class Counts:
    """Character counts of one method on one or more corpora."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    repeated: int = 0
    seconds: float = 0.0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.repeated += other.repeated
        self.seconds += other.seconds

    def scores(self) -> tuple[float, float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _mask(n: int, spans: Sequence[Span]) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    for s, e in spans:
        out[s:e] = True
    return out


def score(
    docs: Sequence[Document],
    gold: dict[str, list[Span]],
    repeated: dict[str, list[Span]],
    removed: list[list[Span]],
) -> Counts:
    """Character-level agreement of removed spans with the gold spans."""
    c = Counts()
    for doc, spans in zip(docs, removed, strict=True):
        g = _mask(len(doc.text), gold[doc.id])
        p = _mask(len(doc.text), spans)
        c.tp += int(np.count_nonzero(g & p))
        c.fp += int(np.count_nonzero(~g & p))
        c.fn += int(np.count_nonzero(g & ~p))
        c.repeated += int(np.count_nonzero(_mask(len(doc.text), repeated[doc.id]) & p))
    return c


def part1(seeds: int, n_sources: int, per_source: int) -> None:
    print(f"\n## 1. Removed spans vs gold: boilerplate_corpus(n_sources={n_sources}, "
          f"docs_per_source={per_source}), seeds 0..{seeds - 1}")  # fmt: skip
    totals = {name: Counts() for name, _ in METHODS}
    gold_chars = all_chars = 0
    header = f"{'seed':>4}  " + "  ".join(f"{name[:24]:>24}" for name, _ in METHODS)
    print("F1 per seed (P/R pooled below):")
    print(header)
    for seed in range(seeds):
        corpus = boilerplate_corpus_detailed(seed, n_sources, per_source)
        docs = corpus.documents
        gold_chars += sum(e - s for spans in corpus.boilerplate.values() for s, e in spans)
        all_chars += sum(len(d.text) for d in docs)
        row = []
        for name, method in METHODS:
            start = time.perf_counter()
            removed = method(docs)
            counts = score(docs, corpus.boilerplate, corpus.repeated, removed)
            counts.seconds = time.perf_counter() - start
            totals[name].add(counts)
            row.append(f"{counts.scores()[2]:>24.4f}")
        print(f"{seed:>4}  " + "  ".join(row))
    print(f"\npooled over {seeds} corpora ({all_chars:,} characters, {gold_chars:,} of them gold "
          f"boilerplate = {gold_chars / all_chars:.1%}):")  # fmt: skip
    print(f"{'method':<26} {'precision':>9} {'recall':>7} {'F1':>7} {'FP chars':>9} "
          f"{'FN chars':>9} {'repeated':>9} {'s/corpus':>9}")  # fmt: skip
    for name, _ in METHODS:
        t = totals[name]
        p, r, f = t.scores()
        print(f"{name:<26} {p:>9.4f} {r:>7.4f} {f:>7.4f} {t.fp:>9,} {t.fn:>9,} "
              f"{t.repeated:>9,} {t.seconds / seeds:>9.3f}")  # fmt: skip


# --- part 2: false duplicate pairs ----------------------------------------------------------


#: synth's outlets have no long static chrome; real sites often end every page with an "about"
#: blurb like these (built here, for part 2 only).
ABOUT = (
    "{name} is an independent newsroom. Our reporting is funded by readers like you, not by "
    "billionaire owners or advertisers, and it stays free for everyone to read. If you value "
    "what we do, please consider supporting us with a monthly contribution today.",
    "About {name}: we cover local politics, business, culture and sport with a team of "
    "reporters and editors across the region. Send corrections, tips and letters to the "
    "editor through our contact page; we read every message and reply to most of them.",
)


@functools.cache
def _pool() -> tuple[Article, ...]:
    return tuple(clean_articles(load_articles()))


def about(outlet: str | None) -> str:
    """The "about" blurb of an outlet (by name)."""
    index = next((i for i, o in enumerate(OUTLETS) if o.name == outlet), 0)
    return ABOUT[index % 2].format(name=outlet)


def briefs(seed: int, max_chars: int, static: bool, per_outlet: int = 8) -> list[Document]:
    """Short unrelated articles (distinct real ones, cut to ``max_chars``) on pages of the six
    default outlets. ``static``: every page of an outlet carries one header and one footer
    rendered once, plus an "about" blurb (fixed site chrome); otherwise header and footer are
    rendered per page (dates, counts, URLs and names vary) and there is no blurb."""
    rng = random.Random(seed)
    pool = list(_pool())
    rng.shuffle(pool)
    titles = [a.title for a in pool if a.title]
    out: list[Document] = []
    free = list(pool)
    for o, outlet in enumerate(OUTLETS[:6]):
        mine = [a for a in free if a.group == outlet.group][:per_outlet]
        mine += [a for a in free if a not in mine][: per_outlet - len(mine)]
        free = [a for a in free if a not in mine]
        header, footer = _chrome(outlet, rng, titles)
        site = (header, footer + "\n\n" + about(outlet.name))
        for k, art in enumerate(mine):
            first = next((p for p in art.paragraphs if len(p) >= 40), art.paragraphs[0])
            cut_at = first.rfind(" ", max_chars // 2, max_chars)
            body = (
                first if len(first) <= max_chars else first[: cut_at if cut_at > 0 else max_chars]
            )
            header, footer = site if static else _chrome(outlet, rng, titles)
            text, _ = add_boilerplate(body, rng, header=header, footer=footer)
            out.append(Document(f"brief-{o}-{k}", text, outlet.name))
    return out


def _chrome(outlet: Outlet, rng: random.Random, titles: list[str]) -> tuple[str, str]:
    values = {
        **date_values(1514764800 + rng.randrange(7 * 365 * 86400)),
        "headline": titles[rng.randrange(len(titles))],
    }
    header = render_template(rng.choice(outlet.headers), rng, values)
    return header, render_template(rng.choice(outlet.footers), rng, values)


def pairs_at(texts: Sequence[str], threshold: float) -> tuple[set[Pair], set[Pair]]:
    """Pairs (all compared) that are near-duplicates (Jaccard of word 5-shingles >= threshold),
    and pairs in any relation (that, or one text contained in the other by >= threshold)."""
    if len(texts) < 2:
        return set(), set()
    batch = Fingerprinter(Config()).fingerprint(list(texts))
    combos = np.array(list(itertools.combinations(range(len(texts)), 2)), dtype=np.int64)
    left, right = np.ascontiguousarray(combos[:, 0]), np.ascontiguousarray(combos[:, 1])
    inter = _set_kernels.pair_intersections(batch.shingles, batch.offsets, left, right)
    a, b = batch.sizes[left], batch.sizes[right]
    jac = inter / np.maximum(a + b - inter, 1)
    contained = inter / np.maximum(np.minimum(a, b), 1)
    near = np.flatnonzero(jac >= threshold)
    related = np.flatnonzero(np.maximum(jac, contained) >= threshold)
    return (
        {(int(left[i]), int(right[i])) for i in near},
        {(int(left[i]), int(right[i])) for i in related},
    )


def stripped_texts(docs: Sequence[Document], method: Removal) -> list[str]:
    """Boilerplate-aware texts under a removal method (full text when nothing would remain)."""
    return [
        content_or_full(d.text, Stripped(cut(d.text, spans), spans))
        for d, spans in zip(docs, method(docs), strict=True)
    ]


def variants(docs: Sequence[Document]) -> dict[str, list[str]]:
    """The texts each method would fingerprint documents by."""
    out = {"full text": [d.text for d in docs]}
    for name, method in METHODS:
        out[name] = stripped_texts(docs, method)
    return out


def part2(seeds: int) -> None:
    t = Config().threshold
    names = ["full text", *(name for name, _ in METHODS)]
    caps = (60, 120, 200)
    print(f"\n## 2. Document pairs at threshold {t}: near-duplicates (Jaccard >= {t}) / any "
          f"relation (Jaccard or containment >= {t})")  # fmt: skip
    for static in (True, False):
        for label, with_pages in (("learned with the outlets' regular pages", True),
                                  ("learned alone", False)):  # fmt: skip
            chrome = "static chrome with an about blurb" if static else "chrome rendered per page"
            n_pairs = 48 * 47 // 2 * seeds
            print(f"\nfalse pairs among 48 short unrelated articles ({n_pairs:,} pairs over "
                  f"{seeds} seeds), {chrome}, {label}:")  # fmt: skip
            print(f"  {'body at most':<26}" + "".join(f"{f'{c} chars':>16}" for c in caps))
            rows: dict[str, list[str]] = {name: [] for name in names}
            for max_chars in caps:
                near = dict.fromkeys(names, 0)
                related = dict.fromkeys(names, 0)
                for seed in range(seeds):
                    small = briefs(seed, max_chars, static)
                    pages = boilerplate_corpus_detailed(seed).documents if with_pages else []
                    if static:  # the outlet's regular pages carry its blurb too
                        pages = [replace(d, text=f"{d.text}\n\n{about(d.source)}") for d in pages]
                    for name, texts in variants([*small, *pages]).items():
                        n, r = pairs_at(texts[: len(small)], t)
                        near[name] += len(n)
                        related[name] += len(r)
                for name in names:
                    rows[name].append(f"{near[name]:>7,} / {related[name]:<6,}")
            for name in names:
                print(f"  {name:<26}" + "".join(f"{cell:>16}" for cell in rows[name]))
    print(f"\ndedup_corpus x {seeds} seeds (reprints carry other outlets' chrome; hard negatives "
          "share chrome): gold pairs found / false pairs")  # fmt: skip
    print(f"  {'text':<26} {'near-duplicates':>24} {'any relation':>24}")
    found = {name: [0, 0, 0, 0] for name in names}
    gold_total = 0
    for seed in range(seeds):
        records = dedup_corpus(seed)
        clusters = [r.cluster for r in records]
        gold = {
            (i, j)
            for i, j in itertools.combinations(range(len(records)), 2)
            if clusters[i] == clusters[j]
        }
        gold_total += len(gold)
        for name, texts in variants([r.document for r in records]).items():
            n, r = pairs_at(texts, t)
            counts = found[name]
            counts[0] += len(n & gold)
            counts[1] += len(n - gold)
            counts[2] += len(r & gold)
            counts[3] += len(r - gold)
    for name in names:
        c = found[name]
        print(f"  {name:<26} {c[0]:>10,} / {gold_total:,}, {c[1]:>4,} {c[2]:>10,} / "
              f"{gold_total:,}, {c[3]:>4,}")  # fmt: skip


def part3(n_docs: int) -> None:
    """Throughput next to document fingerprinting, on the same documents in the same run."""
    docs = list(news_corpus(n_docs, seed=1))
    texts = [d.text for d in docs]
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"\n## 3. Throughput on news_corpus({n_docs:,}) ({mb:.1f} MB), best of 3, one process")

    def best(run: Callable[[], object]) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        return min(times)

    model = BoilerplateModel()
    entries = model.observe_many(docs)
    documents, paragraphs = Fingerprinter(Config()), ParagraphFingerprinter()
    rows = [
        ("Fingerprinter.fingerprint (documents)", best(lambda: documents.fingerprint(texts))),
        ("ParagraphFingerprinter.fingerprint", best(lambda: paragraphs.fingerprint(texts))),
        ("BoilerplateModel.observe_many", best(lambda: BoilerplateModel().observe_many(docs))),
        ("BoilerplateModel.judge (all observed)", best(lambda: model.judge(entries))),
    ]
    for name, seconds in rows:
        print(f"  {name:<40} {n_docs / seconds:>9,.0f} docs/s")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="corpora per setting (default 10)")
    parser.add_argument("--docs", type=int, default=5000, help="documents for throughput")
    args = parser.parse_args(argv)
    print(f"# boilerplate benchmark\n{machine()}")
    BoilerplateModel().observe(Document("warm-up", "Warm up the compiled kernels."))
    part1(args.seeds, 6, 8)
    part1(args.seeds, 8, 10)
    part2(args.seeds)
    part3(args.docs)


if __name__ == "__main__":
    main()
