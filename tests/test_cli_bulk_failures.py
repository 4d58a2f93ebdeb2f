"""A ``dedup bulk --db`` run that fails leaves the collection and ``--out`` as they were: the
collection commits only once the outputs (and the report) are written, just before they take
``--out``'s place, and a collection file the run made is removed if nothing was committed in
it."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import dedup.report
from dedup.cli import main
from dedup.collection import Collection
from tests.conftest import write_jsonl


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def corpus(path: Path, prefix: str, count: int = 6) -> Path:
    records = [
        {"id": f"{prefix}{k}", "text": f"Story {k} of {prefix}: the harbour reopened today. " * 6}
        for k in range(count)
    ]
    return write_jsonl(path, records)


def stored(db: Path) -> int:
    with Collection.open(db, readonly=True) as collection:
        return len(collection)


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    """A collection of six articles, and --out of that run (with its report)."""
    db = tmp_path / "articles.db"
    first = corpus(tmp_path / "first.jsonl", "a")
    assert (
        invoke("bulk", str(first), "--out", str(tmp_path / "out"), "--db", str(db), "--report")[0]
        == 0
    )
    return db


def test_bad_input_leaves_no_collection_file_behind(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "A story."}\n{"id": "b", "text": \n', encoding="utf-8")
    db = tmp_path / "new.db"
    code, output = invoke("bulk", str(bad), "--out", str(tmp_path / "out"), "--db", str(db))
    assert code == 2, output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl"]


def test_outputs_that_cannot_be_put_in_place_commit_nothing(tmp_path: Path, loaded: Path) -> None:
    foreign = tmp_path / "elsewhere"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("not a dedup output directory\n", encoding="utf-8")
    second = corpus(tmp_path / "second.jsonl", "b")
    code, output = invoke("bulk", str(second), "--out", str(foreign), "--db", str(loaded))
    assert code == 2, output
    assert stored(loaded) == 6


def test_a_report_that_fails_keeps_the_previous_outputs_and_commits_nothing(
    tmp_path: Path, loaded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def disk_full(*_: Any) -> str:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(dedup.report, "render_report", disk_full)
    second = corpus(tmp_path / "second.jsonl", "b")
    code, output = invoke("bulk", str(second), "--out", str(out), "--db", str(loaded), "--report")
    assert code == 2, output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert stored(loaded) == 6
