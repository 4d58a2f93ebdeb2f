"""`dedup eval` and `dedup tune` through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup.cli import main
from tests.conftest import ROOT, write_jsonl

LABELLED = str(ROOT / "examples" / "labelled.jsonl")


def run(*args: str) -> tuple[int, str]:
    """Invoke the CLI in-process; returns (exit code, stdout and stderr)."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_eval_prints_pairwise_ari_and_boilerplate() -> None:
    """On the shipped sample the text names every measure."""
    code, out = run("eval", LABELLED)
    assert code == 0
    assert "pairwise     precision" in out
    assert "ARI" in out
    assert "boilerplate  precision" in out


def test_eval_json_has_every_figure() -> None:
    """--json prints one object with pairwise scores, ARI, boilerplate and the config."""
    code, out = run("eval", LABELLED, "--json", "--strip-boilerplate")
    assert code == 0
    data = json.loads(out)
    assert set(data["pairwise"]) >= {"precision", "recall", "f1"}
    assert data["boilerplate"]["precision"] >= 0.95
    assert data["strip_boilerplate"] is True
    assert data["documents"] == 132
    assert data["config_id"].startswith("v1-word5")


def test_eval_with_passages_finds_the_pairs_lsh_missed_without_losing_precision() -> None:
    """--passages adds the whole-text pairs sampled shingles find: on the shipped sample, more
    gold pairs (cut reprints, short against their story) and still no wrong one."""
    plain = json.loads(run("eval", LABELLED, "--json")[1])["pairwise"]
    code, out = run("eval", LABELLED, "--json", "--passages")
    assert code == 0
    data = json.loads(out)
    assert data["passages"] is True
    assert data["pairwise"]["true_positives"] > plain["true_positives"]
    assert data["pairwise"]["precision"] == plain["precision"] == 1.0


def test_eval_with_excerpts_finds_the_same_pairs_as_with_passages() -> None:
    """--excerpts proposes the same whole-text pairs as --passages, without aligning: the same
    pairwise figures."""
    passages = json.loads(run("eval", LABELLED, "--json", "--passages")[1])
    code, out = run("eval", LABELLED, "--json", "--excerpts")
    assert code == 0
    data = json.loads(out)
    assert (data["excerpts"], data["passages"]) == (True, False)
    assert data["pairwise"] == passages["pairwise"]


def test_eval_settings_flags_reach_the_pipeline() -> None:
    """--threshold changes the evaluated config."""
    code, out = run("eval", LABELLED, "--json", "--threshold", "0.9")
    assert code == 0
    assert json.loads(out)["config"]["threshold"] == 0.9


def test_eval_of_unlabelled_input_is_an_error(tmp_path: Path) -> None:
    """A record without a gold cluster stops with file:line and exit code 2."""
    path = write_jsonl(tmp_path / "x.jsonl", [{"id": "a", "text": "one two three"}])
    code, out = run("eval", str(path))
    assert code == 2
    assert f"dedup: error: {path}:1: missing or invalid cluster field 'cluster'" in out


def test_tune_json_recommends_by_the_stated_rule() -> None:
    """A small sweep's JSON has every point, the rule, the direction and a recommendation."""
    code, out = run("tune", LABELLED, "--json", "--ngrams", "4,5", "--thresholds", "0.6,0.8")
    assert code == 0
    data = json.loads(out)
    assert [(p["ngram"], p["threshold"]) for p in data["points"]] == [
        (4, 0.6), (4, 0.8), (5, 0.6), (5, 0.8)
    ]  # fmt: skip
    assert data["rule"].startswith("best pairwise F1 among settings with pairwise precision >=")
    assert data["stricter"].startswith("stricter = higher threshold")
    best = max(
        (p for p in data["points"] if p["pairwise"]["precision"] >= 0.98),
        key=lambda p: (p["pairwise"]["f1"], p["pairwise"]["precision"], p["threshold"], p["ngram"]),
    )
    assert data["recommended"] == {"ngram": best["ngram"], "threshold": best["threshold"]}


def test_tune_with_excerpts_runs_every_point_with_them() -> None:
    """--excerpts reaches each run of the sweep: more gold pairs at the same settings."""
    sweep = ("tune", LABELLED, "--json", "--ngrams", "5", "--thresholds", "0.7")
    plain = json.loads(run(*sweep)[1])["points"][0]
    code, out = run(*sweep, "--excerpts")
    assert code == 0
    point = json.loads(out)["points"][0]
    assert (plain["excerpts"], point["excerpts"]) == (False, True)
    assert point["pairwise"]["true_positives"] > plain["pairwise"]["true_positives"]


def test_tune_text_shows_table_curve_and_choice() -> None:
    """The text output has the table header, the S-curve and the recommendation line."""
    code, out = run("tune", LABELLED, "--ngrams", "5", "--thresholds", "0.7,0.9")
    assert code == 0
    assert "ngram  threshold  P(cand)  pairs  precision  recall      F1     ARI" in out
    assert "S-curve, 32 bands x 4 rows" in out
    assert "recommended: --ngram 5 --threshold" in out


def test_tune_rejects_a_bad_threshold_list() -> None:
    """A threshold that is no number, or out of range, is refused before any work."""
    assert run("tune", LABELLED, "--thresholds", "0.5,x")[0] == 2
    code, out = run("tune", LABELLED, "--thresholds", "1.5")
    assert code == 2
    assert "threshold must be in (0, 1]" in out


@pytest.mark.parametrize("command", ["eval", "tune"])
def test_negative_jobs_are_refused(command: str) -> None:
    """--jobs is a count of threads, 0 meaning all cores: -7 is no count (it meant all cores)."""
    code, out = run(command, LABELLED, "--jobs", "-7")
    assert code == 2 and "--jobs" in out


def test_make_eval_comparison_scores_ours_and_the_datasketch_baseline() -> None:
    """benchmarks.eval_compare scores dedup (plain, stripped, each also with excerpts and with
    passages) and datasketch the same way."""
    from benchmarks.eval_compare import compare, render

    result = compare(ROOT / "examples" / "labelled.jsonl")
    assert len(result["rows"]) == 7
    assert result["gold_pairs"] == 119
    table = render(result)
    assert "datasketch MinHashLSH(0.7) + union-find" in table
    assert "dedup --strip-boilerplate" in table
    assert "dedup --strip-boilerplate --passages" in table
    assert "dedup --excerpts" in table
