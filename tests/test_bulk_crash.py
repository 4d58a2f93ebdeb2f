"""A bulk run killed at any moment leaves no partial output, and a rerun matches a clean run."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dedup.synth import news_corpus
from tests.conftest import ROOT

OUTPUTS = ("clusters.jsonl", "pairs.jsonl", "deduped.jsonl", "boilerplate.jsonl")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated corpus large enough that a run takes a few seconds."""
    path = tmp_path_factory.mktemp("crash") / "corpus.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for doc in news_corpus(6000, seed=11):
            handle.write(json.dumps({"id": doc.id, "text": doc.text, "source": doc.source}) + "\n")
    return path


def _bulk(corpus: Path, out: Path, db: Path | None = None) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "dedup", "bulk", str(corpus), "--out", str(out), "--quiet"]
    if db is not None:
        args += ["--db", str(db)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _finish(proc: subprocess.Popen[bytes]) -> None:
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()


@pytest.fixture(scope="module")
def clean_run(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The outputs of an uninterrupted run."""
    out = tmp_path_factory.mktemp("clean") / "out"
    _finish(_bulk(corpus, out))
    return {name: (out / name).read_bytes() for name in OUTPUTS}


def test_killed_runs_leave_no_partial_output_and_a_rerun_is_identical(
    corpus: Path, clean_run: dict[str, bytes], tmp_path: Path
) -> None:
    """SIGKILL at random moments (5 trials) never leaves a partial DIR; then a rerun matches."""
    out = tmp_path / "out"
    rng = random.Random(5)
    for _ in range(5):
        proc = _bulk(corpus, out)
        time.sleep(rng.uniform(0.5, 4.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        if out.exists():  # the run finished before the kill: then it is complete
            assert {name: (out / name).read_bytes() for name in OUTPUTS} == clean_run
        visible = [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")]
        assert visible in ([], ["out"])
    _finish(_bulk(corpus, out))
    assert {name: (out / name).read_bytes() for name in OUTPUTS} == clean_run
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == ["out"]


def test_killed_run_leaves_a_sound_database(corpus: Path, tmp_path: Path) -> None:
    """A run killed while filling --db leaves a file that passes integrity_check, holding
    either none of the corpus or all of it (one loading session), each stored document
    complete (its fingerprints, band rows, text and reuse postings)."""
    db = tmp_path / "articles.db"
    proc = _bulk(corpus, tmp_path / "out", db)
    time.sleep(4.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    if not db.exists():
        pytest.skip("the run was killed before it created the database")
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    docs = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    bands = conn.execute("SELECT count(*) FROM band_keys").fetchone()[0]
    fingerprints = conn.execute("SELECT count(*) FROM fingerprints").fetchone()[0]
    texts = conn.execute("SELECT count(*) FROM texts").fetchone()[0]
    posted = conn.execute("SELECT count(DISTINCT id) FROM reuse_sets").fetchone()[0]
    assert docs == bands == fingerprints == texts == posted
    assert docs in (0, 6000)
