"""Scoring the pipeline on labelled corpora: labels, a scored run, the sweep and its rule."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.make_labelled import labelled_records
from dedup.config import Config
from dedup.errors import InputError
from dedup.evaluate import (
    Evaluation,
    Labels,
    Scores,
    TunePoint,
    evaluate,
    read_labels,
    recommend,
    tune,
)
from dedup.evaluate.text import format_evaluation, format_tune
from dedup.io import read_documents
from dedup.types import Document
from tests.conftest import ROOT, write_jsonl

LABELLED = ROOT / "examples" / "labelled.jsonl"


def _documents(path: Path) -> Iterator[Document]:
    return read_documents([str(path)])


def _point(ngram: int, threshold: float, scores: Scores) -> TunePoint:
    config = Config(ngram=ngram, threshold=threshold)
    ev = Evaluation(config, 10, 5, 5, scores, 0.5, None, 0, False, 0.0)
    return TunePoint(ngram, threshold, ev)


def test_shipped_sample_is_what_the_script_writes() -> None:
    """examples/labelled.jsonl is byte-identical to benchmarks.make_labelled's output (seed 10)."""
    lines = [json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in labelled_records(10)]
    assert LABELLED.read_text(encoding="utf-8") == "".join(lines)


def test_read_labels_takes_clusters_and_spans(tmp_path: Path) -> None:
    """Clusters (integers become strings) and boilerplate spans are read per id."""
    path = write_jsonl(
        tmp_path / "l.jsonl",
        [
            {"id": "a", "text": "x", "cluster": 7, "boilerplate": [[0, 1]]},
            {"id": "b", "text": "y", "cluster": "7"},
        ],
    )
    labels = read_labels([str(path)])
    assert labels.clusters == {"a": "7", "b": "7"}
    assert labels.boilerplate == {"a": [(0, 1)]}


def test_a_record_without_cluster_is_an_error_at_its_line(tmp_path: Path) -> None:
    """A missing gold cluster names the file and line."""
    records = [{"id": "a", "text": "x", "cluster": "a"}, {"id": "b", "text": "y"}]
    path = write_jsonl(tmp_path / "l.jsonl", records)
    with pytest.raises(InputError, match=r"l\.jsonl:2: missing or invalid cluster"):
        read_labels([str(path)])


def test_a_reversed_span_is_an_error(tmp_path: Path) -> None:
    """A boilerplate span with start > end is refused."""
    records = [{"id": "a", "text": "xyz", "cluster": "a", "boilerplate": [[2, 1]]}]
    path = write_jsonl(tmp_path / "l.jsonl", records)
    with pytest.raises(InputError, match="start <= end"):
        read_labels([str(path)])


def test_exact_copies_score_perfectly(tmp_path: Path) -> None:
    """Three copies of one text and two unrelated texts: precision, recall and ARI are 1."""
    story = "The council approved the new budget for the city schools after a long debate " * 3
    records = [{"id": f"c{i}", "text": story, "cluster": "c0"} for i in range(3)]
    rain = "Rain is expected across the north on Tuesday with strong winds and cold air"
    museum = "The museum reopened its modern art wing after two years of repairs to the roof"
    records += [
        {"id": "u1", "text": rain, "cluster": "u1"},
        {"id": "u2", "text": museum, "cluster": "u2"},
    ]
    path = write_jsonl(tmp_path / "l.jsonl", records)
    ev = evaluate(lambda: _documents(path), read_labels([str(path)]), Config())
    assert (ev.pairs.precision, ev.pairs.recall, ev.ari) == (1.0, 1.0, 1.0)
    assert ev.boilerplate is None


def test_a_document_without_label_is_an_error(tmp_path: Path) -> None:
    """Every document the pipeline reads must have a gold cluster."""
    path = write_jsonl(tmp_path / "l.jsonl", [{"id": "a", "text": "one two three"}])
    with pytest.raises(InputError, match="no gold cluster"):
        evaluate(lambda: _documents(path), Labels(), Config())


def test_shipped_sample_scores_as_measured() -> None:
    """On examples/labelled.jsonl at the defaults: pairwise precision 1.0, recall >= 0.85,
    ARI >= 0.9, boilerplate character precision >= 0.95 and recall >= 0.9.

    Measured: precision 1.000, recall 0.874, ARI 0.932; boilerplate 1.000 / 0.923.
    """
    ev = evaluate(lambda: _documents(LABELLED), read_labels([str(LABELLED)]), Config())
    assert ev.pairs.precision == 1.0
    assert ev.pairs.recall >= 0.85
    assert ev.ari >= 0.9
    assert ev.boilerplate is not None
    assert ev.boilerplate.precision >= 0.95
    assert ev.boilerplate.recall >= 0.9
    assert ev.boilerplate_documents == 36


def test_higher_thresholds_never_predict_more_pairs() -> None:
    """Along a sweep, raising the threshold (stricter) never adds predicted pairs."""
    result = tune(
        lambda: _documents(LABELLED),
        read_labels([str(LABELLED)]),
        Config(),
        thresholds=(0.5, 0.7, 0.9),
        ngrams=(5,),
    )
    predicted = [p.evaluation.pairs.predicted for p in result.points]
    assert predicted == sorted(predicted, reverse=True)
    assert [p.threshold for p in result.points] == [0.5, 0.7, 0.9]


def test_recommend_takes_best_f1_above_the_precision_floor() -> None:
    """A higher-F1 setting below the floor loses to the best one above it."""
    loose = _point(5, 0.5, Scores(95, 100, 100))  # F1 0.95, precision 0.95
    strict = _point(5, 0.8, Scores(80, 80, 100))  # F1 0.89, precision 1.0
    assert recommend([loose, strict], 0.98) is strict


def test_recommend_breaks_ties_towards_the_stricter_setting() -> None:
    """Equal F1 and precision: the higher threshold wins, then the larger n-gram."""
    points = [_point(n, t, Scores(9, 9, 10)) for n in (3, 5) for t in (0.6, 0.7)]
    best = recommend(points, 0.98)
    assert best is not None
    assert (best.ngram, best.threshold) == (5, 0.7)


def test_recommend_gives_nothing_when_no_setting_is_precise_enough() -> None:
    """If every setting is below the precision floor there is no recommendation."""
    assert recommend([_point(5, 0.7, Scores(5, 10, 5))], 0.98) is None


def test_text_of_a_sweep_states_rule_direction_and_choice() -> None:
    """The sweep's text has the table, the S-curve, the rule, which way is stricter, the pick."""
    result = tune(
        lambda: _documents(LABELLED),
        read_labels([str(LABELLED)]),
        Config(),
        thresholds=(0.6, 0.8),
        ngrams=(4, 5),
    )
    text = format_tune(result)
    assert "stricter = higher threshold" in text
    assert "rule: best pairwise F1 among settings with pairwise precision >= 0.98" in text
    assert "S-curve, 32 bands x 4 rows" in text
    assert "recommended: --ngram" in text
    rows = [line for line in text.splitlines() if re.match(r"[* ][= ] +[45] +0\.[68]0 ", line)]
    assert len(rows) == 4


def test_text_of_an_evaluation_names_every_measure() -> None:
    """The eval text has pairwise, ARI and boilerplate lines."""
    ev = evaluate(lambda: _documents(LABELLED), read_labels([str(LABELLED)]), Config())
    text = format_evaluation(ev)
    assert "pairwise     precision 1.0000" in text
    assert "ARI" in text
    assert "boilerplate  precision" in text
