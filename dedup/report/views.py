"""What a report page shows, as plain values: the shown documents, pairs and clusters, and the
similarity histogram. Filled by :mod:`dedup.report.data`, drawn by :mod:`dedup.report.page`
and :mod:`dedup.report.charts`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dedup.report.highlight import Highlight, Span

BINS = 50  # histogram bins over Jaccard [0, 1]
RELATION_ORDER = ("duplicate", "near_duplicate", "contains", "contained_in", "shares_passages")


@dataclass(frozen=True, slots=True)
class DocView:
    """A shown document: its text (perhaps cut), full length, metadata, boilerplate spans."""

    id: str
    text: str
    length: int
    source: str | None = None
    published: str | None = None
    title: str | None = None
    removed: tuple[Span, ...] = ()


@dataclass(frozen=True, slots=True)
class PairView:
    """A member beside its canonical: the pair record and the passages on each side."""

    member_id: str
    member: DocView | None
    record: dict[str, Any] | None
    canonical_marks: tuple[Highlight, ...] = ()
    member_marks: tuple[Highlight, ...] = ()


@dataclass(frozen=True, slots=True)
class ClusterView:
    """A shown cluster: its canonical, its size and the shown members."""

    id: str
    size: int
    canonical: DocView | None
    pairs: tuple[PairView, ...]


@dataclass(slots=True)
class Histogram:
    """Verified pairs counted by Jaccard bin (``BINS`` equal bins over [0, 1]) and relation."""

    counts: dict[str, list[int]] = field(default_factory=dict)
    total: int = 0

    def add(self, jaccard: float, relation: str) -> None:
        """Count one pair."""
        row = self.counts.setdefault(relation, [0] * BINS)
        row[min(max(int(jaccard * BINS), 0), BINS - 1)] += 1
        self.total += 1

    def relations(self) -> list[str]:
        """Relations present, in the fixed display order (unknown ones last)."""
        known = [r for r in RELATION_ORDER if r in self.counts]
        return known + sorted(set(self.counts) - set(RELATION_ORDER))
