"""What decides a check or a post: boilerplate, fingerprint, verified matches.

:class:`Deciding` is the first half of :meth:`~dedup.collection.Collection.check` and
:meth:`~dedup.collection.Collection.post_pending` (steps 1-2 of :mod:`dedup.collection.core`):
the document's boilerplate judged against the other stored documents of its source, its
boilerplate-aware text fingerprinted, the index's matches verified and compared like for like
(:mod:`.like_for_like`). What it returns (:class:`~dedup.collection.reports.Pending`) decides a
post's status and what it stores; :meth:`~dedup.collection.Collection.report` adds the
passages and the reuse candidates after the commit.
"""

from __future__ import annotations

from dedup.boilerplate import BoilerplateModel, Stripper, content_or_full
from dedup.collection.like_for_like import LikeForLike
from dedup.collection.passages import Passages
from dedup.collection.refresh import Refresher
from dedup.collection.reports import Pending, Prepared, Verdict, Window, duplicate_of, status_of
from dedup.fingerprint import Fingerprinter
from dedup.index import SQLiteIndex


class Deciding:
    """The stages a check and a post share, over one collection's parts."""

    def __init__(
        self,
        index: SQLiteIndex,
        model: BoilerplateModel,
        stripper: Stripper,
        refresher: Refresher,
        fingerprinter: Fingerprinter,
        like: LikeForLike,
        passages: Passages,
    ) -> None:
        self._index = index
        self._model = model
        self._stripper = stripper
        self._refresher = refresher
        self._fingerprinter = fingerprinter
        self._like = like
        self._passages = passages

    def decide(self, ready: Prepared, window: Window, *, refresh: bool = False) -> Pending:
        """A check but what the report adds, for the document ``ready`` was prepared from and
        ``window`` (its bounds in the stored form: the report filters its candidates by them
        too). ``refresh``: a post's, which first fingerprints anew the stored documents of its
        source its boilerplate shows were fingerprinted with it (:mod:`.refresh`), and is
        placed by the matches its window leaves out too (``Pending.outside``)."""
        doc = ready.doc
        judgement = self._model.judgement(leave_out=doc.id)  # as its first post was judged
        found = judgement.judge([ready.entry])[0]
        stripped = self._stripper.remove([doc], [found])[0]
        refreshed = self._refresher.refresh(doc, found, judgement) if refresh else ()
        fp = self._fingerprinter.fingerprint_one(content_or_full(doc.text, stripped))
        # A windowed post is placed by every match, as without the window (Passages.within).
        placing = refresh and window != Window()
        result = self._index.query(doc, fingerprint=fp, **({} if placing else window._asdict()))
        spans = tuple(sorted(stripped.removed + stripped.chrome))
        matches, compared = self._like.revise(doc.text, spans, fp, result.matches)
        matches, outside = self._passages.within(matches, doc, window) if placing else (matches, ())
        verdict = Verdict(
            id=doc.id,
            status=status_of(matches),
            duplicate_of=duplicate_of(matches),
            matches=(),
            boilerplate=spans,
            truncated=result.truncated,
        )
        mark = self._index.mark()
        return Pending(verdict, matches, window, fp, ready, mark, refreshed, compared, outside)
