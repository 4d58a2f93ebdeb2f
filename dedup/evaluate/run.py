"""Run the bulk pipeline on a labelled corpus and score it against the gold labels.

:func:`evaluate` runs exactly what ``dedup bulk`` runs (same :func:`dedup.bulk.run_bulk`, same
boilerplate stage), so its figures are those of the command a user runs, not of a model of it.
The documents are passed as a function that reads them from the start each time, because the
job reads them more than once (learn boilerplate, fingerprint, score boilerplate); nothing but
ids, labels and the job's own per-document figures is held in memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from dedup.bulk import BulkOptions, run_bulk
from dedup.bulk.boilerplate import BoilerplateStage
from dedup.bulk.like_for_like import PairsAlike
from dedup.config import Config
from dedup.evaluate.labels import Labels
from dedup.evaluate.metrics import Scores, Span, adjusted_rand_index, pair_scores, span_scores
from dedup.fingerprint import Fingerprinter
from dedup.types import Document

Documents = Callable[[], Iterable[Document]]


@dataclass(frozen=True, slots=True)
class Evaluation:
    """How one run of the pipeline compares with the gold labels."""

    config: Config
    documents: int
    gold_clusters: int
    predicted_clusters: int
    pairs: Scores
    ari: float
    boilerplate: Scores | None  # character level; None without gold boilerplate
    boilerplate_documents: int  # documents with gold boilerplate spans
    strip_boilerplate: bool
    seconds: float
    passages: bool = False
    excerpts: bool = False  # sampled candidates proposed pairs (with passages too)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``dedup eval --json``)."""
        return {
            "documents": self.documents,
            "gold_clusters": self.gold_clusters,
            "predicted_clusters": self.predicted_clusters,
            "pairwise": self.pairs.to_dict(),
            "ari": round(self.ari, 6),
            "boilerplate": None if self.boilerplate is None else self.boilerplate.to_dict(),
            "boilerplate_documents": self.boilerplate_documents,
            "strip_boilerplate": self.strip_boilerplate,
            "passages": self.passages,
            "excerpts": self.excerpts,
            "seconds": round(self.seconds, 3),
            "config_id": self.config.id,
            "config": self.config.to_dict(),
        }


def evaluate(
    documents: Documents,
    labels: Labels,
    config: Config,
    *,
    strip_boilerplate: bool = False,
    jobs: int = 0,
    stage: BoilerplateStage | None = None,
    passages: bool = False,
    excerpts: bool = False,
) -> Evaluation:
    """Cluster ``documents()`` with ``config`` and score the result against ``labels``.

    With ``strip_boilerplate`` documents are fingerprinted without their learned boilerplate,
    as ``dedup bulk --strip-boilerplate`` does. Boilerplate is learned (and scored) whenever
    ``labels`` has gold spans, stripped or not: the spans a user would get from ``dedup strip``.
    ``stage`` reuses a boilerplate stage already trained on the same documents and config.
    With ``passages`` the run looks for passages as ``dedup bulk --passages`` does, whose
    candidates from sampled shingles add the whole-text pairs LSH missed to the clusters;
    ``excerpts`` adds those pairs alone, as ``dedup bulk --excerpts`` does.
    """
    started = time.perf_counter()
    needs_stage = strip_boilerplate or bool(labels.boilerplate)
    if needs_stage and stage is None:
        stage = BoilerplateStage(config)
        stage.learn(documents())
    result = run_bulk(
        documents(),
        config,
        BulkOptions(jobs=jobs, passages=passages, excerpts=excerpts),
        transform=stage.content if strip_boilerplate and stage else None,
        exclusions=stage.spans if passages and stage else None,
        alike=_alike(documents, stage, config) if strip_boilerplate and stage else None,
    )
    gold = [labels.cluster_of(doc_id) for doc_id in result.ids]
    predicted = result.canon.tolist()
    boilerplate = None
    if labels.boilerplate and stage is not None:
        boilerplate = span_scores(_span_pairs(documents(), labels, stage))
    return Evaluation(
        config=config,
        documents=len(result.ids),
        gold_clusters=len(set(gold)),
        predicted_clusters=result.clusters,
        pairs=pair_scores(gold, predicted),
        ari=adjusted_rand_index(gold, predicted),
        boilerplate=boilerplate,
        boilerplate_documents=sum(1 for doc_id in result.ids if doc_id in labels.boilerplate),
        strip_boilerplate=strip_boilerplate,
        seconds=time.perf_counter() - started,
        passages=passages,
        excerpts=excerpts or passages,
    )


def _span_pairs(
    documents: Iterable[Document], labels: Labels, stage: BoilerplateStage
) -> Iterator[tuple[list[Span], list[Span]]]:
    for doc in documents:
        gold = labels.boilerplate.get(doc.id)
        if gold is not None:
            yield gold, stage.spans(doc)


def _alike(documents: Documents, stage: BoilerplateStage, config: Config) -> PairsAlike:
    """Like-for-like pairs as ``dedup bulk --strip-boilerplate`` compares them, its documents
    read again by a pass over ``documents()``."""

    def read(wanted: np.ndarray) -> Iterator[tuple[int, Document]]:
        return ((k, doc) for k, doc in enumerate(documents()) if wanted[k])

    return PairsAlike(stage, read, Fingerprinter(config))
