"""A document's text as markup, shared passages highlighted and boilerplate shaded.

Offsets are character offsets into the original text, exactly as in ``pairs.jsonl``: each
passage becomes one ``<mark data-start=".." data-end="..">`` whose text content is
``text[start:end]`` (cut at the shown length), so what a reader sees highlighted is checkably
what the pair record says. Boilerplate spans (``removed`` in the run's outputs) are shaded with
``<span class="bp">``, inside marks too. Everything is escaped by :mod:`dedup.report.markup`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dedup.report.markup import AttrValue, Child, Markup, el, join

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Highlight:
    """One passage to mark: its span in this text, and the same passage in the other text."""

    start: int
    end: int
    other_start: int
    other_end: int
    score: float


def render_text(
    text: str,
    highlights: Sequence[Highlight],
    boilerplate: Sequence[Span] = (),
    *,
    length: int | None = None,
) -> Markup:
    """``text`` with ``highlights`` as ``<mark>`` and ``boilerplate`` shaded.

    ``text`` may be a prefix of the document (``length`` is then the full length, and a note
    says how much is not shown); spans are cut to what is shown. Overlapping highlights keep
    the earlier one (passages of one pair never overlap; this only guards bad input).
    """
    shown = len(text)
    parts: list[Child] = []
    position = 0
    for mark in sorted(highlights, key=lambda h: (h.start, h.end)):
        start, end = max(mark.start, position), min(mark.end, shown)
        if start >= end or mark.start < position:
            continue
        parts.append(_shaded(text, position, start, boilerplate))
        title = f"shared passage [{mark.start}:{mark.end}], score {mark.score:.2f}"
        attrs: dict[str, AttrValue] = {
            "data-start": mark.start,
            "data-end": mark.end,
            "data-other-start": mark.other_start,
            "data-other-end": mark.other_end,
            "title": title,
        }
        parts.append(el("mark", attrs, _shaded(text, start, end, boilerplate)))
        position = end
    parts.append(_shaded(text, position, shown, boilerplate))
    total = shown if length is None else length
    if total > shown:
        note = f"… {total - shown:,} more characters not shown"
        parts.append(el("span", {"class": "cut"}, note))
    return join(parts)


def _shaded(text: str, start: int, end: int, spans: Sequence[Span]) -> Markup:
    """``text[start:end]`` with the parts inside ``spans`` wrapped in ``<span class="bp">``."""
    parts: list[Child] = []
    position = start
    for s, e in sorted(spans):
        s, e = max(s, position), min(e, end)
        if s >= e:
            continue
        parts.append(text[position:s])
        parts.append(el("span", {"class": "bp", "title": "boilerplate"}, text[s:e]))
        position = e
    parts.append(text[position:end])
    return join(parts)
