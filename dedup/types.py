"""Plain data types shared by every stage, and the protocols between them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Document:
    """One article as it enters dedup.

    ``text`` is kept exactly as given: every span dedup reports is a character offset into it.
    ``published`` is an ISO 8601 string normalised by :func:`dedup.io.parse_published`
    (``YYYY-MM-DDTHH:MM:SSZ``, UTC), so string order is time order.
    """

    id: str
    text: str
    source: str | None = None
    published: str | None = None
    title: str | None = None
