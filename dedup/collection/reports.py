"""What a :class:`~dedup.collection.Collection` answers: verdicts, matches, stored documents."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal, NamedTuple

from dedup._pickling import by_fields
from dedup.align import Passage
from dedup.boilerplate.store import DocumentEntry
from dedup.fingerprint import Fingerprint
from dedup.types import AddOutcome, Document, Match, Relation

Status = Literal["new", "duplicate", "near_duplicate"]
Stored = Literal["added", "updated", "unchanged"]
_DIGITS = 6


@by_fields
@dataclass(frozen=True, slots=True)
class MatchReport:
    """A stored document related to the checked one, and how.

    ``containment`` is the share of the checked document's shingles found in the match,
    ``containment_reverse`` the share of the match's found in the checked document. Passages
    are ``a`` = offsets in the checked text, ``b`` = offsets in the stored text.
    """

    id: str
    relation: str
    jaccard: float
    containment: float
    containment_reverse: float
    passages: tuple[Passage, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "relation": self.relation,
            "jaccard": round(self.jaccard, _DIGITS),
            "containment": round(self.containment, _DIGITS),
            "containment_reverse": round(self.containment_reverse, _DIGITS),
            "passages": [
                {"a": list(p.a), "b": list(p.b), "score": round(p.score, 4)} for p in self.passages
            ],
        }


@by_fields
@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer to "what is this article?" for one checked or posted document.

    ``status`` is ``duplicate`` when a stored document has the same normalised text, whatever
    boilerplate either had removed (:mod:`~dedup.collection.like_for_like`), or the same id and
    text were posted before; ``near_duplicate`` when one is related as a near
    duplicate or contains it (the checked document is a copy or an excerpt: found by LSH, or
    among the reuse candidates, a short excerpt of a long story, which LSH misses), else
    ``new``: passage reuse, or containing a stored document (a long article quoting a stored
    brief), leaves an article ``new``, and its matches say what it shares or contains.
    ``duplicate_of`` is the id of the best match that made it a duplicate or near duplicate.
    ``boilerplate`` lists the checked text's boilerplate spans; ``stored`` what posting did
    (None for a check); ``truncated`` that a hot LSH bucket was cut short.
    """

    id: str
    status: Status
    duplicate_of: str | None
    matches: tuple[MatchReport, ...]
    boilerplate: tuple[tuple[int, int], ...]
    stored: Stored | None = None
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "status": self.status,
            "duplicate_of": self.duplicate_of,
            "matches": [m.to_dict() for m in self.matches],
            "boilerplate": [list(span) for span in self.boilerplate],
            "stored": self.stored,
            "truncated": self.truncated,
        }


@by_fields
@dataclass(frozen=True, slots=True)
class DocumentView:
    """A stored document: its metadata, its cluster and what it matches."""

    id: str
    source: str | None
    published: str | None
    title: str | None
    length: int
    cluster: str
    members: tuple[str, ...]
    matches: tuple[MatchReport, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "source": self.source,
            "published": self.published,
            "title": self.title,
            "length": self.length,
            "cluster": self.cluster,
            "canonical": self.cluster == self.id,
            "members": list(self.members),
            "matches": [m.to_dict() for m in self.matches],
        }


@by_fields
@dataclass(frozen=True, slots=True, eq=False)
class Prepared:
    """:meth:`Collection.prepare`'s result: ``doc``'s boilerplate entry under one config, and
    its text compressed as the collection stores it (``compressed``; None if not made, as for
    a check, which stores nothing).

    Not its tokens, which only :meth:`Collection.report` reads: tokenising a news article
    takes about 0.09 ms, while its tokens pickled are about 13 KB, which a service that
    prepares and reports in other processes sent across twice (about 0.3 ms a post, half of it
    in the process that runs the writer). The compressed text is here because compressing it
    (about 0.07 ms for a news article) is work a post would otherwise do on the writer, which
    every post waits for in turn.
    """

    doc: Document
    config_id: str
    entry: DocumentEntry
    compressed: bytes | None


