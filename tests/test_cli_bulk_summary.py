"""What `dedup bulk` prints when it ends, against what its summary.json holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from dedup.cli import main
from tests.conftest import ROOT, read_jsonl, write_jsonl

LABELLED = ROOT / "examples" / "labelled.jsonl"
EMPTY = [
    {"id": "blank", "text": ""},
    {"id": "spaces", "text": " \n\t "},
    {"id": "dots", "text": "..."},
]


def _bulk(tmp_path: Path, *args: str) -> tuple[list[str], dict[str, Any]]:
    """Run `dedup bulk ... --out tmp/out`; its stderr lines and its summary.json."""
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["bulk", *args, "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stderr.splitlines(), json.loads((out / "summary.json").read_text())


def test_empty_texts_are_kept_and_counted_in_both_summaries(tmp_path: Path) -> None:
    """Texts without a word are each a cluster of their own, counted in summary.json and printed."""
    corpus = write_jsonl(tmp_path / "in.jsonl", [*read_jsonl(LABELLED)[:20], *EMPTY])
    lines, summary = _bulk(tmp_path, str(corpus), "--jobs", "2")
    assert summary["empty_texts"] == 3
    assert "  empty texts: 3 (no words: kept, each a cluster of its own)" in lines
    clusters = {r["id"]: r["cluster"] for r in read_jsonl(tmp_path / "out" / "clusters.jsonl")}
    assert all(clusters[r["id"]] == r["id"] for r in EMPTY)


def test_passage_pairs_are_counted_against_their_own_candidates(tmp_path: Path) -> None:
    """With --passages, the whole-text pairs are given of the LSH candidates and of the
    candidates sampled shingles proposed, and the pairs sharing passages of the other proposed
    ones, as summary.json has them."""
    lines, s = _bulk(tmp_path, str(LABELLED), "--passages")
    relations = dict(s["relations"])
    shares = relations.pop("shares_passages")
    alike = sum(relations.values())
    found, proposed = s["alike_from_passage_candidates"], s["passage_candidates"]
    named = ", ".join(f"{k} {v}" for k, v in relations.items())
    assert found > 0 and alike - found <= s["candidate_pairs"]  # the sample finds some here
    assert shares <= proposed - found
    start = lines.index(f"  verified pairs: {s['pairs']}")
    assert lines[start - 1] == f"  duplicates removed: {s['duplicates']}"  # no empty texts
    assert lines[start + 1 : start + 3] == [
        f"    texts alike: {alike} ({named}): {alike - found} of {s['candidate_pairs']} "
        f"candidates, {found} of {proposed} from shared sampled shingles",
        f"    sharing passages: {shares} of the other {proposed - found}",
    ]


def test_excerpts_count_their_candidates_and_look_for_no_passages(tmp_path: Path) -> None:
    """With --excerpts, the whole-text pairs are counted as with --passages, the line of the
    pairs sharing passages is left out, and summary.json says no passages were looked for."""
    lines, s = _bulk(tmp_path, str(LABELLED), "--excerpts")
    assert "shares_passages" not in s["relations"] and s["passages"] is False
    found, proposed = s["alike_from_passage_candidates"], s["passage_candidates"]
    assert 0 < found <= proposed
    alike = sum(s["relations"].values())
    start = lines.index(f"  verified pairs: {s['pairs']}")
    assert lines[start + 1].endswith(f"{found} of {proposed} from shared sampled shingles")
    assert lines[start + 1].startswith(f"    texts alike: {alike} (")
    assert not any("sharing passages" in line for line in lines)


def test_without_passages_no_passage_candidates_are_counted(tmp_path: Path) -> None:
    """Without --passages, summary.json's passage_candidates is null and one line has the pairs."""
    lines, s = _bulk(tmp_path, str(LABELLED))
    assert s["passage_candidates"] is None and s["alike_from_passage_candidates"] is None
    named = ", ".join(f"{k} {v}" for k, v in s["relations"].items())
    assert f"  verified pairs: {s['pairs']} ({named}) of {s['candidate_pairs']} candidates" in lines
