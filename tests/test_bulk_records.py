"""The record spool: deduped.jsonl records kept during ingest, copied out at the end."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from dedup import Document
from dedup.bulk.records import RecordSpool, document_record, encode_records

DOCS = [
    Document(id="a", text="first text", source="wire", published="2024-05-16T00:00:00Z"),
    Document(id="b", text='second "quoted" text\nwith a line break', title="B"),
    Document(id="c", text="ünïcödé and emoji 🙂"),
    Document(id="d", text=""),
]


def _spool(tmp_path: Path) -> RecordSpool:
    spool = RecordSpool(str(tmp_path))
    spool.observe(DOCS[:3])
    spool.observe(DOCS[3:])
    spool.seal()
    return spool


def test_copied_records_are_the_document_records_of_the_wanted_positions(tmp_path: Path) -> None:
    """The copy holds, in input order, one JSON line per wanted document: its record."""
    with _spool(tmp_path) as spool:
        out = io.BytesIO()
        assert spool.copy(np.array([True, False, True, True]), out) == 3
    lines = out.getvalue().decode("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [document_record(DOCS[i]) for i in (0, 2, 3)]


def test_documents_come_back_as_they_went_in(tmp_path: Path) -> None:
    """Decoding a record gives back the document it was made from."""
    with _spool(tmp_path) as spool:
        got = list(spool.documents(np.array([False, True, True, False])))
    assert got == [(1, DOCS[1]), (2, DOCS[2])]


def test_a_mask_of_the_wrong_length_is_refused(tmp_path: Path) -> None:
    """Positions must cover exactly the documents observed."""
    with _spool(tmp_path) as spool, pytest.raises(ValueError, match="entries"):
        spool.copy(np.ones(3, dtype=bool), io.BytesIO())


def test_the_temporary_file_is_removed_on_close(tmp_path: Path) -> None:
    """Nothing is left behind in the spool directory."""
    with _spool(tmp_path):
        pass
    assert list(tmp_path.iterdir()) == []


def test_a_copy_into_a_file_is_the_same_as_into_memory(tmp_path: Path) -> None:
    """Into a real file the kernel copies the records (``copy_file_range``), after what the
    file already buffered and before what is written next: the same bytes as by hand."""
    wanted = np.array([True, False, True, True])
    with _spool(tmp_path) as spool:
        by_hand = io.BytesIO()
        spool.copy(wanted, by_hand)
        with (tmp_path / "out.jsonl").open("wb") as handle:
            handle.write(b"before\n")
            spool.copy(wanted, handle)
            handle.write(b"after\n")
    assert (tmp_path / "out.jsonl").read_bytes() == b"before\n" + by_hand.getvalue() + b"after\n"


def test_a_copy_spans_the_segments_other_processes_filled(tmp_path: Path) -> None:
    """Records written into a segment file by another process are copied out in their place."""
    first, _, _ = encode_records(DOCS[:2])
    later, later_sizes, _ = encode_records(DOCS[2:])
    with RecordSpool(str(tmp_path)) as spool:
        spool.observe(DOCS[:2])
        spool.segment().write_bytes(later)
        spool.extend(later_sizes)
        spool.seal()
        with (tmp_path / "out.jsonl").open("wb") as handle:
            assert spool.copy(np.array([False, True, True, True]), handle) == 3
    lines = (tmp_path / "out.jsonl").read_bytes().splitlines(keepends=True)
    assert b"".join(lines) == first.splitlines(keepends=True)[1] + later
