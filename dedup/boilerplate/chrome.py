"""Known page-chrome lines at the very start or end of a text: a rule separate from counting.

Some scraper leftovers occur once per page dump rather than once per article ("Exit mobile
version" closes the sample dump), so frequency can never claim them, and must not: a line seen
once is not boilerplate by count. :class:`PageChrome` removes such lines by a fixed list
instead, only where chrome lives: in the run of paragraphs at the start or the end of a text
that holds nothing but boilerplate (by count) and listed lines. It is off unless a
:class:`~dedup.boilerplate.strip.Stripper` is given one, and its spans are reported apart
(``Stripped.chrome``), so that nothing removed by it is mistaken for learned boilerplate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from dedup.normalize import tokenize
from dedup.paragraphs import Segmenter

#: Navigation and widget labels that page scrapes leave at the edges of the text (normalised).
DEFAULT_CHROME_LINES = frozenset(
    {
        "exit mobile version",
        "skip to content",
        "skip to main content",
        "back to top",
        "scroll to top",
        "return to top",
        "toggle navigation",
        "jump to navigation",
    }
)


@dataclass(frozen=True, slots=True)
class PageChrome:
    """Finds listed page-chrome lines in the leading and trailing runs of a text."""

    lines: frozenset[str] = DEFAULT_CHROME_LINES
    segmenter: Segmenter = field(default_factory=Segmenter)

    def find(self, text: str, claimed: Iterable[tuple[int, int]] = ()) -> list[tuple[int, int]]:
        """Spans of listed lines at the edges of ``text``; ``claimed`` spans may lie between.

        ``claimed`` are the paragraph spans already judged boilerplate: a chrome line after the
        footer ("... Original Source", "Exit mobile version") is still at the end.
        """
        paragraphs = self.segmenter.split(text)
        taken = set(claimed)
        chrome = [tokenize(p.text).stream in self.lines for p in paragraphs]
        found: set[tuple[int, int]] = set()
        for order in (range(len(paragraphs)), range(len(paragraphs) - 1, -1, -1)):
            for i in order:
                span = (paragraphs[i].start, paragraphs[i].end)
                if chrome[i]:
                    found.add(span)
                elif span not in taken:
                    break
        return sorted(found)
