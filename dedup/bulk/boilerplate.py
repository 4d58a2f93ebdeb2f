"""Boilerplate in the bulk job: learn it from the corpus, then keep it out of similarity.

With ``--strip-boilerplate`` the job reads its input once more, first: every document is
observed by a :class:`~dedup.boilerplate.BoilerplateModel` (per source when sources are known).
Then, batch by batch, each document is fingerprinted by its boilerplate-aware text (without
its boilerplate paragraphs, or whole if nothing else is left), so footers shared by unrelated
articles make no pairs and copies carrying different footers still match. ``deduped.jsonl``
gets the stripped texts with the removed spans, and ``boilerplate.jsonl`` the learned patterns.

Learning costs about a millisecond per document (paragraph segmentation, masking and
near-duplicate lookups in Python) and keeps the head, tail and short paragraphs' keys in memory,
which is why it is opt-in.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from dedup.boilerplate import BoilerplateModel, PageChrome, Stripped, Stripper, content_or_full
from dedup.config import Config
from dedup.types import Document


class BoilerplateStage:
    """Learns a corpus's boilerplate and rewrites batches to their boilerplate-aware text."""

    def __init__(
        self, config: Config, chrome: bool = False, model: BoilerplateModel | None = None
    ) -> None:
        self.model = model if model is not None else BoilerplateModel(config)
        self.stripper = Stripper(self.model, PageChrome() if chrome else None)
        self.removed = 0  # boilerplate paragraphs found in the documents rewritten so far
        self._lock = threading.Lock()  # batches are rewritten on worker threads
        self._spans: dict[str, list[tuple[int, int]]] = {}  # until taken by take_spans()
        self.keep_spans = False

    def learn(self, documents: Iterable[Document]) -> int:
        """Observe every document; returns how many."""
        return len(self.model.observe_many(documents))

    def content(self, batch: list[Document]) -> list[Document]:
        """The batch with each text replaced by its boilerplate-aware text."""
        stripped = self.stripper.strip_many(batch)
        with self._lock:
            self.removed += sum(len(s.removed) for s in stripped)
            if self.keep_spans:
                for doc, s in zip(batch, stripped, strict=True):
                    self._spans[doc.id] = sorted(s.removed + s.chrome)
        return [
            replace(doc, text=content_or_full(doc.text, s))
            for doc, s in zip(batch, stripped, strict=True)
        ]

    def take_spans(self, docs: list[Document]) -> list[list[tuple[int, int]]]:
        """The boilerplate spans found for these documents while rewriting them (then forgotten).

        Kept only with ``keep_spans`` (the bulk job's ``--db``), for at most the batches in flight.
        """
        with self._lock:
            return [self._spans.pop(doc.id, []) for doc in docs]

    def strip(self, document: Document) -> Stripped:
        """One document without its boilerplate (for ``deduped.jsonl``)."""
        return self.stripper.strip(document.text, document.source)

    def spans(self, document: Document) -> list[tuple[int, int]]:
        """The spans of ``document`` that are boilerplate (or page chrome)."""
        stripped = self.strip(document)
        return sorted(stripped.removed + stripped.chrome)

    def patterns(self) -> list[dict[str, Any]]:
        """``boilerplate.jsonl`` records: ``{"text", "documents", "sources"}``."""
        return [dict(p.to_record()) for p in self.model.patterns()]
