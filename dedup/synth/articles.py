"""The real articles every generator starts from, and the cleaned pool the labelled corpora use.

``data/web-articles.jsonl`` is a set of real web pages (news, blogs, docs, a few test fixtures),
mostly English, some French/Spanish/Czech/German/Portuguese and Chinese/Japanese. Some of them
repeat each other (two identical Lifehacker pages, ~30 lorem-ipsum fixtures, stock lines such as
"Photo" or "See also[edit]"). Gold labels would lie if that repetition leaked into a labelled
corpus, so :func:`clean_articles` removes it before anything is planted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from dedup.errors import InputError
from dedup.synth.transforms import CJK_RE, PARAGRAPH_SEP

DEFAULT_ARTICLES_PATH = (
    Path(__file__).resolve().parent.parent.parent / "data" / "web-articles.jsonl"
)

LanguageGroup = Literal["en", "latin", "cjk"]

_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class Article:
    """One real article. ``paragraphs`` (``text`` split on blank lines) and ``group`` are
    derived from the other fields on construction, so they are always consistent."""

    id: str
    title: str
    source: str | None
    lang: str | None
    text: str
    paragraphs: tuple[str, ...] = field(init=False, repr=False, compare=False)
    group: LanguageGroup = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "paragraphs", tuple(self.text.split(PARAGRAPH_SEP)))
        object.__setattr__(self, "group", _language_group(self.text, self.lang))


def _language_group(text: str, lang: str | None) -> LanguageGroup:
    """Coarse language group: "cjk", "en", or "latin" (other Latin-script languages).

    Decided from the text when ``lang`` is missing (about half the corpus), because the
    generators keep documents single-language and pick outlets with matching templates.
    """
    if len(CJK_RE.findall(text)) > 0.3 * len(text):
        return "cjk"
    if lang is not None:
        return "en" if lang.lower().startswith("en") else "latin"
    words = text.lower().split()
    return "en" if words.count("the") >= 0.02 * len(words) else "latin"


def _field(obj: dict[str, object], key: str, path: str, line: int, optional: bool) -> str | None:
    value = obj.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise InputError(f"field {key!r} must be a string, got {value!r}", path, line)
    return value


def load_articles(path: str | Path = DEFAULT_ARTICLES_PATH) -> list[Article]:
    """Read articles (one JSON object per line: id, title, source, lang, text) in file order.

    Raises :class:`dedup.errors.InputError` naming the file and line of a malformed record.
    """
    path = Path(path)
    articles: list[Article] = []
    with path.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"not valid JSON ({exc.msg}); fix or drop the line", str(path), line_no
                ) from exc
            if not isinstance(obj, dict):
                raise InputError("each line must be a JSON object", str(path), line_no)
            where = (str(path), line_no)
            articles.append(
                Article(
                    id=_field(obj, "id", *where, optional=False) or "",
                    title=_field(obj, "title", *where, optional=True) or "",
                    source=_field(obj, "source", *where, optional=True),
                    lang=_field(obj, "lang", *where, optional=True),
                    text=_field(obj, "text", *where, optional=False) or "",
                )
            )
    return articles


def _utf8_len(s: str) -> int:
    return len(s.encode("utf-8"))


def _shape(paragraph: str) -> str:
    """Key under which two paragraphs count as "the same line": lowercase, digits masked, first
    48 characters. Catches templated site lines that differ in page numbers and headlines
    ("A version of this article appears in print on Page A22 ...")."""
    return _DIGITS.sub("0", paragraph.lower())[:48]


def clean_articles(articles: Iterable[Article], min_chars: int = 600) -> list[Article]:
    """Distinct, article-like articles with no paragraph shared between any two of them.

    Walking the articles in id order, this drops lorem-ipsum fixtures, texts shorter than
    ``min_chars``, texts whose paragraphs average under 40 UTF-8 bytes (formula and table
    dumps), and any article that is mostly (>= half its characters) paragraphs already seen in a
    kept one; from the rest it removes paragraphs whose :func:`_shape` a kept article (or the
    same one) already has. Afterwards any repetition in a generated corpus is repetition we
    planted and labelled.
    """
    seen: set[str] = set()
    kept: list[Article] = []
    for art in sorted(articles, key=lambda a: a.id):
        paras = art.paragraphs
        if "lorem ipsum" in art.text.lower() or len(art.text) < min_chars:
            continue
        if _utf8_len(art.text) < 40 * len(paras):
            continue
        shapes = [_shape(p) for p in paras]
        own: list[str] = []
        own_shapes: set[str] = set()
        for p, shape in zip(paras, shapes, strict=True):
            if shape not in seen and shape not in own_shapes:
                own.append(p)
                own_shapes.add(shape)
        text = PARAGRAPH_SEP.join(own)
        if len(text) < max(min_chars, len(art.text) // 2):
            continue
        seen.update(shapes)
        kept.append(Article(art.id, art.title, art.source, art.lang, text))
    return kept


def cap_paragraphs(paragraphs: Sequence[str], max_chars: int) -> list[str]:
    """The longest paragraph prefix that fits in ``max_chars`` (at least the first paragraph).

    Keeps generated documents news-sized: a few source pages are 30-120k characters long.
    """
    out: list[str] = []
    total = 0
    for p in paragraphs:
        total += len(p) + (len(PARAGRAPH_SEP) if out else 0)
        if out and total > max_chars:
            break
        out.append(p)
    return out


def site_key(article: Article) -> str:
    """Which site an article came from: its ``source``, else its id without a trailing "-<n>"
    (nytimes-3 -> nytimes), qualified by language group so that English and Japanese Yahoo
    pages do not count as one site."""
    if article.source is not None:
        site = article.source
    else:
        head, sep, tail = article.id.rpartition("-")
        site = head if sep and tail.isdigit() else article.id
    return f"{site}/{article.group}"
