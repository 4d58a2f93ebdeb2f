"""Matches between documents fingerprinted with different boilerplate removed, compared again
like for like.

Boilerplate is learned per source, and a document is fingerprinted with what its source's
stored documents show to be boilerplate removed, as they show it when it is stored
(:mod:`dedup.boilerplate`, :mod:`dedup.collection.refresh`). So two documents with the same
text can be fingerprinted differently: an outlet's brief stored without the outlet's footer,
and the same text, footer included, posted by an aggregator (whose posts carry no such
footer) or with no source; or an article loaded by ``dedup bulk --db`` with its footer, before
the footer was learned, and a copy posted after. Compared as fingerprinted, the text with the
footer contains the other (Jaccard 0.57 for a tester's one-paragraph brief): the same text
was answered ``new`` (a post that only contains a stored document is new: the excerpt rule),
or for a long article ``near_duplicate`` (0.93), not ``duplicate``.

The rule. A verified match other than a duplicate is compared again when the two documents were
treated differently: a paragraph that one of them had removed as boilerplate is in the other's
text, which kept it (the same words, case and spacing aside). Both texts are then cut of every
paragraph either had removed (each of its own, and of the other's those it has as a paragraph
of its own, by
:class:`~dedup.paragraphs.Segmenter`) and compared as the index compares fingerprints
(:meth:`~dedup.verify.Similarity.relation`); identical normalised texts, before or after the
cut, are duplicates. The match takes that relation and that comparison's measures (1.0 each for
a duplicate, as the index reports one): they measure the same content on both sides, where the
stored fingerprints measured a text with a footer against one without. A paragraph only one
side had removed took shingles from one side that the other lacked, so removing it from both
raises the measures (but for the few shingles that span a cut): an answer grows from
``contains`` to a copy when the texts are copies, and a long article that quotes a stored
brief still contains it.

Why not compare the two whole, nothing removed: what both carry would then count as shared
text, which is what removing boilerplate is for. A brief of two 25-word paragraphs with a
25-word paragraph added contains the brief (containment 0.65: ``new``) under the brief's source;
compared whole, the 27-word footer both carry raises that to 0.70, and the same text posted by
an aggregator would be a near duplicate of the brief (tests/test_collection_like_for_like.py).

A post placed in a cluster follows its answer: :meth:`LikeForLike.place` puts it in the cluster
of a document it is a duplicate, copy or excerpt of like for like, by the index's add rule
(:mod:`dedup.index._clusters`: the canonical verified directly; the canonical itself compared
like for like when the match is a mere member; an identical text goes where its twin is).

Matches LSH does not propose, found among a report's reuse candidates (an excerpt of a long
story: :meth:`~dedup.collection.passages.Passages.alike`), are compared the same way
(:meth:`LikeForLike.alike`), those that reach no relation as fingerprinted included: an
aggregator's copy of a story's first paragraph that kept the story's footer shared passages
with the story (0.53 of it in the story, as fingerprinted: ``new``) and is its excerpt like
for like; a 15-word brief and an aggregator's copy with the 27-word footer (Jaccard 0.29, which
LSH does not propose) are duplicates, where ``GET`` of the copy said it ``contains`` the brief
and ``dedup bulk`` called the pair ``duplicate`` (by a tester). Such a post is placed as
answered too: :meth:`~dedup.collection.Collection.join_cluster` compares the documents its
report names again on the writer's rows (:meth:`LikeForLike.join`), and a document placed again
(:meth:`LikeForLike.settle`) is compared with its reuse candidates as with LSH's matches.

Cost: a match whose two documents had nothing removed costs a read of the stored text's row
(its spans); otherwise the stored text is decompressed and each side's removed paragraphs looked
for in the other's text, and only a match treated differently is cut and fingerprinted again.
``python -m benchmarks.like_for_like`` (2,000 stored news articles, median of 5 rounds):
ordinary posts spent 0.051 ms of their 3.6 ms in :meth:`~Collection.post_pending` here (1.4 %;
none answered otherwise), verbatim copies of stored articles under sources of their own 0.63 ms
of 5.6 (all 200 ``duplicate``, ``near_duplicate`` as fingerprinted). A report's reuse
candidates (20 at most) cost the same checks in :meth:`LikeForLike.alike`, and a post placed
by them :meth:`LikeForLike.join`: there ordinary posts spent 0.011 ms of their report's 0.77
ms (which took 0.76-0.81 ms before and after: two alternating runs, the box loaded by other
work), the verbatim copies 0.33 ms of 3.4 (3.0 before), and aggregators' excerpts of stored
articles (a first paragraph and the footer it had removed) 2.0 ms of 5.0 (3.0 before; 186 of
200 ``near_duplicate``, 59 before).

Not done: a paragraph judged boilerplate since both were stored, removed from neither, stays
in both (:mod:`dedup.collection.refresh` says when stored documents are judged again). A
``dedup bulk --db`` load into a file that held documents before places each of its documents
still alone with those by LSH's matches like for like (:meth:`LikeForLike.settle_loaded`),
but by its reuse candidates as fingerprinted
(:meth:`~dedup.collection.loading.Loader.join_clusters`), so an excerpt LSH does not propose
that kept a footer the story stored before had removed stays apart from it there, and so
does a loaded document that others of the load joined (the collection's answers about the
two compare them like for like all the same).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from dedup.cluster import canonical_order
from dedup.collection import tables
from dedup.collection.reports import Pending
from dedup.errors import DocumentNotFoundError
from dedup.fingerprint import Fingerprint, Fingerprinter
from dedup.index import SQLiteIndex
from dedup.treatment import Span, cut_alike, folded, relation_of, same_text, treated_apart
from dedup.types import Match, Relation
from dedup.verify import Similarity

#: Relations that let a document join the other's cluster (a copy or an excerpt of it).
_JOINS = (Relation.DUPLICATE, Relation.NEAR_DUPLICATE, Relation.CONTAINED_IN)


class StoredReuse(Protocol):
    """What a post of a stored document relates to whole among its reuse candidates, beyond
    LSH's matches (:class:`~dedup.collection.passages.Passages`)."""

    def related(self, doc_id: str, threshold: float) -> list[str]:
        """The ids of those documents (what the index's placement is offered)."""
        ...

    def whole(
        self,
        doc_id: str,
        text: str,
        spans: Sequence[Span],
        fp: Fingerprint,
        lsh: Sequence[str],
        threshold: float,
    ) -> tuple[list[Match], tuple[str, ...]]:
        """Those documents (``lsh`` left out), compared like for like with ``doc_id`` (its
        ``text``, ``spans`` and ``fp``) where the two were treated apart; and the ids of
        those that were (:meth:`LikeForLike.alike`)."""
        ...


