"""Commands on a stored collection (`bulk --db`, `strip --db`, `serve`): the settings not given
are the ones it was built with, those given apply on top, and a given fingerprint setting
other than the stored one is refused, naming both configs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup.cli import main
from tests.conftest import SAMPLE_DUMP, WEB_ARTICLES, read_jsonl, write_jsonl
from tests.service_support import http_json, running_service

WORD3 = "v1-word3-p128-s1-b32r4-nfkc+casefold+variants-xxh64"
WORD5 = "v1-word5-p128-s1-b32r4-nfkc+casefold+variants-xxh64"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Invoke the CLI in-process; returns (exit code, stderr+stdout)."""
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def word3(tmp_path: Path) -> Path:
    """A collection of the shipped sample built with word 3-grams (the default is 5)."""
    db = tmp_path / "word3.db"
    code, output = run(
        "bulk", str(SAMPLE_DUMP), "--out", str(tmp_path / "built"), "--db", str(db), "--ngram", "3"
    )
    assert code == 0, output
    return db


@pytest.fixture
def pair(tmp_path: Path) -> Path:
    """A real article and a copy with every 25th word changed: Jaccard 0.83 on word 3-grams,
    containment 0.89-0.92, so a near-duplicate at the default threshold and no pair at 0.95."""
    with WEB_ARTICLES.open(encoding="utf-8") as handle:
        articles = [json.loads(line) for line in handle]
    text = next(
        a["text"] for a in articles if a.get("lang", "").startswith("en") and len(a["text"]) > 3000
    )
    words = text.split(" ")
    edited = " ".join(w + "x" if i % 25 == 24 else w for i, w in enumerate(words))
    return write_jsonl(
        tmp_path / "pair.jsonl", [{"id": "a", "text": text}, {"id": "b", "text": edited}]
    )


def test_bulk_with_no_settings_given_uses_the_stored_ones(
    word3: Path, pair: Path, tmp_path: Path
) -> None:
    """`bulk --db` on a word-3 collection with no flags runs with word 3-grams, as strip does."""
    out = tmp_path / "out"
    code, output = run("bulk", str(pair), "--out", str(out), "--db", str(word3), "--quiet")
    assert code == 0, output
    assert json.loads((out / "summary.json").read_text())["config_id"] == WORD3
    assert [p["relation"] for p in read_jsonl(out / "pairs.jsonl")] == ["near_duplicate"]


def test_bulk_with_a_threshold_alone_keeps_the_stored_fingerprint_settings(
    word3: Path, pair: Path, tmp_path: Path
) -> None:
    """`--threshold 0.95` applies to the run on the stored word-3 settings: the pair is gone."""
    out = tmp_path / "out"
    code, output = run(
        "bulk", str(pair), "--out", str(out), "--db", str(word3), "--threshold", "0.95"
    )
    assert code == 0, output
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["config_id"], summary["config"]["threshold"]) == (WORD3, 0.95)
    assert read_jsonl(out / "pairs.jsonl") == []


def test_bulk_with_another_fingerprint_setting_is_refused_naming_both_configs(
    word3: Path, pair: Path, tmp_path: Path
) -> None:
    """`--ngram 5` on a word-3 collection: one line naming both ids, exit 2, no output."""
    out = tmp_path / "out"
    code, output = run("bulk", str(pair), "--out", str(out), "--db", str(word3), "--ngram", "5")
    assert code == 2
    assert len(output.splitlines()) == 1 and WORD3 in output and WORD5 in output
    assert not out.exists()


def test_strip_with_a_threshold_alone_uses_the_stored_fingerprint_settings(
    word3: Path, tmp_path: Path
) -> None:
    """`strip --db --threshold` on a word-3 collection strips, rather than asking for word 5."""
    out = tmp_path / "stripped.jsonl"
    code, output = run(
        "strip", str(SAMPLE_DUMP), "--out", str(out), "--db", str(word3), "--threshold", "0.8"
    )
    assert code == 0, output
    assert len(read_jsonl(out)) == 10


def test_strip_with_a_threshold_in_the_environment_uses_the_stored_fingerprint_settings(
    word3: Path, tmp_path: Path
) -> None:
    """DEDUP_THRESHOLD counts as the flag does: given, but not a fingerprint setting."""
    out = tmp_path / "stripped.jsonl"
    code, output = run(
        "strip",
        str(SAMPLE_DUMP),
        "--out",
        str(out),
        "--db",
        str(word3),
        env={"DEDUP_THRESHOLD": "0.8"},
    )
    assert code == 0, output
    assert out.exists()


def test_serve_with_a_threshold_serves_the_stored_settings_with_it(
    pair: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DEDUP_THRESHOLD=0.95 serves a word-3 collection, with that threshold: the copy of a
    stored article that is a near-duplicate at 0.7 is new, the article itself a duplicate."""
    db = tmp_path / "word3.db"
    texts = {str(r["id"]): str(r["text"]) for r in read_jsonl(pair)}
    write_jsonl(tmp_path / "a.jsonl", [{"id": "a", "text": texts["a"]}])
    args = ("bulk", str(tmp_path / "a.jsonl"), "--out", str(tmp_path / "o"), "--db", str(db))
    assert run(*args, "--ngram", "3", "--quiet")[0] == 0
    monkeypatch.setenv("DEDUP_THRESHOLD", "0.95")
    modes = ("--readers", "1", "--reader-mode", "thread", "--writer-mode", "thread")
    with running_service(["dedup", "serve"], db, *modes) as served:
        copy = http_json(f"{served.url}/v1/check", {"id": "b", "text": texts["b"]})
        same = http_json(f"{served.url}/v1/check", {"id": "c", "text": texts["a"]})
        assert served.stop() == 0
    assert (copy[0], copy[1]["status"]) == (200, "new")
    assert (same[0], same[1]["status"], same[1]["duplicate_of"]) == (200, "duplicate", "a")
