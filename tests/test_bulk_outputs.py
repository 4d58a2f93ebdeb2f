"""The bulk job's output files: pairs.jsonl formatted directly (byte for byte what dicts and
json.dumps give), deduped.jsonl written by a child process when there are several jobs."""

from __future__ import annotations

import io
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from dedup import Config, Document
from dedup.bulk.candidates import CandidateStats
from dedup.bulk.outputs import pair_records, write_outputs, write_pairs
from dedup.bulk.records import RecordSpool
from dedup.bulk.run import BulkResult
from dedup.bulk.verify import VerifiedPairs
from dedup.io import write_jsonl

IDS = [
    "plain",
    'quote " and \\ backslash',
    "ünïcödé 🙂",
    "tab\tand\nnewline\x01",
    "\u2028line",
    "42",
]


def _result(jaccard: list[float], a_in_b: list[float], b_in_a: list[float]) -> BulkResult:
    n = len(jaccard)
    rng = np.random.default_rng(5)
    pairs = VerifiedPairs(
        rng.integers(0, len(IDS), n),
        rng.integers(0, len(IDS), n),
        np.array(jaccard, dtype=np.float64),
        np.array(a_in_b, dtype=np.float64),
        np.array(b_in_a, dtype=np.float64),
        np.arange(n, dtype=np.int8) % 6,  # every relation code, 0 (none) included
    )
    return BulkResult(
        config=Config(),
        ids=IDS,
        lengths=np.ones(len(IDS), dtype=np.int64),
        canon=np.arange(len(IDS), dtype=np.int64),
        pairs=pairs,
        candidates=CandidateStats(n, 0, 0),
    )


def _both(result: BulkResult) -> tuple[str, str]:
    direct, generic = io.StringIO(), io.StringIO()
    assert write_pairs(direct, result) == len(result.pairs)
    write_jsonl(generic, pair_records(result))
    return direct.getvalue(), generic.getvalue()


def test_pairs_lines_are_those_of_the_generic_writer() -> None:
    """Escaped ids, tiny and whole similarities, every relation: the same bytes either way."""
    rng = np.random.default_rng(7)
    values = [0.0, 1.0, 0.5, 1e-5, 1.2345e-7, 0.1 + 0.2, 2 / 3, *rng.random(40).tolist()]
    direct, generic = _both(_result(values, values[::-1], [v / 7 for v in values]))
    assert direct == generic
    assert direct.count("\n") == len(values)


def test_a_similarity_that_is_not_a_number_is_refused() -> None:
    """NaN would make a line strict JSON parsers reject: an error, as with json.dumps."""
    with pytest.raises(ValueError, match="finite"):
        write_pairs(io.StringIO(), _result([0.5, float("nan")], [0.5, 0.5], [0.5, 0.5]))


# --- deduped.jsonl written by a child process (more than one job) ---------------------------


def _records_run(tmp_path: Path) -> tuple[BulkResult, RecordSpool]:
    docs = [Document(id=i, text=f"text of {i} " * (k + 1)) for k, i in enumerate(IDS)]
    records = RecordSpool(tmp_path)
    records.observe(docs[:3])
    records.observe(docs[3:])
    records.seal()
    result = _result([0.9], [0.95], [0.92])
    canon = np.arange(len(IDS), dtype=np.int64)
    canon[[2, 5]] = [0, 1]  # two duplicates: deduped.jsonl holds four records
    return replace(result, canon=canon), records


needs_fork = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux")


@needs_fork
def test_a_child_process_writes_the_same_files_as_one_job(tmp_path: Path) -> None:
    result, records = _records_run(tmp_path)
    with records:
        write_outputs(str(tmp_path / "one"), result, None, records=records, jobs=1)
        write_outputs(str(tmp_path / "two"), result, None, records=records, jobs=2)
    for name in ("clusters.jsonl", "pairs.jsonl", "deduped.jsonl", "samples.jsonl"):
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes()
    lines = (tmp_path / "two" / "deduped.jsonl").read_text(encoding="utf-8").split("\n")[:-1]
    assert [json.loads(line)["id"] for line in lines] == [IDS[k] for k in (0, 1, 3, 4)]


@needs_fork
def test_a_failure_in_the_child_fails_the_run_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, records = _records_run(tmp_path)

    def full_disk(self: RecordSpool, wanted: np.ndarray, target: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(RecordSpool, "copy", full_disk)  # the child, forked, has it too
    with records, pytest.raises(OSError, match="No space left on device"):
        write_outputs(str(tmp_path / "out"), result, None, records=records, jobs=2)
    assert not (tmp_path / "out").exists()
