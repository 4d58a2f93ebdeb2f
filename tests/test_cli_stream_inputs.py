"""Inputs that can be read only once (a FIFO, a shell's ``<(cmd)``): jobs that read their input
twice (learning boilerplate, then stripping it) copy such an input first, so they write what
they write for the same bytes in a regular file, and errors name the input, not the copy."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup import Document
from dedup.cli import main
from tests.conftest import ROOT, read_jsonl, write_jsonl


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@contextmanager
def pipe_of(data: bytes) -> Iterator[str]:
    """A pipe whose reader gets ``data``, named as a shell's ``<(cmd)`` names one
    (``/dev/fd/N``). Opened again, it gives nothing more: what a job that reads it twice saw."""
    read_end, write_end = os.pipe()

    def feed() -> None:
        try:
            os.write(write_end, data)
        finally:
            os.close(write_end)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        yield f"/dev/fd/{read_end}"
    finally:
        writer.join(timeout=10)
        os.close(read_end)


@pytest.fixture
def articles(tmp_path: Path, sample: list[Document]) -> Path:
    """The shipped sample's articles as JSON Lines (ids in the records, not from a file name)."""
    records: list[dict[str, object]] = [
        {"id": d.id, "text": d.text, "source": d.source} for d in sample
    ]
    return write_jsonl(tmp_path / "articles.jsonl", records)


def test_strip_of_a_pipe_writes_what_strip_of_the_file_writes(
    tmp_path: Path, articles: Path
) -> None:
    code, _ = invoke("strip", str(articles), "--out", str(tmp_path / "file.jsonl"))
    assert code == 0
    with pipe_of(articles.read_bytes()) as pipe:
        code, output = invoke("strip", pipe, "--out", str(tmp_path / "pipe.jsonl"))
    assert code == 0, output
    from_pipe = read_jsonl(tmp_path / "pipe.jsonl")
    assert len(from_pipe) == 10
    assert from_pipe == read_jsonl(tmp_path / "file.jsonl")


def test_bulk_stripping_boilerplate_from_a_pipe_writes_what_it_writes_from_the_file(
    tmp_path: Path, articles: Path
) -> None:
    code, _ = invoke("bulk", str(articles), "--out", str(tmp_path / "file"), "--strip-boilerplate")
    assert code == 0
    with pipe_of(articles.read_bytes()) as pipe:
        code, output = invoke("bulk", pipe, "--out", str(tmp_path / "pipe"), "--strip-boilerplate")
    assert code == 0, output
    for name in ("clusters.jsonl", "deduped.jsonl", "boilerplate.jsonl"):
        assert read_jsonl(tmp_path / "pipe" / name) == read_jsonl(tmp_path / "file" / name), name


def test_a_bad_line_of_a_pipe_is_named_by_the_pipe_and_its_line(tmp_path: Path) -> None:
    data = b'{"id": "a", "text": "A story."}\n{"id": "b", "text": \n'
    with pipe_of(data) as pipe:
        code, output = invoke("strip", pipe, "--out", str(tmp_path / "out.jsonl"))
    assert code == 2
    assert f"{pipe}:2: invalid JSON" in output
    assert not (tmp_path / "out.jsonl").exists()


def test_eval_of_a_pipe_scores_what_eval_of_the_file_scores() -> None:
    """The gold labels are read through the same copy the documents are read from again."""
    labelled = ROOT / "examples" / "labelled.jsonl"
    code, from_file = invoke("eval", str(labelled), "--json")
    assert code == 0, from_file
    with pipe_of(labelled.read_bytes()) as pipe:
        code, from_pipe = invoke("eval", pipe, "--json")
    assert code == 0, from_pipe
    scores, piped = json.loads(from_file), json.loads(from_pipe)
    for timed in (scores, piped):
        timed.pop("seconds")
    assert piped == scores and piped["documents"] == 132
