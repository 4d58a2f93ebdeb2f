"""Sweep the verify threshold and the n-gram size on a labelled corpus; recommend settings.

Which way is stricter: a **higher threshold** asks a pair to share more of its shingles before
it is called a copy, and a **larger n-gram** makes every edited word break more shingles, so
an edited copy scores lower. Both trade recall (copies found) for precision (claims right).

The recommendation rule (:func:`recommend`): among the settings whose pairwise precision is at
least ``min_precision`` (0.98 by default: at most one wrong pair claim in fifty), the highest
pairwise F1; ties go to the stricter setting (higher precision, then higher threshold, then
larger n-gram). If no setting reaches ``min_precision``, there is no recommendation and the
table says so: lowering the bar silently would hide that the corpus defeats the settings.

Every point is a real run of the pipeline (:func:`dedup.evaluate.evaluate`), so the figures
are exactly what ``dedup eval`` reports for the same settings. The LSH banding does not change
with the threshold (it is tuned for ``lsh_threshold``); each row shows the S-curve's
probability that a pair *at* the threshold becomes a candidate at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dedup.bulk.boilerplate import BoilerplateStage
from dedup.config import Config
from dedup.evaluate.labels import Labels
from dedup.evaluate.run import Documents, Evaluation, evaluate
from dedup.lsh import s_curve

DEFAULT_THRESHOLDS = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
DEFAULT_NGRAMS = (3, 4, 5)
DEFAULT_MIN_PRECISION = 0.98

RULE = (
    "best pairwise F1 among settings with pairwise precision >= {p:.2f}; "
    "ties go to the stricter setting (higher precision, then higher threshold, then larger n-gram)"
)
STRICTER = (
    "stricter = higher threshold (pairs must share more) or larger n-gram (an edit breaks more "
    "shingles): fewer pairs, higher precision, lower recall"
)


@dataclass(frozen=True, slots=True)
class TunePoint:
    """One setting of the sweep and how it scored."""

    ngram: int
    threshold: float
    evaluation: Evaluation

    @property
    def p_candidate(self) -> float:
        """Probability that a pair with Jaccard equal to the threshold is an LSH candidate."""
        config = self.evaluation.config
        return float(s_curve(self.threshold, config.bands, config.rows))

    def strictness(self) -> tuple[float, float, float, int]:
        """Sort key of :func:`recommend`: F1, then stricter first."""
        pairs = self.evaluation.pairs
        return (pairs.f1, pairs.precision, self.threshold, self.ngram)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready row."""
        ev = self.evaluation
        return {
            "ngram": self.ngram,
            "threshold": self.threshold,
            "pairwise": ev.pairs.to_dict(),
            "ari": round(ev.ari, 6),
            "predicted_clusters": ev.predicted_clusters,
            "excerpts": ev.excerpts,
            "p_candidate_at_threshold": round(self.p_candidate, 6),
            "config_id": ev.config.id,
        }


@dataclass(frozen=True, slots=True)
class TuneResult:
    """The sweep's rows (n-gram, then threshold, ascending) and the recommended one."""

    points: tuple[TunePoint, ...]
    recommended: TunePoint | None
    min_precision: float
    base: Config

    @property
    def rule(self) -> str:
        """The recommendation rule, in words."""
        return RULE.format(p=self.min_precision)

    def s_curve(self, similarities: Sequence[float]) -> list[tuple[float, float]]:
        """``(Jaccard, P(candidate))`` of the base banding at each similarity."""
        return [(s, float(s_curve(s, self.base.bands, self.base.rows))) for s in similarities]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``dedup tune --json``)."""
        rec = self.recommended
        return {
            "rule": self.rule,
            "stricter": STRICTER,
            "min_precision": self.min_precision,
            "recommended": None
            if rec is None
            else {"ngram": rec.ngram, "threshold": rec.threshold},
            "bands": self.base.bands,
            "rows": self.base.rows,
            "s_curve": [[s, round(p, 6)] for s, p in self.s_curve([i / 20 for i in range(21)])],
            "points": [point.to_dict() for point in self.points],
        }


def recommend(points: Sequence[TunePoint], min_precision: float) -> TunePoint | None:
    """The point :data:`RULE` picks, or None when none reaches ``min_precision``."""
    eligible = [p for p in points if p.evaluation.pairs.precision >= min_precision]
    return max(eligible, key=TunePoint.strictness, default=None)


def tune(
    documents: Documents,
    labels: Labels,
    base: Config,
    *,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    ngrams: Sequence[int] = DEFAULT_NGRAMS,
    min_precision: float = DEFAULT_MIN_PRECISION,
    strip_boilerplate: bool = False,
    jobs: int = 0,
    excerpts: bool = False,
) -> TuneResult:
    """Run the pipeline for every (n-gram, threshold) and recommend one by :data:`RULE`.

    With ``strip_boilerplate`` the boilerplate is learned once per n-gram size (the model's
    near-duplicate fingerprints use it; the threshold does not affect it). With ``excerpts``
    every run adds the sampled candidates' whole-text pairs, as ``dedup bulk --excerpts``:
    the trade-off of the runs a user makes with it.
    """
    if not thresholds or not ngrams:
        raise ValueError("give at least one threshold and one n-gram size")
    clusters_only = Labels(clusters=labels.clusters)
    points: list[TunePoint] = []
    for ngram in sorted(set(ngrams)):
        config_n = base.replace(ngram=ngram)
        stage = None
        if strip_boilerplate:
            stage = BoilerplateStage(config_n)
            stage.learn(documents())
        for threshold in sorted(set(thresholds)):
            config = config_n.replace(threshold=threshold)
            result = evaluate(
                documents,
                clusters_only,
                config,
                strip_boilerplate=strip_boilerplate,
                jobs=jobs,
                stage=stage,
                excerpts=excerpts,
            )
            points.append(TunePoint(ngram, threshold, result))
    return TuneResult(tuple(points), recommend(points, min_precision), min_precision, base)
