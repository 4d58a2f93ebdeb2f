"""A persistent collection of articles, checked and added one at a time (the online path).

>>> from dedup import Document
>>> from dedup.collection import Collection
>>> story = "Leaders met at the summit on Monday to talk about trade, security and energy prices."
>>> with Collection.open(":memory:") as articles:
...     first = articles.post(Document("a", story))
...     again = articles.post(Document("b", story.upper()))
...     first.status, again.status, again.duplicate_of
('new', 'duplicate', 'a')
"""

from dedup.collection.backup import Backup, backup
from dedup.collection.core import Collection
from dedup.collection.passages import MAX_REUSE_CANDIDATES
from dedup.collection.reports import (
    DocumentView,
    MatchReport,
    Pending,
    PostReport,
    Prepared,
    Status,
    Stored,
    Verdict,
    Window,
)
from dedup.errors import ReadOnlyError

__all__ = [
    "MAX_REUSE_CANDIDATES",
    "Backup",
    "Collection",
    "DocumentView",
    "MatchReport",
    "Pending",
    "PostReport",
    "Prepared",
    "ReadOnlyError",
    "Status",
    "Stored",
    "Verdict",
    "Window",
    "backup",
]
