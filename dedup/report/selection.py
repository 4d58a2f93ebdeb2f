"""Which clusters and documents a report shows: the same rule for the bulk job and the report.

A report must stay readable and bounded at any corpus size, so it shows at most
``Limits.clusters`` clusters with duplicates, the largest first (ties: the cluster whose first
document comes first in the input), each with its canonical document and at most
``Limits.members`` other members (the first ones in input order), texts cut at
``Limits.text_chars`` characters. The bulk job applies this rule to write the texts the report
needs (``samples.jsonl``); ``dedup report`` applies it again to the run's ``clusters.jsonl``.

Selection is two streaming passes over ``(id, cluster)`` records: the first counts cluster
sizes (one counter per cluster), the second collects the chosen members (bounded by the
limits). Nothing else is kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from dedup.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Limits:
    """How much a report shows; the defaults keep a page under a few megabytes."""

    clusters: int = 50
    members: int = 4  # besides the canonical
    text_chars: int = 8000
    patterns: int = 100  # boilerplate patterns listed

    def __post_init__(self) -> None:
        for name in ("clusters", "members", "text_chars", "patterns"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"report limit {name} must be a positive integer, got {value!r}")


@dataclass(frozen=True, slots=True)
class Selection:
    """The chosen clusters, largest first: ``(cluster id, size, [canonical, members...])``."""

    clusters: list[tuple[str, int, list[str]]]
    sizes: Counter[int]  # cluster size -> number of clusters, over the whole run
    duplicate_clusters: int  # clusters of two or more documents, over the whole run

    def documents(self) -> set[str]:
        """Ids of every document shown."""
        return {doc for _, _, members in self.clusters for doc in members}


Records = Callable[[], Iterable[tuple[str, str]]]


def select(records: Records, limits: Limits) -> Selection:
    """Apply the rule to ``records()``: ``(document id, cluster id)`` in input order.

    ``records`` is called twice (two passes). The cluster id is the canonical's document id.
    """
    size_of: Counter[str] = Counter()
    for _, cluster in records():
        size_of[cluster] += 1  # a Counter keeps first-seen order: the tie-break
    ranked = sorted((item for item in size_of.items() if item[1] > 1), key=lambda item: -item[1])[
        : limits.clusters
    ]
    chosen = {cluster: [cluster] for cluster, _ in ranked}
    for doc, cluster in records():
        members = chosen.get(cluster)
        if members is not None and doc != cluster and len(members) <= limits.members:
            members.append(doc)
    sizes = Counter(size_of.values())
    duplicate_clusters = sum(count for size, count in sizes.items() if size > 1)
    return Selection(
        [(cluster, size, chosen[cluster]) for cluster, size in ranked], sizes, duplicate_clusters
    )
