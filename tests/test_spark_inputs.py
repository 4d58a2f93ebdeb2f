"""The Spark engine reads and rejects input the way the local engine does.

Every rejection is compared with the local engine's own message for the same file, so the
two readers cannot drift apart. Spark runs in local[2] (see conftest.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dedup.cli import main
from tests.conftest import write_jsonl

GOOD = '{"id": "ok", "text": "fine text here for a start"}\n'


def run(*args: str) -> tuple[int, str]:
    """Invoke the CLI in-process; returns (exit code, output)."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def error_line(output: str) -> str:
    """The ``dedup: error: ...`` line of a run's output."""
    return next(line for line in output.splitlines() if line.startswith("dedup: error:"))


def both_engines(path: Path, tmp_path: Path, *extra: str) -> tuple[tuple[int, str], ...]:
    """The same bulk run on each engine: (exit code, output) for local, then spark."""
    return tuple(
        run("bulk", str(path), "--out", str(tmp_path / engine), "--engine", engine, *extra)
        for engine in ("local", "spark")
    )


@pytest.mark.parametrize(
    "line",
    [
        "{not json",
        '{"text": "no id"}',
        '{"id": "x", "text": 5}',
        '{"id": "x", "text": "a", "published": "yesterday"}',
        '{"id": "x", "text": NaN}',
        "[1, 2]",
    ],
)
def test_a_bad_record_gets_the_local_message(spark: Any, tmp_path: Path, line: str) -> None:
    """A bad record stops the run with exit 2 and the local engine's file:line message."""
    path = tmp_path / "in.jsonl"
    path.write_text(GOOD + line + "\n", encoding="utf-8")
    (local_code, local_output), (code, output) = both_engines(path, tmp_path)
    assert code == local_code == 2
    assert error_line(output) == error_line(local_output)
    assert f"{path}:2:" in output
    assert not (tmp_path / "spark").exists()


