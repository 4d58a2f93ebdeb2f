"""Where `dedup strip --out` and `dedup report --out` write: through a symlink into the file it
points to (the link kept), into a FIFO (which stays one), and `-` to standard output.

FIFOs and links are made under tmp_path; a test never writes to /dev/stdout or /dev/null
(an earlier version replaced the device node with a regular file).
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dedup.cli import main
from tests._io_support import read_fifo
from tests._report_support import bulk
from tests.conftest import write_jsonl

RECORDS: list[dict[str, object]] = [
    {"id": "a", "text": "The city council approved a new budget for road repairs on Tuesday."},
    {"id": "b", "text": "A local bakery won first prize at the regional bread festival."},
    {"id": "c", "text": "Heavy rain flooded three streets near the river after the storm."},
]
PAGE_START = "<!DOCTYPE html>\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("corpus") / "in.jsonl", RECORDS)


@pytest.fixture(scope="module")
def run(corpus: Path) -> Path:
    """A bulk run of the corpus, for `dedup report`."""
    out = corpus.parent / "run"
    bulk(str(corpus), "--out", str(out))
    return out


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def ids(jsonl: str) -> list[object]:
    return [json.loads(line)["id"] for line in jsonl.splitlines()]


def linked(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A symlink in one directory to a file yet to be written in another: (link, target)."""
    (tmp_path / "links").mkdir()
    (tmp_path / "data").mkdir()
    link, target = tmp_path / "links" / name, tmp_path / "data" / name
    link.symlink_to(target)
    return link, target


def test_strip_through_a_symlink_writes_its_target_and_keeps_the_link(
    corpus: Path, tmp_path: Path
) -> None:
    """`strip --out LINK` writes the stripped records into the file LINK points to."""
    link, target = linked(tmp_path, "stripped.jsonl")
    invoke("strip", str(corpus), "--out", str(link), "--jobs", "1")
    assert link.is_symlink() and link.readlink() == target
    assert ids(target.read_text(encoding="utf-8")) == ["a", "b", "c"]


def test_strip_into_a_fifo_writes_the_records_and_leaves_a_fifo(
    corpus: Path, tmp_path: Path
) -> None:
    """`strip --out FIFO` hands the records to the FIFO's reader; the FIFO stays a FIFO."""
    fifo = tmp_path / "stripped.fifo"
    os.mkfifo(fifo)
    received = read_fifo(fifo)
    invoke("strip", str(corpus), "--out", str(fifo), "--jobs", "1")
    assert ids(received.result(timeout=30).decode("utf-8")) == ["a", "b", "c"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_strip_out_dash_writes_the_records_to_standard_output(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`strip --out -` prints the records (and only them) and makes no file named "-"."""
    monkeypatch.chdir(tmp_path)
    result = invoke("strip", str(corpus), "--out", "-", "--jobs", "1")
    assert ids(result.stdout) == ["a", "b", "c"]
    assert "-> standard output" in result.stderr
    assert not (tmp_path / "-").exists()


def test_report_through_a_symlink_writes_its_target_and_keeps_the_link(
    run: Path, tmp_path: Path
) -> None:
    """`report --out LINK` writes the page into the file LINK points to."""
    link, target = linked(tmp_path, "page.html")
    invoke("report", str(run), "--out", str(link))
    assert link.is_symlink() and link.readlink() == target
    assert target.read_text(encoding="utf-8").startswith(PAGE_START)


def test_report_into_a_fifo_writes_the_page_and_leaves_a_fifo(run: Path, tmp_path: Path) -> None:
    """`report --out FIFO` hands the page to the FIFO's reader; the FIFO stays a FIFO."""
    fifo = tmp_path / "page.fifo"
    os.mkfifo(fifo)
    received = read_fifo(fifo)
    invoke("report", str(run), "--out", str(fifo))
    assert received.result(timeout=30).decode("utf-8").startswith(PAGE_START)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_report_out_dash_writes_the_page_to_standard_output(
    run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`report --out -` prints the whole page and makes no file named "-"."""
    monkeypatch.chdir(tmp_path)
    result = invoke("report", str(run), "--out", "-")
    assert result.stdout.startswith(PAGE_START) and result.stdout.endswith("</html>\n")
    assert not (tmp_path / "-").exists()


def test_bulk_out_dash_is_refused_in_one_line(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`bulk --out -` is a usage error (a run writes a directory), exit 2, nothing made."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["bulk", str(corpus), "--out", "-", "--quiet"])
    assert result.exit_code == 2
    assert len(result.output.splitlines()) == 1 and "--out" in result.output
    assert list(tmp_path.iterdir()) == []
