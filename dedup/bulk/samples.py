"""What the bulk job keeps for the report while it reads its input the second time.

The report shows the texts of the largest clusters and counts boilerplate per source, but the
job keeps no texts in memory. So while ``deduped.jsonl`` is written from the second read of the
input (which parses only the canonical documents and those :meth:`ReportSamples.wanted` names),
:class:`ReportSamples` watches the documents go by and keeps

* the original texts of the documents the report will show (the rule of
  :func:`dedup.report.select`: at most 50 clusters x 5 documents, each text cut at 8,000
  characters, so at most 2 MB whatever the corpus size), written as ``samples.jsonl``;
* for every learned boilerplate pattern, how many of its documents come from each source,
  added to ``boilerplate.jsonl`` as ``per_source`` (memory: one counter per pattern and source).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from dedup.boilerplate import Stripped
from dedup.bulk.run import BulkResult
from dedup.report.selection import Limits, select
from dedup.types import Document


class ReportSamples:
    """Collects the report's samples and per-source boilerplate counts during one read."""

    def __init__(
        self,
        result: BulkResult,
        patterns: Iterable[Mapping[str, Any]] = (),
        strip: Callable[[Document], Stripped] | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.limits = limits or Limits()
        ids = result.ids
        canon = result.canon.tolist()
        selection = select(lambda: ((ids[i], ids[c]) for i, c in enumerate(canon)), self.limits)
        self.cluster_of = {
            doc: cluster for cluster, _, members in selection.clusters for doc in members
        }
        self.strip = strip
        self.patterns = [dict(p) for p in patterns]
        self.per_source: list[Counter[str]] = [Counter() for _ in self.patterns]
        self._carried: dict[str, list[int]] = {}
        for k, pattern in enumerate(self.patterns):
            for doc_id in pattern.get("documents", []):
                self._carried.setdefault(str(doc_id), []).append(k)
        self._samples: list[dict[str, Any]] = []

    def wanted(self, ids: list[str]) -> np.ndarray:
        """Which documents (by position, ``ids`` in input order) :meth:`watch` must see."""
        needed = self.cluster_of.keys() | self._carried.keys()
        mask = np.zeros(len(ids), dtype=bool)
        if needed:
            mask[[i for i, doc_id in enumerate(ids) if doc_id in needed]] = True
        return mask

    def watch(self, documents: Iterable[tuple[int, Document]]) -> Iterator[tuple[int, Document]]:
        """``(position, document)`` pairs unchanged, observed on the way."""
        for position, doc in documents:
            cluster = self.cluster_of.get(doc.id)
            if cluster is not None:
                self._samples.append(self._sample(doc, cluster))
            if doc.source is not None:
                for k in self._carried.get(doc.id, ()):
                    self.per_source[k][doc.source] += 1
            yield position, doc

    def sample_records(self) -> list[dict[str, Any]]:
        """``samples.jsonl`` lines, in input order."""
        return self._samples

    def boilerplate_records(self) -> list[dict[str, Any]]:
        """``boilerplate.jsonl`` lines with ``per_source``: documents per source, most first."""
        return [
            {**pattern, "per_source": dict(sorted(counts.items(), key=lambda i: (-i[1], i[0])))}
            for pattern, counts in zip(self.patterns, self.per_source, strict=True)
        ]

    def _sample(self, doc: Document, cluster: str) -> dict[str, Any]:
        record: dict[str, Any] = {
            "id": doc.id,
            "cluster": cluster,
            "text": doc.text[: self.limits.text_chars],
            "length": len(doc.text),
        }
        for name in ("source", "published", "title"):
            value = getattr(doc, name)
            if value is not None:
                record[name] = value
        if self.strip is not None:
            stripped = self.strip(doc)
            record["removed"] = [list(span) for span in sorted(stripped.removed + stripped.chrome)]
        return record
