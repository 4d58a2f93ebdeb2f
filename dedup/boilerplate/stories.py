"""Story counts of the boilerplate judgement: how many distinct stories a paragraph's carriers
hold, told apart by what each carries beside the paragraph being judged.

Two carriers are copies of one story when their whole texts have an estimated Jaccard
similarity of ``Rules.story_threshold`` or more, as before, *and* so does the estimated
containment of the smaller of their *own parts* (the text without the judged paragraph) in the
other's. Compared whole only, six words of news under a 27-word footer made every carrier a
copy of every other (Jaccard 0.58 to 0.75 between eight such posts, through the footer alone):
the footer never reached enough stories and was never stripped, and each post of such an
outlet stayed a near-duplicate of the others. Their own parts share nothing: containment 0.

Why containment of the own parts, and beside the whole-text test rather than instead of it:
leaving the paragraph out lowers the similarity of true copies too, the more the larger a
share of them it is. Jaccard of the own parts alone split copies of one wire story cut to
different lengths whose judged paragraph was a long quote (0.58 whole, 0.39 without it):
on ``dedup_corpus`` with sources hidden (seeds 0-9), 7 of 1,350 documents lost a paragraph
the whole-text rule kept, 6 of them to two quotes each carried by three copies of one story.
Containment keeps a cut copy a copy, and the whole-text test keeps every pair the old rule
held distinct distinct, so the rule only ever splits a pair the old rule joined, and only
when their own parts barely overlap. (Jaccard of the own parts did more for outlets whose
pages are mostly chrome of several paragraphs: see README, "Boilerplate".)

What is stored is enough, unchanged: each document's MinHash signature of its whole masked
text, and the masked shingles of each signed paragraph form, hashed as the document's are.
The form's signature under the documents' permutations says which values of a carrier's
signature its shingles decide (equal values; the form is part of the carrier). Of two
carriers, a position counts where the smaller value is not decided by the form: there it is
the minimum of the union of their own parts, so the share of counted positions with equal
values estimates their intersection, and those where one's value is the smaller its size,
each over the union (:func:`~dedup._minhash_kernels.found_stories`). A short own part under a
long footer keeps fewer positions (about ``64 * own / whole`` of a carrier's), which is
enough: parts that share nothing have no equal value at any. Keeping per-paragraph minima
and runners-up per document instead would give all 64 positions exactly, at a new stored
array a document and shingles that do not cross paragraph boundaries.

A carrier with no value of its own (its text is the form and nothing else, or too little
beside it to show in 64 values) holds no story: it is neither counted nor a founder. A page
that is only a quote or only the footer is not an unrelated article sharing it, and counting
it as one would make a quote posted alone on two pages plus one article "three stories".

Paragraphs without shingles (under ``Rules.min_tokens`` tokens) and the name-template and
label keys, whose carriers each hold a paragraph of their own, leave nothing out: their
carriers are compared whole, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from dedup._minhash_kernels import found_stories
from dedup.boilerplate.rules import Rules
from dedup.boilerplate.store import BatchLookups, BoilerplateStore

#: A masked paragraph form a story count leaves out: its masked key and its shingles.
Form = tuple[int, np.ndarray]
#: Signs shingle sets under the permutations of the documents' signatures.
Sign = Callable[[Sequence[np.ndarray]], np.ndarray]
#: Carriers whose signatures a story count fetches and compares at a time.
_CHUNK = 16
#: No form left out: no rows.
_NOTHING = np.empty((0, 0), dtype=np.uint32)


class StoryCount:
    """Counts stories among carriers, with the signatures it read kept (the store does not
    change meanwhile: one :class:`~dedup.boilerplate.model.Judgement`)."""

    def __init__(self, store: BoilerplateStore, rules: Rules, sign: Sign) -> None:
        self.store = store
        self.rules = rules
        self._sign = sign
        self._batch = store if isinstance(store, BatchLookups) else None
        self._signatures: dict[str, np.ndarray | None] = {}
        self._left: dict[int, np.ndarray] = {}  # masked key -> its form's signature, one row

    def forget(self) -> None:
        """Drop the signatures kept."""
        self._signatures.clear()
        self._left.clear()

    def founded(self, doc_ids: list[str], forms: Sequence[Form]) -> int | None:
        """How many of ``doc_ids`` (sorted) were read to find ``min_documents`` stories that
        are not copies once ``forms`` are left out, or None if they hold fewer.

        Greedy in id order: a document founds a story unless it and an earlier founder are
        copies (:func:`~dedup._minhash_kernels.found_stories`). Deterministic for a set of
        documents.
        """
        need = self.rules.min_documents
        if len(doc_ids) < need:
            return None
        left = self._left_out(forms)
        founders: np.ndarray | None = None
        count = 0
        # A few at a time (signatures fetched together): a story count usually stops early.
        for start in range(0, len(doc_ids), _CHUNK):
            chunk = doc_ids[start : start + _CHUNK]
            self._fetch(chunk)
            rows, known = [], []
            for k, doc_id in enumerate(chunk):
                signature = self._signature_of(doc_id)
                if signature is not None:
                    rows.append(k)
                    known.append(signature)
            if not rows:
                continue
            matrix = np.stack(known)
            if founders is None:
                founders = np.empty((need, matrix.shape[1]), dtype=matrix.dtype)
            count, row = found_stories(matrix, left, founders, count, self.rules.story_threshold)
            if row >= 0:
                return start + rows[row] + 1
        return None

    def _left_out(self, forms: Sequence[Form]) -> np.ndarray:
        """The signatures of ``forms``, one row each (none for none), each signed once."""
        if not forms:
            return _NOTHING
        missing = {key: shingles for key, shingles in forms if key not in self._left}
        if missing:
            signed = self._sign(list(missing.values()))
            self._left.update({key: signed[k : k + 1] for k, key in enumerate(missing)})
        if len(forms) == 1:
            return self._left[forms[0][0]]
        return np.concatenate([self._left[key] for key in dict.fromkeys(k for k, _ in forms)])

    def _fetch(self, doc_ids: list[str]) -> None:
        """Read the signatures of ``doc_ids`` not kept yet in one lookup (a store with
        :class:`BatchLookups`)."""
        if self._batch is None:
            return
        wanted = [d for d in doc_ids if d not in self._signatures]
        if wanted:
            found = self._batch.signatures(wanted)
            self._signatures.update({d: found.get(d) for d in wanted})

    def _signature_of(self, doc_id: str) -> np.ndarray | None:
        if doc_id not in self._signatures:
            entry = self.store.get(doc_id)
            self._signatures[doc_id] = None if entry is None else entry.signature
        return self._signatures[doc_id]
