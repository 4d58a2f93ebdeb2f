"""`dedup report` on a run whose files were damaged or edited by hand since the bulk job.

Every bad line is refused the way bad input is everywhere on the command line: one line,
``dedup: error: FILE:LINE: what is wrong``, exit code 2, no traceback and no page written.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup.cli import main
from tests._report_support import bulk
from tests.conftest import ROOT

LABELLED = str(ROOT / "examples" / "labelled.jsonl")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run with passages, learned boilerplate and boilerplate spans in its samples."""
    out = tmp_path_factory.mktemp("damaged") / "run"
    bulk(LABELLED, "--out", str(out), "--passages", "--strip-boilerplate")
    return out


@pytest.fixture
def run(pristine: Path, tmp_path: Path) -> Path:
    """A copy of the run, for one test to damage."""
    return Path(shutil.copytree(pristine, tmp_path / "run"))


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def replace_line(path: Path, number: int, text: str) -> None:
    """Put ``text`` in place of line ``number`` (1-based) of ``path``."""
    content = lines(path)
    content[number - 1] = text
    path.write_text("\n".join(content) + "\n", encoding="utf-8")


def edit_record(path: Path, number: int, **changes: object) -> None:
    """Change fields of the record on line ``number``; a value of ``...`` removes the field."""
    record = json.loads(lines(path)[number - 1])
    for name, value in changes.items():
        if value is ...:
            del record[name]
        else:
            record[name] = value
    replace_line(path, number, json.dumps(record))


def shown_pair_line(run: Path) -> int:
    """The line of pairs.jsonl holding a shown pair: a cluster's canonical and its first
    member (the sample's clusters are all shown with the default limits)."""
    member = next(r for r in map(json.loads, lines(run / "clusters.jsonl")) if not r["canonical"])
    wanted = {member["id"], member["cluster"]}
    for number, line in enumerate(lines(run / "pairs.jsonl"), 1):
        record = json.loads(line)
        if {record["a"], record["b"]} == wanted:
            return number
    raise AssertionError("no pair record between a canonical and its member")


def report_error(run: Path) -> str:
    """Run `dedup report`, check it refused the run cleanly, and return its one line."""
    page = run.parent / "page.html"
    result = CliRunner().invoke(main, ["report", str(run), "--out", str(page)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert not page.exists()
    return result.output.strip()


def test_a_cluster_record_without_its_id_is_named_by_file_and_line(run: Path) -> None:
    """A clusters.jsonl record missing `id` is refused at its line."""
    replace_line(run / "clusters.jsonl", 2, '{"idx": 1}')
    path = run / "clusters.jsonl"
    assert report_error(run) == f"dedup: error: {path}:2: missing field 'id'"


def test_a_pair_record_without_jaccard_is_named_by_file_and_line(run: Path) -> None:
    """A pairs.jsonl record missing `jaccard` is refused at its line."""
    replace_line(run / "pairs.jsonl", 2, '{"a": "x"}')
    assert report_error(run) == f"dedup: error: {run / 'pairs.jsonl'}:2: missing field 'jaccard'"


def test_a_jaccard_that_is_no_number_is_refused(run: Path) -> None:
    """A string where a pair's Jaccard should be is refused, the value quoted."""
    edit_record(run / "pairs.jsonl", 3, jaccard="abc")
    message = f"dedup: error: {run / 'pairs.jsonl'}:3: field 'jaccard' must be a number, got 'abc'"
    assert report_error(run) == message


def test_a_shown_pairs_malformed_passage_is_refused(run: Path) -> None:
    """A passage of a pair the page shows must be [start, end] on both sides."""
    number = shown_pair_line(run)
    edit_record(run / "pairs.jsonl", number, passages=[{"a": [5], "b": [0, 3]}])
    assert report_error(run).startswith(
        f"dedup: error: {run / 'pairs.jsonl'}:{number}: field 'a' must be [start, end]"
    )


def test_a_shown_pair_without_its_containment_is_refused(run: Path) -> None:
    """What the page prints of a shown pair must be there when the run is read."""
    number = shown_pair_line(run)
    edit_record(run / "pairs.jsonl", number, containment_b_in_a=...)
    message = f"dedup: error: {run / 'pairs.jsonl'}:{number}: missing field 'containment_b_in_a'"
    assert report_error(run) == message


def test_invalid_utf8_in_a_file_is_named_by_its_line(run: Path) -> None:
    """Bytes that are no UTF-8 are refused at the line that holds them."""
    count = len(lines(run / "pairs.jsonl"))
    with (run / "pairs.jsonl").open("ab") as handle:
        handle.write(b'{"a": "\xff\xfe"}\n')
    assert report_error(run).startswith(
        f"dedup: error: {run / 'pairs.jsonl'}:{count + 1}: invalid UTF-8"
    )


def test_a_line_nested_too_deep_is_invalid_json(run: Path) -> None:
    """A line the JSON parser cannot descend is refused like any invalid JSON."""
    replace_line(run / "clusters.jsonl", 4, "[" * 100_000 + "]" * 100_000)
    assert report_error(run).startswith(
        f"dedup: error: {run / 'clusters.jsonl'}:4: invalid JSON: maximum recursion depth"
    )


def test_a_sample_without_its_text_is_named_by_file_and_line(run: Path) -> None:
    """A shown document's sample missing `text` is refused at its line."""
    edit_record(run / "samples.jsonl", 1, text=...)
    assert report_error(run) == f"dedup: error: {run / 'samples.jsonl'}:1: missing field 'text'"


def test_a_samples_boilerplate_span_must_be_a_span(run: Path) -> None:
    """A `removed` span of a shown sample that is no [start, end] is refused."""
    edit_record(run / "samples.jsonl", 2, removed=[[1]])
    message = (
        f"dedup: error: {run / 'samples.jsonl'}:2: "
        "a 'removed' span must be [start, end] with 0 <= start <= end, got [1]"
    )
    assert report_error(run) == message


def test_a_patterns_count_per_source_must_be_a_number(run: Path) -> None:
    """A boilerplate pattern whose per-source count is no number is refused at its line."""
    replace_line(run / "boilerplate.jsonl", 1, '{"text": "x", "per_source": {"a": "zz"}}')
    message = (
        f"dedup: error: {run / 'boilerplate.jsonl'}:1: "
        "a 'per_source' count must be a whole number >= 0, got 'zz'"
    )
    assert report_error(run) == message


def test_a_summary_timing_that_is_no_number_is_refused(run: Path) -> None:
    """summary.json is one document: its errors name the file."""
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    summary["timings"]["ingest"] = "slow"
    (run / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    message = f"dedup: error: {run / 'summary.json'}: timing 'ingest' must be a number, got 'slow'"
    assert report_error(run) == message
