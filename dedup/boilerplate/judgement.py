"""One round of boilerplate decisions over a store (:class:`Judgement`): the rules of
:mod:`dedup.boilerplate.model` applied to paragraphs, with the lookups and story counts they
need kept for the round.

Split from :mod:`dedup.boilerplate.model`, which learns and hands judgements out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dedup.boilerplate._signatures import Signatures
from dedup.boilerplate.rules import Rules
from dedup.boilerplate.store import (
    BoilerplateStore,
    CarriersInOrder,
    DocumentEntry,
    KeyKind,
    Occurrence,
    SortedCarriers,
    keys_of,
)
from dedup.verify import jaccard

_Key = tuple[str | None, int, int, int | None, int | None]
#: Carriers of a key a story count reads first (it usually stops after three documents).
_FIRST = 32


class Judgement:
    """One round of decisions over a store that does not change meanwhile (results cached);
    :meth:`~dedup.boilerplate.model.BoilerplateModel.judgement`."""

    def __init__(
        self,
        store: BoilerplateStore,
        rules: Rules,
        most: int | None = None,
        *,
        leave_out: str | None = None,
    ) -> None:
        """``most``: decisions kept at most; past it, :meth:`judge` forgets them all first.
        ``leave_out``: the id of a document counted among no carriers: the one judged, whose
        stored version a check or a re-post of a stored id finds
        (:meth:`~dedup.boilerplate.model.BoilerplateModel.judgement`)."""
        self.store = store
        self.rules = rules
        self.leave_out = leave_out
        self._most = most
        self._decided: dict[_Key, bool] = {}
        self._based: dict[_Key, bool] = {}
        self._linking: dict[
            tuple[str, str | None], list[tuple[frozenset[tuple[KeyKind, int]], list[str]]]
        ] = {}
        self._key_decided: dict[tuple[KeyKind, int, str | None], bool] = {}
        self._sig = Signatures(store, rules)  # whole-text signatures, story counts
        self._near: dict[int, list[tuple[int, np.ndarray]]] = {}
        self._batch = self._sig.batch
        self._in_order: CarriersInOrder | None = None

    def judge(self, entries: Sequence[DocumentEntry]) -> list[list[Occurrence]]:
        """:meth:`~dedup.boilerplate.model.BoilerplateModel.judge`, with what this judgement
        has kept."""
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
        self._based.clear()
        self._linking.clear()
        self._key_decided.clear()
        self._sig.clear()
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

    def counting_all(self) -> Judgement:
        """A judgement of the same store and rules that leaves no document out (this one, if
        it leaves none out): to judge a stored document again, which counts itself as
        every stored document does in a bulk run's judgement of its corpus."""
        if self.leave_out is None:
            return self
        return Judgement(self.store, self.rules, self._most)

    def keys(self, occ: Occurrence) -> list[tuple[KeyKind, int]]:
        """Every store key ``occ`` is matched under, near-duplicate forms included (a form
        only :attr:`leave_out` carries stays one: its carriers, without it, are none)."""
        return keys_of(occ) + [("masked", key) for key, _ in self.near(occ)]

    def carriers(self, occ: Occurrence) -> dict[str, str | None]:
        """Stored documents with an eligible paragraph matching ``occ`` (``{id: source}``),
        :attr:`leave_out` not among them."""
        found: dict[str, str | None] = {}
        for kind, key in self.keys(occ):
            found.update(self.store.carriers(kind, key))
        if self.leave_out is not None:
            found.pop(self.leave_out, None)
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

        A paragraph that holds enough stories so, and has at most :data:`_FIRST` carriers of
        any source, is boilerplate only if they hold enough once chained (:meth:`_chains`):
        updates of a rolling live story, each sharing paragraphs with the next, are one
        story though the first and the last share only their background. A busy footer's
        carriers are not listed for this: a chain never made a footer of hundreds content.
        """
        cache_key = (source, occ.exact, occ.masked, occ.template, occ.label)
        decided = self._decided.get(cache_key)
        if decided is None:
            decided = self._base(occ, source)
            keys = self.keys(occ)
            if decided and self._upper(keys) <= _FIRST:  # a busy footer's are never listed
                pooled = {d for kind, key in keys for d in self._group(kind, key, source)}
                carriers = sorted(pooled - {self.leave_out})
                decided = self._chains(carriers, set(keys), source) >= self.rules.min_documents
            self._decided[cache_key] = decided
        return decided

    def _base(self, occ: Occurrence, source: str | None) -> bool:
        """Whether ``occ``'s carriers in ``source`` hold enough stories, copies counted once
        and nothing chained (cached): :meth:`boilerplate` before its chains."""
        cache_key = (source, occ.exact, occ.masked, occ.template, occ.label)
        decided = self._based.get(cache_key)
        if decided is None:
            keys = self.keys(occ)
            decided = False
            if self._upper(keys) >= self.rules.min_documents:
                decided = any(self._enough(kind, key, source) for kind, key in keys)
                if not decided:
                    pooled = {d for kind, key in keys for d in self._group(kind, key, source)}
                    decided = self._stories(sorted(pooled - {self.leave_out}))
            self._based[cache_key] = decided
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

        :attr:`leave_out` is looked for only among the carriers that held enough: leaving a
        document out can only take stories away, and a new id (nearly every post) is in no
        list, so this costs a post one ``in`` per key found enough, and no lookup.
        """
        cache_key = (kind, key, source)
        enough = self._key_decided.get(cache_key)
        if enough is None:
            in_order = self._carriers_in_order()
            first, complete = self._first(kind, key, source, _FIRST)
            read = first  # the carriers that held enough (a kept count's begin them)
            enough = in_order.holds_enough(kind, key, source, self.rules, first)
            if not enough:
                founded = self._sig.founded(first)
                enough = founded is not None
                if founded is not None:
                    read = first[:founded]
                    in_order.found_enough(kind, key, source, self.rules, read)
                elif not complete:
                    read = self._group(kind, key, source)
                    enough = self._stories(read)
            if enough and self.leave_out is not None and self.leave_out in read:
                enough = self._enough_without(kind, key, source, self.leave_out)
            self._key_decided[cache_key] = enough
        return enough

    def _enough_without(self, kind: KeyKind, key: int, source: str | None, doc_id: str) -> bool:
        """:meth:`_enough` of the key's carriers but ``doc_id``, which was among those that
        held enough: counted again without it, one carrier more read in its place, and not
        kept by the store (whose kept counts are about its own first carriers)."""
        first, complete = self._first(kind, key, source, _FIRST + 1)
        if self._stories([d for d in first if d != doc_id]):
            return True
        if complete:
            return False
        return self._stories([d for d in self._group(kind, key, source) if d != doc_id])

    def _stories(self, doc_ids: list[str]) -> bool:
        """Whether ``doc_ids`` (sorted) hold ``min_documents`` stories that are not copies."""
        return self._sig.founded(doc_ids) is not None

    def _chains(
        self, doc_ids: list[str], judged: set[tuple[KeyKind, int]], source: str | None
    ) -> int:
        """How many stories ``doc_ids`` (sorted, the judged paragraph's carriers) hold once
        chained: a copy (alike a founder, as :meth:`~._signatures.Signatures.founded` counts)
        is one with it, and carriers sharing another paragraph word for word are one.

        Only a paragraph of :attr:`Rules.min_tokens` or more, without a label or a name
        template, and not itself boilerplate before chains (:meth:`_base`) chains: an
        outlet's header, blurb or second footer is boilerplate and does not make its
        articles one story, nor does a byline or a "Read more: ..." line two articles share
        (they did, by these keys, and cost ``boilerplate_bench`` part 1 recall). Whole-text
        likeness alone does not chain: six-word briefs under a long footer then became one
        story and the footer was never learned (``boilerplate_bench`` part 2).
        """
        parent = dict(self._sig.copies(doc_ids))

        def root(d: str) -> str:
            while parent[d] != d:
                d = parent[d]
            return d

        def union(a: str, b: str) -> None:
            parent[root(a)] = root(b)

        inside = set(doc_ids)
        for d in doc_ids:
            for own, sharing in self._links(d, source):
                if judged.isdisjoint(own):
                    for other in sharing:
                        if other in inside:
                            union(d, other)
        return len({root(d) for d in doc_ids})

    def _links(
        self, doc_id: str, source: str | None
    ) -> list[tuple[frozenset[tuple[KeyKind, int]], list[str]]]:
        """The paragraphs of ``doc_id`` that chain stories (:meth:`_chains`), each with its
        own keys and the documents of ``source`` sharing it word for word (cached: a story's
        carriers are asked about for each of its paragraphs)."""
        cache_key = (doc_id, source)
        links = self._linking.get(cache_key)
        if links is None:
            links = []
            entry = self.store.get(doc_id)
            for occ in () if entry is None else entry.occurrences:
                if occ.shingles is None or occ.label is not None or occ.template is not None:
                    continue  # a short line, a "Read more: ..." or a byline links no story
                if self._carriers_in_order().count("exact", occ.exact) < 2:
                    continue  # the document's own (most of its paragraphs): nothing listed
                sharing = [d for d in self._group("exact", occ.exact, source) if d != doc_id]
                if sharing and not self._base(occ, source):
                    links.append((frozenset(keys_of(occ)), sharing))
            self._linking[cache_key] = links
        return links
