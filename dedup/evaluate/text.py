"""Plain-text renderings of an evaluation and of a sweep, for the terminal.

Pure functions returning strings, so the command line only prints them and tests read them.
"""

from __future__ import annotations

from dedup.evaluate.metrics import Scores
from dedup.evaluate.run import Evaluation
from dedup.evaluate.tune import STRICTER, TunePoint, TuneResult

_BAR = 40  # characters of a full S-curve bar


def format_evaluation(ev: Evaluation) -> str:
    """The figures of ``dedup eval``, one measure a line."""
    p = ev.pairs
    lines = [
        f"dedup eval: {ev.documents:,} documents, {ev.gold_clusters:,} gold clusters, "
        f"{ev.predicted_clusters:,} predicted (config {ev.config.id}, threshold "
        f"{ev.config.threshold:g}{', boilerplate stripped' if ev.strip_boilerplate else ''}"
        f"{', with passages' if ev.passages else ', with excerpts' if ev.excerpts else ''})",
        f"  pairwise     {_prf(p)}  "
        f"({p.true_positives:,} of {p.predicted:,} predicted pairs are gold; "
        f"{p.gold:,} gold pairs)",
        f"  ARI          {ev.ari:.4f}",
    ]
    if ev.boilerplate is not None:
        b = ev.boilerplate
        lines.append(
            f"  boilerplate  {_prf(b)}  (characters, {ev.boilerplate_documents:,} documents "
            f"with gold spans: {b.gold:,} gold, {b.predicted:,} predicted)"
        )
    else:
        lines.append("  boilerplate  no gold spans (records without a 'boilerplate' field)")
    lines.append(f"  time         {ev.seconds:.2f} s")
    return "\n".join(lines)


def format_tune(result: TuneResult) -> str:
    """The trade-off table, the S-curve and the recommendation of ``dedup tune``."""
    base = result.base
    rec = result.recommended
    first = result.points[0].evaluation
    lines = [
        f"dedup tune: {first.documents:,} documents, {first.gold_clusters:,} gold clusters, "
        f"{len(result.points)} settings; LSH {base.bands} bands x {base.rows} rows "
        f"(tuned for Jaccard {base.lsh_threshold:g})",
        f"  {STRICTER}",
        "",
        "  ngram  threshold  P(cand)  pairs  precision  recall      F1     ARI",
    ]
    for point in result.points:
        lines.append(_row(point, point is rec, _is_base(point, result)))
    lines.append("  (* recommended, = current settings; P(cand): S-curve at the threshold)")
    lines += ["", f"  S-curve, {base.bands} bands x {base.rows} rows: P(candidate) by Jaccard"]
    for s, p in result.s_curve([i / 10 for i in range(1, 11)]):
        lines.append(f"    {s:.1f}  {p:.3f}  {'#' * round(p * _BAR)}")
    lines.append("")
    lines.append(f"  rule: {result.rule}")
    if rec is None:
        lines.append(
            f"  no recommendation: no setting reaches precision {result.min_precision:.2f}"
        )
    else:
        ev = rec.evaluation
        lines.append(
            f"  recommended: --ngram {rec.ngram} --threshold {rec.threshold:g}  "
            f"({_prf(ev.pairs)}, ARI {ev.ari:.4f})"
        )
    return "\n".join(lines)


def _row(point: TunePoint, recommended: bool, current: bool) -> str:
    ev = point.evaluation
    p = ev.pairs
    flag = ("*" if recommended else " ") + ("=" if current else " ")
    return (
        f"{flag}{point.ngram:>5}  {point.threshold:>9.2f}  {point.p_candidate:>7.3f}  "
        f"{p.predicted:>5}  {p.precision:>9.4f}  {p.recall:>6.4f}  {p.f1:>6.4f}  {ev.ari:>6.4f}"
    )


def _is_base(point: TunePoint, result: TuneResult) -> bool:
    return point.ngram == result.base.ngram and abs(point.threshold - result.base.threshold) < 1e-9


def _prf(scores: Scores) -> str:
    return f"precision {scores.precision:.4f}  recall {scores.recall:.4f}  F1 {scores.f1:.4f}"
