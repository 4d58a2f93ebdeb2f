"""The collection tests' shared pieces: the sample's footers, and comparing what collections
compute, for the tests of the places that compute it."""

from __future__ import annotations

import numpy as np

from dedup import Document
from dedup.collection import Prepared
from tests._index_support import text

#: The footers every article of the shipped sample carries.
FOOTERS = ("Check out our Latest News and Follow us at Facebook", "Original Source")


def same_preparation(a: Prepared, b: Prepared) -> bool:
    """Prepared values hold arrays: equal field by field."""
    same = a.doc == b.doc and a.config_id == b.config_id and a.compressed == b.compressed
    same = same and np.array_equal(a.entry.signature, b.entry.signature)
    same = same and len(a.entry.occurrences) == len(b.entry.occurrences)
    for x, y in zip(a.entry.occurrences, b.entry.occurrences, strict=False):
        for name in ("start", "end", "text", "exact", "masked", "template", "label"):
            same = same and getattr(x, name) == getattr(y, name)
        for name in ("shingles", "bands"):
            ax, ay = getattr(x, name), getattr(y, name)
            same = same and (ax is None) == (ay is None)
            same = same and (ax is None or np.array_equal(ax, ay))
    return same


OUTLET_FOOTER = (
    "Check out our Latest News and Follow us at Facebook, Twitter and Instagram. Subscribe "
    "to our newsletter for the daily briefing delivered to your inbox every morning."
)


def short_story(n: int) -> str:
    """A short article body of its own: two paragraphs of 25 words no other story shares."""
    return f"{text(2 * n, 25)}.\n\n{text(2 * n + 1, 25)}."


def outlet_post(n: int, source: str = "new-outlet") -> Document:
    """Article ``n`` of an outlet: its own short story, then the outlet's footer."""
    return Document(f"{source}-{n}", short_story(n) + "\n\n" + OUTLET_FOOTER, source=source)