def test_invalid_utf8_gets_the_local_message(spark: Any, tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are reported, not replaced, with the local message."""
    path = tmp_path / "in.jsonl"
    path.write_bytes(GOOD.encode() + b'{"id": "b", "text": "\xff\xfe"}\n')
    (_, local_output), (code, output) = both_engines(path, tmp_path)
    assert code == 2 and error_line(output) == error_line(local_output)


def test_a_duplicate_id_gets_the_local_message(spark: Any, tmp_path: Path) -> None:
    """An id seen twice names the second line and where it was first seen."""
    records = [{"id": f"d{i}", "text": f"text number {i}"} for i in range(5)]
    path = write_jsonl(tmp_path / "in.jsonl", [*records, {"id": "d1", "text": "again"}])
    (_, local_output), (code, output) = both_engines(path, tmp_path)
    assert code == 2 and error_line(output) == error_line(local_output)
    assert "duplicate id 'd1'" in output and f"{path}:6:" in output


def test_the_earliest_problem_is_reported(spark: Any, tmp_path: Path) -> None:
    """A duplicate id before a malformed line is what is reported, as the local reader does."""
    path = tmp_path / "in.jsonl"
    lines = [GOOD, '{"id": "ok", "text": "again"}\n', "{broken\n"]
    path.write_text("".join(lines), encoding="utf-8")
    (_, local_output), (code, output) = both_engines(path, tmp_path)
    assert code == 2 and error_line(output) == error_line(local_output)
    assert "duplicate id" in output


def test_line_numbers_hold_across_input_splits(spark: Any, tmp_path: Path) -> None:
    """A bad line deep in a file that Spark reads in many splits is named by its true line."""
    from tests.test_spark_engine import spark_conf

    path = tmp_path / "in.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for i in range(3000):
            if i == 2500:
                handle.write("\n")  # a blank line counts as a line, as locally
            handle.write(json.dumps({"id": f"d{i}", "text": f"words {i} " * 8}) + "\n")
        handle.write('{"id": "last"}\n')
    with spark_conf(spark, {"spark.sql.files.maxPartitionBytes": "20000"}):
        assert spark.read.text(str(path)).rdd.getNumPartitions() >= 10
        (_, local_output), (code, output) = both_engines(path, tmp_path)
    assert code == 2 and error_line(output) == error_line(local_output)
    assert f"{path}:3002: missing text field" in output


def test_blank_lines_crlf_and_a_bom_are_read_as_locally(spark: Any, tmp_path: Path) -> None:
    """A BOM, CRLF line endings and blank lines give the same documents on both engines."""
    path = tmp_path / "in.jsonl"
    body = '{"id": "a", "text": "one two three four five six"}\r\n\r\n  \n'
    body += '{"id": "b", "text": "one two three four five six"}\r\n'
    path.write_bytes(b"\xef\xbb\xbf" + body.encode())
    (local_code, _), (code, _) = both_engines(path, tmp_path, "--quiet")
    assert code == local_code == 0
    for name in ("clusters.jsonl", "pairs.jsonl", "deduped.jsonl"):
        assert (tmp_path / "spark" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()


def test_field_names_can_be_overridden(spark: Any, tmp_path: Path) -> None:
    """--id-field and --text-field name the JSON keys on Spark too."""
    path = write_jsonl(tmp_path / "in.jsonl", [{"url": "u1", "body": "a b c d e f"}])
    code, output = run(
        "bulk", str(path), "--out", str(tmp_path / "out"), "--engine", "spark", "--quiet",
        "--id-field", "url", "--text-field", "body",
    )  # fmt: skip
    assert code == 0, output
    first = json.loads((tmp_path / "out" / "clusters.jsonl").read_text().splitlines()[0])
    assert first["id"] == "u1"


def test_an_empty_input_is_an_empty_result(spark: Any, tmp_path: Path) -> None:
    """A file without documents gives empty outputs and a summary of zeros."""
    path = tmp_path / "in.jsonl"
    path.write_text("\n\n", encoding="utf-8")
    code, output = run("bulk", str(path), "--out", str(tmp_path / "o"), "--engine", "spark")
    assert code == 0, output
    assert (tmp_path / "o" / "clusters.jsonl").read_text() == ""
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["documents"] == 0


def test_a_missing_path_is_named(spark: Any, tmp_path: Path) -> None:
    """A path that does not exist fails before anything is read, naming it."""
    code, output = run(
        "bulk", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o"), "--engine", "spark"
    )
    assert code == 2 and f"{tmp_path / 'nope.jsonl'}: no such file or directory" in output


def test_a_directory_of_text_files_is_refused(spark: Any, tmp_path: Path) -> None:
    """A directory of .txt files, a local-engine input, is refused with a pointer to it."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("some text", encoding="utf-8")
    code, output = run(
        "bulk", str(tmp_path / "docs"), "--out", str(tmp_path / "o"), "--engine", "spark"
    )
    assert code == 2 and "--engine local" in output


def test_standard_input_is_refused(tmp_path: Path) -> None:
    """'-' is a usage error with --engine spark (Spark reads files, not this process's stdin)."""
    code, output = run("bulk", "-", "--out", str(tmp_path / "o"), "--engine", "spark")
    assert code == 2 and "standard input" in output


def test_parquet_output_needs_the_spark_engine(tmp_path: Path) -> None:
    """--format parquet with the local engine is a usage error."""
    path = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": "x"}])
    code, output = run("bulk", str(path), "--out", str(tmp_path / "o"), "--format", "parquet")
    assert code == 2 and "--engine spark" in output


def test_a_bad_parquet_row_is_named_by_file_and_row(spark: Any, tmp_path: Path) -> None:
    """A Parquet row is validated like a JSON record, and located by file and 1-based row."""
    frame = spark.createDataFrame(
        [("a", "some text"), (None, "no id here"), ("c", "more text")], "id string, text string"
    )
    frame.coalesce(1).write.parquet(str(tmp_path / "docs.parquet"))
    (part,) = (tmp_path / "docs.parquet").glob("part-*.parquet")
    code, output = run(
        "bulk", str(tmp_path / "docs.parquet"), "--out", str(tmp_path / "o"), "--engine", "spark"
    )
    expected = f"{tmp_path / 'docs.parquet'}/{part.name}:2: field 'id' must be a string"
    assert code == 2 and expected in output
