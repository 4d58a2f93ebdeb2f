"""`dedup bulk --strip-boilerplate` over an outlet of short articles under a long footer: the
job learns the footer (the story count leaves the judged paragraph out) and pairs no two
briefs through it, where it put all six in one cluster before."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from dedup.cli import main
from tests._collection_support import OUTLET_FOOTER, brief_post
from tests.conftest import read_jsonl, write_jsonl

BRIEFS = [brief_post(n) for n in range(6)]


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The outputs of one run over six briefs of one outlet."""
    where = tmp_path_factory.mktemp("briefs")
    records = [{"id": d.id, "text": d.text, "source": d.source} for d in BRIEFS]
    path = write_jsonl(where / "briefs.jsonl", records)
    args = ["bulk", str(path), "--out", str(where / "out"), "--strip-boilerplate", "--quiet"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return where / "out"


def test_no_two_briefs_are_paired(out: Path) -> None:
    assert read_jsonl(out / "pairs.jsonl") == []


def test_the_footer_is_the_boilerplate_of_every_brief(out: Path) -> None:
    patterns = read_jsonl(out / "boilerplate.jsonl")
    assert [(p["text"], p["documents"]) for p in patterns] == [
        (OUTLET_FOOTER, [d.id for d in BRIEFS])
    ]
