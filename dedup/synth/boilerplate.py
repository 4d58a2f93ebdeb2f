"""A boilerplate corpus: per-outlet page chrome with gold spans, plus repeated content to keep."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from dedup.synth.articles import Article, cap_paragraphs, clean_articles, load_articles
from dedup.synth.outlets import OUTLETS, Outlet, date_values, iso_utc, render_template
from dedup.synth.transforms import PARAGRAPH_SEP, Span, insert_blocks, strip_site_suffix
from dedup.types import Document

# Publication times spread over 2018-2024, so copyright years and datelines vary per page.
_EPOCH_LO = 1514764800  # 2018-01-01
_EPOCH_HI = 1735603200  # 2024-12-31
_WIRE_PREFIX = "(AP) — "


@dataclass(frozen=True, slots=True)
class BoilerplateCorpus:
    """Documents, their gold boilerplate spans, and the repeated spans that are NOT boilerplate.

    ``boilerplate[doc_id]`` and ``repeated[doc_id]`` are sorted half-open code-point spans into
    that document's text, one per paragraph; every document id is a key of both (possibly with
    an empty list). ``repeated`` marks the shared quote and wire paragraphs: text that recurs
    across sources and must survive boilerplate removal.
    """

    documents: list[Document]
    boilerplate: dict[str, list[Span]]
    repeated: dict[str, list[Span]]


def boilerplate_corpus(
    seed: int = 0,
    n_sources: int = 6,
    docs_per_source: int = 8,
    *,
    articles: Sequence[Article] | None = None,
) -> tuple[list[Document], dict[str, list[Span]]]:
    """Documents with injected per-source headers/footers, and their gold boilerplate spans.

    See :func:`boilerplate_corpus_detailed`, which also returns the legitimately repeated spans.
    """
    corpus = boilerplate_corpus_detailed(seed, n_sources, docs_per_source, articles=articles)
    return corpus.documents, corpus.boilerplate


def boilerplate_corpus_detailed(
    seed: int = 0,
    n_sources: int = 6,
    docs_per_source: int = 8,
    *,
    articles: Sequence[Article] | None = None,
    quote_copies: int = 4,
    wire_copies: int = 4,
    max_body_chars: int = 6000,
) -> BoilerplateCorpus:
    """Real articles wrapped in the page chrome of ``n_sources`` fictional outlets.

    Outlets are the first ``n_sources`` of :data:`dedup.synth.outlets.OUTLETS` (the default six
    include a Chinese and a French one); each gets ``docs_per_source`` distinct cleaned articles,
    language-matched where the corpus has enough, bodies capped at ``max_body_chars``. Every page
    gets its outlet's footer, a header with p=0.85 and an inline block ("Advertisement",
    "Read more: <headline>") at a random paragraph boundary with p=0.5; templates are filled per
    page, with dates/years taken from the page's ``published`` (2018-2024). So within a source,
    constant lines ("Share this article") repeat exactly, while templated lines differ in digits,
    numeric dates, URLs and @handles (a masked hash catches them, an exact hash does not), or in
    author names, month names and headlines (neither does). See :mod:`dedup.synth.outlets`.

    Legitimately repeated content (in ``repeated``, never in ``boilerplate``): one real quote
    paragraph (has quotation marks) in ``quote_copies`` pages, and one real paragraph reprinted
    from a wire service ("(AP) — " prefixed) in ``wire_copies`` pages, each spread over distinct
    sources, inserted at random paragraph boundaries. Body paragraphs equal to a constant
    template line are dropped so that gold is complete. Documents are sorted by ``published``,
    ids ``b0000``, ``b0001``, ...
    """
    if not 1 <= n_sources <= len(OUTLETS):
        raise ValueError(f"n_sources must be within 1..{len(OUTLETS)} (the fixed outlet pool)")
    if docs_per_source < 2:
        raise ValueError("docs_per_source must be >= 2: variation needs several pages per source")
    if not 0 <= quote_copies <= n_sources or not 0 <= wire_copies <= n_sources:
        raise ValueError("quote_copies and wire_copies must be within 0..n_sources")
    pool = clean_articles(load_articles() if articles is None else articles)
    needed = n_sources * docs_per_source + 2
    if needed > len(pool):
        raise ValueError(
            f"{needed} distinct articles needed but only {len(pool)} usable; "
            "lower n_sources or docs_per_source"
        )
    rng = random.Random(seed)
    outlets = OUTLETS[:n_sources]
    assignment, spare = _assign(rng, pool, outlets, docs_per_source)
    quote, wire = _legit_paragraphs(rng, spare)
    constant_lines = {
        p
        for o in outlets
        for block in o.headers + o.footers + o.inlines
        for p in block.split(PARAGRAPH_SEP)
        if "{" not in p
    }
    titles: dict[str, list[str]] = {}  # "Read more" headlines, in the outlet's language
    for a in pool:
        if a.title:
            titles.setdefault(a.group, []).append(strip_site_suffix(a.title))
    pages: list[tuple[int, int, Outlet, Article]] = []
    for o_idx, outlet in enumerate(outlets):
        for art in assignment[o_idx]:
            pages.append((rng.randrange(_EPOCH_LO, _EPOCH_HI), o_idx, outlet, art))
    pages.sort(key=lambda p: (p[0], p[1], p[3].id))
    legit = _legit_targets(rng, pages, quote, quote_copies) | _legit_targets(
        rng, pages, wire, wire_copies
    )
    documents: list[Document] = []
    boilerplate: dict[str, list[Span]] = {}
    repeated: dict[str, list[Span]] = {}
    for i, (when, _, outlet, art) in enumerate(pages):
        doc_id = f"b{i:04d}"
        capped = cap_paragraphs(art.paragraphs, max_body_chars)
        body = [p for p in capped if p not in constant_lines]
        own = strip_site_suffix(art.title)
        options = [t for t in titles.get(outlet.group) or titles.get("en", []) if t != own]
        options = options or ["More news"]
        values = {**date_values(when), "headline": options[rng.randrange(len(options))]}
        # Legit paragraphs first, so that their positions refer to the bare body.
        inserts: list[tuple[int, str, bool]] = [
            (rng.randint(1, max(1, len(body) - 1)), para, False)
            for (page, para) in sorted(legit)
            if page == i
        ]
        if rng.random() < 0.85:
            inserts += [(0, p, True) for p in _render(outlet.headers, rng, values)]
        if rng.random() < 0.5:
            pos = rng.randint(1, len(body) - 1) if len(body) >= 2 else len(body)
            inserts += [(pos, p, True) for p in _render(outlet.inlines, rng, values)]
        inserts += [(len(body), p, True) for p in _render(outlet.footers, rng, values)]
        text, spans = insert_blocks(body, [(pos, p) for pos, p, _ in inserts])
        kinds = [is_chrome for _, _, is_chrome in inserts]
        boilerplate[doc_id] = sorted(s for s, k in zip(spans, kinds, strict=True) if k)
        repeated[doc_id] = sorted(s for s, k in zip(spans, kinds, strict=True) if not k)
        documents.append(Document(doc_id, text, outlet.name, iso_utc(when), art.title))
    return BoilerplateCorpus(documents, boilerplate, repeated)


def _render(alternatives: tuple[str, ...], rng: random.Random, values: dict[str, str]) -> list[str]:
    """Pick one template block, fill it for this page, and split it into paragraphs."""
    block = render_template(alternatives[rng.randrange(len(alternatives))], rng, values)
    return [p for p in block.split(PARAGRAPH_SEP) if p]


def _assign(
    rng: random.Random, pool: list[Article], outlets: Sequence[Outlet], per_outlet: int
) -> tuple[list[list[Article]], list[Article]]:
    """Give each outlet ``per_outlet`` distinct articles, same language group first."""
    shuffled = list(pool)
    rng.shuffle(shuffled)
    free = {a.id for a in shuffled}
    assignment: list[list[Article]] = []
    for outlet in outlets:
        mine = [a for a in shuffled if a.id in free and a.group == outlet.group][:per_outlet]
        mine += [a for a in shuffled if a.id in free and a not in mine][: per_outlet - len(mine)]
        free -= {a.id for a in mine}
        assignment.append(mine)
    return assignment, [a for a in shuffled if a.id in free]


def _legit_paragraphs(rng: random.Random, spare: list[Article]) -> tuple[str, str]:
    """A quote paragraph and a wire paragraph from articles no page uses (English news sites
    if possible)."""
    english = [a for a in spare if a.group == "en" and a.source is not None] or spare
    paras = [
        (a.id, p)
        for a in sorted(english, key=lambda a: a.id)
        for p in a.paragraphs
        if 150 <= len(p) <= 600
    ]
    if len(paras) < 2:
        raise ValueError("no spare article has 150-600 character paragraphs; pass more articles")
    quotes = [(src, p) for src, p in paras if ("“" in p or '"' in p) and " said" in p]
    q_src, quote = (quotes or paras)[rng.randrange(len(quotes or paras))]
    rest = [p for src, p in paras if src != q_src] or [p for _, p in paras if p != quote]
    return quote, _WIRE_PREFIX + rest[rng.randrange(len(rest))]


def _legit_targets(
    rng: random.Random, pages: list[tuple[int, int, Outlet, Article]], para: str, copies: int
) -> set[tuple[int, str]]:
    """Pick ``copies`` pages, each from a different outlet (English ones first), for ``para``."""
    by_outlet: dict[int, list[int]] = {}
    english: set[int] = set()
    for i, (_, o_idx, outlet, _) in enumerate(pages):
        by_outlet.setdefault(o_idx, []).append(i)
        if outlet.group == "en":
            english.add(o_idx)
    outlets = sorted(by_outlet)
    rng.shuffle(outlets)
    outlets.sort(key=lambda o: o not in english)  # stable: random order within each kind
    return {(by_outlet[o][rng.randrange(len(by_outlet[o]))], para) for o in outlets[:copies]}
