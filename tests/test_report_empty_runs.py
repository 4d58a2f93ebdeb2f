"""Reports of runs with nothing to chart: no documents at all, or documents without duplicates.

An empty input is a run like any other; its report is a complete page that says what it found
(nothing), not a traceback.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from dedup.cli import main
from dedup.report.charts import size_chart
from tests._report_support import bulk
from tests.conftest import write_jsonl

SECTIONS = ("summary", "similarity", "sizes", "clusters", "boilerplate")
UNRELATED = [
    "The city council approved a new budget for road repairs on Tuesday evening.",
    "A local bakery won first prize at the regional bread festival this weekend.",
    "Heavy rain flooded three streets near the river after the storm on Monday.",
]


def _count(page: str, label: str) -> str:
    """The value the summary's counts table gives for ``label``."""
    found = re.search(rf'<tr><td>{label}</td><td class="num">([^<]*)</td></tr>', page)
    assert found, f"no {label!r} row in the summary"
    return found.group(1)


def _empty_run(tmp_path: Path) -> Path:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    bulk(str(empty), "--out", str(tmp_path / "run"), "--report")
    return tmp_path / "run"


def test_bulk_report_of_an_empty_input_is_a_page_with_every_section(tmp_path: Path) -> None:
    """`bulk EMPTY --report` exits 0 and leaves a report.html with the five sections."""
    page = (_empty_run(tmp_path) / "report.html").read_text(encoding="utf-8")
    assert all(f'<section id="{section}">' in page for section in SECTIONS)


def test_report_of_an_empty_run_counts_no_documents(tmp_path: Path) -> None:
    """`dedup report DIR` on a run of no documents exits 0; its summary counts 0 documents."""
    run = _empty_run(tmp_path)
    result = CliRunner().invoke(main, ["report", str(run), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert _count(page, "documents") == "0"
    assert "The run had no documents" in page


def test_report_of_a_run_without_duplicates_counts_its_documents(tmp_path: Path) -> None:
    """Documents that share nothing (no pairs, no boilerplate, singleton clusters only) make a
    report whose summary counts them and which says no cluster has more than one document."""
    corpus = write_jsonl(
        tmp_path / "in.jsonl", [{"id": f"d{i}", "text": t} for i, t in enumerate(UNRELATED)]
    )
    bulk(str(corpus), "--out", str(tmp_path / "run"), "--strip-boilerplate", "--report")
    page = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    assert (_count(page, "documents"), _count(page, "verified pairs")) == ("3", "0")
    assert "No cluster has more than one document." in page
    assert "The run had no documents" not in page


def test_size_chart_of_no_clusters_draws_no_bar_and_says_why() -> None:
    """With no clusters at all the size chart is its axes and a note, without a bar."""
    chart = size_chart(Counter())
    assert 'class="bar"' not in chart
    assert "no clusters: no documents" in chart
