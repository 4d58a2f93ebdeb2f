"""Plain data types shared by every stage, and the protocols between them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from dedup._pickling import by_fields


class Relation(StrEnum):
    """How document ``a`` relates to document ``b``."""

    DUPLICATE = "duplicate"  # identical normalised text
    NEAR_DUPLICATE = "near_duplicate"  # a copy: Jaccard, or containment both ways, >= threshold
    CONTAINS = "contains"  # most of b's shingles are in a, not most of a's (b is an excerpt)
    CONTAINED_IN = "contained_in"  # most of a's shingles are in b, not most of b's
    SHARES_PASSAGES = "shares_passages"  # aligned passages pass dedup.align.ReuseRule


@by_fields
@dataclass(frozen=True, slots=True)
class Document:
    """One article as it enters dedup.

    ``text`` is kept exactly as given: every span dedup reports is a character offset into it.
    ``published`` is an ISO 8601 string normalised by :func:`dedup.io.parse_published`
    (``YYYY-MM-DDTHH:MM:SSZ``, UTC), so string order is time order.

    ``record`` is the JSON object the document was read from, its bytes as they stood in the
    input (one line, no line break), when it came from a JSON Lines record; ``None`` otherwise.
    Outputs that give a corpus back (``deduped.jsonl``, ``dedup strip``) write it rather than
    the fields above, so that a team gets its own records back: every field, under its own
    names, values as given. Kept as bytes so that passing it through costs a copy, not an
    encoding. It takes no part in equality: two documents are the same document whatever
    their records spelt.
    """

    id: str
    text: str
    source: str | None = None
    published: str | None = None
    title: str | None = None
    record: bytes | None = field(default=None, compare=False, repr=False)


class AddOutcome(StrEnum):
    """What adding a document to an index did."""

    ADDED = "added"  # the id was new
    UPDATED = "updated"  # the id was stored with other text or metadata, now replaced
    UNCHANGED = "unchanged"  # the same id, text and metadata were already stored: a no-op


# Strength of each relation for ordering matches: identical text first, then near-duplicates,
# then containment either way (one level: the score decides between an excerpt and a superset).
_RELATION_RANK = {
    Relation.DUPLICATE: 0,
    Relation.NEAR_DUPLICATE: 1,
    Relation.CONTAINS: 2,
    Relation.CONTAINED_IN: 2,
    Relation.SHARES_PASSAGES: 3,
}


@by_fields
@dataclass(frozen=True, slots=True)
class Match:
    """A stored document that verified against a query, and why.

    ``a`` is the query and ``b`` the stored document ``id``, as in :class:`dedup.Similarity`:
    ``containment_a_in_b`` is the share of the query's shingles found in the stored document,
    so a query that is an excerpt of ``id`` is ``contained_in`` it.
    """

    id: str
    relation: Relation
    jaccard: float
    containment_a_in_b: float
    containment_b_in_a: float

    @property
    def score(self) -> float:
        """The measure that ranks the match within its relation: the containment that passed
        for an excerpt or a superset, else Jaccard (also for a copy earned by containment both
        ways: its Jaccard says how much the changes cost, as any copy's does)."""
        if self.relation is Relation.CONTAINED_IN:
            return self.containment_a_in_b
        if self.relation is Relation.CONTAINS:
            return self.containment_b_in_a
        return self.jaccard

    def sort_key(self) -> tuple[int, float, str]:
        """Best first: stronger relation, then higher score, then smaller id (a total order)."""
        return (_RELATION_RANK[self.relation], -self.score, self.id)


@by_fields
@dataclass(frozen=True, slots=True)
class QueryResult:
    """The verified matches of one query, best first, and how complete the search was.

    ``truncated_buckets`` counts the buckets (LSH band buckets and the exact-duplicate bucket)
    that held more documents than the index's bucket cap; only the first ``cap`` documents of
    each were read, so a match may be missing when it is non-zero.
    """

    matches: tuple[Match, ...]
    candidates: int  # distinct documents read from buckets, before filters and verification
    truncated_buckets: int = 0

    @property
    def truncated(self) -> bool:
        """True when a hot bucket was cut short and the matches may be incomplete."""
        return self.truncated_buckets > 0
