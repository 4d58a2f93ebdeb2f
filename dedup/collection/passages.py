"""Match reports: the passages behind each match, and reuse candidates that share some.

Split from :mod:`dedup.collection.core`: everything here reads the stored texts (and their
boilerplate as judged when they were stored) and aligns them with the checked document.
"""

from __future__ import annotations

from dedup.align import PairReuse
from dedup.boilerplate import Stripper
from dedup.collection import tables
from dedup.collection.reports import MatchReport
from dedup.fingerprint import Fingerprint
from dedup.index import SQLiteIndex
from dedup.normalize import Tokens, tokenize
from dedup.reuse import ReuseFinder
from dedup.types import Document, Match
from dedup.verify import Relation, Similarity


class Passages:
    """Reports of a checked document's matches against the stored texts."""

    def __init__(self, index: SQLiteIndex, texts: tables.TextTable, stripper: Stripper) -> None:
        self.index = index
        self._texts = texts
        self._stripper = stripper
        self._reuse = ReuseFinder()

    def spans(self, doc: Document) -> list[tuple[int, int]]:
        """The boilerplate spans of ``doc`` as the stored corpus judges them now."""
        stripped = self._stripper.strip(doc.text, doc.source)
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

    def reports(
        self,
        tokens: Tokens,
        spans: list[tuple[int, int]],
        matches: tuple[Match, ...],
        reuse: list[str],
        fp: Fingerprint | None = None,
    ) -> list[MatchReport]:
        """Matches with their passages, then the reuse candidates that share passages.

        ``tokens`` are those of ``doc.text`` (tokenised on the way in, see ``Prepared``).
        """
        reports = []
        for m in matches:
            passages = self.compare(tokens, spans, m.id)
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
        if reuse and fp is not None:
            sets = self.index.shingles(reuse)
            for doc_id in reuse:
                found = self.compare(tokens, spans, doc_id)
                if found is None or not found.shares_passages or doc_id not in sets:
                    continue
                sim = Similarity.of(fp.shingles, sets[doc_id])
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

    def compare(
        self, tokens: Tokens, spans: list[tuple[int, int]], other_id: str
    ) -> PairReuse | None:
        """Passages shared with a stored document, boilerplate left out on both sides.

        The stored document's boilerplate is the one judged when it was posted (documents
        loaded in bulk are judged now): judging it again for every match would dominate a post.
        """
        found = self._texts.get_with_boilerplate(other_id)
        if found is None:
            return None
        text, other_spans = found
        if other_spans is None:
            other_spans = self.spans(Document(other_id, text, self.index.get(other_id).source))
        return self._reuse.compare(tokens, tokenize(text), spans, other_spans)
