"""Boilerplate: paragraphs that recur across a publisher's articles, learned and stripped.

The issue it solves: scraped articles end with "Check out our Latest News and Follow us at
Facebook", "Original Source"; real feeds add bylines, share prompts, copyright lines and
newsletter plugs, often with small variations (dates, counts, URLs, names). They must go before
downstream processing, must not make unrelated articles look alike, and must not hide two copies
of one story that carry different footers.

Stages: :class:`EntryBuilder` (documents -> paragraph keys), :class:`BoilerplateModel`
(observe -> store; judge paragraphs; export :class:`Pattern` records), a
:class:`BoilerplateStore` (in memory: :class:`MemoryStore`), :class:`Stripper` (text ->
:class:`Stripped`, and the boilerplate-aware text to fingerprint), and the optional
:class:`PageChrome` rule. The decision rule and its defaults are documented on :class:`Rules`.

>>> docs = [Document(f"d{i}", f"Story number {i} is about {w}.\\n\\nFollow us on Facebook", "s")
...         for i, w in enumerate(["rain", "taxes", "chess"])]
>>> [s.text for s in strip_documents(docs)]  # doctest: +NORMALIZE_WHITESPACE
['Story number 0 is about rain.', 'Story number 1 is about taxes.',
 'Story number 2 is about chess.']
"""

from dedup.boilerplate.chrome import DEFAULT_CHROME_LINES, PageChrome
from dedup.boilerplate.model import BoilerplateModel
from dedup.boilerplate.patterns import Carriers, Pattern
from dedup.boilerplate.prepare import EntryBuilder
from dedup.boilerplate.rules import Rules
from dedup.boilerplate.store import BoilerplateStore, DocumentEntry, MemoryStore, Occurrence
from dedup.boilerplate.strip import (
    Stripped,
    Stripper,
    content_or_full,
    content_texts,
    cut,
    strip_documents,
)
from dedup.types import Document

__all__ = [
    "DEFAULT_CHROME_LINES",
    "BoilerplateModel",
    "BoilerplateStore",
    "Carriers",
    "Document",
    "DocumentEntry",
    "EntryBuilder",
    "MemoryStore",
    "Occurrence",
    "PageChrome",
    "Pattern",
    "Rules",
    "Stripped",
    "Stripper",
    "content_or_full",
    "content_texts",
    "cut",
    "strip_documents",
]
