"""Stored documents' whole-text signatures for one judgement, and the story counts over them.

A paragraph is boilerplate when its carriers hold enough *stories*: documents that are not
copies of one another, told apart by their whole-text MinHash signatures
(:class:`~dedup.boilerplate.judgement.Judgement`). :class:`Signatures` reads each carrier's
signature once per judgement (a few at a time where the store can) and counts stories over
them greedily in id order (:meth:`Signatures.founded`), or names each carrier's founder
(:meth:`Signatures.copies`, for chained stories). Split from the judgement, which decides.
"""

from __future__ import annotations

from typing import cast

import numpy as np

from dedup._minhash_kernels import found_stories
from dedup.boilerplate.rules import Rules
from dedup.boilerplate.store import BatchLookups, BoilerplateStore

#: Carriers whose signatures a story count fetches and compares at a time.
CHUNK = 16


class Signatures:
    """Signatures of stored documents, kept for one judgement, and story counts over them."""

    def __init__(self, store: BoilerplateStore, rules: Rules) -> None:
        self._store = store
        self._rules = rules
        self.batch = batch_lookups(store)
        self._known: dict[str, np.ndarray | None] = {}
        self._copied: dict[tuple[str, ...], dict[str, str]] = {}

    def clear(self) -> None:
        """Forget the signatures and copies read (the store may have changed)."""
        self._known.clear()
        self._copied.clear()

    def of(self, doc_id: str) -> np.ndarray | None:
        """``doc_id``'s whole-text signature (None if it is not stored)."""
        if doc_id not in self._known:
            entry = self._store.get(doc_id)
            self._known[doc_id] = None if entry is None else entry.signature
        return self._known[doc_id]

    def founded(self, doc_ids: list[str]) -> int | None:
        """How many of ``doc_ids`` (sorted) were read to find ``min_documents`` stories that
        are not copies, or None if they hold fewer.

        Greedy in id order: a document founds a story unless its estimated Jaccard similarity
        to an earlier founder reaches ``story_threshold``. Deterministic for a set of documents.
        """
        need = self._rules.min_documents
        if len(doc_ids) < need:
            return None
        founders: np.ndarray | None = None
        count = 0
        # A few at a time (signatures fetched together): a story count usually stops early.
        for start in range(0, len(doc_ids), CHUNK):
            chunk = doc_ids[start : start + CHUNK]
            if self.batch is not None:
                wanted = [d for d in chunk if d not in self._known]
                if wanted:
                    found = self.batch.signatures(wanted)
                    self._known.update({d: found.get(d) for d in wanted})
            rows, known = [], []
            for k, doc_id in enumerate(chunk):
                signature = self.of(doc_id)
                if signature is not None:
                    rows.append(k)
                    known.append(signature)
            if not rows:
                continue
            matrix = np.stack(known)
            if founders is None:
                founders = np.empty((need, matrix.shape[1]), dtype=matrix.dtype)
            count, row = found_stories(matrix, founders, count, self._rules.story_threshold)
            if row >= 0:
                return start + rows[row] + 1
        return None

    def copies(self, doc_ids: list[str]) -> dict[str, str]:
        """Each of ``doc_ids`` (sorted) with the founder it is a copy of, or itself (cached:
        an outlet's header and footer lines have the same carriers)."""
        cache_key = tuple(doc_ids)
        copies = self._copied.get(cache_key)
        if copies is None:
            copies = {d: d for d in doc_ids}
            founders: list[tuple[str, np.ndarray]] = []
            for d in doc_ids:
                sig = self.of(d)
                if sig is None:
                    continue
                like = next(
                    (f for f, fs in founders if np.mean(sig == fs) >= self._rules.story_threshold),
                    None,
                )
                if like is None:
                    founders.append((d, sig))
                else:
                    copies[d] = like
            self._copied[cache_key] = copies
        return copies


def batch_lookups(store: BoilerplateStore) -> BatchLookups | None:
    """``store`` if it has :class:`BatchLookups`. Asked of its class first: ``isinstance`` with a
    protocol lists the protocol's members each time (13 us, in every post's judgement)."""
    if issubclass(type(store), BatchLookups):
        return cast(BatchLookups, store)
    return store if isinstance(store, BatchLookups) else None
