"""Boilerplate in the bulk job: learn it from the corpus, then keep it out of similarity.

With ``--strip-boilerplate`` the job reads its input once more, first: every document is
observed by a :class:`~dedup.boilerplate.BoilerplateModel` (per source when sources are known).
Then, batch by batch, each document is fingerprinted by its boilerplate-aware text (without
its boilerplate paragraphs, or whole if nothing else is left), so footers shared by unrelated
articles make no pairs and copies carrying different footers still match. ``deduped.jsonl``
gets the stripped texts with the removed spans, and ``boilerplate.jsonl`` the learned patterns.

Learning costs about half a millisecond per document (paragraph segmentation, masking and
near-duplicate lookups in Python) and keeps every document's paragraph entries in memory, which
is why it is opt-in: 20,000 generated news articles took 22.9 s and peaked at 930 MB of RSS
(``dedup bulk --strip-boilerplate``, two jobs). The rewrite takes the entries learned instead of
building them again, and the outputs take each rewrite's cut instead of judging again: the same
run took 51.4 s before (13.6 s of ingest against 6.3, and about 24 s of outputs against 5).
With more than one job, the entries are built by worker processes
(:mod:`dedup.bulk.learn_procs`): 20,000 news articles learned in 12.4-14.1 s against
17.1-18.7 s in the job's process (``python -m benchmarks.strip_bench`` and by hand).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

import numpy as np

from dedup.boilerplate import (
    BoilerplateModel,
    PageChrome,
    Stripped,
    Stripper,
    content_or_full,
    cut,
)
from dedup.boilerplate.store import DocumentEntry
from dedup.bulk import learn_procs
from dedup.config import Config
from dedup.types import Document


class BoilerplateStage:
    """Learns a corpus's boilerplate and rewrites batches to their boilerplate-aware text.

    What each document's rewrite cut is remembered (its spans with its text's hash, about 110
    bytes a document, and the learned text's hash, beside the model's 33 KB), so that
    ``deduped.jsonl``, the report's samples and ``--db`` take it instead of judging the
    document again: at 20,000 news articles that second judgement was about half of the job's
    time.
    """

    def __init__(
        self, config: Config, chrome: bool = False, model: BoilerplateModel | None = None
    ) -> None:
        self.model = model if model is not None else BoilerplateModel(config)
        self.stripper = Stripper(self.model, PageChrome() if chrome else None)
        self.removed = 0  # boilerplate paragraphs found in the documents rewritten so far
        self._lock = threading.Lock()  # batches are rewritten on worker threads
        self._learned: dict[str, int] = {}  # id -> hash of the text learned
        # id -> int64 [hash of the text, how many spans were cut by count, start, end, ...]
        self._cuts: dict[str, bytes] = {}

    def learn(self, documents: Iterable[Document], jobs: int = 1) -> int:
        """Observe every document; returns how many. With ``jobs`` above one (and where
        workers can be forked), entries are built by that many worker processes
        (:mod:`dedup.bulk.learn_procs`); the model is the same either way."""

        def noted(docs: Iterable[Document]) -> Iterator[Document]:
            for doc in docs:
                self._learned[doc.id] = hash(doc.text)
                yield doc

        if jobs > 1 and learn_procs.forkable():
            learned = learn_procs.learn(self.model, noted(documents), jobs)
        else:
            learned = len(self.model.observe_many(noted(documents)))
        # The model stays as it is now while batches are rewritten: their decisions carry over.
        self.stripper = Stripper(self.model, self.stripper.chrome, judge=self.model.steady_judge())
        return learned

    def strip_many(self, batch: list[Document]) -> list[Stripped]:
        """Each document without its boilerplate, judged from the entry learned for it (built
        again for a text that was not learned)."""
        return self.stripper.apply(batch, self._entries(batch))

    def content(self, batch: list[Document]) -> list[Document]:
        """The batch with each text replaced by its boilerplate-aware text."""
        stripped = self.strip_many(batch)
        cuts = {
            doc.id: np.array(
                [
                    hash(doc.text),
                    len(s.removed),
                    *(x for span in s.removed + s.chrome for x in span),
                ],
                dtype=np.int64,
            ).tobytes()
            for doc, s in zip(batch, stripped, strict=True)
        }
        with self._lock:
            self.removed += sum(len(s.removed) for s in stripped)
            self._cuts.update(cuts)
        return [
            replace(doc, text=content_or_full(doc.text, s))
            for doc, s in zip(batch, stripped, strict=True)
        ]

    def _entries(self, batch: list[Document]) -> list[DocumentEntry]:
        """The entries learned from these documents (built again for any not learned with
        this text: a repeated id keeps its last text's entry)."""
        store, learned = self.model.store, self._learned
        found = [
            store.get(doc.id) if learned.get(doc.id) == hash(doc.text) else None for doc in batch
        ]
        missing = [doc for doc, entry in zip(batch, found, strict=True) if entry is None]
        built = iter(self.model.build(missing))
        return [entry if entry is not None else next(built) for entry in found]

    def strip(self, document: Document) -> Stripped:
        """One document without its boilerplate (for ``deduped.jsonl``): as its rewrite cut
        it, if it was rewritten with this text."""
        with self._lock:
            packed = self._cuts.get(document.id)
        cut_before = None if packed is None else np.frombuffer(packed, np.int64).tolist()
        if cut_before is None or cut_before[0] != hash(document.text):
            return self.stripper.strip(document.text, document.source)
        spans = list(zip(cut_before[2::2], cut_before[3::2], strict=True))
        removed, chrome = spans[: cut_before[1]], spans[cut_before[1] :]
        return Stripped(cut(document.text, removed + chrome), removed, chrome)

    def paragraph_keys(self, doc_id: str) -> tuple[frozenset[int], frozenset[int]]:
        """The exact keys of the eligible paragraphs of ``doc_id`` that its rewrite cut, and of
        those it kept (both empty for a document not rewritten): what tells, without its
        text, whether it was treated apart from another (:mod:`dedup.bulk.like_for_like`)."""
        entry = self.model.store.get(doc_id)
        with self._lock:
            packed = self._cuts.get(doc_id)
        if entry is None or packed is None:
            return frozenset(), frozenset()
        values = np.frombuffer(packed, np.int64).tolist()
        spans = set(zip(values[2::2], values[3::2], strict=True))
        cut_keys = frozenset(o.exact for o in entry.occurrences if (o.start, o.end) in spans)
        kept = frozenset(o.exact for o in entry.occurrences) - cut_keys
        return cut_keys, kept

    def spans(self, document: Document) -> list[tuple[int, int]]:
        """The spans of ``document`` that are boilerplate (or page chrome)."""
        stripped = self.strip(document)
        return sorted(stripped.removed + stripped.chrome)

    def patterns(self) -> list[dict[str, Any]]:
        """``boilerplate.jsonl`` records: ``{"text", "documents", "sources"}``."""
        return [dict(p.to_record()) for p in self.model.patterns()]
