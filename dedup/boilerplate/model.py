"""The boilerplate model: learns which paragraphs recur, and judges paragraphs against that.

Learning is storing (:meth:`BoilerplateModel.observe`): every decision is computed from the
store when asked, from sets of documents, so it depends only on which documents were observed,
never on their order or on how they were batched (observing one by one equals a rebuild).

A paragraph's *carriers* are the stored documents with an eligible paragraph matching it: the
same exact key, the same masked key, the same name template (short paragraphs at the head or
tail only), the same label ("Read more: ...", once per document), or a verified near-duplicate
masked text. It is boilerplate when its carriers within its source group hold at least
``Rules.min_documents`` distinct stories (see :class:`~dedup.boilerplate.rules.Rules`). A
paragraph carried by fewer documents, in particular one that no other document matches, is
never boilerplate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import islice

import numpy as np

from dedup._minhash_kernels import found_stories
from dedup.boilerplate.patterns import Carriers, Groups, Pattern, carriers_of
from dedup.boilerplate.prepare import EntryBuilder
from dedup.boilerplate.rules import Rules
from dedup.boilerplate.store import (
    BatchLookups,
    BoilerplateStore,
    CarriersInOrder,
    DocumentEntry,
    KeyKind,
    MemoryStore,
    Occurrence,
    SortedCarriers,
    keys_of,
)
from dedup.config import Config
from dedup.paragraphs import Segmenter
from dedup.types import Document
from dedup.verify import jaccard

_Key = tuple[str | None, int, int, int | None, int | None]
#: Carriers of a key a story count reads first (it usually stops after three documents).
_FIRST = 32
#: Carriers whose signatures a story count fetches and compares at a time.
_CHUNK = 16
#: Decisions a :meth:`BoilerplateModel.steady_judge` keeps at most (a few hundred bytes each).
STEADY_DECISIONS = 1 << 18
#: Stored documents :meth:`BoilerplateModel.patterns` judges at a time.
_PATTERN_BATCH = 256

#: Judges entries: the boilerplate occurrences of each, in order.
Judge = Callable[[Sequence[DocumentEntry]], list[list[Occurrence]]]


class BoilerplateModel:
    """Counts recurring paragraphs per source and judges paragraphs as boilerplate or content.

    ``store`` keeps what was observed (default: a fresh :class:`MemoryStore`); the model itself
    holds no corpus state, so two models over one store agree.
    """

    def __init__(
        self,
        config: Config | None = None,
        rules: Rules | None = None,
        store: BoilerplateStore | None = None,
        segmenter: Segmenter | None = None,
    ) -> None:
        self.rules = rules or Rules()
        self.builder = EntryBuilder(config, self.rules, segmenter)
        self.store: BoilerplateStore = store if store is not None else MemoryStore()

    # --- learning -------------------------------------------------------------------------

    def observe(self, document: Document) -> DocumentEntry:
        """Learn one document (a document with a stored id replaces the stored one)."""
        return self.observe_many([document])[0]

    def observe_many(
        self, documents: Iterable[Document], batch_size: int = 256
    ) -> list[DocumentEntry]:
        """Learn documents, fingerprinting them in batches; returns their entries in order."""
        out: list[DocumentEntry] = []
        it = iter(documents)
        while batch := list(islice(it, batch_size)):
            for entry in self.builder.build(batch):
                self.store.put(entry)
                out.append(entry)
        return out

    def rebuild(self, documents: Iterable[Document]) -> None:
        """Forget everything, then learn ``documents``."""
        self.store.clear()
        self.observe_many(documents)

    # --- judging --------------------------------------------------------------------------

    def judge(self, entries: Sequence[DocumentEntry]) -> list[list[Occurrence]]:
        """The boilerplate paragraphs of each entry (observed or only built), in text order."""
        return Judgement(self.store, self.rules).judge(entries)

    def judgement(self) -> Judgement:
        """One round of judging over the store as it is now: its decisions and lookups are
        kept for later questions about the same paragraphs (:meth:`Judgement.deciding_key`)."""
        return Judgement(self.store, self.rules)

    def steady_judge(self, most: int = STEADY_DECISIONS) -> Judge:
        """:meth:`judge` for batch after batch while the store does not change (a bulk run
        judges its corpus once it has learned all of it); safe to call from several threads.

        Decisions carry over from one batch to the next, up to ``most`` of them (then they
        start over), where :meth:`judge` decides every key of a batch again. A story reprinted
        in many documents of one source (or of a corpus without sources) makes each of its
        paragraphs a key whose carriers must all be read to find them one story: decided
        again in every batch, that was most of a ``--strip-boilerplate`` run over such a corpus.
        """
        return Judgement(self.store, self.rules, most).judge

    def carriers(self, paragraph: str) -> Carriers:
        """Stored documents (of every source) carrying ``paragraph``'s pattern.

        ``paragraph`` is matched as a short paragraph at the head of a document would be, so
        its exact, masked, name-template and near-duplicate forms all count.
        """
        entry = self.builder.build([Document("", paragraph)])[0]
        if not entry.occurrences:
            return Carriers((), ())
        found = Judgement(self.store, self.rules).carriers(entry.occurrences[0])
        return carriers_of(found)

    def patterns(self) -> list[Pattern]:
        """Every boilerplate pattern of the stored corpus, most widespread first.

        Boilerplate paragraphs are grouped by shared keys and verified near-duplicate masked
        texts. ``text`` is the pattern's most frequent original paragraph (ties: the one in the
        smallest document id); ``documents`` and ``sources`` list the documents in which a
        paragraph of the pattern is boilerplate.
        """
        # Decisions bounded as a steady judge's: unbounded, they held 36 MB of RSS at 20,000
        # news articles and grew with the corpus.
        judge = Judgement(self.store, self.rules, STEADY_DECISIONS)
        found: list[tuple[str, str | None, Occurrence]] = []
        entries = iter(self.store.entries())
        while batch := list(islice(entries, _PATTERN_BATCH)):  # near forms looked up together
            found.extend(
                (entry.doc_id, entry.source, occ)
                for entry, occurrences in zip(batch, judge.judge(batch), strict=True)
                for occ in occurrences
            )
        groups = Groups()
        for i, (_, _, occ) in enumerate(found):
            groups.add(i, judge.keys(occ))
        patterns: list[Pattern] = []
        for members in groups.members():
            texts: dict[int, list[tuple[str, int, str]]] = {}
            for i in members:
                doc_id, _, occ = found[i]
                texts.setdefault(occ.exact, []).append((doc_id, occ.start, occ.text))
            best = min(texts.values(), key=lambda v: (-len(v), min(v)))
            carriers = {found[i][0]: found[i][1] for i in members}
            c = carriers_of(carriers)
            patterns.append(Pattern(min(best)[2], c.documents, c.sources))
        patterns.sort(key=lambda p: (-len(p.documents), p.text))
        return patterns

    def build(self, documents: Sequence[Document]) -> list[DocumentEntry]:
        """Entries of documents without learning them (to judge unseen text)."""
        return self.builder.build(documents)


class Judgement:
    """One round of decisions over a store that does not change meanwhile (results cached);
    :meth:`BoilerplateModel.judgement`."""

    def __init__(self, store: BoilerplateStore, rules: Rules, most: int | None = None) -> None:
        """``most``: decisions kept at most; past it, :meth:`judge` forgets them all first."""
        self.store = store
        self.rules = rules
        self._most = most
        self._decided: dict[_Key, bool] = {}
        self._key_decided: dict[tuple[KeyKind, int, str | None], bool] = {}
        self._signatures: dict[str, np.ndarray | None] = {}
        self._near: dict[int, list[tuple[int, np.ndarray]]] = {}
        self._batch = store if isinstance(store, BatchLookups) else None
        self._in_order: CarriersInOrder | None = None

    def judge(self, entries: Sequence[DocumentEntry]) -> list[list[Occurrence]]:
        """:meth:`BoilerplateModel.judge`, with what this judgement has kept."""
        if self._most is not None and self.decisions > self._most:
            self.forget()  # another thread judging meanwhile redoes what it needs
        self.prefetch([occ for e in entries for occ in e.occurrences])
        return [[occ for occ in e.occurrences if self.boilerplate(occ, e.source)] for e in entries]

    @property
    def decisions(self) -> int:
        """How many decisions are kept."""
        return len(self._decided) + len(self._key_decided)

    def forget(self) -> None:
        """Drop the decisions and lookups kept (a judgement in another thread redoes any it
        needs: they depend only on the store)."""
        self._decided.clear()
        self._key_decided.clear()
        self._signatures.clear()
        self._near.clear()

    def prefetch(self, occurrences: Sequence[Occurrence]) -> None:
        """Look up everything judging ``occurrences`` reads, in a few batched lookups.

        Only with a store that has :class:`BatchLookups`; answers are what the one-by-one
        lookups would give (the store does not change during a judgement).
        """
        if self._batch is None:
            return
        signed = [o for o in occurrences if o.shingles is not None and o.bands is not None]
        found = self._batch.near_many([o.bands for o in signed if o.bands is not None])
        for occ, forms in zip(signed, found, strict=True):
            self._near[occ.masked] = self._close(occ, forms)
        keys = {key for occ in occurrences for key in self.keys(occ)}
        self._in_order = self._batch.carriers_in_order(keys)

    def keys(self, occ: Occurrence) -> list[tuple[KeyKind, int]]:
        """Every store key ``occ`` is matched under, near-duplicate forms included."""
        return keys_of(occ) + [("masked", key) for key, _ in self.near(occ)]

    def carriers(self, occ: Occurrence) -> dict[str, str | None]:
        """Stored documents with an eligible paragraph matching ``occ`` (``{id: source}``)."""
        found: dict[str, str | None] = {}
        for kind, key in self.keys(occ):
            found.update(self.store.carriers(kind, key))
        return found

    def near(self, occ: Occurrence) -> list[tuple[int, np.ndarray]]:
        """Stored signed forms other than ``occ``'s whose masked Jaccard reaches the threshold.

        Cached by masked key: equal masked texts have equal shingles and band keys.
        """
        if occ.shingles is None or occ.bands is None:
            return []
        cached = self._near.get(occ.masked)
        if cached is None:
            cached = self._near[occ.masked] = self._close(occ, self.store.near(occ.bands))
        return cached

    def _close(
        self, occ: Occurrence, forms: list[tuple[int, np.ndarray]]
    ) -> list[tuple[int, np.ndarray]]:
        """The forms other than ``occ``'s whose masked Jaccard with it reaches the threshold."""
        if occ.shingles is None:
            return []
        return [
            (key, shingles)
            for key, shingles in forms
            if key != occ.masked and jaccard(occ.shingles, shingles) >= self.rules.near_threshold
        ]

    def boilerplate(self, occ: Occurrence, source: str | None) -> bool:
        """Whether ``occ`` in a document of ``source`` is boilerplate.

        Decided per key first: a footer's masked key alone usually holds enough stories, and
        that answer is cached for every page carrying it (bylines differ on every page but
        share one template key). Only when no single key suffices are the keys' carriers
        pooled, which then are few. Most paragraphs of an article are its own, carried by
        fewer documents than a story count needs under all their keys together, of any
        source: those are decided without listing anyone.
        """
        cache_key = (source, occ.exact, occ.masked, occ.template, occ.label)
        decided = self._decided.get(cache_key)
        if decided is None:
            keys = self.keys(occ)
            decided = False
            if self._upper(keys) >= self.rules.min_documents:
                decided = any(self._enough(kind, key, source) for kind, key in keys)
                if not decided:
                    pooled = {d for kind, key in keys for d in self._group(kind, key, source)}
                    decided = self._stories(sorted(pooled))
            self._decided[cache_key] = decided
        return decided

    def deciding_key(self, occ: Occurrence, source: str | None) -> tuple[KeyKind, int] | None:
        """The first of ``occ``'s keys whose carriers in ``source`` alone hold enough stories,
        the one :meth:`boilerplate` found: what made ``occ`` boilerplate, shared by the other
        carriers it made so. None when no key does alone: content, or a paragraph whose
        keys' carriers hold enough stories only pooled (those are few)."""
        keys = self.keys(occ)
        return next(((kind, key) for kind, key in keys if self._enough(kind, key, source)), None)

    def _carriers_in_order(self) -> CarriersInOrder:
        """The store's carriers in order, as they are for this judgement."""
        if self._in_order is None:
            batch = self._batch
            self._in_order = (
                SortedCarriers(self.store) if batch is None else batch.carriers_in_order(())
            )
        return self._in_order

    def _upper(self, keys: list[tuple[KeyKind, int]]) -> int:
        """How many documents, of any source, carry these keys at most."""
        in_order = self._carriers_in_order()
        return sum(in_order.count(kind, key) for kind, key in keys)

    def _first(
        self, kind: KeyKind, key: int, source: str | None, limit: int | None
    ) -> tuple[list[str], bool]:
        """:meth:`CarriersInOrder.first`, from the store as it is for this judgement."""
        return self._carriers_in_order().first(kind, key, source, limit)

    def _group(self, kind: KeyKind, key: int, source: str | None) -> list[str]:
        """Sorted ids of the documents of ``source`` carrying this key."""
        return self._first(kind, key, source, None)[0]

    def _enough(self, kind: KeyKind, key: int, source: str | None) -> bool:
        """Whether this key's carriers in ``source`` alone hold enough stories (cached).

        The first :data:`_FIRST` carriers usually decide: a story count walks them in the
        same order as all of them and stops at ``min_documents`` stories. Only if they hold
        fewer, and are not all, is the whole list read. When they do hold enough, the store is
        told which ids did (:meth:`CarriersInOrder.found_enough`): the SQLite store keeps that
        for the next judgements, which count no stories while the same documents come first.
        A footer's keys are asked about by nearly every post of its source.
        """
        cache_key = (kind, key, source)
        enough = self._key_decided.get(cache_key)
        if enough is None:
            in_order = self._carriers_in_order()
            first, complete = self._first(kind, key, source, _FIRST)
            enough = in_order.holds_enough(kind, key, source, self.rules, first)
            if not enough:
                founded = self._founded(first)
                enough = founded is not None
                if founded is not None:
                    in_order.found_enough(kind, key, source, self.rules, first[:founded])
                elif not complete:
                    enough = self._stories(self._group(kind, key, source))
            self._key_decided[cache_key] = enough
        return enough

    def _stories(self, doc_ids: list[str]) -> bool:
        """Whether ``doc_ids`` (sorted) hold ``min_documents`` stories that are not copies."""
        return self._founded(doc_ids) is not None

    def _founded(self, doc_ids: list[str]) -> int | None:
        """How many of ``doc_ids`` (sorted) were read to find ``min_documents`` stories that
        are not copies, or None if they hold fewer.

        Greedy in id order: a document founds a story unless its estimated Jaccard similarity
        to an earlier founder reaches ``story_threshold``. Deterministic for a set of documents.
        """
        need = self.rules.min_documents
        if len(doc_ids) < need:
            return None
        founders: np.ndarray | None = None
        count = 0
        # A few at a time (signatures fetched together): a story count usually stops early.
        for start in range(0, len(doc_ids), _CHUNK):
            chunk = doc_ids[start : start + _CHUNK]
            if self._batch is not None:
                wanted = [d for d in chunk if d not in self._signatures]
                if wanted:
                    found = self._batch.signatures(wanted)
                    self._signatures.update({d: found.get(d) for d in wanted})
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
            count, row = found_stories(matrix, founders, count, self.rules.story_threshold)
            if row >= 0:
                return start + rows[row] + 1
        return None

    def _signature_of(self, doc_id: str) -> np.ndarray | None:
        if doc_id not in self._signatures:
            entry = self.store.get(doc_id)
            self._signatures[doc_id] = None if entry is None else entry.signature
        return self._signatures[doc_id]
