"""A labelled near-duplicate corpus: real stories, their reprints, and hard negatives."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from dedup.synth.articles import Article, cap_paragraphs, clean_articles, load_articles, site_key
from dedup.synth.outlets import OUTLETS, Outlet, date_values, iso_utc, render_template
from dedup.synth.records import LabelledDocument
from dedup.synth.transforms import (
    PARAGRAPH_SEP,
    add_boilerplate,
    char_noise,
    cut_ending,
    edit_words,
    retitle,
)
from dedup.types import Document

START_EPOCH = 1709251200  # 2024-03-01T00:00:00Z
_SHORT_BODY_CHARS = 700


@dataclass(frozen=True, slots=True)
class ReprintRecipe:
    """What happens to originals and reprints in :func:`dedup_corpus`; the defaults are the
    documented mix. ``*_p`` are independent probabilities, ranges are drawn uniformly."""

    cut_p: float = 0.6
    keep: tuple[float, float] = (0.6, 0.95)
    edit_p: float = 0.6
    edit_rate: tuple[float, float] = (0.01, 0.04)
    noise_p: float = 0.25
    noise_rate: tuple[float, float] = (0.002, 0.01)
    header_p: float = 0.3
    footer_p: float = 0.8
    original_header_p: float = 0.3
    original_footer_p: float = 0.6
    delay_s: tuple[int, int] = (600, 3 * 86400)

    def __post_init__(self) -> None:
        for name in (
            "cut_p",
            "edit_p",
            "noise_p",
            "header_p",
            "footer_p",
            "original_header_p",
            "original_footer_p",
        ):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"ReprintRecipe.{name} must be a probability in [0, 1]")
        for name in ("keep", "edit_rate", "noise_rate", "delay_s"):
            lo, hi = getattr(self, name)
            if not 0 <= lo <= hi:
                raise ValueError(f"ReprintRecipe.{name} must be (low, high) with 0 <= low <= high")


def _pick_outlet(rng: random.Random, article: Article, exclude: int | None = None) -> int:
    """An outlet whose templates match the article's language, else any other one."""
    matching = [i for i, o in enumerate(OUTLETS) if o.group == article.group and i != exclude]
    if not matching:
        matching = [i for i in range(len(OUTLETS)) if i != exclude]
    return matching[rng.randrange(len(matching))]


def _select_stories(
    rng: random.Random, pool: list[Article], n_stories: int
) -> list[tuple[Article, str | None]]:
    """``n_stories`` articles: whole same-site groups first (up to half), then random others.

    Returns (article, site) with site set for same-site siblings: real, distinct articles from
    one site and topic area (four NYT news pieces, two WebMD health stories, ...).
    """
    groups: dict[str, list[Article]] = {}
    for art in pool:
        groups.setdefault(site_key(art), []).append(art)
    sites = [k for k in sorted(groups) if len(groups[k]) >= 2]
    rng.shuffle(sites)
    chosen: list[tuple[Article, str | None]] = []
    for site in sites:
        if len(chosen) + len(groups[site]) <= n_stories // 2:
            chosen += [(a, site) for a in groups[site]]
    taken = {a.id for a, _ in chosen}
    rest = [a for a in pool if a.id not in taken]
    rng.shuffle(rest)
    chosen += [(a, None) for a in rest[: n_stories - len(chosen)]]
    return chosen