class LikeForLike:
    """Compares a document with stored ones it matched under other boilerplate, like for like
    (see the module docstring)."""

    def __init__(
        self, index: SQLiteIndex, texts: tables.TextTable, fingerprinter: Fingerprinter
    ) -> None:
        self._index = index
        self._texts = texts
        self._fingerprinter = fingerprinter
        self._threshold = fingerprinter.config.threshold  # the collection's queries'
        self._noted: list[str] = []  # placed again by the index since the last settle_noted
        self._reuse: StoredReuse | None = None  # the reuse candidates, given by noting
        # A post's text is looked in for each match's removed paragraphs: folded once (it and
        # the match's, in turn), not once a match (session 37 of docs/performance-log.md).
        self._fold = functools.lru_cache(maxsize=2)(folded)

    def revise(
        self,
        text: str,
        spans: Sequence[Span],
        fp: Fingerprint,
        matches: tuple[Match, ...],
    ) -> tuple[tuple[Match, ...], tuple[str, ...]]:
        """``matches`` of the document with ``text``, boilerplate ``spans`` and fingerprint
        ``fp``, each compared like for like where the two were treated differently, best first;
        and the ids of those that were (sorted)."""
        out: list[Match] = []
        revised: list[str] = []
        for m in matches:
            again = self._again(text, spans, fp, m.id, m.relation, self._threshold)
            out.append(m if again is None else again)
            if again is not None:
                revised.append(m.id)
        if not revised:
            return matches, ()
        return tuple(sorted(out, key=Match.sort_key)), tuple(sorted(revised))

    def alike(
        self,
        text: str,
        spans: Sequence[Span],
        fp: Fingerprint,
        measured: Mapping[str, Similarity],
        threshold: float,
    ) -> tuple[list[Match], tuple[str, ...]]:
        """The stored documents of ``measured`` (reuse candidates, each measured against
        ``fp`` by its stored fingerprint) that relate to the document whole at ``threshold``,
        each compared like for like where the two were treated differently, in the order
        given; and the ids of those that were (sorted). Unlike :meth:`revise`'s, these include
        pairs that reach a relation like for like only: an aggregator's excerpt that kept the
        story's footer."""
        found: list[Match] = []
        revised: list[str] = []
        for other_id, sim in measured.items():
            relation = sim.relation(threshold)
            again = self._again(text, spans, fp, other_id, relation, threshold)
            if again is not None:
                found.append(again)
                revised.append(other_id)
            elif relation is not None:
                found.append(_match(other_id, relation, sim))
        return found, tuple(sorted(revised))

    def join(self, doc_id: str, related: Sequence[str]) -> str | None:
        """Place the stored ``doc_id`` with those of ``related`` (found related to it whole
        by a post's report) that it is a copy or an excerpt of like for like, by the add
        rule (:meth:`_place`); the id of the cluster it moved to, or None. Those related as
        fingerprinted are the index's (:meth:`~dedup.index.IndexCore.join_cluster`)."""
        row = self._texts.get_raw(doc_id) if doc_id in self._index else None
        if row is None:
            return None
        text = tables.decompress(row[0])
        spans = tables.parse_spans(row[1]) if row[1] else []  # NULL: loaded whole
        fp = self._index.fingerprint_of(doc_id)
        matches: list[Match] = []
        for other_id in sorted(set(related) - {doc_id}):
            again = self._again(text, spans, fp, other_id, None, self._threshold)
            if again is not None:
                matches.append(again)
        if not matches:
            return None
        compared = [m.id for m in matches]
        return self._place(doc_id, text, spans, fp, sorted(matches, key=Match.sort_key), compared)

    def _again(
        self,
        text: str,
        spans: Sequence[Span],
        fp: Fingerprint,
        other_id: str,
        relation: Relation | None,
        threshold: float,
    ) -> Match | None:
        """The match of the document with the stored ``other_id`` compared like for like at
        ``threshold``, or None where it stays as fingerprinted (``relation``: a duplicate
        already, the two treated alike, or like for like no relation)."""
        if relation is Relation.DUPLICATE:  # nothing to grow to
            return None
        found = self.compare(text, spans, fp, other_id)
        pair = None if found is None else relation_of(found, threshold)
        return None if pair is None else _match(other_id, pair[1], pair[0])

    def compare(
        self, text: str, spans: Sequence[Span], fp: Fingerprint, other_id: str
    ) -> tuple[Similarity, bool] | None:
        """The like-for-like measures of the document (``text``, ``spans``, ``fp``) and the
        stored ``other_id``, and whether their normalised texts are identical (whole or cut);
        None when the two were treated alike (or ``other_id`` is gone)."""
        row = self._texts.get_raw(other_id)
        if row is None:
            return None
        data, stored = row
        other_spans = tables.parse_spans(stored) if stored else []  # NULL: loaded whole
        if not spans and not other_spans:  # both fingerprinted whole: nothing to read
            return None
        other = tables.decompress(data)
        if not treated_apart(text, spans, other, other_spans, self._fold):
            return None
        a, b = cut_alike(text, spans, other, other_spans)
        if a is None and b is None:  # carried inside paragraphs of their own: not cut
            return (
                (Similarity(1.0, 1.0, 1.0), True)
                if same_text(self._fingerprinter, text, other)
                else None
            )
        made = iter(self._fingerprinter.fingerprint([t for t in (a, b) if t is not None]))
        fa = fp if a is None else next(made)
        try:
            fb = self._index.fingerprint_of(other_id) if b is None else next(made)
        except DocumentNotFoundError:  # removed since its row was read (a reader's report)
            return None
        identical = fa.content_hash == fb.content_hash or same_text(
            self._fingerprinter, text, other
        )
        return Similarity.of(fa.shingles, fb.shingles), identical

    def place(self, pending: Pending) -> str | None:
        """Place a post just stored (``pending``, its :meth:`~Collection.post_pending`'s) with
        the documents of its matches that it joins like for like only (``pending.compared``,
        from :meth:`revise`), by the add rule; the id of the cluster it moved to, or None.
        Those its window left out (``pending.outside``) count as well: the same post without
        a window would be placed by them."""
        doc = pending.prepared.doc
        spans = pending.verdict.boilerplate
        matches = pending.matches
        if pending.outside:
            matches = tuple(sorted([*matches, *pending.outside], key=Match.sort_key))
        return self._place(doc.id, doc.text, spans, pending.fingerprint, matches, pending.compared)

    def noting(self, reuse: StoredReuse, threshold: float) -> Callable[[str], list[str]]:
        """The index's :meth:`~dedup.index.IndexCore.place_with` hook: ``reuse.related`` (what
        a post of a document would join beyond LSH), each document it is asked for noted for
        :meth:`settle_noted`: the index asks for those it placed again that founded a cluster.
        :meth:`settle` then compares ``reuse``'s candidates like for like too."""
        self._reuse = reuse

        def hook(doc_id: str) -> list[str]:
            self._noted.append(doc_id)
            return reuse.related(doc_id, threshold)

        return hook

    def settle_noted(self) -> None:
        """:meth:`settle` the documents noted since the last call (none: nothing to do)."""
        noted, self._noted = self._noted, []
        if noted:
            self.settle(noted)

    def settle(self, replaced: Sequence[str]) -> None:
        """Place again, like for like, documents the index placed again by their fingerprints
        that founded a cluster (``replaced``: the orphans of a removed, corrected or refreshed
        canonical, and a refreshed document itself), in canonical order: each that is still
        alone joins what it is a copy or an excerpt of like for like, as its post did (LSH's
        matches and, given :meth:`noting`'s ``reuse``, its reuse candidates); among
        ``replaced`` only one ranked before it (the batch rule: the best-ranked founds).

        The index re-places by stored fingerprints, where an aggregator's copy of a story, its
        footer kept, only contains the story once the story's refresh or correction cut the
        footer from it: the copy founded a cluster of its own, and two canonicals were called
        duplicates of each other by a ``GET`` of either (by a tester). The candidates are
        looked up here, after the index placed every document again and the refreshed ones'
        spans were stored, not when the index asks for them: the texts' rows are current then.
        """
        group = sorted({d for d in replaced if d in self._index})
        rows = {d: self._index.get(d) for d in group}
        rank = canonical_order(
            group, [rows[d].published for d in group], [rows[d].length for d in group]
        )
        place = {d: int(rank[k]) for k, d in enumerate(group)}
        for doc_id in sorted(group, key=place.__getitem__):
            self._settle_one(doc_id, _before(place, place[doc_id]), True)

    def settle_loaded(self, loaded: Sequence[str], apart: Callable[[str], bool]) -> int:
        """Place documents a bulk load stored (``loaded``, in load order) that are still alone
        with the documents ``apart`` from the load (those it names) that they are a copy or an
        excerpt of like for like, as a post of each would be (LSH's matches; the load's own
        pairs placed it with the load's documents): a loaded copy of a stored outlet's story,
        which kept the footer the collection had learned to cut from it, only contained the
        story by their fingerprints and stayed a cluster of its own (by a tester). An LSH
        query of each; how many moved."""
        return sum(self._settle_one(d, apart, False) is not None for d in loaded)

    def _settle_one(self, doc_id: str, eligible: Callable[[str], bool], reuse: bool) -> str | None:
        """:meth:`settle` one document, if still alone, with the documents ``eligible`` names
        (``reuse``: among its reuse candidates too); the cluster it moved to, or None."""
        if self._index.cluster_members(doc_id) != [doc_id]:
            return None  # it joined a cluster, or others joined it (they would move with it)
        raw = self._texts.get_raw(doc_id)
        if raw is None:
            return None
        text = tables.decompress(raw[0])
        spans = tables.parse_spans(raw[1]) if raw[1] else []  # NULL: loaded whole
        fp = self._index.fingerprint_of(doc_id)
        found = self._index.similar(doc_id, threshold=self._threshold).matches
        matches, compared = self.revise(text, spans, fp, tuple(m for m in found if eligible(m.id)))
        if reuse and self._reuse is not None:
            lsh = [m.id for m in found]
            more, also = self._reuse.whole(doc_id, text, spans, fp, lsh, self._threshold)
            matches += tuple(m for m in more if eligible(m.id))
            compared += tuple(c for c in also if eligible(c))
        return self._place(doc_id, text, spans, fp, matches, compared) if compared else None

    def _place(
        self,
        doc_id: str,
        text: str,
        spans: Sequence[Span],
        fp: Fingerprint,
        matches: Sequence[Match],
        compared: Sequence[str],
    ) -> str | None:
        joined = {m.id: m.relation for m in matches}
        canonicals: list[str] = []
        for m in matches:
            if m.id not in compared or m.relation not in _JOINS:
                continue
            canonical = self._index.cluster_of(m.id)
            if canonical == m.id or m.relation is Relation.DUPLICATE:
                canonicals.append(canonical)  # its twin's cluster, which it verifies as its twin
            elif canonical in joined:
                if joined[canonical] in _JOINS:
                    canonicals.append(canonical)
            elif self._joins(text, spans, fp, canonical):
                canonicals.append(canonical)
        return self._index.join_verified(doc_id, canonicals) if canonicals else None

    def _joins(self, text: str, spans: Sequence[Span], fp: Fingerprint, other_id: str) -> bool:
        """Whether the document may join ``other_id``'s cluster, compared like for like if the
        two were treated differently, else as fingerprinted."""
        found = self.compare(text, spans, fp, other_id)
        if found is None:
            stored = self._index.shingles([other_id]).get(other_id)
            if stored is None:
                return False
            found = Similarity.of(fp.shingles, stored), False
        pair = relation_of(found, self._threshold)
        return pair is not None and pair[1] in _JOINS


def _before(place: Mapping[str, int], at: int) -> Callable[[str], bool]:
    """Whether a document is ranked before ``at`` in ``place`` (one not in it is)."""
    return lambda other: place.get(other, -1) < at


def _match(other_id: str, relation: Relation, sim: Similarity) -> Match:
    return Match(other_id, relation, sim.jaccard, sim.containment_a_in_b, sim.containment_b_in_a)
