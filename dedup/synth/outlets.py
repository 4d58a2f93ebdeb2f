"""A fixed pool of fictional outlets with their page chrome, and the template filler for it.

Templates use ``{placeholder}`` fields. What varies, and so which kind of detector can catch a
templated line repeated across an outlet's pages:

* no placeholder ("Share this article"): identical everywhere, exact paragraph hashing catches it;
* ``{date}``, ``{date_us}``, ``{date_fr}``, ``{date_zh}``, ``{time}``, ``{year}``, ``{num}``,
  ``{count}``, ``{minutes}``, ``{url_id}`` (inside a URL), ``{handle}``: differ only in
  digits, numeric dates, URLs and @handles, so a hash with those masked catches them and an
  exact hash does not;
* ``{long_date}`` ("4 March 2021"): needs a date-aware mask (month names);
* ``{author}``, ``{author_zh}``, ``{role}``, ``{headline}``: differ in words, only a fuzzy
  (similarity-based) boilerplate detector can catch them.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType

from dedup.synth.articles import LanguageGroup

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

# (name, X handle) pairs; handles are ASCII like real ones.
AUTHORS = (
    ("Jane Whitfield", "@jwhitfield"), ("Omar Haddad", "@ohaddad"),
    ("Lucía Fernández", "@luciafdz"), ("Tom Becker", "@tombecker"), ("Priya Raman", "@praman"),
    ("Daniel Okafor", "@dokafor"), ("Mei Lin", "@meilin_news"), ("Sarah O'Connell", "@soconnell"),
    ("Jonas Lindqvist", "@jlindqvist"), ("Aisha Bello", "@aishabello"),
    ("Marc Dubois", "@marcdubois"), ("Hannah Schulz", "@hschulz"),
    ("Kenji Watanabe", "@kwatanabe"), ("Olivia Grant", "@oliviagrant"),
    ("Rafael Souza", "@rafasouza"),
)  # fmt: skip
AUTHORS_ZH = ("王磊", "李娜", "张伟", "刘洋", "陈静", "赵敏", "孙浩", "周婷")
ROLES = (
    "Political correspondent", "Science editor", "Business reporter", "Staff writer",
    "Technology editor", "Chief reporter",
)  # fmt: skip

# 2015-01-01 .. 2024-12-31, the span random template dates are drawn from.
_EPOCH_LO = 1420070400
_EPOCH_HI = 1735603200


@dataclass(frozen=True, slots=True)
class Outlet:
    """A fictional publisher: name, language group, and its page-chrome templates.

    ``headers``/``footers``/``inlines`` are alternative blocks (paragraphs separated by a blank
    line); one page shows one of each. Names are invented so they never collide with the
    ``source`` of a real article.
    """

    key: str
    name: str
    group: LanguageGroup
    headers: tuple[str, ...]
    footers: tuple[str, ...]
    inlines: tuple[str, ...]


OUTLETS: tuple[Outlet, ...] = (
    Outlet(
        "ledger", "The Daily Ledger", "en",
        headers=(
            "By {author} | Published {date} {time} UTC",
            "By {author}\n\nUpdated {long_date}",
        ),
        footers=(
            "Share this article\n\nSubscribe to our newsletter for the day's top stories, "
            "delivered every morning.\n\nPermalink: https://www.dailyledger.com/news/{year}/{url_id}"
            "\n\n© {year} The Daily Ledger. All rights reserved.",
            "Share this article\n\nhttps://www.dailyledger.com/news/{year}/{url_id}\n\n"
            "© {year} The Daily Ledger. All rights reserved.",
        ),
        inlines=("Read more: {headline}", "Advertisement"),
    ),
    Outlet(
        "huadong", "华东晨报", "cjk",
        headers=("{date_zh} {time}　来源：华东晨报　作者：{author_zh}",),  # noqa: RUF001 (Chinese punctuation)
        footers=(
            "责任编辑：{author_zh}\n\n分享到：微信 微博 QQ空间\n\n"  # noqa: RUF001 (Chinese punctuation)
            "本文链接：https://www.huadongchenbao.cn/a/{url_id}.html\n\n"  # noqa: RUF001 (Chinese punctuation)
            "版权所有 © {year} 华东晨报 未经书面授权禁止转载",
        ),
        inlines=("相关阅读：{headline}",),  # noqa: RUF001 (Chinese punctuation)
    ),
    Outlet(
        "courier", "Northern Courier", "en",
        headers=("{author}, {role}\n\nLast modified on {date} {time} GMT",),
        footers=(
            "Follow us on X @NorthCourier and on Facebook\n\n{count} comments\n\n"
            "Copyright © Northern Courier Ltd {year}",
            "Sign up to the Morning Briefing newsletter\n\n{count} comments\n\n"
            "Copyright © Northern Courier Ltd {year}",
        ),
        inlines=("Related: {headline}",),
    ),
    Outlet(
        "courrier", "Le Courrier du Matin", "latin",
        headers=("Par {author} — Publié le {date_fr} à {time}",),
        footers=(
            "Partager cet article\n\nAbonnez-vous à notre newsletter\n\n"
            "Article n° {num}{num} · https://www.lecourrierdumatin.fr/articles/{url_id}\n\n"
            "© Le Courrier du Matin {year}. Tous droits réservés.",
        ),
        inlines=("Lire aussi : {headline}", "Publicité"),
    ),
    Outlet(
        "metro", "Metro Wire", "en",
        headers=("METRO WIRE — {date_us} {time} ET",),
        footers=(
            "Copyright {year} Metro Wire. This material may not be published, broadcast, "
            "rewritten or redistributed.\n\nStory ID {num}{num}{num} · https://metrowire.com/s/{url_id}",
        ),
        inlines=("Advertisement",),
    ),
    Outlet(
        "tribune", "Pacific Tribune", "en",
        headers=("{author} ({handle}) · {date} · {minutes} min read",),
        footers=(
            "Share on Facebook · Share on X · Email\n\n"
            "This article appeared in print on page A{num} of the {date_us} edition.\n\n"
            "© {year} Pacific Tribune",
        ),
        inlines=("Read more: {headline}",),
    ),
    Outlet(
        "gazette", "Valley Gazette", "en",
        headers=("Posted {date_us} at {time} · {count} views",),
        footers=(
            "Have a news tip? Email newsroom@valleygazette.com\n\n"
            "Follow us on X and Facebook @ValleyGazette\n\n© {year} Valley Gazette Media Group",
        ),
        inlines=("ADVERTISEMENT", "Read more: {headline}"),
    ),
    Outlet(
        "dispatch", "The Morning Dispatch", "en",
        headers=("Updated: {long_date}, {time}",),
        footers=(
            "Read more: {headline}\n\nSubscribe to our newsletter\n\n"
            "Dispatch Media © {year} · Terms · Privacy · https://morningdispatch.com/p/{url_id}",
        ),
        inlines=("Story continues below advertisement",),
    ),
)  # fmt: skip


def date_values(epoch_seconds: int) -> dict[str, str]:
    """Every date/time placeholder value for one instant, mutually consistent, in UTC.

    Month names come from a fixed table, not ``strftime``, which depends on the locale.
    """
    d = datetime.fromtimestamp(epoch_seconds, tz=UTC)
    return {
        "date": f"{d.year:04d}-{d.month:02d}-{d.day:02d}",
        "date_us": f"{d.month:02d}/{d.day:02d}/{d.year:04d}",
        "date_fr": f"{d.day:02d}/{d.month:02d}/{d.year:04d}",
        "date_zh": f"{d.year:04d}年{d.month:02d}月{d.day:02d}日",
        "long_date": f"{d.day} {_MONTHS[d.month - 1]} {d.year}",
        "time": f"{d.hour:02d}:{d.minute:02d}",
        "year": f"{d.year:04d}",
    }


def iso_utc(epoch_seconds: int) -> str:
    """The ``Document.published`` form of an instant: ``YYYY-MM-DDTHH:MM:SSZ``."""
    d = datetime.fromtimestamp(epoch_seconds, tz=UTC)
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:{d.second:02d}Z"


def _author(rng: random.Random) -> dict[str, str]:
    name, handle = AUTHORS[rng.randrange(len(AUTHORS))]
    return {"author": name, "handle": handle}


def _url_id(rng: random.Random) -> dict[str, str]:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return {"url_id": "".join(alphabet[rng.randrange(36)] for _ in range(8))}


_GENERATORS: Mapping[str, Callable[[random.Random], dict[str, str]]] = MappingProxyType(
    {
        **{
            name: (lambda rng: date_values(rng.randrange(_EPOCH_LO, _EPOCH_HI)))
            for name in ("date", "date_us", "date_fr", "date_zh", "long_date", "time", "year")
        },
        "author": _author,
        "handle": _author,
        "author_zh": lambda rng: {"author_zh": AUTHORS_ZH[rng.randrange(len(AUTHORS_ZH))]},
        "role": lambda rng: {"role": ROLES[rng.randrange(len(ROLES))]},
        "url_id": _url_id,
        "num": lambda rng: {"num": str(rng.randint(1, 99))},
        "minutes": lambda rng: {"minutes": str(rng.randint(2, 14))},
        "count": lambda rng: {"count": f"{rng.randint(3, 4800):,}"},
    }
)
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def render_template(
    template: str, rng: random.Random, values: Mapping[str, str] | None = None
) -> str:
    """Fill ``{placeholder}`` fields: from ``values`` first, else drawn with ``rng``.

    Within one call a placeholder keeps one value except ``{num}``, which is drawn anew at each
    occurrence (so "{num}{num}" is a multi-digit id); date fields come from one instant and
    ``{author}``/``{handle}`` from one person. Unknown ``{names}`` and other braces stay as
    they are. ``{headline}`` has no random default: pass it in ``values``.
    """
    if "{" not in template:
        return template
    chosen: dict[str, str] = dict(values or {})

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "num" and "num" not in (values or {}):
            return _GENERATORS["num"](rng)["num"]
        if name not in chosen:
            generate = _GENERATORS.get(name)
            if generate is None:
                return match.group(0)
            chosen.update({k: v for k, v in generate(rng).items() if k not in chosen})
        return chosen.get(name, match.group(0))

    return _PLACEHOLDER.sub(fill, template)