def dedup_corpus(
    seed: int = 0,
    n_stories: int = 60,
    reprinted: float = 0.5,
    max_reprints: int = 4,
    shared_boilerplate_pairs: int = 4,
    recipe: ReprintRecipe | None = None,
    *,
    articles: Sequence[Article] | None = None,
    max_body_chars: int = 12000,
) -> list[LabelledDocument]:
    """Labelled near-duplicate corpus built from ``n_stories`` distinct real articles.

    Stories: same-site sibling groups first (up to half the stories: real, different articles of
    one site and topic area, tagged ``same_site:<site>``; each group shares one outlet), the rest
    drawn at random from :func:`clean_articles` (bodies capped at ``max_body_chars`` on a
    paragraph boundary). Every story has an outlet (language-matched, fictional); its original
    carries a byline header (p=0.3, per-document values) and the outlet's footer (p=0.6, the same
    text on every page of that outlet in the corpus).

    Hard negatives, kept in separate clusters: ``shared_boilerplate_pairs`` pairs of stories
    with the same outlet, both with header and footer, bodies cut to their first paragraphs
    (up to 700 characters) so the shared chrome is a large part of each text (tag
    ``shared_boilerplate:<k>``); the same-site siblings above; and all originals of one outlet
    share its footer.

    Reprints: ``round(reprinted * n_stories)`` of the other stories get 1..``max_reprints``
    reprints each (uniform). A reprint starts from the original's body (without its outlet's
    chrome) and, with the default :class:`ReprintRecipe`, independently: ``cut_ending`` p=0.6
    (keep 60-95%), ``edit_words`` p=0.6 (rate 1-4%), ``char_noise`` p=0.25 (rate 0.2-1%); then a
    different outlet's header p=0.3 and footer p=0.8; always a new headline (``retitle``), a
    different ``source`` and a ``published`` 10 minutes to 3 days after the original. About 12% of
    reprints get no body change at all (verbatim syndication).

    Records are sorted by publication time; ids are ``d0000``, ``d0001``, ...; ``cluster`` is the
    original's id. Every record lists its applied transforms and drawn parameters.
    """
    recipe = recipe or ReprintRecipe()
    if max_reprints < 1:
        raise ValueError(f"max_reprints must be >= 1, got {max_reprints}")
    if not 0.0 <= reprinted <= 1.0:
        raise ValueError(f"reprinted must be a fraction in [0, 1], got {reprinted!r}")
    pool = clean_articles(load_articles() if articles is None else articles)
    if not 0 < n_stories <= len(pool):
        raise ValueError(
            f"n_stories must be within 1..{len(pool)} (distinct usable articles), got {n_stories}"
        )
    if 2 * shared_boilerplate_pairs > n_stories or shared_boilerplate_pairs < 0:
        raise ValueError("shared_boilerplate_pairs must be within 0..n_stories // 2")
    rng = random.Random(seed)
    plan = _plan(rng, pool, n_stories, shared_boilerplate_pairs, reprinted, max_reprints)
    # One fixed footer per outlet (static site chrome), dated like the corpus.
    chrome_values = date_values(START_EPOCH)
    footers = []
    for o in OUTLETS:
        headline = pool[rng.randrange(len(pool))].title
        template = o.footers[rng.randrange(len(o.footers))]
        footers.append(render_template(template, rng, {**chrome_values, "headline": headline}))
    drafts: list[LabelledDocument] = []  # ids "#<n>" until _finalise

    def add(art: Article, text: str, outlet: int, when: int, title: str, cluster: int,
            transforms: tuple[str, ...], tags: tuple[str, ...]) -> None:  # fmt: skip
        doc = Document(f"#{len(drafts)}", text, OUTLETS[outlet].name, iso_utc(when), title)
        kind = "original" if cluster == len(drafts) else "reprint"
        drafts.append(LabelledDocument(doc, f"#{cluster}", art.id, kind, transforms, tags))

    for story in plan:
        art, outlet = story.article, story.outlet
        limit = _SHORT_BODY_CHARS if story.short else max_body_chars
        body = PARAGRAPH_SEP.join(cap_paragraphs(art.paragraphs, limit))
        when = START_EPOCH + rng.randrange(30 * 86400)
        with_header = story.short or rng.random() < recipe.original_header_p
        with_footer = story.short or rng.random() < recipe.original_footer_p
        text, _ = add_boilerplate(
            body,
            rng,
            header=_header(OUTLETS[outlet], rng, when) if with_header else None,
            footer=footers[outlet] if with_footer else None,
        )
        applied = ("header",) * with_header + ("footer",) * with_footer
        original = len(drafts)
        add(art, text, outlet, when, art.title, original, applied, story.tags)
        for _ in range(story.n_reprints):
            new_outlet = _pick_outlet(rng, art, exclude=outlet)
            r_when = when + rng.randint(*recipe.delay_s)
            r_text, steps = _reprint(body, rng, recipe)
            with_header = rng.random() < recipe.header_p
            with_footer = rng.random() < recipe.footer_p
            r_text, _ = add_boilerplate(
                r_text,
                rng,
                header=_header(OUTLETS[new_outlet], rng, r_when) if with_header else None,
                footer=footers[new_outlet] if with_footer else None,
            )
            steps += ("header",) * with_header + ("footer",) * with_footer + ("retitle",)
            title = retitle(art.title, rng, OUTLETS[new_outlet].name)
            add(art, r_text, new_outlet, r_when, title, original, steps, story.tags)
    return _finalise(drafts)


