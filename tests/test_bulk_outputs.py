"""The bulk job's pairs.jsonl: formatted directly, byte for byte what dicts and json.dumps give."""

from __future__ import annotations

import io

import numpy as np
import pytest

from dedup import Config
from dedup.bulk.candidates import CandidateStats
from dedup.bulk.outputs import pair_records, write_pairs
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
