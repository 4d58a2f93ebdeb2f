"""Match reports: the passages behind each match, and reuse candidates that share some.

Split from :mod:`dedup.collection.core`: everything here reads the stored texts (and their
boilerplate as judged when they were stored) and aligns them with the checked document.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from dedup.align import AlignSide, PairReuse
from dedup.boilerplate import Stripper
from dedup.collection import tables
from dedup.collection.like_for_like import LikeForLike
from dedup.collection.reports import DocumentView, MatchReport, Pending, Verdict, Window, widened
from dedup.collection.reuse_index import ReuseSets
from dedup.collection.stored_since import stored_before
from dedup.fingerprint import Fingerprint
from dedup.index import SQLiteIndex
from dedup.normalize import tokenize
from dedup.reuse import ReuseFinder
from dedup.treatment import Span
from dedup.types import Document, Match, Relation
from dedup.verify import Similarity

#: Stored texts kept ready for alignment per :class:`Passages` (a few MB each: ~40 KB a text).
SIDE_CACHE = 256
#: At most this many reuse candidates are aligned per check (the most-shared first).
MAX_REUSE_CANDIDATES = 20


class Passages:
    """Reports of a checked document's matches against the stored texts."""

    def __init__(
        self,
        index: SQLiteIndex,
        texts: tables.TextTable,
        postings: ReuseSets,
        stripper: Stripper,
        like: LikeForLike,
    ) -> None:
        self.index = index
        self._like = like
        self._texts = texts
        self._postings = postings
        self._stripper = stripper
        self._reuse = ReuseFinder()
        # Stored texts made ready for alignment, by id, most recently used last; see _side.
        self._sides: OrderedDict[str, tuple[bytes, str, AlignSide]] = OrderedDict()

    def report(self, pending: Pending, threshold: float) -> tuple[Verdict, list[str], set[str]]:
        """:meth:`Collection.report`: the verdict with the passages of its matches, and the
        reuse candidates within its window that relate to it whole (the status follows them)
        or by passages. Only documents stored when the post was decided, as they are now
        (:meth:`existing`): the answer is the one the post had alone, however many posts were
        stored between its decision and its report. Then what places a post as the same post
        without its window: of the reuse candidates that post aligns, those the window left
        out (for :meth:`related_outside`), and of those aligned here, the ones it does not
        (ranked past :data:`MAX_REUSE_CANDIDATES` among all, which the placement leaves out);
        both empty without a window. Every verified match is left out of the candidates, the
        window's ``pending.outside`` too, as that post's matches are."""
        doc, shingles = pending.prepared.doc, pending.fingerprint.shingles
        matched = [m.id for m in (*pending.matches, *pending.outside)]
        every = self._postings.candidates(shingles, own=doc.id, exclude=matched)
        inside = self.filtered(every, doc, *pending.window)  # ``every`` itself without a window
        reuse, sets = self.existing(inside, pending.mark)
        left_out: list[str] = []
        unranked: set[str] = set()
        if inside is not every:
            ranked, _ = self.existing(every, pending.mark)
            kept = set(inside)
            left_out = [doc_id for doc_id in ranked if doc_id not in kept]
            unranked = set(reuse).difference(ranked)
        if not pending.matches and not reuse:  # two posts in three: nothing to tokenize
            return replace(pending.verdict, matches=()), left_out, unranked
        spans = list(pending.verdict.boilerplate)
        found, _ = self.alike(reuse, sets, doc.text, spans, pending.fingerprint, threshold)
        verdict, matches, reuse = widened(pending.verdict, pending.matches, found, reuse)
        reports = self.reports(doc.text, spans, matches, reuse, shingles, sets)
        return replace(verdict, matches=tuple(reports)), left_out, unranked

    def related_outside(self, pending: Pending, left_out: list[str], threshold: float) -> list[str]:
        """Those of the reuse candidates a post's window kept out of its report (``left_out``,
        from :meth:`report`) that relate to it whole, such as an excerpt's story from its own
        source under ``exclude_same_source``: the index places a document by every stored
        one, whatever the window of the post that stored it, so a post joins these as it
        joins those in its report."""
        doc, spans = pending.prepared.doc, pending.verdict.boilerplate
        reuse, sets = self.existing(left_out, pending.mark)
        found, _ = self.alike(reuse, sets, doc.text, spans, pending.fingerprint, threshold)
        return [m.id for m in found]

    def related(self, doc_id: str, threshold: float) -> list[str]:
        """The documents a post of the stored ``doc_id`` would join beyond the index's
        matches (:func:`~dedup.collection.reports.joins`): its reuse candidates, LSH's
        matches left out, that relate to it whole, whenever stored (no window). The index
        asks when it places a document again (:meth:`~dedup.index.IndexCore.place_with`)."""
        row = self._texts.get_raw(doc_id)
        text = tables.decompress(row[0]) if row is not None else ""
        spans = tables.parse_spans(row[1]) if row is not None and row[1] else []
        fp = self.index.fingerprint_of(doc_id)
        lsh = [m.id for m in self.index.similar(doc_id, threshold=threshold).matches]
        found, _ = self.whole(doc_id, text, spans, fp, lsh, threshold)
        return [m.id for m in found]

    def whole(
        self,
        doc_id: str,
        text: str,
        spans: Sequence[Span],
        fp: Fingerprint,
        lsh: Sequence[str],
        threshold: float,
    ) -> tuple[list[Match], tuple[str, ...]]:
        """The reuse candidates of the stored ``doc_id`` (its ``text``, boilerplate ``spans``
        and fingerprint ``fp``), ``lsh`` left out, that relate to it whole, whenever stored;
        and those compared like for like (:meth:`alike`)."""
        reuse = self._postings.candidates(fp.shingles, own=doc_id, exclude=list(lsh))
        reuse, sets = self.existing(reuse, None)
        return self.alike(reuse, sets, text, spans, fp, threshold)

    def spans(self, doc: Document) -> list[tuple[int, int]]:
        """The boilerplate spans of the stored ``doc`` as the stored corpus judges them now, as
        a post of it would be: its stored version no carrier (a view of it, and a match's side,
        judge it alike)."""
        stripped = self._stripper.strip_document(doc)
        return sorted(stripped.removed + stripped.chrome)

    def filtered(
        self,
        ids: list[str],
        doc: Document,
        since: str | None,
        until: str | None,
        exclude_same_source: bool,
    ) -> list[str]:
        """Reuse candidates kept by the same filters as document matches."""
        if not (since or until or exclude_same_source):
            return ids
        kept = []
        for doc_id in ids:
            stored = self.index.get(doc_id)
            if exclude_same_source and doc.source is not None and stored.source == doc.source:
                continue
            if (since or until) and stored.published is None:
                continue
            if since and stored.published is not None and stored.published < since:
                continue
            if until and stored.published is not None and stored.published >= until:
                continue
            kept.append(doc_id)
        return kept

    def within(
        self, matches: tuple[Match, ...], doc: Document, window: Window
    ) -> tuple[tuple[Match, ...], tuple[Match, ...]]:
        """A post's verified ``matches`` with every stored document: those ``window`` keeps
        (what a query within it verifies: the index filters after reading the buckets), and
        those it leaves out (``Pending.outside``), where the post is placed all the same, as
        without the window; only a windowed post queries without it, others pay nothing."""
        kept = set(self.filtered([m.id for m in matches], doc, *window))
        return (
            tuple(m for m in matches if m.id in kept),
            tuple(m for m in matches if m.id not in kept),
        )

    def reports(
        self,
        text: str,
        spans: list[tuple[int, int]],
        matches: tuple[Match, ...],
        reuse: list[str],
        shingles: np.ndarray,
        sets: Mapping[str, np.ndarray],
    ) -> list[MatchReport]:
        """Matches with their passages, then the reuse candidates that share passages.

        ``text`` is the reported document's and ``shingles`` its shingle set; ``sets`` are
        the stored shingle sets of ``reuse`` (:meth:`existing`'s): a candidate without one is
        not reported (removed, or stored after the post was decided). Reading the missing
        ones here listed a bulk body's later lines in an earlier line's answer.
        """
        reports = []
        side = self._reuse.side(tokenize(text), spans, text)
        for m in matches:
            passages = self.compare(side, m.id)
            reports.append(
                MatchReport(
                    m.id,
                    m.relation.value,
                    m.jaccard,
                    m.containment_a_in_b,
                    m.containment_b_in_a,
                    passages.passages if passages else (),
                )
            )
        for doc_id in reuse:
            if doc_id not in sets:
                continue
            found = self.compare(side, doc_id)
            if found is None or not found.shares_passages:
                continue
            sim = Similarity.of(shingles, sets[doc_id])
            reports.append(
                MatchReport(
                    doc_id,
                    Relation.SHARES_PASSAGES.value,
                    sim.jaccard,
                    sim.containment_a_in_b,
                    sim.containment_b_in_a,
                    found.passages,
                )
            )
        return reports

    def existing(
        self, ids: list[str], before: int | None
    ) -> tuple[list[str], dict[str, np.ndarray]]:
        """The first :data:`MAX_REUSE_CANDIDATES` of the reuse candidates ``ids`` that were
        stored when the mark ``before`` was taken (None: now), and their stored shingle sets.

        Stored then is stored before the mark, or stored before it and stored anew since by
        an update or a refresh (:func:`~dedup.collection.stored_since.stored_before`), which
        is measured and aligned by its text as it is now: the version the post was decided
        against is gone. Those first stored after the mark are left out, and take no earlier
        one's place: a bulk body's line answered with the later lines it shared a passage
        with, and an excerpt decided before its story's date was corrected answered ``new``.
        An ordinary post, whose candidates were all stored before it, reads what it read.
        """
        if before is None:
            reuse = ids[:MAX_REUSE_CANDIDATES]
            sets = self.index.shingles(reuse) if reuse else {}
            return [d for d in reuse if d in sets], sets
        reuse, sets, start = [], {}, 0
        while len(reuse) < MAX_REUSE_CANDIDATES and start < len(ids):
            chunk = ids[start : start + MAX_REUSE_CANDIDATES - len(reuse)]
            start += len(chunk)
            found = self.index.shingles(chunk, before)
            if len(found) < len(chunk):  # stored anew since, stored after it, or removed
                late = stored_before(self.index, [d for d in chunk if d not in found], before)
                found.update(self.index.shingles(late))
            reuse.extend(d for d in chunk if d in found)
            sets.update(found)
        return reuse, sets

    def alike(
        self,
        reuse: list[str],
        sets: Mapping[str, np.ndarray],
        text: str,
        spans: Sequence[Span],
        fp: Fingerprint,
        threshold: float,
    ) -> tuple[list[Match], tuple[str, ...]]:
        """The reuse candidates (``reuse``, their shingle ``sets``: :meth:`existing`'s) whose
        whole texts relate to the document with ``text``, boilerplate ``spans`` and
        fingerprint ``fp`` at ``threshold``, compared like for like where the two were treated
        differently (:meth:`LikeForLike.alike`); and the ids of those compared like for like.

        LSH is tuned to Jaccard similarity, so it seldom proposes a short excerpt of a long
        article (contained in it, at a Jaccard of a tenth): the reuse candidates, from shared
        sampled shingles, do. Measured exactly, as LSH candidates are, such a pair is a
        document-level match, not a pair that merely shares passages; and compared like for
        like, as LSH's matches are, so that an aggregator's excerpt that kept the story's
        footer is the story's excerpt whichever path found the pair.
        """
        measured = {d: Similarity.of(fp.shingles, sets[d]) for d in reuse}  # in its order
        return self._like.alike(text, spans, fp, measured, threshold)

    def view(self, doc_id: str, threshold: float, window: Window) -> DocumentView:
        """A stored document with its cluster and its matches within ``window``, as a post
        of it answers them now: the index's, the reuse candidates related whole (an excerpt
        and its story, whichever was stored first), and those that share passages, with
        their passages."""
        stored = self.index.get(doc_id)
        row = self._texts.get_raw(doc_id)
        text = tables.decompress(row[0]) if row is not None else ""
        spans = tables.parse_spans(row[1]) if row is not None and row[1] else []
        doc = Document(doc_id, text, stored.source, stored.published, stored.title)
        since, until, exclude = window
        fp = self.index.fingerprint_of(doc_id)  # read once: the query's and the reuse lookup's
        lsh = self.index.query(
            doc, fingerprint=fp, since=since, until=until, exclude_same_source=exclude
        ).matches
        lsh, _ = self._like.revise(text, spans, fp, lsh)  # as a post of it answers
        mine = fp.shingles
        reuse = self._postings.candidates(mine, own=doc_id, exclude=[m.id for m in lsh])
        reuse, sets = self.existing(self.filtered(reuse, doc, *window), None)
        found, _ = self.alike(reuse, sets, text, spans, fp, threshold)
        matches = tuple(sorted([*lsh, *found], key=Match.sort_key))
        taken = {m.id for m in found}
        rest = [r for r in reuse if r not in taken]
        # Its own boilerplate as its matches' sides are taken (_side): as judged when it was
        # stored, judged now (as a post of it, itself no carrier) only if stored without spans.
        # Judged now always, it counted itself among the carriers, and a footer three posts
        # carried was left out of its side only: another outlet's page sharing the footer
        # listed it, and its own view did not list them back.
        own = spans if row is not None and row[1] is not None else self.spans(doc)
        reports = self.reports(text, own, matches, rest, mine, sets)
        return DocumentView(
            id=stored.id,
            source=stored.source,
            published=stored.published,
            title=stored.title,
            length=stored.length,
            cluster=stored.cluster,
            members=tuple(self.index.cluster_members(doc_id)),
            matches=tuple(reports),
        )

    def compare(self, side: AlignSide, other_id: str) -> PairReuse | None:
        """Passages shared with a stored document, boilerplate left out on both sides.

        ``side`` is the checked text's (:meth:`ReuseFinder.side`, boilerplate excluded). The
        stored document's boilerplate is the one judged when it was posted (documents loaded
        in bulk are judged now): judging it again for every match would dominate a post.
        """
        other = self._side(other_id)
        return None if other is None else self._reuse.compare_sides(side, other)

    def _side(self, doc_id: str) -> AlignSide | None:
        """The stored text of ``doc_id`` ready for alignment, from the cache when it is current.

        A reprinted story is matched again by each later reprint, so its side is kept for the
        next post: tokenising and hashing the stored text was half of each comparison. The
        stored row (compressed text and judged spans) is read every time and must equal the
        one the cached side was made from, so a replaced or re-judged text is never served
        stale. Texts whose boilerplate is judged now (loaded in bulk without spans) are not
        cached: their judgement follows the corpus.
        """
        row = self._texts.get_raw(doc_id)
        if row is None:
            return None
        data, stored_spans = row
        cached = self._sides.get(doc_id)
        if cached is not None and cached[0] == data and cached[1] == stored_spans:
            self._sides.move_to_end(doc_id)
            return cached[2]
        text = tables.decompress(data)
        if stored_spans is None:
            source = self.index.get(doc_id).source
            spans = self.spans(Document(doc_id, text, source))
            return self._reuse.side(tokenize(text), spans, text)
        side = self._reuse.side(tokenize(text), tables.parse_spans(stored_spans), text)
        self._sides[doc_id] = (data, stored_spans, side)
        if len(self._sides) > SIDE_CACHE:
            self._sides.popitem(last=False)
        return side