@by_fields
@dataclass(frozen=True, slots=True, eq=False)
class Pending:
    """A posted (or checked) document's verdict before its passages are aligned.

    ``verdict`` has every field but ``matches``; ``matches`` are the verified document-level
    matches, which :meth:`Collection.report` aligns, and to which it adds the documents that
    share passages, found within ``window``. ``mark`` is the index's mark
    (:meth:`~dedup.index.IndexCore.mark`) when the verdict was decided: a report, which may run
    after later posts are stored (a bulk body's later lines, concurrent posts), lists only the
    documents stored before it, whole-text matches and shared passages alike, so that it
    answers as the post alone did; one stored before it and updated or refreshed since counts,
    as it is now (:mod:`dedup.collection.stored_since`). ``refreshed``
    are the stored documents a post fingerprinted anew first (:mod:`dedup.collection.refresh`);
    ``compared`` those of ``matches`` compared like for like, their relation not the stored
    fingerprints' (:mod:`dedup.collection.like_for_like`), where a post is placed too.
    ``outside`` are a post's verified matches that its window left out, compared like for
    like too (their ids in ``compared``): a post is placed by every stored document, as the
    same post without a window would be, and its report leaves them out of its reuse
    candidates, as that post's does (empty without a window, and for a check).
    """

    verdict: Verdict
    matches: tuple[Match, ...]
    window: Window
    fingerprint: Fingerprint
    prepared: Prepared
    mark: int | None = None  # None: any stored document
    refreshed: tuple[str, ...] = ()  # stored documents a post fingerprinted anew (.refresh)
    compared: tuple[str, ...] = ()  # matches compared like for like (.like_for_like)
    outside: tuple[Match, ...] = ()  # a windowed post's matches its window left out


class Window(NamedTuple):
    """Which stored documents a check compares with: published in ``[since, until)`` (either
    bound optional) and, with ``exclude_same_source``, from another source than its own."""

    since: str | None = None
    until: str | None = None
    exclude_same_source: bool = False


#: What a post's ``stored`` field says for each outcome of adding it to the index.
STORED_AS: dict[AddOutcome, Stored] = {
    AddOutcome.ADDED: "added",
    AddOutcome.UPDATED: "updated",
    AddOutcome.UNCHANGED: "unchanged",
}


#: Relations that make a checked document a copy of the match (or an excerpt of it): the
#: others, ``contains`` and ``shares_passages``, leave it ``new`` (:func:`status_of`).
_COPY_OF = (Relation.DUPLICATE, Relation.NEAR_DUPLICATE, Relation.CONTAINED_IN)


def status_of(matches: tuple[Match, ...]) -> Status:
    """A verdict's status from its verified document-level matches.

    A document whose only whole-text matches it ``contains`` is ``new``: a long article that
    quotes a stored brief, or carries a stored footer-only page, is new content, not a copy of
    either (the index does not place it in their clusters); its matches still list them.
    """
    if any(m.relation is Relation.DUPLICATE for m in matches):
        return "duplicate"
    if any(m.relation in _COPY_OF for m in matches):
        return "near_duplicate"
    return "new"


def duplicate_of(matches: tuple[Match, ...]) -> str | None:
    """The verdict's ``duplicate_of``: the best match (they are sorted best first) that makes
    the document a copy or an excerpt (:func:`status_of`), or None for a ``new`` one."""
    return next((m.id for m in matches if m.relation in _COPY_OF), None)


def widened(
    verdict: Verdict, matches: tuple[Match, ...], found: list[Match], reuse: list[str]
) -> tuple[Verdict, tuple[Match, ...], list[str]]:
    """``verdict`` and its ``matches`` with ``found`` added (reuse candidates whose whole texts
    relate to the checked one), and the reuse candidates left to judge by their passages.

    The status and best match follow all the matches, unless the verdict is a stored
    document's own (a re-post, or a check of its id and text): that stays a duplicate of itself.
    """
    if not found:
        return verdict, matches, reuse
    merged = tuple(sorted([*matches, *found], key=Match.sort_key))
    taken = {m.id for m in found}
    if verdict.duplicate_of != verdict.id:
        verdict = replace(verdict, status=status_of(merged), duplicate_of=duplicate_of(merged))
    return verdict, merged, [doc_id for doc_id in reuse if doc_id not in taken]


class PostReport(NamedTuple):
    """A post's :meth:`Collection.report_post`: its verdict, and the documents related to it
    whole that the index did not match, where :meth:`Collection.join_cluster` places it."""

    verdict: Verdict
    related: tuple[str, ...]


def placed(verdict: Verdict) -> bool:
    """Whether the verdict's document was placed in a cluster: a post that stored it (not a
    check, nor an unchanged re-post)."""
    return verdict.stored in ("added", "updated")


def joins(pending: Pending, verdict: Verdict) -> tuple[str, ...]:
    """The documents a post's report found related to it whole that the index did not match
    (reuse candidates LSH did not propose): where :meth:`Collection.join_cluster` places the
    posted document, which the index placed without them. Empty for a check or an unchanged
    post, which placed nothing. Only those within the post's window (``since``, ``until``,
    ``exclude_same_source``), as its report is: :meth:`Collection.report_post` adds the rest."""
    if not placed(verdict):
        return ()
    known = {m.id for m in pending.matches}
    passages = Relation.SHARES_PASSAGES.value
    return tuple(m.id for m in verdict.matches if m.relation != passages and m.id not in known)
