"""Bad or unusual input at the command line: one line naming file and line, exit code 2, no
output; and inputs at the edges of the documented formats read as documented."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from dedup.cli import main
from tests.conftest import SAMPLE_DUMP, read_jsonl

TEXT = "alpha beta gamma delta epsilon zeta eta theta"


def run(*args: str) -> tuple[int, str]:
    """Invoke the CLI in-process; returns (exit code, stderr+stdout)."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def bulk(tmp_path: Path, *inputs: Path) -> tuple[int, str]:
    return run("bulk", *map(str, inputs), "--out", str(tmp_path / "out"), "--quiet")


def test_a_truncated_json_record_names_the_column_where_it_ends(tmp_path: Path) -> None:
    """The column is counted on the line itself, not past its line break."""
    path = tmp_path / "trunc.jsonl"
    path.write_text('{"id":"g","text":"ok words here"}\n{"id": "x", "text": "ab"\n')
    code, output = bulk(tmp_path, path)
    assert code == 2
    assert output == f"dedup: error: {path}:2: invalid JSON: Expecting ',' delimiter (column 25)\n"


def test_a_path_holding_a_line_break_is_quoted_to_keep_the_error_one_line(tmp_path: Path) -> None:
    """Odd characters in a path are escaped, as a Python string literal spells them."""
    folder = tmp_path / "d"
    folder.mkdir()
    named = folder / "nl\nname.txt"
    named.write_text("q\n")
    code, output = bulk(tmp_path, folder)
    assert code == 2
    assert output.count("\n") == 1
    assert output.startswith(f"dedup: error: {str(named)!r}:1: the id ")


def test_a_sweep_threshold_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    """tune's --thresholds values are checked as its other options are: a usage error."""
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps({"id": "a", "text": TEXT, "cluster": "1"}) + "\n")
    code, output = run("tune", str(path), "--thresholds", "0.5,1.5")
    assert code == 2
    assert output == (
        "dedup tune: error: Invalid value for --thresholds: threshold must be in (0, 1], "
        "got 1.5 (see 'dedup tune --help')\n"
    )


def test_a_dump_with_lone_cr_line_ends_is_split_into_its_articles(tmp_path: Path) -> None:
    """Lone CR ends a line in a text file, as it ends one between paragraphs."""
    path = tmp_path / "cr_dump.txt"
    path.write_bytes(SAMPLE_DUMP.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    code, output = bulk(tmp_path, path)
    assert code == 0, output
    ids = [c["id"] for c in read_jsonl(tmp_path / "out" / "clusters.jsonl")]
    assert ids == [f"cr_dump-{k:02d}" for k in range(1, 11)]


def test_a_directory_of_json_lines_files_is_read_as_the_spark_engine_reads_it(
    tmp_path: Path,
) -> None:
    """A directory with no .txt file below it: its visible files are JSON Lines, in name order
    (a Spark job's output: part files beside a _SUCCESS marker)."""
    parts = tmp_path / "parts"
    parts.mkdir()
    (parts / "part-0001.jsonl").write_text(json.dumps({"id": "b", "text": TEXT}) + "\n")
    (parts / "part-0000.jsonl").write_text(json.dumps({"id": "a", "text": TEXT}) + "\n")
    (parts / "_SUCCESS").write_text("")
    (parts / ".part-0000.jsonl.crc").write_text("not json")
    code, output = bulk(tmp_path, parts)
    assert code == 0, output
    clusters = read_jsonl(tmp_path / "out" / "clusters.jsonl")
    assert [(c["id"], c["cluster"]) for c in clusters] == [("a", "a"), ("b", "a")]


def test_a_directory_with_no_input_file_is_refused(tmp_path: Path) -> None:
    """A directory that holds nothing to read is more likely a wrong path than a corpus."""
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "_SUCCESS").write_text("")
    code, output = bulk(tmp_path, empty)
    assert code == 2
    assert output == (
        f"dedup: error: {empty}: holds no input file (no *.txt file below it, "
        "no JSON Lines file in it)\n"
    )
    assert not (tmp_path / "out").exists()


def test_a_subdirectory_beside_json_lines_files_is_refused(tmp_path: Path) -> None:
    """Nested datasets are not read, by either engine: an error rather than skipped data."""
    parts = tmp_path / "parts"
    (parts / "nested").mkdir(parents=True)
    (parts / "part-0000.jsonl").write_text(json.dumps({"id": "a", "text": TEXT}) + "\n")
    code, output = bulk(tmp_path, parts)
    assert code == 2
    assert output.startswith(f"dedup: error: {parts}: holds a subdirectory nested;")
    assert not (tmp_path / "out").exists()
