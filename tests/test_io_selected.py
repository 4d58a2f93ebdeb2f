"""The bulk job's second read: only the documents it asks for, in input order."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dedup.errors import InputError
from dedup.io import read_documents, read_selected


def _write(path: Path, lines: list[str]) -> str:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return str(path)


def _records(n: int) -> list[str]:
    return [json.dumps({"id": f"d{i}", "text": f"text number {i}"}) for i in range(n)]


def test_selected_positions_come_back_with_their_documents(tmp_path: Path) -> None:
    """Each wanted position yields the document read at that position the first time."""
    first = _write(tmp_path / "a.jsonl", _records(3))
    second = _write(tmp_path / "b.jsonl", ["", *_records(5)[3:]])  # a blank line is no document
    everything = list(read_documents([first, second]))
    wanted = np.array([True, False, False, True, True])
    got = list(read_selected([first, second], wanted))
    assert got == [(0, everything[0]), (3, everything[3]), (4, everything[4])]


def test_unwanted_lines_are_not_parsed(tmp_path: Path) -> None:
    """A line the second read does not need is skipped unparsed (the first read checked it)."""
    path = _write(tmp_path / "c.jsonl", [*_records(2), "{not json"])
    got = list(read_selected([path], np.array([True, False, False])))
    assert [doc.id for _, doc in got] == ["d0"]


def test_fewer_documents_than_expected_is_an_error(tmp_path: Path) -> None:
    """An input that lost documents since the first read is reported as changed."""
    path = _write(tmp_path / "d.jsonl", _records(2))
    with pytest.raises(InputError, match="input changed"):
        list(read_selected([path], np.ones(3, dtype=bool)))


def test_more_documents_than_expected_is_an_error(tmp_path: Path) -> None:
    """An input that gained documents since the first read is reported as changed, at the line."""
    path = _write(tmp_path / "e.jsonl", _records(3))
    with pytest.raises(InputError, match="input changed") as caught:
        list(read_selected([path], np.ones(2, dtype=bool)))
    assert caught.value.line == 3


def test_text_inputs_are_selected_too(tmp_path: Path) -> None:
    """Directories of .txt files are read again and filtered by position like JSON Lines."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("a", "b", "c"):
        (folder / f"{name}.txt").write_text(f"story {name}", encoding="utf-8")
    got = list(read_selected([str(folder)], np.array([False, True, False])))
    assert [(p, d.id, d.text) for p, d in got] == [(1, "b.txt", "story b")]