@dataclass(frozen=True, slots=True)
class _Story:
    article: Article
    outlet: int
    tags: tuple[str, ...]
    short: bool  # a shared-boilerplate hard negative: body cut short, header and footer forced
    n_reprints: int


def _plan(
    rng: random.Random,
    pool: list[Article],
    n_stories: int,
    n_pairs: int,
    reprinted: float,
    max_reprints: int,
) -> list[_Story]:
    """Decide every story's role and outlet before any text is generated."""
    stories = _select_stories(rng, pool, n_stories)
    # Pair members: English stories outside sibling groups, so each pair can share an outlet
    # whose templates match both; fall back to any non-sibling story.
    candidates = [s for s in stories if s[1] is None and s[0].group == "en"]
    candidates += [s for s in stories if s[1] is None and s[0].group != "en"]
    if len(candidates) < 2 * n_pairs:
        raise ValueError(
            f"only {len(candidates)} stories outside same-site groups for "
            f"{n_pairs} shared-boilerplate pairs; lower shared_boilerplate_pairs"
        )
    members = candidates[: 2 * n_pairs]
    taken = {a.id for a, _ in members}
    others = [s for s in stories if s[0].id not in taken]
    rng.shuffle(others)
    n_reprinted = min(len(others), round(reprinted * n_stories))
    plan: list[_Story] = []
    for k in range(n_pairs):
        outlet = _pick_outlet(rng, members[2 * k][0])
        for art, _ in members[2 * k : 2 * k + 2]:
            plan.append(_Story(art, outlet, (f"shared_boilerplate:{k}",), True, 0))
    site_outlet: dict[str, int] = {}
    for i, (art, site) in enumerate(others):
        tags: tuple[str, ...] = ()
        if site is None:
            outlet = _pick_outlet(rng, art)
        else:
            outlet = site_outlet.setdefault(site, _pick_outlet(rng, art))
            tags = (f"same_site:{site}",)
        n = rng.randint(1, max_reprints) if i < n_reprinted else 0
        plan.append(_Story(art, outlet, tags, False, n))
    return plan


def _header(outlet: Outlet, rng: random.Random, when: int) -> str:
    """A byline/dateline for one page: template chosen and filled per document."""
    template = outlet.headers[rng.randrange(len(outlet.headers))]
    return render_template(template, rng, date_values(when))


def _reprint(body: str, rng: random.Random, recipe: ReprintRecipe) -> tuple[str, tuple[str, ...]]:
    """Apply the recipe's body transformations; return the text and what was done."""
    steps: list[str] = []
    text = body
    if rng.random() < recipe.cut_p:
        text = cut_ending(text, rng, recipe.keep)
        steps.append(f"cut_ending(keep={len(text) / max(1, len(body)):.3f})")
    if rng.random() < recipe.edit_p:
        rate = rng.uniform(*recipe.edit_rate)
        text = edit_words(text, rng, rate)
        steps.append(f"edit_words(rate={rate:.3f})")
    if rng.random() < recipe.noise_p:
        rate = rng.uniform(*recipe.noise_rate)
        text = char_noise(text, rng, rate)
        steps.append(f"char_noise(rate={rate:.4f})")
    return text, tuple(steps)


def _finalise(drafts: list[LabelledDocument]) -> list[LabelledDocument]:
    """Sort by publication time and replace draft ids ("#n") by final ones ("d0000")."""

    def draft_key(rec: LabelledDocument) -> tuple[str, int]:
        return rec.document.published or "", int(rec.document.id[1:])

    ordered = sorted(drafts, key=draft_key)
    final = {rec.document.id: f"d{i:04d}" for i, rec in enumerate(ordered)}
    out: list[LabelledDocument] = []
    for rec in ordered:
        d = rec.document
        doc = Document(final[d.id], d.text, d.source, d.published, d.title)
        cluster = final[rec.cluster]
        out.append(LabelledDocument(doc, cluster, rec.origin, rec.kind, rec.transforms, rec.tags))
    return out
