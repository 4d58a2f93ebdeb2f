"""Measuring dedup against gold labels: metrics, a scored run, and a settings sweep.

* :mod:`dedup.evaluate.metrics` - pairwise precision/recall/F1, the Adjusted Rand Index and
  character-level span scores, all from counts (no pair enumeration);
* :func:`read_labels` - gold clusters and boilerplate spans from labelled JSON Lines;
* :func:`evaluate` - one pipeline run scored (``dedup eval``);
* :func:`tune` - a sweep over threshold and n-gram size with a stated recommendation rule
  (``dedup tune``).
"""

from dedup.evaluate.labels import Labels, read_labels
from dedup.evaluate.metrics import (
    Contingency,
    Scores,
    adjusted_rand_index,
    merge_spans,
    pair_scores,
    span_scores,
)
from dedup.evaluate.run import Evaluation, evaluate
from dedup.evaluate.tune import (
    DEFAULT_MIN_PRECISION,
    DEFAULT_NGRAMS,
    DEFAULT_THRESHOLDS,
    STRICTER,
    TunePoint,
    TuneResult,
    recommend,
    tune,
)

__all__ = [
    "DEFAULT_MIN_PRECISION",
    "DEFAULT_NGRAMS",
    "DEFAULT_THRESHOLDS",
    "STRICTER",
    "Contingency",
    "Evaluation",
    "Labels",
    "Scores",
    "TunePoint",
    "TuneResult",
    "adjusted_rand_index",
    "evaluate",
    "merge_spans",
    "pair_scores",
    "read_labels",
    "recommend",
    "span_scores",
    "tune",
]
